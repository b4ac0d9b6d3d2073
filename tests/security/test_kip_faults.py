"""Faults (issue 11, web and operations): Solr stopped during a transition, Redis
stopped while a job is queued, SMTP down when a notice is sent, the worker killed
mid-job. Each test stops and restarts a REAL service of its own (a private Solr,
redis-server or aiosmtpd on a free loopback port, never the shared ones) and ends
with a clear error or a retried job, and a consistent database."""
from __future__ import annotations

import asyncio
import email
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

import ckan.model as model
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.validation import service
from ckanext.satudata.model import DatasetEvent, NoticeLog
from tests.conftest import SlowThenFastCSV, local_http_server, upload

ROOT = pathlib.Path(__file__).resolve().parents[2]
VAR = ROOT / ".var"
CKAN = str(ROOT / ".venv" / "bin" / "ckan")
CSV = b"kecamatan,tahun,jumlah\nJatinangor,2024,120\nWado,2024,80\n"
SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "tahun", "type": "integer"},
                     {"name": "jumlah", "type": "integer"}]}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        time.sleep(0.1)


# ----------------------------------------------------------------- private services

class PrivateSolr:
    """A Solr of our own, launched as scripts/services.sh launches the shared one
    (same jars, Launcher and CKAN schema), with its home (and index) in a tmp dir."""

    def __init__(self, home: pathlib.Path):
        conf = home / "ckan" / "conf"
        conf.mkdir(parents=True)
        shutil.copy(ROOT / "solr" / "solr.xml", home)
        (home / "ckan" / "core.properties").write_text("name=ckan\n")
        for name in ("schema.xml", "solrconfig.xml", "synonyms.txt", "protwords.txt"):
            shutil.copy(VAR / "solr" / "home" / "ckan" / "conf" / name, conf)
        self.home, self.port, self.proc = home, _free_port(), None
        self.url = f"http://127.0.0.1:{self.port}/solr/ckan"

    def up(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/admin/ping", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def start(self) -> None:
        lib = VAR / "solr"
        self.proc = subprocess.Popen(
            ["java", "-Xms64m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
             f"-Dsolr.log.dir={self.home}", "-cp", f"{lib / 'classes'}:{lib / 'lib'}/*",
             "Launcher", str(self.home), str(self.port)],
            stdout=open(self.home / "solr.out", "ab"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self.up, 60, "the private Solr start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        assert not self.up()


class PrivateRedis:
    """redis-server of our own, without persistence: a restart loses the queue."""

    def __init__(self, tmp: pathlib.Path):
        self.dir, self.port, self.proc = tmp, _free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def up(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        _wait(self.up, 10, "the private Redis start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class _Mailbox:
    """aiosmtpd handler: records messages; refuses an address with a temporary
    error while it is in ``refuse``; hangs on one in ``stall`` (``stalled`` set)."""

    def __init__(self):
        self.messages, self.refuse, self.stall, self.stalled = [], set(), set(), threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.stall:
            self.stalled.set()
            await asyncio.sleep(60)
        if address in self.refuse or address in self.stall:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        for to in envelope.rcpt_tos:
            self.messages.append((to, subject))
        return "250 OK"

    def to(self, address: str) -> list[str]:
        return [subject for to, subject in self.messages if to == address]


class PrivateSmtp:
    def __init__(self):
        self.port, self.box, self.controller = _free_port(), _Mailbox(), None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
        self.controller = None


@pytest.fixture
def solr(tmp_path, ckan_config, monkeypatch):
    """CKAN indexing into a private Solr (make_connection reads solr_url per call)."""
    from ckan.lib import search
    server = PrivateSolr(tmp_path / "solr")
    server.start()
    monkeypatch.setitem(ckan_config, "solr_url", server.url)
    monkeypatch.setenv("CKAN_SOLR_URL", server.url)  # a job's work horse reloads the config from env
    search.clear_all()
    yield server
    if server.proc.poll() is None:
        server.stop()


@pytest.fixture
def redis(tmp_path, ckan_config, monkeypatch):
    """CKAN's jobs on a private redis-server: the cached pool and queues are reset."""
    from ckan.lib import jobs as ckan_jobs, redis as ckan_redis
    server = PrivateRedis(tmp_path)
    server.start()
    monkeypatch.setitem(ckan_config, "ckan.redis.url", server.url)
    monkeypatch.setenv("CKAN_REDIS_URL", server.url)  # a job's work horse reloads the config from env
    monkeypatch.setattr(ckan_redis, "_connection_pool", None)
    monkeypatch.setattr(ckan_jobs, "_queues", {})
    yield server
    if server.proc.poll() is None:
        server.stop()


@pytest.fixture
def smtp(ckan_config, monkeypatch):
    server = PrivateSmtp()
    server.start()
    monkeypatch.setitem(ckan_config, "smtp.server", f"127.0.0.1:{server.port}")
    monkeypatch.setenv("CKAN_SMTP_SERVER", f"127.0.0.1:{server.port}")  # read again by a job's work horse
    yield server
    if server.controller:
        server.stop()


# ----------------------------------------------------------------- helpers

def _api(app, action: str, token: str | None = None, **data):
    headers = {"Authorization": token} if token else {}
    return app.post(f"/api/3/action/{action}", json=data, headers=headers)


def _status(pkg_id: str) -> str:
    model.Session.remove()
    return model.Package.get(pkg_id).extras.get("sdi_status") or "draft"


def _events(pkg_id: str) -> list[str]:
    model.Session.remove()
    return list(model.Session.scalars(
        select(DatasetEvent.action).where(DatasetEvent.package_id == pkg_id).order_by(DatasetEvent.created)))


def _activities(pkg_id: str) -> int:
    from ckanext.activity.model import Activity
    model.Session.remove()
    return model.Session.scalar(select(func.count()).select_from(Activity).where(Activity.object_id == pkg_id))


def _queues() -> list[str]:
    """The notices' and the validations' queues (the portal runs workers on both)."""
    from ckan.common import config
    return list(dict.fromkeys(["default", config.get("ckanext.satudata.validation.queue")]))


def _drain() -> None:
    jobs.Worker(_queues()).work(burst=True)


def _requeue_notices(cli) -> str:
    from ckanext.satudata.cli import satudata
    result = cli.invoke(satudata, ["notice-requeue", "--older-than", "0"])
    assert result.exit_code == 0, result.output
    return result.output


def _outbox() -> list[str]:
    model.Session.remove()
    return list(model.Session.scalars(select(NoticeLog.key).where(NoticeLog.key.like("outbox:%"))))


@pytest.fixture
def empty_outbox():
    """Earlier tests of the module (one database) leave notices they never sent."""
    from sqlalchemy import delete
    model.Session.execute(delete(NoticeLog))
    model.Session.commit()


# ----------------------------------------------------------------- a. Solr

def test_solr_stopped_during_a_transition_refuses_it_cleanly_and_changes_nothing(shared_portal, app, solr):
    """Publish (and submit) while Solr is down: a clean 409 naming the search
    index, at once; status, history, activity and index as before. Once Solr is
    back the same transitions go through and the index follows."""
    p = shared_portal
    pkg = p.walk(p.dataset(name="faults-solr-publish"), "submit", "verify")
    draft = p.dataset(name="faults-solr-submit")
    before = {pkg["id"]: (_events(pkg["id"]), _activities(pkg["id"])),
              draft["id"]: (_events(draft["id"]), _activities(draft["id"]))}

    solr.stop()
    for dataset, action, who, status in ((pkg, "publish", "walidata", "verified"),
                                         (draft, "submit", "producer_a", "draft")):
        started = time.monotonic()
        resp = _api(app, f"satudata_dataset_{action}", p.tokens[who], id=dataset["id"])
        assert time.monotonic() - started < 15
        assert resp.status_code == 409, resp.get_data(as_text=True)
        error = resp.json["error"]
        assert error["__type"] == "Validation Error" and "Indeks pencarian" in error["sdi_status"][0], error
        assert "127.0.0.1" not in json.dumps(error)  # no internal address in the message
        assert _status(dataset["id"]) == status
        assert (_events(dataset["id"]), _activities(dataset["id"])) == before[dataset["id"]]
    assert model.Package.get(pkg["id"]).private is True
    assert _api(app, "package_show", id=pkg["id"]).status_code in (403, 404)  # anonymous

    solr.start()
    found = helpers.call_action("package_search", {"user": p.sysadmin["name"]},
                                fq=f"name:{pkg['name']}", include_private=True)["results"]
    assert [d["sdi_status"] for d in found] == ["verified"]  # the index never saw the refused publish

    assert _api(app, "satudata_dataset_publish", p.tokens["walidata"], id=pkg["id"]).status_code == 200
    assert _api(app, "satudata_dataset_submit", p.tokens["producer_a"], id=draft["id"]).status_code == 200
    assert _status(pkg["id"]) == "published" and _status(draft["id"]) == "submitted"
    assert _events(pkg["id"])[-1] == "publish" and _events(draft["id"])[-1] == "submit"
    public = _api(app, "package_search", fq=f"name:{pkg['name']}").json["result"]["results"]
    assert [(d["name"], d["sdi_status"]) for d in public] == [(pkg["name"], "published")]


# ----------------------------------------------------------------- b. Redis

def test_redis_stopped_while_notices_are_queued_they_are_requeued_and_sent_once(
        shared_portal, app, redis, smtp, cli, empty_outbox):
    """Redis down when a transition queues its notice: the transition answers 200
    (it has committed) and the notice waits in the outbox. Redis restarted
    without its data loses a queued notice: the same. `ckan satudata
    notice-requeue` queues both again; each PPID is told exactly once."""
    p = shared_portal
    queued = p.dataset(name="faults-redis-queued")
    unqueued = p.dataset(name="faults-redis-down")

    assert _api(app, "satudata_dataset_submit", p.tokens["producer_a"], id=queued["id"]).status_code == 200
    redis.stop()  # the notice was on the queue: a restart without persistence loses it
    resp = _api(app, "satudata_dataset_submit", p.tokens["producer_a"], id=unqueued["id"])
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert _status(unqueued["id"]) == "submitted" and _events(unqueued["id"])[-1] == "submit"

    # a tabular upload while Redis is down: saved, its validation pending for validation-requeue
    res = helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=unqueued["id"],
                              name="data.csv", format="CSV", upload=upload(CSV, "data.csv"), url="",
                              schema=json.dumps(SCHEMA))
    assert service.report_for(res["id"]).status == "pending"

    redis.start()
    assert jobs.get_queue().count == 0  # the restart lost the first notice
    assert len(_outbox()) == 2
    assert "2 requeued" in _requeue_notices(cli)
    assert res["id"] in service.mark_stale(0)["requeued"]
    _drain()
    assert len(smtp.box.to(p.ppid_a["email"])) == 2, smtp.box.messages  # one per submit
    assert service.report_for(res["id"]).status == "success"
    assert _outbox() == []

    assert "0 requeued" in _requeue_notices(cli)  # delivered: nothing left to send
    _drain()
    assert len(smtp.box.to(p.ppid_a["email"])) == 2


# ----------------------------------------------------------------- c. SMTP

def test_smtp_down_fails_the_notice_job_and_a_retry_tells_each_recipient_once(shared_portal, redis, smtp, cli,
                                                                             empty_outbox):
    """A verify notice goes to the Walidata and the producer. SMTP down: the job
    fails and RQ records it; SMTP back but refusing the Walidata for now: the
    producer is told, the job fails again; at last the Walidata is told, and
    nobody got anything twice."""
    from rq.registry import FailedJobRegistry

    p = shared_portal
    pkg = p.walk(p.dataset(name="faults-smtp"), "submit")
    _drain()  # the submit notice
    smtp.box.messages.clear()

    smtp.stop()
    helpers.call_action("satudata_dataset_verify", {"user": p.ppid_a["name"]}, id=pkg["id"])
    _drain()
    failed = FailedJobRegistry(queue=jobs.get_queue())
    assert len(failed) == 1, [jobs.job_from_id(i).exc_info for i in failed.get_job_ids()]
    assert _status(pkg["id"]) == "verified" and len(_outbox()) == 1

    smtp.start()
    smtp.box.refuse.add(p.walidata["email"])
    assert "1 requeued" in _requeue_notices(cli)
    _drain()
    assert len(smtp.box.to(p.producer_a["email"])) == 1 and smtp.box.to(p.walidata["email"]) == []
    assert len(_outbox()) == 1

    smtp.box.refuse.clear()
    assert "1 requeued" in _requeue_notices(cli)
    _drain()
    assert len(smtp.box.to(p.walidata["email"])) == 1
    assert len(smtp.box.to(p.producer_a["email"])) == 1  # not twice
    assert _outbox() == []
    assert "0 requeued" in _requeue_notices(cli)


# ----------------------------------------------------------------- d. the worker

@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", "true")
def test_workers_killed_mid_job_their_validation_and_notice_are_requeued_and_completed(
        shared_portal, app, redis, smtp, cli, empty_outbox, worker_ini, tmp_path):
    """Two real `ckan jobs worker` processes, SIGKILLed: one in the middle of a
    validation (its download held), one in the middle of a notice (SMTP holding
    the PPID's address). The validation does not stay `running`: validation-requeue
    re-queues it; notice-requeue re-queues the notice; a new worker finishes both,
    and the PPID is told exactly once."""
    p = shared_portal
    handler = type("Handler", (SlowThenFastCSV,), {"requests": 0, "first_request": threading.Event()})
    ini = worker_ini
    pkg = p.dataset(name="faults-worker", resource=False)
    told = p.dataset(name="faults-worker-notice")
    smtp.box.stall.add(p.ppid_a["email"])
    with local_http_server(handler) as server:
        res = helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=pkg["id"],
                                  name="remote.csv", format="CSV", url=server.base + "/data.csv",
                                  schema=json.dumps(SCHEMA))
        helpers.call_action("satudata_dataset_submit", {"user": p.producer_a["name"]}, id=told["id"])
        logs = [open(tmp_path / f"worker{i}.log", "w") for i in (1, 2)]
        workers = [subprocess.Popen([CKAN, "-c", str(ini), "jobs", "worker", *_queues()], cwd=ROOT,
                                    stdout=log, stderr=log, start_new_session=True) for log in logs]
        try:
            assert handler.first_request.wait(60), (tmp_path / "worker1.log").read_text()[-3000:]
            assert smtp.box.stalled.wait(60), (tmp_path / "worker2.log").read_text()[-3000:]
            shown = _api(app, "resource_validation_show", p.tokens["producer_a"], resource_id=res["id"]).json
            assert shown["result"]["status"] == "running", shown
        finally:
            for worker in workers:  # each worker and its work horse, mid-job
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
            for log in logs:
                log.close()
        model.Session.remove()
        assert service.report_for(res["id"]).status == "running"  # what a killed worker leaves
        assert smtp.box.to(p.ppid_a["email"]) == [] and len(_outbox()) == 1

        smtp.box.stall.clear()
        assert res["id"] in service.mark_stale(0)["requeued"]
        assert "1 requeued" in _requeue_notices(cli)
        _drain()  # a new worker
        model.Session.remove()
        row = service.report_for(res["id"])
        assert row.status == "success" and row.report["row_count"] == 2, (row.report, row.error)
        shown = _api(app, "resource_validation_show", p.tokens["producer_a"], resource_id=res["id"]).json
        assert shown["result"]["status"] == "success"
        assert handler.requests == 2
        assert len(smtp.box.to(p.ppid_a["email"])) == 1 and _outbox() == []
