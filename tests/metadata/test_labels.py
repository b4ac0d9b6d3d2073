"""Field labels come from schemas/dataset.yaml, in the asked or current language."""
import pytest

from ckanext.satudata.metadata import indexing, labels


@pytest.mark.parametrize("field,lang,expected", [
    ("sdi_concept", "en", "Concept"),
    ("sdi_concept", "id", "Konsep"),
    ("owner_org", "en", "Data producer"),
    ("sdi_classification", "id", "Klasifikasi Informasi"),
])
def test_a_field_label_in_the_asked_language(field, lang, expected):
    assert labels.field_label(field, lang) == expected


def test_the_current_language_outside_a_request_is_the_portal_default():
    assert labels.field_label("sdi_frequency") == "Frekuensi Pemutakhiran"


def test_an_unknown_language_falls_back_to_bahasa_indonesia():
    assert labels.field_label("sdi_unit", "fr") == "Satuan"


def test_an_unknown_field_is_named_by_its_name():
    assert labels.field_label("sdi_nothing", "en") == "sdi_nothing"


def test_a_plain_text_label_is_shown_as_written(monkeypatch):
    monkeypatch.setattr(labels, "_labels", lambda: {"sdi_x": "Plain", "sdi_y": None})
    assert labels.field_label("sdi_x", "en") == "Plain"
    assert labels.field_label("sdi_y", "en") == "sdi_y"


def test_every_dataset_field_has_a_label_in_both_languages():
    for name, label in labels._labels().items():
        assert isinstance(label, dict) and label.get("id") and label.get("en"), name


def test_facet_titles_are_the_fields_labels(app):
    with app.flask_app.test_request_context("/en/dataset/", environ_overrides={"CKAN_LANG": "en"}):
        facets = indexing.dataset_facets({"organization": "Organizations"})
    assert facets["vocab_sdi_classification"] == "Information classification"
    assert facets["vocab_sdi_frequency"] == "Update frequency"
    assert facets["vocab_sdi_sector"] == "Sector"
    assert facets["organization"] == "Data producer"
