"""The dataset form as its users get it (rendered by the test app): grouped
into the schema's sections, the fields required before submission marked,
the PPID-only fields shown to the agency's PPID alone (and refused to
anyone else by the API too), agencies chosen by title, a new dataset for a
data request pre-filled from it, and every field saved back unchanged."""
import urllib.parse

import pytest
from bs4 import BeautifulSoup
from werkzeug.datastructures import MultiDict

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.metadata import form as dataset_form
from tests.conftest import complete_metadata

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

SECTIONS = ["identitas", "standar_data", "metadata", "kode_referensi", "klasifikasi"]
LEGENDS = {"id": ["Identitas", "Standar Data", "Metadata", "Kode Referensi", "Klasifikasi"],
           "en": ["Identity", "Data standard", "Metadata", "Reference codes", "Classification"]}
PPID_FIELDS = ("sdi_exemption_basis", "sdi_consequence_test")
EXEMPT = {"sdi_classification": "terbatas", "sdi_exemption_basis": ["pasal17_h"],
          "sdi_consequence_test": "Uji konsekuensi PPID no. 7/2026"}
# what package_update may change on a save that changes nothing
VOLATILE = ("metadata_modified",)


def _auth(user):
    token = helpers.call_action("api_token_create", user=user["name"], name="t")["token"]
    return {"Authorization": token}


def _soup(app, url, user, status=200):
    response = app.get(url, headers=_auth(user), status=status)
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def _form_values(soup) -> MultiDict:
    """What a browser posts for the dataset form as rendered (no button)."""
    form = soup.find("form", id="dataset-edit")
    values = MultiDict()
    for el in form.find_all(["input", "select", "textarea"]):
        name = el.get("name")
        if not name or el.has_attr("disabled"):
            continue
        if el.name == "textarea":
            values.add(name, el.text.lstrip("\n") if el.text.startswith("\n") else el.text)
        elif el.name == "select":
            options = el.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")]
            if not chosen and not el.has_attr("multiple") and options:
                chosen = options[:1]
            for option in chosen:
                values.add(name, option.get("value", option.text))
        elif el.get("type") in ("checkbox", "radio") and not el.has_attr("checked"):
            continue
        elif el.get("type") != "submit":
            values.add(name, el.get("value", ""))
    return values


def _save_unchanged(app, name, user):
    """Open the dataset's edit form as ``user`` and save it as it came."""
    soup = _soup(app, f"/dataset/edit/{name}", user)
    values = _form_values(soup)
    values.add("save", "")
    response = app.post(f"/dataset/edit/{name}", data=values, headers=_auth(user), follow_redirects=False)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    model.Session.remove()


def _differences(before, after, ignore=VOLATILE):
    return {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
            if k not in ignore and before.get(k) != after.get(k)}


def _ppid_editor(portal):
    """Agency A's PPID, also an editor of agency A (one person with both roles),
    so the PPID can open the dataset form."""
    helpers.call_action("organization_member_create", id=portal.org_a["id"], username=portal.ppid_a["name"],
                        role="editor")
    return portal.ppid_a


def _exempt_dataset(portal, **overrides):
    """A restricted dataset of agency A whose PPID fields the sysadmin set."""
    fields = dict(EXEMPT, name="terbatas-ppid")
    fields.update(overrides)
    pkg = helpers.call_action("package_create", {"user": portal.sysadmin["name"]},
                              **complete_metadata(owner_org=portal.org_a["id"], **fields))
    return helpers.call_action("package_show", id=pkg["id"])


def _selected(soup, select_id) -> str:
    """The value a browser posts for a single select: its selected option, else the first."""
    options = soup.select(f"#{select_id} option")
    chosen = [o for o in options if o.has_attr("selected")] or options[:1]
    return chosen[0].get("value", "") if chosen else ""


def _section_of(soup, field_id):
    return soup.find(id=field_id).find_parent("fieldset")["data-section"]


# ---------------------------------------------------------------- sections


