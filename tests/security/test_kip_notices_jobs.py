"""Issue 11, notices and jobs: a notice re-checks, when its job sends it, that each
recipient may still read what it says (a producer removed from the agency hears
nothing more); a subject is one line whatever the title holds; validation runs on
its own queue with a column, time and memory limit, so a huge-width CSV ends as a
quick error report and notices never wait behind a validation.

Real SMTP (aiosmtpd), real Redis and RQ workers (in this process and as a child
``ckan jobs worker``), a real HTTP server on 127.0.0.1."""
from __future__ import annotations

import itertools
import pathlib
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

import ckan.model as model
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.validation import service
from tests.conftest import local_http_server, upload
from tests.datarequest.conftest import Requests

pytestmark = pytest.mark.usefixtures("clean_queues")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CKAN = str(ROOT / ".venv" / "bin" / "ckan")
VALIDATION_QUEUE = "satudata_validation"
NOTE = "Catatan PPID KANARI-7781"
REASON = "Alasan PPID KANARI-7782"
EXEMPT = {"sdi_exemption_basis": ["pasal17_h"], "sdi_consequence_test": "Uji konsekuensi"}
_names = itertools.count()


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _api(app, token, action, **data):
    resp = app.post(f"/api/3/action/{action}", json=data, headers={"Authorization": token}, status=None)
    assert resp.status_code == 200, (action, resp.get_data(as_text=True)[:500])
    return resp.json["result"]


def _notices():
    """Run the queued notices (the default queue) in a real RQ worker."""
    jobs.Worker(["default"]).work(burst=True)


def _validations():
    jobs.Worker([VALIDATION_QUEUE]).work(burst=True)


def _mail_to(inbox, email):
    return [m for m in inbox.messages if email in m["to"]]


def _new_producer(p, prefix: str) -> tuple[dict, str]:
    """An editor of agency A with an API token."""
    user = factories.User(name=_name(prefix))
    helpers.call_action("organization_member_create", id=p.org_a["id"], username=user["name"], role="editor")
    return user, helpers.call_action("api_token_create", user=user["name"], name="t")["token"]


# ------------------------------------------------ leak 6: notices to people who lost access

def test_a_producer_removed_from_the_agency_hears_nothing_of_its_datasets(shared_portal, app, inbox):
    """The producer submits two datasets, then is removed from the agency while the
    PPID's verification (with a note) and return (with a reason) are queued, then the
    Walidata publishes: the removed producer gets none of these mails; the agency's
    remaining producers are told instead."""
    p = shared_portal
    gone, token = _new_producer(p, "produsen-pindah")
    verified = p.dataset(by=gone, name=_name("kip-notice-verified"), title="Data Verifikasi")
    returned = p.dataset(by=gone, name=_name("kip-notice-returned"), title="Data Dikembalikan")
    for pkg in (verified, returned):
        _api(app, token, "satudata_dataset_submit", id=pkg["id"])
    _notices()
    inbox.messages.clear()

    _api(app, p.tokens["ppid_a"], "satudata_dataset_verify", id=verified["id"], note=NOTE)
    _api(app, p.tokens["ppid_a"], "satudata_dataset_reject", id=returned["id"], reason=REASON)
    _api(app, p.tokens["sysadmin"], "organization_member_delete", id=p.org_a["id"], username=gone["name"])
    _notices()  # the jobs run after the removal: they decide who is told now
    assert _mail_to(inbox, gone["email"]) == []
    for user in (p.producer_a, p.admin_a):  # the agency's producers are told instead
        bodies = " ".join(m["body"] for m in _mail_to(inbox, user["email"]))
        assert NOTE in bodies and REASON in bodies
    inbox.messages.clear()

    _api(app, p.tokens["walidata"], "satudata_dataset_publish", id=verified["id"], note="Terbit")
    _notices()
    assert _mail_to(inbox, gone["email"]) == []
    assert [m["subject"] for m in _mail_to(inbox, p.producer_a["email"])] == ["Dataset diterbitkan: Data Verifikasi"]


