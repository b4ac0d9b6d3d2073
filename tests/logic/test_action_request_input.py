"""Bad input gets a ValidationError naming the field, and nothing is half written."""
import datetime as dt
import json

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.model import DataRequest, RequestEvent
from tests.conftest import complete_metadata
from tests.datarequest.conftest import call, requests  # noqa: F401 (requests: a fixture)

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _errors(action, user, **data):
    with pytest.raises(tk.ValidationError) as err:
        call(action, user, **data)
    return err.value.error_dict


def test_create_checks_every_field(portal, requests):
    errors = _errors("satudata_request_create", portal.forum, title="", years="2024-2020", area_level="rt",
                     needed_by=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert set(errors) == {"title", "description", "purpose", "years", "area_level", "needed_by"}
    assert _errors("satudata_request_create", portal.forum, title="t", description="d", purpose="p",
                   needed_by="31-12-2026") == {"needed_by": ["Date must be written as YYYY-MM-DD"]}
    assert _errors("satudata_request_create", portal.forum, title="t", description="d", purpose="p",
                   is_public=True) == {"is_public": ["Only the Walidata can make a request public"]}
    assert model.Session.query(DataRequest).count() == 0
    req = call("satudata_request_create", portal.forum, title="t", description="d", purpose="p",
               years="2020 - 2022, 2024", indicators="Jumlah penduduk\nKepadatan", area_level="desa")
    assert (req["years"], req["indicators"]) == ("2020-2022, 2024", ["Jumlah penduduk", "Kepadatan"])


def test_dispose_names_the_unknown_agency(portal, requests):
    req = requests.new()
    assert _errors("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a", "nope"]) \
        == {"organizations": ["Unknown agency: nope"]}
    assert _errors("satudata_request_dispose", portal.walidata, id=req["id"], organizations=[]) \
        == {"organizations": ["Choose at least one agency"]}
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == "submitted"


def test_invalid_table_schema_is_a_field_error(portal, requests):
    req = requests.new(upto="recommended")
    errors = _errors("satudata_request_set_format", portal.walidata, id=req["id"],
                     table_schema={"fields": [{"name": "a", "type": "no-such-type"}]})
    assert list(errors) == ["table_schema"] and "Invalid Table Schema" in errors["table_schema"][0]
    errors = _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema="{not json",
                     metadata_template={"sdi_status": "published", "nope": 1})
    assert set(errors) == {"table_schema", "metadata_template"}
    assert "sdi_status" in errors["metadata_template"][0] and "nope" in errors["metadata_template"][0]
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == "recommended"


def test_steps_keep_their_order(portal, requests):
    req = requests.new(upto="dispositioned")
    assert list(_errors("satudata_request_send", portal.walidata, id=req["id"])) == ["status"]
    assert list(_errors("satudata_request_set_format", portal.walidata, id=req["id"],
                        table_schema={"fields": [{"name": "a"}]})) == ["status"]
    assert set(_errors("satudata_request_recommend", portal.walidata, id=req["id"], not_needed=True)) == {"reason"}
    req = requests.new(upto="awaiting_recommendation")
    assert set(_errors("satudata_request_recommend", portal.pembina, id=req["id"], number="1")) == {"date", "text"}
    assert list(_errors("satudata_request_reject", portal.walidata, id=req["id"], reason="  ")) == ["reason"]


def test_linking_a_dataset_of_an_agency_the_request_was_not_sent_to(portal, requests):
    req = requests.new(upto="sent")
    other = portal.dataset(org=portal.org_b, by=portal.producer_b, name="ds-b", resource=False)
    assert _errors("satudata_request_link_dataset", portal.walidata, id=req["id"], dataset_id=other["id"]) == {
        "dataset_id": ["The request was not sent to this dataset's agency"]}
    assert _errors("satudata_request_link_dataset", portal.walidata, id=req["id"], dataset_id="nope") == {
        "dataset_id": ["Dataset not found"]}
    # the hook refuses before writing: no dataset of agency B for this request
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("package_create", {"user": portal.producer_b["name"]},
                            **complete_metadata(name="ds-b2", owner_org=portal.org_b["id"], sdi_request_id=req["id"]))
    assert err.value.error_dict == {"sdi_request_id": ["The request was not sent to this dataset's agency"]}
    assert model.Package.get("ds-b2") is None
    early = requests.new(upto="format_defined")
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("package_create", {"user": portal.producer_a["name"]},
                            **complete_metadata(name="ds-a2", owner_org=portal.org_a["id"], sdi_request_id=early["id"]))
    assert list(err.value.error_dict) == ["sdi_request_id"]
    assert call("satudata_request_show", portal.walidata, id=req["id"])["datasets"] == []


