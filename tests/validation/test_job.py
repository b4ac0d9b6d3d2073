"""Resources validated on the real job queue by a real RQ worker."""
import json

import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from tests.conftest import upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

SCHEMA = {"fields": [
    {"name": "kecamatan", "type": "string", "constraints": {"required": True}},
    {"name": "tahun", "type": "integer"},
    {"name": "jumlah", "type": "integer", "constraints": {"minimum": 0}},
]}


def _work():
    """A real CKAN worker (RQ) drains the queue, then stops."""
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)


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
    assert report["status"] == "error"
    assert report["error"]["code"] == "empty_file" and report["report"] is None
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "error"


def test_validation_of_a_published_dataset_does_not_unpublish_it(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nWado,2024,1\n")
    _work()
    pkg = portal.walk(pkg, "submit", "verify", "publish")
    assert pkg["sdi_status"] == "published" and pkg["private"] is False
    row = helpers.call_action("resource_validation_run", {"user": portal.walidata["name"], "ignore_auth": False},
                              resource_id=res["id"])
    assert row["status"] == "pending"
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "published"
    _work()
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert shown["sdi_status"] == "published" and shown["private"] is False
    assert shown["resources"][0]["validation_status"] == "success"
    assert helpers.call_action("resource_validation_show", resource_id=res["id"])["finished"] > row["created"]


def test_validation_actions_permissions(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nWado,2024,1\n")
    # outsiders of a draft: to them the resource does not exist (issue 11, leak 8)
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("resource_validation_run", {"user": portal.producer_b["name"], "ignore_auth": False},
                            resource_id=res["id"])
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("resource_validation_show", {"user": portal.plain["name"], "ignore_auth": False},
                            resource_id=res["id"])
    # a producer's async: false is queued, not run inside the request
    row = helpers.call_action("resource_validation_run", {"user": portal.producer_a["name"], "ignore_auth": False},
                              resource_id=res["id"], **{"async": False})
    assert row["status"] == "pending" and row["finished"] is None
    _work()
    assert helpers.call_action("resource_validation_show", resource_id=res["id"])["status"] == "success"
    helpers.call_action("resource_validation_delete", {"user": portal.producer_a["name"], "ignore_auth": False},
                        resource_id=res["id"])
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("resource_validation_show", resource_id=res["id"])
    # a sysadmin's runs now
    row = helpers.call_action("resource_validation_run", {"user": portal.sysadmin["name"], "ignore_auth": False},
                              resource_id=res["id"], **{"async": "false"})
    assert row["status"] == "success" and row["finished"]
    assert jobs.get_queue("satudata_validation").count == 0


SCHEMA_RULES = {
    "fields": [
        {"name": "kode", "type": "string", "constraints": {"pattern": "32\\.11\\.[0-9]{2}"}},
        {"name": "kecamatan", "type": "string", "constraints": {"unique": True}},
        {"name": "status", "type": "string", "constraints": {"enum": ["kota", "desa"]}},
    ],
    "primaryKey": ["kode"],
}


def test_schema_rules_each_give_their_error_in_one_worker_run(portal):
    pkg = portal.dataset(name="ds", resource=False)
    header = "kode,kecamatan,status\n"
    cases = {
        "pattern": (header + "32.11.01,Wado,desa\n33-11-02,Tomo,desa\n", {("constraint-error", 3, "kode")}),
        "unique": (header + "32.11.01,Wado,desa\n32.11.02,Wado,kota\n", {("unique-error", 3, "kecamatan")}),
        "enum": (header + "32.11.01,Wado,dusun\n", {("constraint-error", 2, "status")}),
        "primary": (header + "32.11.01,Wado,desa\n32.11.01,Tomo,kota\n", {("primary-key", 3, None)}),
        "missing": ("kode,kecamatan\n32.11.01,Wado\n", {("missing-label", 1, "status")}),
        "extra": (header.rstrip() + ",catatan\n32.11.01,Wado,desa,x\n", {("extra-label", 1, None)}),
    }
    ids = {name: _csv_resource(portal, pkg, content, SCHEMA_RULES, name=f"{name}.csv")["id"]
           for name, (content, _expected) in cases.items()}
    assert jobs.get_queue("satudata_validation").count == len(cases)
    _work()
    for name, (_content, expected) in cases.items():
        row = helpers.call_action("resource_validation_show", resource_id=ids[name])
        assert row["status"] == "failure", (name, row)
        found = {(e["type"], e["row"], e["field"]) for e in row["report"]["errors"]}
        assert expected <= found, (name, found)
        assert {e["type"] for e in row["report"]["errors"]} == {t for t, _r, _f in expected}, (name, found)


def test_validation_fields_are_read_only_through_package_and_resource_patch(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = _csv_resource(portal, pkg, "kecamatan,tahun,jumlah\nWado,dua,1\n")
    _work()
    stamp = helpers.call_action("resource_show", id=res["id"])["validation_timestamp"]
    user = {"user": portal.producer_a["name"]}
    helpers.call_action("resource_patch", user, id=res["id"], validation_status="success",
                        validation_timestamp="2030-01-01T00:00:00", description="x")
    shown = helpers.call_action("resource_show", id=res["id"])
    assert (shown["validation_status"], shown["validation_timestamp"]) == ("failure", stamp)
    pkg = helpers.call_action("package_show", id=pkg["id"])
    resources = [dict(pkg["resources"][0], validation_status="success", validation_timestamp="2030-01-01")]
    helpers.call_action("package_patch", user, id=pkg["id"], resources=resources)
    shown = helpers.call_action("resource_show", id=res["id"])
    assert (shown["validation_status"], shown["validation_timestamp"]) == ("failure", stamp)
    assert jobs.get_queue("satudata_validation").count == 0
    with pytest.raises(tk.ValidationError):
        helpers.call_action("satudata_dataset_submit", user, id=pkg["id"])