def test_a_requester_who_may_not_read_the_published_data_is_not_told_of_it(shared_portal, app, inbox):
    """A dikecualikan dataset linked to a forum member's request is published: it is
    not delivered to them (permissions), so its publication notice (title, link,
    the Walidata's note) is not sent to them either."""
    p = shared_portal
    req = Requests(p).new(upto="sent", by=p.forum)
    pkg = p.dataset(name=_name("kip-notice-exempt"), title="Data Dikecualikan KANARI-7783",
                    sdi_classification="dikecualikan")
    _api(app, p.tokens["producer_a"], "satudata_request_link_dataset", id=req["id"], dataset_id=pkg["id"])
    _api(app, p.tokens["producer_a"], "satudata_dataset_submit", id=pkg["id"])
    _api(app, p.tokens["ppid_a"], "satudata_dataset_verify", id=pkg["id"], **EXEMPT)
    _notices()
    inbox.messages.clear()

    _api(app, p.tokens["walidata"], "satudata_dataset_publish", id=pkg["id"], note="Terbit")
    _notices()
    told = _mail_to(inbox, p.forum["email"])
    assert not any("KANARI-7783" in m["subject"] + m["body"] or m["subject"].startswith("Dataset") for m in told)
    assert _show_status(app, p.tokens["forum"], pkg["id"]) in (403, 404)  # the same rule as reading it
    assert _mail_to(inbox, p.producer_a["email"])  # the producer is told


def _show_status(app, token, pkg_id):
    return app.get("/api/3/action/package_show", query_string={"id": pkg_id},
                   headers={"Authorization": token}, status=None).status_code


# ------------------------------------------------ bad input: CR/LF in a dataset title

def test_a_title_with_line_breaks_gives_a_one_line_subject_and_the_ppid_is_told(shared_portal, app, inbox):
    """A title holding CR/LF (written before titles were checked, or by a harvester)
    must neither crash the notice job nor inject a header: the PPID gets the notice
    with the title on one line."""
    p = shared_portal
    pkg = p.dataset(name=_name("kip-notice-crlf"))
    row = model.Package.get(pkg["id"])
    row.title = "Data Baris\r\nBcc: penyusup@example.org\r\n\r\nBadan palsu"
    model.repo.commit()
    failed = jobs.get_queue().failed_job_registry.count
    _api(app, p.tokens["producer_a"], "satudata_dataset_submit", id=pkg["id"])
    _notices()
    assert jobs.get_queue().failed_job_registry.count == failed
    told = _mail_to(inbox, p.ppid_a["email"])
    assert [m["subject"] for m in told] == [
        "Dataset diajukan untuk verifikasi: Data Baris Bcc: penyusup@example.org Badan palsu"]
    assert all(m["to"] == [p.ppid_a["email"]] for m in told)
    assert not any("penyusup@example.org" in to for m in inbox.messages for to in m["to"])


def test_a_recipient_name_with_line_breaks_is_still_told_on_one_line(shared_portal, app, inbox):
    """A PPID whose full name holds CR/LF: CKAN's mailer refuses such a header
    value, so the name goes on one line and the PPID is told, once."""
    p = shared_portal
    user = model.User.get(p.ppid_a["id"])
    user.fullname = "PPID Dinas\r\nBcc: penyusup@example.org"
    model.repo.commit()
    try:
        pkg = p.dataset(name=_name("kip-notice-crlf-name"))
        failed = jobs.get_queue().failed_job_registry.count
        _api(app, p.tokens["producer_a"], "satudata_dataset_submit", id=pkg["id"])
        _notices()
        assert jobs.get_queue().failed_job_registry.count == failed
        told = [m for m in _mail_to(inbox, p.ppid_a["email"]) if pkg["title"] in m["subject"]]
        assert len(told) == 1
        assert not any("penyusup@example.org" in to for m in inbox.messages for to in m["to"])
    finally:
        user = model.User.get(p.ppid_a["id"])
        user.fullname = None
        model.repo.commit()


# ------------------------------------------------ operations: validation does not hold the notices

def _wide_csv(columns: int = 100_000) -> bytes:
    """The security test's file: 100,000 columns, under 1 MB."""
    header = ",".join(f"c{i}" for i in range(columns))
    data = ",".join("1" for _ in range(columns))
    raw = f"{header}\n{data}\n".encode()
    assert len(raw) < 1024 * 1024
    return raw


def _wide_resource(p, title: str) -> dict:
    pkg = p.dataset(name=_name("kip-wide"), title=title, resource=False)
    return helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=pkg["id"],
                               name="lebar.csv", format="CSV", url="", upload=upload(_wide_csv(), "lebar.csv"))


def _report(app, p, res):
    return _api(app, p.tokens["producer_a"], "resource_validation_show", resource_id=res["id"])