def test_receiving_before_delivery(portal, requests):
    req = requests.new(upto="sent")
    pkg = portal.dataset(name="ds")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    errors = _errors("satudata_request_receive", portal.forum, id=req["id"])
    assert list(errors) == ["status"] and "not been delivered" in errors["status"][0]


def test_two_datasets_deliver_only_when_both_are_published(portal, requests):
    req = requests.new(upto="sent", orgs=("agency-a", "agency-b"))
    pkg_a = portal.walk(portal.dataset(name="ds-a"), "submit", "verify", "publish")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg_a["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["step"] == 6  # agency B has nothing yet
    pkg_b = portal.dataset(org=portal.org_b, by=portal.producer_b, name="ds-b")
    call("satudata_request_link_dataset", portal.producer_b, id=req["id"], dataset_id=pkg_b["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["step"] == 8
    call("satudata_dataset_submit", portal.producer_b, id=pkg_b["id"])
    call("satudata_dataset_verify", portal.ppid_b, id=pkg_b["id"])
    req = call("satudata_request_show", portal.forum, id=req["id"])
    assert (req["status"], req["step"]) == ("sent", 10)
    call("satudata_dataset_publish", portal.walidata, id=pkg_b["id"])
    req = call("satudata_request_show", portal.forum, id=req["id"])
    assert (req["status"], req["step"]) == ("delivered", 11)
    kinds = [(e["kind"], e["step"]) for e in call("satudata_request_timeline", portal.forum, id=req["id"])["events"]]
    assert kinds.count(("link", 6)) == 2 and ("step", 10) in kinds


def test_deleting_a_dataset_or_an_agency_keeps_the_history(portal, requests):
    req = requests.new(upto="sent", orgs=("agency-a", "agency-b"))
    pkg = portal.dataset(name="ds")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    before = model.Session.query(RequestEvent).filter_by(request_id=req["id"]).count()
    helpers.call_action("dataset_purge", id=pkg["id"])
    helpers.call_action("organization_purge", id=portal.org_b["id"])
    model.Session.remove()
    shown = call("satudata_request_show", portal.walidata, id=req["id"])
    assert shown["datasets"] == [] and [o["name"] for o in shown["organizations"]] == ["agency-a"]
    events = call("satudata_request_timeline", portal.walidata, id=req["id"])["events"]
    assert len(events) == before
    assert any(e["kind"] == "link" and e["data"]["dataset_name"] == "ds" for e in events)
    helpers.call_action("user_delete", id=portal.forum["id"])
    assert call("satudata_request_show", portal.walidata, id=req["id"])["title"] == req["title"]


@pytest.mark.ckan_config("ckanext.satudata.requests_per_day", "2")
def test_one_account_files_a_limited_number_per_day(portal, requests):
    for i in range(2):
        call("satudata_request_create", portal.forum, title=f"R{i}", description="d", purpose="p")
    assert _errors("satudata_request_create", portal.forum, title="R3", description="d", purpose="p") == {
        "requester": ["One account may file at most 2 data requests a day; try again tomorrow"]}
    call("satudata_request_create", portal.forum2, title="other member", description="d", purpose="p")
    for i in range(3):  # the Walidata files on behalf of others without a limit
        call("satudata_request_create", portal.walidata, title=f"W{i}", description="d", purpose="p")


# ------------------------------------------- control characters, blanks, numbers

_NUL_IDS = ["\x00", "abc\x00def", "id\x1b[0m"]


@pytest.mark.parametrize("bad", _NUL_IDS)
@pytest.mark.parametrize("action", ["satudata_request_show", "satudata_request_timeline",
                                    "satudata_request_comment_list", "satudata_request_comment_create",
                                    "satudata_request_follow", "satudata_request_unfollow",
                                    "satudata_request_patch", "satudata_request_update",
                                    "satudata_request_dispose", "satudata_request_ask_recommendation",
                                    "satudata_request_recommend", "satudata_request_set_format",
                                    "satudata_request_send", "satudata_request_link_dataset",
                                    "satudata_request_unlink_dataset", "satudata_request_receive",
                                    "satudata_request_reject", "satudata_request_cancel"])
def test_ids_with_control_characters_are_field_errors(portal, action, bad):
    assert _errors(action, portal.walidata, id=bad, dataset_id="x", comment="c", reason="r") == {
        "id": ["Control characters are not allowed"]}


def test_a_dataset_id_with_a_nul_is_a_field_error(portal, requests):
    req = requests.new(upto="sent")
    for action in ("satudata_request_link_dataset", "satudata_request_unlink_dataset"):
        assert _errors(action, portal.walidata, id=req["id"], dataset_id="ds\x00") == {
            "dataset_id": ["Control characters are not allowed"]}
    # the auth functions alone (as templates call them) do not reach the database either
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_auth("satudata_request_show", {"user": portal.forum["name"]}, id="a\x00b")
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_auth("satudata_request_link_dataset", {"user": portal.producer_a["name"]},
                          id=req["id"], dataset_id="ds\x00")


def test_text_with_control_characters_is_refused_but_line_breaks_and_tabs_are_kept(portal, requests):
    errors = _errors("satudata_request_create", portal.forum, title="Data\x00", description="d\x00",
                     purpose="p\x07", indicators=["a\x00"], area_level="desa\x00")
    assert errors == {k: ["Control characters are not allowed"]
                      for k in ("title", "description", "purpose", "indicators", "area_level")}
    # no line breaks or tabs at all in a title
    assert _errors("satudata_request_create", portal.forum, title="Dua\nbaris", description="d", purpose="p") == {
        "title": ["Control characters are not allowed"]}
    req = call("satudata_request_create", portal.forum, title="Data", description="Baris satu\r\nBaris\tdua",
               purpose="p")
    assert req["description"] == "Baris satu\nBaris\tdua"
    for field in ("comment",):
        assert _errors("satudata_request_comment_create", portal.forum, id=req["id"], comment="x\x00") == {
            field: ["Control characters are not allowed"]}
    assert _errors("satudata_request_cancel", portal.forum, id=req["id"], reason="x\x00") == {
        "reason": ["Control characters are not allowed"]}
    assert _errors("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a\x00"],
                   note="n\x00") == {"organizations": ["Control characters are not allowed"],
                                     "note": ["Control characters are not allowed"]}
    disposed = requests.new(upto="dispositioned")
    assert _errors("satudata_request_ask_recommendation", portal.walidata, id=disposed["id"],
                   pembina="pembina\x00") == {"pembina": ["Control characters are not allowed"]}
    assert set(_errors("satudata_request_recommend", portal.walidata, id=disposed["id"], not_needed=True,
                       reason="r\x00")) == {"reason"}
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == "submitted"


@pytest.mark.parametrize("field", ["q", "agency", "requester"])
def test_list_filters_with_control_characters_are_field_errors(portal, field):
    assert _errors("satudata_request_list", portal.walidata, **{field: "a\x00b"}) == {
        field: ["Control characters are not allowed"]}


def test_blank_description_or_purpose_is_missing(portal, requests):
    for blank in (" ", "  \n\t "):
        errors = _errors("satudata_request_create", portal.forum, title="t", description=blank, purpose=blank)
        assert set(errors) == {"description", "purpose"}
    req = requests.new()
    assert set(_errors("satudata_request_update", portal.forum, id=req["id"], title="t", description="d",
                       purpose="   ")) == {"purpose"}
    assert set(_errors("satudata_request_patch", portal.forum, id=req["id"], description=" \r\n ")) == {
        "description"}
    assert model.Session.query(DataRequest).count() == 1
    assert call("satudata_request_show", portal.forum, id=req["id"])["description"] == "Untuk RPJMD"


@pytest.mark.parametrize("bad", ["-1", "1.5", "abc", " ", "1e3", True, [1], {"a": 1}, -3, "1001"])
def test_bad_limits_and_offsets_are_field_errors(portal, bad):
    for key in ("limit", "offset"):
        if key == "offset" and bad == "1001":
            continue
        assert list(_errors("satudata_request_list", portal.walidata, **{key: bad})) == [key]


def test_empty_limit_and_offset_mean_the_defaults(portal, requests, app):
    for i in range(3):
        requests.new(title=f"Permintaan {i}")
    listed = call("satudata_request_list", portal.walidata, limit="", offset="")
    assert (listed["count"], len(listed["results"])) == (3, 3)
    assert len(call("satudata_request_list", portal.walidata, limit=" 2 ", offset="1")["results"]) == 2
    res = app.get("/api/3/action/satudata_request_list?limit=&offset=", status=200)
    assert res.json["result"]["results"] == []  # anonymous: nothing public
    app.get("/api/3/action/satudata_request_list?limit=abc", status=409)
    app.get("/api/3/action/satudata_request_show?id=a%00b", status=409)
    app.get("/api/3/action/satudata_request_list?q=a%00b", status=409)
    app.get("/permintaan?q=a%00b", status=200)


# ------------------------------------------------------------------ dates

@pytest.mark.parametrize("bad", ["2026-01-01junk", "2026-01-01 ", "2026-13-01", "20260101", "2026-W01-1",
                                 "2026-01-01T25:00", "2026-01-01Tjunk", "2026-01-01T10:00junk", "01-01-2026", 20260101])
def test_dates_are_parsed_strictly(portal, requests, bad):
    req = requests.new(upto="awaiting_recommendation")
    if bad == "2026-01-01 ":  # surrounding blanks are forgiven
        assert call("satudata_request_recommend", portal.pembina, id=req["id"], number="1", date=bad,
                    text="x")["recommendation"]["date"] == "2026-01-01"
        return
    assert _errors("satudata_request_recommend", portal.pembina, id=req["id"], number="1", date=bad,
                   text="x") == {"date": ["Date must be written as YYYY-MM-DD"]}
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    assert _errors("satudata_request_create", portal.forum, title="t", description="d", purpose="p",
                   needed_by=future + "junk") == {"needed_by": ["Date must be written as YYYY-MM-DD"]}


def test_dates_and_iso_datetimes_are_accepted(portal, requests):
    req = requests.new(upto="awaiting_recommendation")
    shown = call("satudata_request_recommend", portal.pembina, id=req["id"], number="1",
                 date="2026-11-20T09:30:00+07:00", text="x")
    assert shown["recommendation"]["date"] == "2026-11-20"
    future = dt.date.today() + dt.timedelta(days=30)
    created = call("satudata_request_create", portal.forum, title="t", description="d", purpose="p",
                   needed_by=f"{future.isoformat()}T00:00:00")
    assert created["needed_by"] == future.isoformat()


# ------------------------------------------------------ format size and values

@pytest.mark.parametrize("bad", [[{"name": "a"}], 5, "null", '[{"name": "a"}]', '"[1]"', '"{}"', True, "5"])
def test_a_table_schema_that_is_not_an_object_is_a_field_error(portal, requests, bad):
    req = requests.new(upto="recommended")
    errors = _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=bad)
    assert list(errors) == ["table_schema"]
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == "recommended"


@pytest.mark.ckan_config("ckanext.satudata.request_format_max_bytes", "2000")
def test_format_size_is_capped(portal, requests):
    req = requests.new(upto="recommended")
    big = {"fields": [{"name": f"kolom_{i}", "type": "string", "description": "x" * 50} for i in range(40)]}
    for as_given in (big, json.dumps(big), json.dumps(big, indent=40)):  # object, JSON text, indented text
        assert _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=as_given) == {
            "table_schema": ["At most 2000 bytes of JSON"]}
    small = {"fields": [{"name": "a", "type": "string"}]}
    assert _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=small,
                   metadata_template={"notes": "x" * 3000}) == {"metadata_template": ["At most 2000 bytes of JSON"]}
    assert _errors("satudata_request_set_format", portal.walidata, id=req["id"],
                   table_schema={"fields": [{"name": "a\x00", "type": "string"}]}) == {
        "table_schema": ["Control characters are not allowed"]}
    assert _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=small,
                   metadata_template='{"sdi_period_start": NaN}') == {
        "metadata_template": ["Numbers must be finite (no NaN or Infinity)"]}
    assert call("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=small,
                metadata_template={"notes": "x" * 100})["status"] == "format_defined"