def test_every_form_field_sits_in_a_section():
    sections = dataset_form.sections()
    assert [s["name"] for s in sections] == SECTIONS  # no "other": each field names a known section
    assert all(s["fields"] for s in sections)
    assert dataset_form.ppid_fields() == PPID_FIELDS


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_form_is_grouped_into_sections(portal, app, lang):
    prefix = "" if lang == "id" else "/en"
    soup = _soup(app, f"{prefix}/dataset/new", portal.producer_a)
    fieldsets = soup.select("form#dataset-edit fieldset.satudata-form-section")
    assert [f["data-section"] for f in fieldsets] == SECTIONS
    assert [f.find("legend").get_text(strip=True) for f in fieldsets] == LEGENDS[lang]
    assert {field: _section_of(soup, f"field-{field}") for field in (
        "title", "notes", "sdi_contact_email", "sdi_standard_code", "sdi_unit", "sdi_frequency",
        "sdi_collection_method", "sdi_urusan", "sdi_area_code", "sdi_classification", "sdi_shared_with")} == {
        "title": "identitas", "notes": "identitas", "sdi_contact_email": "identitas",
        "sdi_standard_code": "standar_data", "sdi_unit": "standar_data", "sdi_frequency": "metadata",
        "sdi_collection_method": "metadata", "sdi_urusan": "kode_referensi", "sdi_area_code": "kode_referensi",
        "sdi_classification": "klasifikasi", "sdi_shared_with": "klasifikasi"}
    # one form, one set of fields: no field rendered twice (scheming's own list is not shown too)
    names = [el["name"] for el in soup.select("form#dataset-edit [name^=sdi_]")]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("lang, legend", [
    ("id", "Wajib diisi sebelum dataset diajukan untuk verifikasi"),
    ("en", "Required before the dataset is submitted for verification"),
])
def test_fields_required_before_submission_are_marked(portal, app, lang, legend):
    prefix = "" if lang == "id" else "/en"
    soup = _soup(app, f"{prefix}/dataset/new", portal.producer_a)
    assert legend in soup.select_one("[data-required-legend]").get_text(" ", strip=True)
    fields = [f for s in dataset_form.sections() for f in s["fields"] if f.get("form_snippet", "") is not None]
    required = {f["field_name"] for f in fields if f.get("sdi_required")}
    assert {"notes", "license_id", "sdi_urusan", "sdi_standard_code", "sdi_area_code", "sdi_source"} <= required
    for name in required:
        wrapper = soup.select_one(f'.satudata-field[data-field="{name}"]')
        assert wrapper.get("data-required-before-submit") == "true", name
        assert wrapper.select_one("label .control-required"), name
    for name in ("sdi_formula", "sdi_dimension", "sdi_indicator_code", "sdi_contact_phone"):
        wrapper = soup.select_one(f'.satudata-field[data-field="{name}"]')
        assert not wrapper.has_attr("data-required-before-submit") and not wrapper.select_one(".control-required")


def test_a_required_select_left_empty_in_a_draft_stays_empty(portal, app):
    """Marked required, a select keeps its blank choice: a draft without it
    opens blank and is saved without it (not with the first term)."""
    pkg = portal.dataset(name="sparse", resource=False, sdi_urusan="", sdi_measure="", notes="")
    assert "sdi_urusan" not in pkg
    soup = _soup(app, "/dataset/edit/sparse", portal.producer_a)
    assert _selected(soup, "field-sdi_urusan") == ""
    before = helpers.call_action("package_show", id="sparse")
    _save_unchanged(app, "sparse", portal.producer_a)
    assert _differences(before, helpers.call_action("package_show", id="sparse")) == {}
    # and a draft may still be saved without them: the submission check asks for them
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    assert "sdi_urusan" in str(err.value.error_dict)


# ---------------------------------------------------------------- PPID fields