def test_a_huge_width_csv_ends_as_a_too_many_columns_error_quickly(shared_portal, app):
    p = shared_portal
    res = _wide_resource(p, "Data Lebar")
    assert jobs.get_queue(VALIDATION_QUEUE).count == 1 and jobs.get_queue().count == 0
    started = time.monotonic()
    _validations()
    seconds = time.monotonic() - started
    shown = _report(app, p, res)
    assert shown["status"] == "error", shown
    assert [e["type"] for e in shown["report"]["errors"]] == ["too-many-columns"]
    assert "1000" in shown["report"]["fatal"]
    assert seconds < 30, seconds
    page = app.get(f"/dataset/{res['package_id']}/resource/{res['id']}",
                   headers={"Authorization": p.tokens["producer_a"]})
    assert "Terlalu banyak kolom" in page.get_data(as_text=True)


@pytest.mark.ckan_config("ckanext.satudata.validation.max_columns", 200_000)
@pytest.mark.ckan_config("ckanext.satudata.validation.time_limit", 2)
def test_a_validation_over_its_time_limit_ends_as_an_error_report(shared_portal, app):
    p = shared_portal
    res = _wide_resource(p, "Data Lebar Lambat")
    started = time.monotonic()
    _validations()
    assert time.monotonic() - started < 30
    shown = _report(app, p, res)
    assert shown["status"] == "error" and shown["error"]["code"] == "time_limit", shown
    page = app.get(f"/dataset/{res['package_id']}/resource/{res['id']}",
                   headers={"Authorization": p.tokens["producer_a"]})
    assert "batas waktu" in page.get_data(as_text=True)


@pytest.mark.ckan_config("ckanext.satudata.validation.max_memory", 8 * 1024 * 1024)
def test_a_validation_over_its_memory_cap_ends_as_an_error_report(shared_portal, app):
    """A 9 MB cell (frictionless reads cells up to 10 MB) under an 8 MB cap."""
    p = shared_portal
    pkg = p.dataset(name=_name("kip-greedy"), title="Data Boros", resource=False)
    res = helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=pkg["id"],
                              name="boros.csv", format="CSV", url="",
                              upload=upload(b'catatan,jumlah\n"' + b"x" * 9_000_000 + b'",1\n', "boros.csv"))
    started = time.monotonic()
    _validations()
    assert time.monotonic() - started < 60
    shown = _report(app, p, res)
    assert shown["status"] == "error" and shown["error"]["code"] == "memory_limit", shown
    page = app.get(f"/dataset/{res['package_id']}/resource/{res['id']}",
                   headers={"Authorization": p.tokens["producer_a"]})
    assert "batas memori" in page.get_data(as_text=True)


class _Held(BaseHTTPRequestHandler):
    """/lambat.csv answers only once ``release`` is set (``started`` tells it was asked)."""

    started: threading.Event
    release: threading.Event

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = b"kecamatan,jumlah\nWado,12\n"
        type(self).started.set()
        type(self).release.wait(60)
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)




@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_a_notice_queued_after_a_slow_validation_is_delivered_before_it_ends(shared_portal, inbox, worker_ini,
                                                                              tmp_path):
    """A validation (its download held) is queued first, a submission's notice
    after it; with the portal's two workers (validation queue, default queue) the
    PPID is told while the validation still runs."""
    p = shared_portal
    handler = type("Handler", (_Held,), {"started": threading.Event(), "release": threading.Event()})
    with local_http_server(handler) as server:
        slow = p.dataset(name=_name("kip-slow"), resource=False)
        res = helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=slow["id"],
                                  name="lambat.csv", format="CSV", url=server.base + "/lambat.csv")
        other = p.dataset(name=_name("kip-after"), title="Data Sesudah Validasi")
        helpers.call_action("satudata_dataset_submit", {"user": p.producer_a["name"]}, id=other["id"])
        log_path = tmp_path / "worker.log"
        with open(log_path, "w") as log:
            worker = subprocess.Popen([CKAN, "-c", worker_ini, "jobs", "worker", "--burst", VALIDATION_QUEUE],
                                      cwd=ROOT, stdout=log, stderr=log, start_new_session=True)
            try:
                assert handler.started.wait(60), log_path.read_text()[-3000:]
                _notices()  # the default queue's worker, while the validation runs
                assert [m["subject"] for m in _mail_to(inbox, p.ppid_a["email"])] == [
                    "Dataset diajukan untuk verifikasi: Data Sesudah Validasi"]
                model.Session.remove()
                assert service.report_for(res["id"]).status == "running"
                handler.release.set()
                worker.wait(120)
            finally:
                handler.release.set()
                if worker.poll() is None:
                    worker.kill()
                    worker.wait()
        assert worker.returncode == 0, log_path.read_text()[-3000:]
    model.Session.remove()
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "success"