def test_the_format_default_size_is_declared():
    assert tk.config.get("ckanext.satudata.request_format_max_bytes") == 65536


def test_template_values_of_vocabulary_fields_must_be_terms(portal, requests):
    req = requests.new(upto="recommended")
    schema = {"fields": [{"name": "a", "type": "string"}]}
    errors = _errors("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=schema,
                     metadata_template={"sdi_classification": "rahasia", "sdi_frequency": 5,
                                        "sdi_exemption_basis": ["zz"], "notes": "bebas"})
    assert list(errors) == ["metadata_template"]
    message = errors["metadata_template"][0]
    assert "sdi_classification: Unknown value rahasia" in message and "sdi_frequency" in message
    assert "sdi_exemption_basis: Unknown value zz" in message and "notes" not in message
    shown = call("satudata_request_set_format", portal.walidata, id=req["id"], table_schema=schema,
                 metadata_template={"sdi_classification": "data_umum", "sdi_frequency": "tahunan",
                                    "notes": "bebas"})
    assert shown["status"] == "format_defined"


# ------------------------------------------------------ time standards at start

def test_a_mistyped_time_standard_fails_at_start_naming_its_key():
    from ckan.plugins import get_plugin

    from ckanext.satudata.datarequest import due

    good = {f"ckanext.satudata.due.step{n}": "P7D" for n in range(1, 12)}
    due.check_config(good)
    for key, value in (("ckanext.satudata.due.step7", "2 months"), ("ckanext.satudata.due.step1", "P1MB"),
                       ("ckanext.satudata.due.step11", "")):
        with pytest.raises(ValueError, match=key.replace(".", r"\.") + ":"):
            get_plugin("satudata").configure({**good, key: value})
    get_plugin("satudata").configure(tk.config)  # the test configuration itself is fine