def test_ppid_fields_are_shown_to_the_agencys_ppid_alone(portal, app):
    ppid = _ppid_editor(portal)
    pkg = _exempt_dataset(portal)
    producer = _soup(app, f"/dataset/edit/{pkg['name']}", portal.producer_a)
    for field in PPID_FIELDS:
        assert not producer.select(f'[name="{field}"]'), field
    note = producer.select_one("[data-ppid-fields-note]").get_text(" ", strip=True)
    assert "PPID" in note and "Dasar Pengecualian" in note and "Uji Konsekuensi" in note
    for user in (ppid, portal.sysadmin):
        soup = _soup(app, f"/dataset/edit/{pkg['name']}", user)
        assert soup.select_one("#field-sdi_exemption_basis-pasal17_h").has_attr("selected")
        assert soup.select_one("#field-sdi_consequence_test").text.strip() == EXEMPT["sdi_consequence_test"]
        assert not soup.select("[data-ppid-fields-note]")
    # and the producer's new-dataset form has none either
    new = _soup(app, f"/dataset/new?owner_org={portal.org_a['id']}", portal.producer_a)
    assert not new.select('[name="sdi_exemption_basis"]') and not new.select('[name="sdi_consequence_test"]')


def test_a_producer_cannot_change_the_ppid_fields_through_the_api(portal):
    """satudata_ppid_only: a producer's update keeps what the PPID set when it
    leaves the fields out or empty, accepts the stored value sent back, and
    refuses any other value with a field error."""
    pkg = _exempt_dataset(portal)
    producer = {"user": portal.producer_a["name"]}
    stored = {k: pkg[k] for k in PPID_FIELDS}
    assert stored == {"sdi_exemption_basis": ["pasal17_h"], "sdi_consequence_test": EXEMPT["sdi_consequence_test"]}

    without = {k: v for k, v in pkg.items() if k not in PPID_FIELDS}
    helpers.call_action("package_update", producer, **dict(without, title="Judul baru"))
    emptied = dict(pkg, sdi_exemption_basis="", sdi_consequence_test="", title="Judul lagi")
    helpers.call_action("package_update", producer, **emptied)
    helpers.call_action("package_patch", producer, id=pkg["id"], notes="Diperbarui", **stored)
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert {k: shown[k] for k in PPID_FIELDS} == stored and shown["notes"] == "Diperbarui"

    for field, value in (("sdi_exemption_basis", ["pasal17_a"]), ("sdi_exemption_basis", "pasal17_h,pasal17_j"),
                         ("sdi_consequence_test", "Tidak perlu dikecualikan")):
        with pytest.raises(tk.ValidationError) as err:
            helpers.call_action("package_patch", producer, id=pkg["id"], **{field: value})
        assert err.value.error_dict[field] == ["Only the agency's PPID can set this field"]
    with pytest.raises(tk.ValidationError):
        helpers.call_action("package_create", producer, **complete_metadata(
            name="baru", owner_org=portal.org_a["id"], sdi_consequence_test="Uji sendiri"))
    assert {k: helpers.call_action("package_show", id=pkg["id"])[k] for k in PPID_FIELDS} == stored


def test_the_ppid_edits_the_ppid_fields_like_any_other(portal):
    ppid = {"user": _ppid_editor(portal)["name"]}
    pkg = _exempt_dataset(portal)
    helpers.call_action("package_patch", ppid, id=pkg["id"], sdi_exemption_basis=["pasal17_a", "pasal17_h"])
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_exemption_basis"] == ["pasal17_a", "pasal17_h"]
    shown = helpers.call_action("package_show", id=pkg["id"])
    helpers.call_action("package_update", ppid, **{k: v for k, v in shown.items() if k not in PPID_FIELDS})
    cleared = helpers.call_action("package_show", id=pkg["id"])
    assert not cleared.get("sdi_exemption_basis") and not cleared.get("sdi_consequence_test")


def test_a_producers_form_keeps_the_ppid_fields(portal, app):
    pkg = _exempt_dataset(portal)
    _save_unchanged(app, pkg["name"], portal.producer_a)
    assert _differences(pkg, helpers.call_action("package_show", id=pkg["id"])) == {}


# ---------------------------------------------------------------- round trip


