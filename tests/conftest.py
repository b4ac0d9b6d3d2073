"""Fixtures for the satudata tests: real PostgreSQL, Solr and Redis (test.ini)."""
from __future__ import annotations

import contextlib
import email
import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from werkzeug.datastructures import FileStorage

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests import _speed


def pytest_configure(config):
    """An xdist worker's own database, site_id, Redis db, storage and ports
    (before CKAN's plugin loads test.ini)."""
    _speed.configure_worker(config)


def pytest_make_parametrize_id(config, val, argname):
    """The same test ids in every xdist worker (see _speed.parametrize_id)."""
    return _speed.parametrize_id(val, argname)


@pytest.fixture
def clean_db():
    """An empty database at the head of CKAN's, activity's and satudata's
    migrations (one TRUNCATE, see _speed.empty_database)."""
    _speed.empty_database()


@pytest.fixture(autouse=True)
def _satudata_plugins(request):
    """test.ini's plugins (activity, scheming, satudata) for every test, loaded
    once; a test with a ``ckan_config`` mark has them reloaded under its config
    (CKAN's ``with_plugins``), and the next test loads them back."""
    if _speed.needs_reload(request.node):
        request.getfixturevalue("with_plugins")
    else:
        _speed.ensure_plugins()
    _speed.ensure_database()


@pytest.fixture
def app(make_app, request):
    """CKAN's ``app``, its Flask app built once for test.ini's config (a new
    client, so new cookies, for each test; a test with a ``ckan_config`` mark
    gets an app of its own)."""
    if _speed.needs_reload(request.node):
        return make_app()
    return _speed.test_app()


@pytest.fixture(scope="session")
def reset_queues():
    """CKAN's, for this site's queues only (xdist workers may share a Redis db)."""
    return _speed.reset_site_queues


def complete_metadata(**overrides) -> dict:
    """An SDI dataset dict with every publication-bound field filled."""
    data = {
        "title": "Jumlah Penduduk per Kecamatan",
        "notes": "Jumlah penduduk menurut kecamatan.",
        "license_id": "cc-by",
        "sdi_responsible_person": "Kepala Bidang PIAK",
        "sdi_contact_email": "disdukcapil@sumedangkab.go.id",
        "sdi_urusan": "2.12",
        "sdi_sector": "kependudukan",
        "sdi_data_type": "statistik_sektoral",
        "sdi_classification": "data_umum",
        "sdi_standard_code": "SP00011.00.00",
        "sdi_concept": "Penduduk",
        "sdi_definition": "Jumlah penduduk tercatat",
        "sdi_measure": "jumlah",
        "sdi_unit": "orang",
        "sdi_frequency": "tahunan",
        "sdi_period_start": "2022",
        "sdi_period_end": "2024",
        "sdi_presentation_level": "kecamatan",
        "sdi_area_code": "32.11",
        "sdi_collection_method": "kompilasi_produk_administrasi",
        "sdi_source": "SIAK",
        "tags": [{"name": "penduduk"}],
    }
    data.update(overrides)
    return data


def upload(content: str | bytes, filename: str = "data.csv", content_type: str = "text/csv") -> FileStorage:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return FileStorage(io.BytesIO(raw), filename=filename, content_type=content_type)


class Portal:
    """Agencies A and B and one user per SDI role, created through the actions."""

    def __init__(self, password: str | None = None):
        self._password = password
        self.sysadmin = factories.Sysadmin()
        self.org_a = factories.Organization(name="agency-a", title="Agency A")
        self.org_b = factories.Organization(name="agency-b", title="Agency B")
        self.producer_a = self._user("producer-a")
        self.producer_b = self._user("producer-b")
        self.plain = self._user("plain-user")
        for user, org in ((self.producer_a, self.org_a), (self.producer_b, self.org_b)):
            helpers.call_action("organization_member_create", id=org["id"], username=user["name"], role="editor")
        self.walidata = self._role_user("walidata", "walidata")
        self.pembina = self._role_user("pembina", "pembina", institution="BPS")
        self.forum = self._role_user("forum", "forum")
        self.ppid_a = self._role_user("ppid-a", "ppid", self.org_a["name"])
        self.ppid_b = self._role_user("ppid-b", "ppid", self.org_b["name"])

    def _user(self, name: str) -> dict:
        return factories.User(name=name, password=self._password) if self._password else factories.User(name=name)

    def _role_user(self, name: str, role: str, org: str | None = None, institution: str | None = None) -> dict:
        user = self._user(name)
        data = {"user": user["name"], "role": role}
        if org:
            data["organization"] = org
        if institution:
            data["institution"] = institution
        helpers.call_action("satudata_role_grant", {"user": self.sysadmin["name"]}, **data)
        return user

    def dataset(self, org=None, by=None, resource=True, **overrides) -> dict:
        """A complete SDI dataset of agency A (draft), with a JSON resource."""
        org = org or self.org_a
        by = by or self.producer_a
        pkg = helpers.call_action("package_create", {"user": by["name"]},
                                  **complete_metadata(owner_org=org["id"], **overrides))
        if resource:
            helpers.call_action("resource_create", {"user": by["name"]}, package_id=pkg["id"],
                                name="data.json", format="JSON",
                                upload=upload(json.dumps({"data": [1, 2]}), "data.json", "application/json"),
                                url="")
        return helpers.call_action("package_show", id=pkg["id"])

    def walk(self, pkg: dict, *steps: str) -> dict:
        actors = {"submit": self.producer_a, "verify": self.ppid_a, "publish": self.walidata}
        for step in steps:
            helpers.call_action(f"satudata_dataset_{step}", {"user": actors[step]["name"]}, id=pkg["id"])
        return helpers.call_action("package_show", id=pkg["id"])


