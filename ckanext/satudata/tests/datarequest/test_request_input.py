"""Bad input gets a ValidationError naming the field, and nothing is half written."""
import datetime as dt

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.model import DataRequest, RequestEvent
from ckanext.satudata.tests.conftest import complete_metadata
from ckanext.satudata.tests.datarequest.conftest import call

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
