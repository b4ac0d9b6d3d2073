"""Resources validated on the real job queue by a real RQ worker."""
import json

import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.tests.conftest import upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

SCHEMA = {"fields": [
    {"name": "kecamatan", "type": "string", "constraints": {"required": True}},
    {"name": "tahun", "type": "integer"},
    {"name": "jumlah", "type": "integer", "constraints": {"minimum": 0}},
]}


def _work():
    """A real CKAN worker (RQ) drains the queue, then stops."""
    jobs.Worker().work(burst=True)


def _csv_resource(portal, pkg, content, schema=SCHEMA, name="data.csv"):
    return helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                               name=name, format="CSV", upload=upload(content, name), url="",
                               schema=json.dumps(schema) if schema else "")


def test_valid_csv_passes_and_unlocks_submit(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nJatinangor,2024,120\nWado,2024,80\n")
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    _work()
    report = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert report["status"] == "success" and report["report"]["valid"] is True
    shown = helpers.call_action("resource_show", id=res["id"])
    assert shown["validation_status"] == "success" and shown["validation_timestamp"]
    out = helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    assert out["sdi_status"] == "submitted"


def test_invalid_csv_is_reported_with_rows_and_blocks_submit(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nJatinangor,dua ribu,120\n,2024,-5\n")
    _work()
    report = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert report["status"] == "failure"
    errors = {(e["type"], e["row"], e["field"]) for e in report["report"]["errors"]}
    assert ("type-error", 2, "tahun") in errors
    assert ("constraint-error", 3, "kecamatan") in errors
    assert ("constraint-error", 3, "jumlah") in errors
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    assert any("data.csv" in m for m in err.value.error_dict["interoperabilitas"])


def test_unvalidated_resource_blocks_submit_until_the_worker_ran(portal):
    pkg = portal.dataset(name="ds", resource=False)
    _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nWado,2024,1\n")
    with pytest.raises(tk.ValidationError):
        helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    _work()
    assert helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])


def test_empty_file_gets_an_error_report_not_a_crash(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "")
    _work()
    report = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert report["status"] in ("error", "failure")


def test_validation_of_a_published_dataset_does_not_unpublish_it(portal):
    pkg = portal.walk(portal.dataset(name="ds"), "submit", "verify", "publish")
    helpers.call_action("satudata_dataset_unpublish", {"user": portal.walidata["name"]}, id=pkg["id"], reason="x")
    helpers.call_action("satudata_dataset_publish", {"user": portal.walidata["name"]}, id=pkg["id"])
    res = pkg["resources"][0]
    helpers.call_action("resource_patch", {"user": portal.sysadmin["name"]}, id=res["id"], format="JSON")
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] in ("draft", "published")


def test_validation_actions_permissions(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nWado,2024,1\n")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("resource_validation_run", {"user": portal.producer_b["name"], "ignore_auth": False},
                            resource_id=res["id"])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("resource_validation_show", {"user": portal.plain["name"], "ignore_auth": False},
                            resource_id=res["id"])
    row = helpers.call_action("resource_validation_run", {"user": portal.producer_a["name"], "ignore_auth": False},
                              resource_id=res["id"], **{"async": False})
    assert row["status"] == "success"
    helpers.call_action("resource_validation_delete", {"user": portal.producer_a["name"], "ignore_auth": False},
                        resource_id=res["id"])
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("resource_validation_show", resource_id=res["id"])
