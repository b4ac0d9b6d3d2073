"""The production recipe in deploy/ runs as written: gunicorn with two workers
(deploy/gunicorn.conf.py and deploy/wsgi.py) on the test services serves a
whole workflow and a request step, the job worker script sends their notices,
the cron commands exist, and nginx with deploy/nginx's site serves uploads as
downloads."""
from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import time
import uuid

import pytest
import requests

import ckan.model as model
import ckan.tests.helpers as helpers

from tests.conftest import complete_metadata

ROOT = pathlib.Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PORT = int(os.environ.get("SATUDATA_TEST_WEB_PORT", "5055"))
NGINX_PORT = PORT + 1
CSV = b"kecamatan,tahun,jumlah\nWado,2024,120\nJatinangor,2024,98\n"


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (read from /proc, no ps needed)."""
    out = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _wait(url: str, proc: subprocess.Popen, what: str, seconds: int = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            detail = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
            raise RuntimeError(f"{what} exited with {proc.returncode}: {detail}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer on {url}")


@pytest.fixture(scope="module")
def production(module_portal, tmp_path_factory):
    """gunicorn as deploy/ configures it: two sync workers, the app from deploy/wsgi.py."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    env = dict(os.environ, CKAN_INI=str(ROOT / "test.ini"), SATUDATA_BIND=f"127.0.0.1:{PORT}",
               SATUDATA_WEB_WORKERS="2", CKAN_SITE_URL=f"http://127.0.0.1:{PORT}",
               SATUDATA_ACCESS_LOG=str(log), SATUDATA_ERROR_LOG=str(log))
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py")],
                                env=env, cwd=ROOT, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{PORT}"
    try:
        _wait(f"{base}/api/3/action/status_show", proc, "gunicorn")
        module_portal.base, module_portal.gunicorn, module_portal.gunicorn_log = base, proc, log
        yield module_portal
    finally:
        proc.terminate()
        proc.wait(timeout=40)


def _call(portal, action: str, who: str | None, **data) -> dict:
    headers = {"Authorization": portal.tokens[who]} if who else {}
    response = requests.post(f"{portal.base}/api/3/action/{action}", json=data, headers=headers, timeout=60)
    body = response.json()
    assert response.status_code == 200 and body["success"], (action, response.status_code, body)
    return body["result"]


def test_gunicorn_runs_two_workers_of_the_portal(production):
    assert len(_children(production.gunicorn.pid)) == 2
    status = requests.get(f"{production.base}/api/3/action/status_show", timeout=10).json()["result"]
    assert "satudata" in status["extensions"]
    page = requests.get(f"{production.base}/dataset/", timeout=30)
    assert page.status_code == 200 and 'lang="id"' in page.text  # Bahasa Indonesia by default


def test_a_dataset_walks_the_workflow_through_gunicorn_and_its_notice_is_sent(production, inbox):
    name = f"produksi-{uuid.uuid4().hex[:8]}"
    pkg = _call(production, "package_create", "producer_a", **complete_metadata(
        name=name, owner_org=production.org_a["id"]))
    response = requests.post(f"{production.base}/api/3/action/resource_create",
                             headers={"Authorization": production.tokens["producer_a"]},
                             data={"package_id": pkg["id"], "name": "data.json", "format": "JSON", "url": ""},
                             files={"upload": ("data.json", json.dumps({"data": [1, 2]}), "application/json")},
                             timeout=60)
    assert response.status_code == 200, response.text
    assert requests.get(f"{production.base}/dataset/{name}", timeout=30).status_code == 404  # a draft is hidden

    for action, who, status in (("submit", "producer_a", "submitted"), ("verify", "ppid_a", "verified"),
                                ("publish", "walidata", "published")):
        result = _call(production, f"satudata_dataset_{action}", who, id=name)
        assert result["sdi_status"] == status

    assert requests.get(f"{production.base}/dataset/{name}", timeout=30).status_code == 200
    shown = _call(production, "package_show", None, id=name)
    assert shown["sdi_status"] == "published" and shown["private"] is False
    history = _call(production, "satudata_dataset_history", None, id=name)
    assert [e["action"] for e in history][-3:] == ["submit", "verify", "publish"]  # oldest first

    # The job worker as systemd runs it: the notices of the three transitions go out.
    env = dict(os.environ, CKAN_VENV=str(ROOT / ".venv"), CKAN_INI=str(ROOT / "test.ini"))
    done = subprocess.run([str(DEPLOY / "satudata-worker.sh"), "default.1", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    told = {(address, message["subject"]) for message in inbox.messages for address in message["to"]}
    ppid = model.User.get(production.ppid_a["name"]).email
    assert any(address == ppid and pkg["title"] in subject for address, subject in told), told  # the submission


def test_a_data_request_step_goes_through_gunicorn(production):
    req = _call(production, "satudata_request_create", "forum", title="Jumlah posyandu per desa",
                description="Untuk perencanaan kesehatan", purpose="RPJMD")
    assert req["status"] == "submitted"
    req = _call(production, "satudata_request_dispose", "walidata", id=req["id"], organizations=["agency-a"])
    assert req["status"] == "dispositioned"
    mine = _call(production, "satudata_request_show", "forum", id=req["id"])
    assert mine["status"] == "dispositioned"


def test_the_cron_commands_of_deploy_exist():
    """Each cron line names a ``ckan satudata`` command (their work is tested
    in tests/datarequest and tests/validation); one CLI start checks them all."""
    lines = [line for line in (DEPLOY / "cron.d" / "ckanext-satudata").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    commands = [re.search(r"ckan -c \S+ satudata (\S+)$", line).group(1) for line in lines]
    assert commands == ["remind", "validation-requeue", "notice-requeue"]
    done = subprocess.run([str(ROOT / ".venv/bin/ckan"), "-c", str(ROOT / "test.ini"), "satudata", "--help"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    listed = set(re.findall(r"^  (\S+)", done.stdout, re.M))
    assert set(commands) <= listed, done.stdout


def test_nginx_in_front_serves_uploads_as_downloads(production, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"  # Debian's nginx-light, installed by scripts/test.sh
    site = (DEPLOY / "nginx" / "ckanext-satudata.conf").read_text()
    site = site.replace("server 127.0.0.1:8080;", f"server 127.0.0.1:{PORT};").replace(
        "listen 80;", f"listen 127.0.0.1:{NGINX_PORT};")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"daemon off;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\nhttp {\n"
        f"  access_log {tmp_path}/access.log;\n"
        f"  client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;\n"
        f"  include {tmp_path}/site.conf;\n}}\n")
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{NGINX_PORT}"
    try:
        _wait(f"{base}/api/3/action/status_show", proc, "nginx")
        pkg = production.dataset(name=f"nginx-{uuid.uuid4().hex[:8]}", resource=False)
        response = requests.post(f"{base}/api/3/action/resource_create",
                                 headers={"Authorization": production.tokens["producer_a"]},
                                 data={"package_id": pkg["id"], "name": "laporan.csv", "format": "CSV", "url": ""},
                                 files={"upload": ("laporan.csv", CSV, "text/csv")}, timeout=60)
        assert response.status_code == 200, response.text
        resource = response.json()["result"]
        download = requests.get(resource["url"].replace(production.base, base),
                                headers={"Authorization": production.tokens["producer_a"]}, timeout=30)
        assert download.status_code == 200 and download.content == CSV
        assert download.headers["Content-Disposition"].startswith("attachment")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]
        assert helpers.call_action("package_show", id=pkg["id"])["resources"][0]["name"] == "laporan.csv"
    finally:
        proc.terminate()
        proc.wait(timeout=20)