@pytest.fixture
def portal(clean_db, clean_index):
    return Portal()


@pytest.fixture(scope="module")
def module_portal():
    """One Portal (clean database and index) for a whole test module, with an
    API token per user (``portal.tokens``) and an admin of agency A
    (``portal.admin_a``). Tests that share it make their own datasets under
    unique names and must not use ``clean_db``."""
    from ckan.lib import search

    _speed.ensure_plugins()
    factories.fake.unique.clear()
    _speed.empty_database()
    search.clear_all()
    portal = Portal()
    portal.admin_a = portal._user("admin-a")
    helpers.call_action("organization_member_create", id=portal.org_a["id"],
                        username="admin-a", role="admin")
    portal.tokens = {}
    for attr in ("sysadmin", "producer_a", "producer_b", "plain", "walidata", "pembina", "forum",
                 "ppid_a", "ppid_b", "admin_a"):
        user = getattr(portal, attr)["name"]
        portal.tokens[attr] = helpers.call_action("api_token_create", user=user, name="t")["token"]
    return portal


@pytest.fixture
def shared_portal(module_portal):
    """``module_portal``, checked to still exist (no test of the module reset the database)."""
    import ckan.model as model
    assert model.User.get(module_portal.admin_a["id"]) is not None, "a test of this module used clean_db"
    return module_portal


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        self.messages.append({"to": list(envelope.rcpt_tos), "subject": str(email.header.make_header(
            email.header.decode_header(msg["Subject"]))).replace("\r\n", "").strip(), "body": msg.get_payload(decode=True).decode("utf-8")})
        return "250 OK"


def smtp_port() -> int:
    """The port of the configured ``smtp.server`` (test.ini, or the slot's CKAN_SMTP_SERVER)."""
    from ckan.common import config
    return int(str(config.get("smtp.server") or "127.0.0.1:8025").rsplit(":", 1)[1])


@pytest.fixture
def inbox():
    """aiosmtpd on the configured smtp.server (test.ini: 127.0.0.1:8025)."""
    handler = _Inbox()
    running = []

    def start():
        controller = Controller(handler, hostname="127.0.0.1", port=smtp_port())
        controller.start()
        running.append(controller)

    def stop():
        """Take the SMTP server down (to test failed deliveries)."""
        running.pop().stop()

    handler.start, handler.stop = start, stop
    start()
    yield handler
    while running:
        stop()


@contextlib.contextmanager
def local_http_server(handler):
    """A threaded HTTP server on a free loopback port, ``.base`` its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


class _NotFound(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not found")


@pytest.fixture
def missing_url():
    """A URL on a loopback server that answers 404."""
    with local_http_server(_NotFound) as server:
        yield server.base + "/hilang.csv"


def _waiting_for_locks(conn) -> int:
    """Backends blocked on a lock now (a new transaction: the view is a snapshot)."""
    from sqlalchemy import text
    count = conn.execute(text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'")).scalar_one()
    conn.rollback()
    return count


def at_once(calls, held, meanwhile=None) -> list:
    """Run each callable of ``calls`` in its own thread (own session) while a
    third connection holds the ``(table, id)`` rows of ``held`` locked; release
    them once every thread is blocked, so the transactions really overlap.
    ``meanwhile(conn)`` runs in the holder's transaction before it commits.
    Returns each call's result or exception, in order."""
    import ckan.model as model
    from sqlalchemy import text

    barrier = threading.Barrier(len(calls) + 1)
    outcomes: list = [None] * len(calls)

    def worker(slot: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[slot] = calls[slot]()
        except Exception as error:  # the outcome is what the test checks
            outcomes[slot] = error
        finally:
            model.Session.remove()

    model.Session.remove()
    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(len(calls))]
    with model.meta.engine.connect() as holder, model.meta.engine.connect() as watcher:
        for table, row_id in held:
            holder.execute(text(f'SELECT id FROM "{table}" WHERE id = :id FOR UPDATE'), {"id": row_id})
        for thread in threads:
            thread.start()
        barrier.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _waiting_for_locks(watcher) < len(calls):
            if time.monotonic() > deadline:
                holder.rollback()
                pytest.fail(f"the calls never queued on the row locks: {outcomes}")
            time.sleep(0.05)
        if meanwhile is not None:
            meanwhile(holder)
        holder.commit()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
    model.Session.remove()
    return outcomes


SLOW_CSV = b"kecamatan,tahun,jumlah\nJatinangor,2024,120\nWado,2024,80\n"


class SlowThenFastCSV(BaseHTTPRequestHandler):
    """Serves SLOW_CSV: the first download trickles for a minute (a job hangs
    in it until its worker is killed), later ones are quick. Subclass it per
    server: ``type("Handler", (SlowThenFastCSV,), {"requests": 0, "first_request": threading.Event()})``."""

    requests = 0
    first_request: threading.Event

    def log_message(self, *args):
        pass

    def do_GET(self):
        cls = type(self)
        cls.requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        if cls.requests == 1:
            self.end_headers()
            cls.first_request.set()
            try:
                self.wfile.write(SLOW_CSV[:23])
                for _ in range(600):
                    self.wfile.write(b"W")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the worker was killed
            return
        self.send_header("Content-Length", str(len(SLOW_CSV)))
        self.end_headers()
        self.wfile.write(SLOW_CSV)


@pytest.fixture
def worker_ini(tmp_path):
    """test.ini for a ``ckan`` subprocess, allowing loopback test servers as resource URLs."""
    import pathlib
    path = tmp_path / "worker.ini"
    path.write_text(f"[app:main]\nuse = config:{pathlib.Path(__file__).resolve().parents[1] / 'test.ini'}\n"
                    "ckanext.satudata.validation.allow_private_urls = true\n")
    return str(path)
