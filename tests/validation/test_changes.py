"""Validation follows the resource: package_create/package_update/package_patch
and resource_patch queue it when the file, URL, format or schema changes, a
no-op update does not, and an older job never overwrites a newer validation
(real Redis, real RQ workers, a real HTTP server on 127.0.0.1)."""
import json
import pathlib
import subprocess
import threading
from http.server import BaseHTTPRequestHandler

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.validation import service
from tests.conftest import complete_metadata, local_http_server, upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CKAN = str(ROOT / ".venv" / "bin" / "ckan")
SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "tahun", "type": "integer"}]}
GOOD = b"kecamatan,tahun\nWado,2024\nTomo,2023\n"
BAD = b"kecamatan,tahun\nWado,dua ribu\n"


class _Files(BaseHTTPRequestHandler):
    """/good.csv and /bad.csv; a path listed in ``hold`` waits for its event first."""

    hold: dict = {}
    seen: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        cls = type(self)
        cls.seen.append(self.path)
        gate = cls.hold.get(self.path)
        if gate is not None:
            gate[0].set()
            gate[1].wait(60)
        body = {"/good.csv": GOOD, "/bad.csv": BAD, "/other.csv": GOOD}.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


@pytest.fixture
def files():
    handler = type("Handler", (_Files,), {"hold": {}, "seen": []})
    with local_http_server(handler) as server:
        server.handler = handler
        yield server
        for started, release in handler.hold.values():
            release.set()


def _work():
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)


def _status(resource_id):
    return helpers.call_action("resource_show", id=resource_id)["validation_status"]


def _queued():
    return jobs.get_queue("satudata_validation").count


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_resources_created_inside_package_create_are_validated(portal, files):
    pkg = helpers.call_action("package_create", {"user": portal.producer_a["name"]}, **complete_metadata(
        owner_org=portal.org_a["id"], name="ds", resources=[
            {"name": "good.csv", "format": "CSV", "url": files.base + "/good.csv", "schema": json.dumps(SCHEMA)},
            {"name": "bad.csv", "format": "CSV", "url": files.base + "/bad.csv", "schema": json.dumps(SCHEMA)},
            {"name": "notes.json", "format": "JSON", "url": files.base + "/notes.json"},
        ]))
    good, bad, other = pkg["resources"]
    assert _queued() == 2
    assert (_status(good["id"]), _status(bad["id"])) == ("pending", "pending")
    assert service.report_for(other["id"]) is None
    _work()
    assert _status(good["id"]) == "success"
    assert _status(bad["id"]) == "failure"
    row = helpers.call_action("resource_validation_show", resource_id=bad["id"])
    assert row["report"]["row_count"] == 1 and row["report"]["errors"][0]["type"] == "type-error"
    assert sorted(files.handler.seen) == ["/bad.csv", "/good.csv"]


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_url_change_through_package_patch_requeues_and_blocks_submit_until_validated(portal, files):
    pkg = portal.dataset(name="ds", resource=False)
    user = {"user": portal.producer_a["name"]}
    res = helpers.call_action("resource_create", user, package_id=pkg["id"], name="data.csv", format="CSV",
                              url=files.base + "/good.csv", schema=json.dumps(SCHEMA))
    assert _queued() == 1  # one job, not one per hook
    _work()
    assert _status(res["id"]) == "success"

    shown = helpers.call_action("package_show", id=pkg["id"])
    changed = [dict(shown["resources"][0], url=files.base + "/bad.csv")]
    helpers.call_action("package_patch", user, id=pkg["id"], resources=changed)
    assert _status(res["id"]) == "pending" and _queued() == 1
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_submit", user, id=pkg["id"])
    assert any("data.csv" in m for m in err.value.error_dict["interoperabilitas"])
    _work()
    assert _status(res["id"]) == "failure"
    assert files.handler.seen == ["/good.csv", "/bad.csv"]


def test_reupload_through_resource_patch_requeues(portal):
    pkg = portal.dataset(name="ds", resource=False)
    user = {"user": portal.producer_a["name"]}
    res = helpers.call_action("resource_create", user, package_id=pkg["id"], name="data.csv", format="CSV",
                              url="", upload=upload(GOOD, "data.csv"), schema=json.dumps(SCHEMA))
    _work()
    assert _status(res["id"]) == "success"
    helpers.call_action("resource_patch", user, id=res["id"], upload=upload(BAD, "data.csv"))  # same name
    assert _status(res["id"]) == "pending" and _queued() == 1
    _work()
    assert _status(res["id"]) == "failure"
    helpers.call_action("resource_patch", user, id=res["id"], upload=upload(GOOD, "data.csv"))
    _work()
    assert _status(res["id"]) == "success"


