"""Code lists and area codes for API clients (issue 13, item 1): anonymous,
over HTTP, in both languages, with field errors for bad input."""
from __future__ import annotations

import pytest
import yaml

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.metadata import vocabularies


def _api(app, action, status=200, **params):
    response = app.get(f"/api/3/action/{action}", query_string=params, status=status)
    return response.json


def test_every_code_list_with_both_languages_anonymously(app):
    body = _api(app, "satudata_vocabulary_list")
    lists = {v["name"]: v for v in body["result"]}
    with open(vocabularies._PATH, encoding="utf-8") as f:  # the source of truth: every list, every value
        source = yaml.safe_load(f)
    assert set(lists) == set(source)
    for name, terms in source.items():
        assert [t["value"] for t in lists[name]["terms"]] == [t["value"] for t in terms], name
        for term in lists[name]["terms"]:
            assert term["label"]["id"] and term["label"]["en"], (name, term["value"])
    frequency = {t["value"]: t for t in lists["frequency"]["terms"]}
    assert frequency["tahunan"]["iso8601"] == "R/P1Y" and frequency["tahunan"]["label"]["en"] == "Annual"
    assert {t["value"]: t.get("public", False) for t in lists["classification"]["terms"]} == {
        "data_umum": True, "terbatas": False, "dikecualikan": False}


def test_one_code_list_and_an_unknown_one(app):
    body = _api(app, "satudata_vocabulary_show", name="classification")
    assert [t["value"] for t in body["result"]["terms"]] == ["data_umum", "terbatas", "dikecualikan"]
    assert _api(app, "satudata_vocabulary_show", status=404, name="rahasia")["error"]["__type"] == "Not Found Error"
    error = _api(app, "satudata_vocabulary_show", status=409)["error"]
    assert error["__type"] == "Validation Error" and error["name"]


def test_the_dataset_schema_gives_the_choices_of_every_code_list_field(app):
    schema = _api(app, "scheming_dataset_schema_show", type="dataset")["result"]
    fields = {f["field_name"]: f for f in schema["dataset_fields"]}
    coded = [f for f in fields.values() if f.get("sdi_vocabulary")]
    assert len(coded) >= 8
    for field in coded:
        assert [c["value"] for c in field["choices"]] == [t["value"] for t in vocabularies.terms(field["sdi_vocabulary"])]
    assert {"value": "data_umum", "label": {"id": "Data Umum (terbuka)", "en": "Public data (open)"}} in \
        fields["sdi_classification"]["choices"]
    # scheming's own schema is not changed by the expansion
    from ckanext.scheming.helpers import scheming_get_dataset_schema
    assert "choices" not in {f["field_name"]: f for f in scheming_get_dataset_schema("dataset")["dataset_fields"]}[
        "sdi_classification"]


def test_areas_by_name_code_level_and_parent_a_page_at_a_time(app):
    found = _api(app, "satudata_area_list", q="sumedang")["result"]
    assert found["results"][0] == {"code": "32.11", "name": "Kabupaten Sumedang", "level": "kabupaten",
                                   "parent": "32", "bps_code": "3211"}
    by_code = _api(app, "satudata_area_list", q="3273", level="kabupaten")["result"]["results"]
    assert [a["code"] for a in by_code] == ["32.73"]
    first = _api(app, "satudata_area_list", parent="32.11", level="kecamatan", limit=5)["result"]
    second = _api(app, "satudata_area_list", parent="32.11", level="kecamatan", limit=5, offset=5)["result"]
    assert len(first["results"]) == 5 and first["more"] is True
    codes = [a["code"] for a in first["results"] + second["results"]]
    assert len(set(codes)) == 10 and all(c.startswith("32.11.") for c in codes) and codes == sorted(codes)
    everything = _api(app, "satudata_area_list", parent="32.11", level="kecamatan", limit=1000)["result"]
    assert everything["more"] is False and [a["code"] for a in everything["results"][:10]] == codes
    shown = _api(app, "satudata_area_show", code="3211")["result"]
    assert shown["name"] == "Kabupaten Sumedang" and [a["code"] for a in shown["ancestors"]] == ["32"]


@pytest.mark.parametrize("params,field,message", [
    ({"level": "negara"}, "level", "negara"),
    ({"limit": "-1"}, "limit", ""),
    ({"limit": "0"}, "limit", ""),
    ({"limit": "banyak"}, "limit", ""),
    ({"offset": "-3"}, "offset", ""),
    ({"parent": "99.99"}, "parent", "Kode wilayah tidak dikenal"),  # the API speaks the portal's default language
    ({"q": "a\x00b"}, "q", ""),
])
def test_bad_area_input_is_a_field_error(app, params, field, message):
    error = _api(app, "satudata_area_list", status=409, **params)["error"]
    assert error["__type"] == "Validation Error" and field in error
    assert message in " ".join(error[field])


def test_an_unknown_area_is_not_found():
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("satudata_area_show", code="99.99")