@pytest.mark.parametrize("priority, shown", [("true", "true"), ("false", "false"), (None, "")])
def test_data_prioritas_opens_on_its_saved_answer_and_keeps_it(portal, app, priority, shown):
    extra = {"sdi_priority": priority} if priority is not None else {}
    pkg = portal.dataset(name="prioritas", resource=False, **extra)
    assert pkg.get("sdi_priority") is {"true": True, "false": False, None: None}[priority]
    soup = _soup(app, "/dataset/edit/prioritas", portal.producer_a)
    assert _selected(soup, "field-sdi_priority") == shown
    assert [o.get_text(strip=True) for o in soup.select("#field-sdi_priority option")] == ["", "Tidak", "Ya"]
    _save_unchanged(app, "prioritas", portal.producer_a)
    assert helpers.call_action("package_show", id="prioritas").get("sdi_priority") is pkg.get("sdi_priority")
    page = _soup(app, "/dataset/prioritas", portal.producer_a)
    row = next(th for th in page.select("th.dataset-label") if th.get_text(strip=True) == "Data Prioritas")
    assert row.find_next_sibling("td").get_text(strip=True) == {"true": "Ya", "false": "Tidak", "": ""}[shown]


@pytest.mark.parametrize("editor", ["producer", "ppid"])
def test_saving_the_edit_form_unchanged_keeps_every_field(portal, app, editor):
    """Every field filled (and the PPID's), saved back through the form as the
    producer and as the PPID: package_show is the same but for its time."""
    user = portal.producer_a if editor == "producer" else _ppid_editor(portal)
    pkg = _exempt_dataset(portal, name="lengkap", sdi_priority="false", sdi_shared_with=["agency-b"],
                          sdi_contact_phone="022 1234567", sdi_dimension="kecamatan", sdi_formula="a / b",
                          sdi_interpretation="Makin tinggi makin baik", sdi_indicator_code="IKD-1.02",
                          sdi_data_list_ref="DD-2026/12", sdi_recommendation_number="B-9/2026",
                          sdi_area_code="32.11.01")
    assert pkg["sdi_shared_with"] == [portal.org_b["id"]] and pkg["sdi_priority"] is False
    _save_unchanged(app, "lengkap", user)
    assert _differences(pkg, helpers.call_action("package_show", id="lengkap")) == {}
    sparse = portal.dataset(name="jarang", resource=False, notes="", sdi_contact_email="", sdi_source="")
    _save_unchanged(app, "jarang", user)
    assert _differences(sparse, helpers.call_action("package_show", id="jarang")) == {}


def test_saving_a_published_dataset_unchanged_keeps_it_published(portal, app):
    pkg = portal.walk(portal.dataset(name="terbit"), "submit", "verify", "publish")
    _save_unchanged(app, "terbit", portal.producer_a)
    assert _differences(pkg, helpers.call_action("package_show", id="terbit")) == {}
    history = helpers.call_action("satudata_dataset_history", id=pkg["id"])
    assert history[-1]["action"] == "publish"  # no back-to-draft row
    # and a save that changes something returns it to draft (the API as the form)
    helpers.call_action("package_patch", {"user": portal.producer_a["name"], "ignore_auth": False},
                        id=pkg["id"], notes="Diperbarui")
    shown = helpers.call_action("package_show", id="terbit")
    assert (shown["sdi_status"], shown["private"]) == ("draft", True)
    assert helpers.call_action("satudata_dataset_history", id=pkg["id"])[-1]["action"] == "edit"
    assert "terbit" not in [r["name"] for r in helpers.call_action(
        "package_search", {"user": "", "ignore_auth": False}, q="name:terbit")["results"]]


# ---------------------------------------------------------------- agencies by name


def test_shared_with_chooses_agencies_by_their_titles(portal, app):
    pkg = portal.dataset(name="terbagi", resource=False, sdi_classification="terbatas",
                         sdi_shared_with="agency-b")
    soup = _soup(app, "/dataset/edit/terbagi", portal.producer_a)
    select = soup.select_one("select#field-sdi_shared_with")
    assert select.has_attr("multiple") and select["data-module"] == "autocomplete"
    options = {o.get_text(strip=True): o for o in select.find_all("option")}
    assert list(options) == ["Agency A", "Agency B"]  # titles, in order; no ids or URL names shown
    assert options["Agency B"]["value"] == portal.org_b["id"] and options["Agency B"].has_attr("selected")
    assert not options["Agency A"].has_attr("selected")
    values = _form_values(soup)
    values.setlist("sdi_shared_with", [portal.org_a["id"], portal.org_b["id"]])
    values.add("save", "")
    app.post("/dataset/edit/terbagi", data=values, headers=_auth(portal.producer_a))
    assert sorted(helpers.call_action("package_show", id=pkg["id"])["sdi_shared_with"]) == sorted(
        [portal.org_a["id"], portal.org_b["id"]])
    by_name = _soup(app, "/dataset/new?sdi_shared_with=agency-b", portal.producer_a)
    assert [o.get_text(strip=True) for o in by_name.select("#field-sdi_shared_with option[selected]")] == ["Agency B"]


