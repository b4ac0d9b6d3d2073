"""A worker killed in the middle of a validation: `ckan satudata validation-requeue`
re-queues it and a fresh worker finishes it (real processes, real Redis)."""
import json
import os
import pathlib
import signal
import subprocess
import threading

import pytest

import ckan.model as model
import ckan.tests.helpers as helpers

from ckanext.satudata.validation import service
from tests.conftest import SLOW_CSV as CSV, SlowThenFastCSV, local_http_server, upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CKAN = str(ROOT / ".venv" / "bin" / "ckan")
SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "tahun", "type": "integer"},
                     {"name": "jumlah", "type": "integer"}]}


@pytest.fixture
def csv_server():
    handler = type("Handler", (SlowThenFastCSV,), {"requests": 0, "first_request": threading.Event()})
    with local_http_server(handler) as server:
        server.handler = handler
        server.url = server.base + "/data.csv"
        yield server




def _ckan(ini, *args, timeout=120):
    out = subprocess.run([CKAN, "-c", ini, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _row(resource_id):
    model.Session.remove()
    return service.report_for(resource_id)


def test_killed_worker_is_requeued_and_a_fresh_worker_validates(portal, csv_server, worker_ini, tmp_path):
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="remote.csv", format="CSV", url=csv_server.url, schema=json.dumps(SCHEMA))
    first_job = _row(res["id"]).job_id
    assert "0 requeued" in _ckan(worker_ini, "satudata", "validation-requeue", "--older-than", "0")  # still queued

    log = open(tmp_path / "worker.log", "w")
    worker = subprocess.Popen([CKAN, "-c", worker_ini, "jobs", "worker", "default", "satudata_validation"], cwd=ROOT,
                              stdout=log, stderr=log, start_new_session=True)
    try:
        assert csv_server.handler.first_request.wait(120), (tmp_path / "worker.log").read_text()[-3000:]
        assert _row(res["id"]).status == "running"
        # the worker is alive: nothing to re-queue, even with no age limit
        assert "0 requeued" in _ckan(worker_ini, "satudata", "validation-requeue", "--older-than", "0")
        assert _row(res["id"]).status == "running"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its work horse
        worker.wait()
        log.close()
    assert _row(res["id"]).status == "running"  # what a killed worker leaves behind

    out = _ckan(worker_ini, "satudata", "validation-requeue", "--older-than", "0")
    assert f"requeued {res['id']}" in out
    row = _row(res["id"])
    assert row.status == "pending" and row.job_id != first_job and row.error == {"requeued": 1}
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "pending"

    _ckan(worker_ini, "jobs", "worker", "--burst", "default", "satudata_validation")
    row = _row(res["id"])
    assert row.status == "success", row.report
    assert row.report["row_count"] == 2 and row.error is None
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "success"
    assert csv_server.handler.requests == 2


def test_recent_stuck_validation_waits_for_the_configured_age(portal):
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", upload=upload(CSV, "data.csv"), url="")
    row = _row(res["id"])
    row.status, row.job_id = "running", "no-such-job"
    model.repo.commit()
    assert service.mark_stale() == {"requeued": [], "given_up": []}  # younger than stale_after
    assert service.mark_stale(0) == {"requeued": [res["id"]], "given_up": []}


@pytest.mark.ckan_config("ckanext.satudata.validation.max_requeues", 2)
def test_a_validation_that_keeps_dying_gets_an_error_report(portal, app):
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", upload=upload(CSV, "data.csv"), url="")
    for attempt in (1, 2):
        row = _row(res["id"])
        row.status, row.job_id = "running", "no-such-job"  # its worker died
        model.repo.commit()
        assert service.mark_stale(0)["requeued"] == [res["id"]]
        assert _row(res["id"]).error == {"requeued": attempt}
    row = _row(res["id"])
    row.status, row.job_id = "running", "no-such-job"
    model.repo.commit()
    assert service.mark_stale(0) == {"requeued": [], "given_up": [res["id"]]}
    row = _row(res["id"])
    assert row.status == "error" and row.error["message"] == service.INTERRUPTED
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "error"
    token = helpers.call_action("api_token_create", user=portal.producer_a["name"], name="t")["token"]
    page = app.get(f"/dataset/ds/resource/{res['id']}", headers={"Authorization": token}).get_data(as_text=True)
    assert "Galat" in page and "terputus" in page