def test_format_and_schema_changes_requeue_and_no_op_updates_do_not(portal):
    pkg = portal.dataset(name="ds", resource=False)
    user = {"user": portal.producer_a["name"]}
    res = helpers.call_action("resource_create", user, package_id=pkg["id"], name="data.csv", format="CSV",
                              url="", upload=upload(BAD, "data.csv"))
    _work()
    assert _status(res["id"]) == "success"  # no schema yet
    first = service.report_for(res["id"]).job_id

    # no-op: the dataset as shown, saved back; then an edit of other fields only
    helpers.call_action("package_update", user, **helpers.call_action("package_show", id=pkg["id"]))
    helpers.call_action("package_patch", user, id=pkg["id"], notes="Catatan baru")
    helpers.call_action("resource_patch", user, id=res["id"], description="Keterangan")
    assert _queued() == 0 and _status(res["id"]) == "success"
    assert service.report_for(res["id"]).job_id == first

    helpers.call_action("resource_patch", user, id=res["id"], schema=json.dumps(SCHEMA))
    assert _status(res["id"]) == "pending" and _queued() == 1
    _work()
    assert _status(res["id"]) == "failure"
    helpers.call_action("resource_patch", user, id=res["id"], format="TSV")
    assert _status(res["id"]) == "pending" and _queued() == 1
    _work()
    assert _status(res["id"]) == "failure"
    helpers.call_action("resource_patch", user, id=res["id"], format="JSON")  # not tabular any more
    assert _queued() == 0


def test_an_older_queued_job_writes_nothing(portal):
    pkg = portal.dataset(name="ds", resource=False)
    user = {"user": portal.producer_a["name"]}
    res = helpers.call_action("resource_create", user, package_id=pkg["id"], name="data.csv", format="CSV",
                              url="", upload=upload(BAD, "data.csv"), schema=json.dumps(SCHEMA))
    older = service.report_for(res["id"]).job_id
    helpers.call_action("resource_patch", user, id=res["id"], upload=upload(GOOD, "data.csv"))
    newer = service.report_for(res["id"]).job_id
    assert older != newer and _queued() == 2
    _work()
    assert jobs.job_from_id(older).return_value() == {}  # superseded: it wrote nothing
    assert jobs.job_from_id(newer).return_value()["status"] == "success"
    assert _status(res["id"]) == "success"




def _row(resource_id):
    model.Session.remove()
    return service.report_for(resource_id)


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_a_running_job_overtaken_by_a_new_url_does_not_overwrite_it(portal, files, worker_ini, tmp_path):
    """Job A downloads bad.csv slowly; meanwhile the URL changes to good.csv (job B).
    A finishes after the change: its failure must not be written over B's pending."""
    held = {path: (threading.Event(), threading.Event()) for path in ("/bad.csv", "/good.csv")}
    files.handler.hold.update(held)
    pkg = portal.dataset(name="ds", resource=False)
    user = {"user": portal.producer_a["name"]}
    res = helpers.call_action("resource_create", user, package_id=pkg["id"], name="data.csv", format="CSV",
                              url=files.base + "/bad.csv", schema=json.dumps(SCHEMA))
    job_a = _row(res["id"]).job_id
    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([CKAN, "-c", worker_ini, "jobs", "worker", "--burst", "default", "satudata_validation"],
                              cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
    try:
        assert held["/bad.csv"][0].wait(120), (tmp_path / "worker.log").read_text()[-3000:]
        assert _row(res["id"]).status == "running"
        helpers.call_action("resource_patch", user, id=res["id"], url=files.base + "/good.csv")
        job_b = _row(res["id"]).job_id
        assert job_b != job_a and _row(res["id"]).status == "pending"
        held["/bad.csv"][1].set()  # A reads bad.csv and finishes
        assert held["/good.csv"][0].wait(60)  # the worker moved on to B
        assert jobs.job_from_id(job_a).get_status() == "finished"
        assert jobs.job_from_id(job_a).return_value() == {}  # it found its token superseded: no write
        row = _row(res["id"])
        assert row.job_id == job_b and row.status == "running" and row.report is None
        held["/good.csv"][1].set()
        worker.wait(120)
    finally:
        for _started, release in held.values():
            release.set()
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        log.close()
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()[-3000:]
    row = _row(res["id"])
    assert row.status == "success" and row.report["row_count"] == 2
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "success"