# ---------------------------------------------------------------- a dataset for a request


def _sent_request(portal, template):
    def call(action, user, **data):
        return helpers.call_action(action, {"user": user["name"], "ignore_auth": False}, **data)
    req = call("satudata_request_create", portal.forum, title="Jumlah posyandu per kecamatan",
               description="Untuk RPJMD", purpose="Perencanaan")
    call("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a"])
    call("satudata_request_ask_recommendation", portal.walidata, id=req["id"], pembina=portal.pembina["name"])
    call("satudata_request_recommend", portal.pembina, id=req["id"], number="B-045/32110/VS.300/2026",
         date="2026-10-02", text="Gunakan data administrasi")
    call("satudata_request_set_format", portal.walidata, id=req["id"], metadata_template=template,
         table_schema={"fields": [{"name": "kecamatan", "type": "string"}]})
    return call("satudata_request_send", portal.walidata, id=req["id"])


def test_a_dataset_for_a_request_is_prefilled_from_it(portal, app):
    template = {"sdi_frequency": "bulanan", "sdi_unit": "unit", "sdi_sector": "kesehatan",
                "sdi_shared_with": ["agency-b"]}
    req = _sent_request(portal, template)
    page = _soup(app, f"/permintaan/{req['id']}", portal.producer_a)
    links = [a["href"] for a in page.select("a[data-action=create-dataset]")]
    assert links, "the request page links the new-dataset form"
    soup = _soup(app, links[0], portal.producer_a)
    assert soup.select_one("#field-sdi_request_id")["value"] == req["id"]
    assert _selected(soup, "field-sdi_frequency") == "bulanan"
    assert _selected(soup, "field-sdi_sector") == "kesehatan"
    assert soup.select_one("#field-sdi_unit")["value"] == "unit"
    assert soup.select_one("#field-sdi_recommendation_number")["value"] == "B-045/32110/VS.300/2026"
    assert [o.get_text(strip=True) for o in soup.select("#field-sdi_shared_with option[selected]")] == ["Agency B"]

    # the same from the request id alone (no template in the URL), and what the user typed wins
    query = urllib.parse.urlencode({"owner_org": portal.org_a["id"], "sdi_request_id": req["id"], "sdi_unit": "buah"})
    bare = _soup(app, f"/dataset/new?{query}", portal.producer_a)
    assert _selected(bare, "field-sdi_frequency") == "bulanan"
    assert bare.select_one("#field-sdi_recommendation_number")["value"] == "B-045/32110/VS.300/2026"
    assert bare.select_one("#field-sdi_unit")["value"] == "buah"


def test_a_request_the_user_may_not_see_prefills_nothing(portal, app):
    req = _sent_request(portal, {"sdi_frequency": "bulanan"})
    query = urllib.parse.urlencode({"owner_org": portal.org_b["id"], "sdi_request_id": req["id"]})
    soup = _soup(app, f"/dataset/new?{query}", portal.producer_b)
    assert soup.select_one("#field-sdi_recommendation_number")["value"] == ""
    assert _selected(soup, "field-sdi_frequency") == ""
    assert "Jumlah posyandu" not in soup.get_text()


def test_odd_query_arguments_give_the_form_not_a_500(portal, app):
    soup = _soup(app, "/dataset/new?owner_org=a%00b&sdi_request_id=%00x&sdi_shared_with=%00", portal.producer_a)
    assert soup.select_one("form#dataset-edit") and not soup.select('[name="sdi_exemption_basis"]')
