"""Issue 11, the web side: uploads never run script on the portal's origin,
the demo's server has no Werkzeug debugger, cookie sessions keep their CSRF
check (GHSA-mcvf-jxcw-vj73), and core's 500s on hostile input are 4xx.

Everything goes through HTTP as the outsider concerned: the producer who
uploads, the reviewer who downloads, the attacker page riding a cookie."""
from __future__ import annotations

import configparser
import io
import json
import os
import pathlib
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

ROOT = pathlib.Path(__file__).resolve().parents[2]
WEB_PORT = int(os.environ.get("SATUDATA_TEST_WEB_PORT", "5055")) + 1
PASSWORD = "Sumedang#2026"

HTML = b"<!DOCTYPE html>\n<html><body><h1>Laporan</h1><p>Jumlah penduduk</p></body></html>\n"
SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<rect width="10" height="10"/></svg>\n')
CSV = b"kecamatan,tahun,catatan\nWado,2024,a < b\nJatinangor,2024,\"<b>tebal</b> bukan skrip\"\n"


def _auth(portal, who: str) -> dict:
    return {"Authorization": portal.tokens[who]}


def _dataset(portal, resource=False, **overrides) -> dict:
    return portal.dataset(name=f"kip-http-{uuid.uuid4().hex[:10]}", resource=resource, **overrides)


def _upload(app, portal, pkg, content: bytes, filename: str, fmt: str | None, action="resource_create",
            who="producer_a", **extra):
    data = {"name": filename, "url": "", "upload": (io.BytesIO(content), filename), **extra}
    if action == "resource_create":
        data["package_id"] = pkg["id"]
    if fmt is not None:
        data["format"] = fmt
    return app.post(f"/api/3/action/{action}", data=data, headers=_auth(portal, who), follow_redirects=False)


def _resources(pkg) -> list[dict]:
    return helpers.call_action("package_show", id=pkg["id"])["resources"]


# --------------------------------------------------------------- leak 4: uploads

@pytest.fixture(scope="module")
def passwords(module_portal):
    """The users log in through the login form (a browser's cookie session)."""
    import ckan.model as model
    for attr in ("producer_a", "producer_b"):
        model.User.get(getattr(module_portal, attr)["id"]).password = PASSWORD
    model.repo.commit()
    return PASSWORD


@pytest.mark.parametrize("content, filename, fmt", [
    # core takes the MIME type from the name: text/html, so a browser rendered the <b>
    (CSV, "penduduk.html", "CSV"),
    (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>Wado</name>'
     b'</Placemark></kml>', "batas.svg", "KML"),
    (CSV, "penduduk.csv", "CSV"),
])
def test_an_uploaded_file_is_downloaded_never_rendered(shared_portal, app, content, filename, fmt):
    """A reviewer opening a producer's file gets an attachment the browser may
    not sniff into HTML and may not run script in (leak 4)."""
    pkg = _dataset(shared_portal)
    res = _upload(app, shared_portal, pkg, content, filename, fmt).json
    assert res["success"], res
    rid = res["result"]["id"]
    for url in (f"/dataset/{pkg['id']}/resource/{rid}/download/{filename}",
                f"/dataset/{pkg['id']}/resource/{rid}/download"):
        resp = app.get(url, headers=_auth(shared_portal, "ppid_a"), follow_redirects=False)
        assert resp.status_code == 200, url
        assert resp.get_data() == content
        disposition = resp.headers.get("Content-Disposition", "")
        assert disposition.startswith("attachment"), (url, disposition)
        if url.endswith(filename):
            assert filename in disposition
        assert resp.headers.get("X-Content-Type-Options") == "nosniff"
        assert "sandbox" in resp.headers.get("Content-Security-Policy", "")


def test_files_under_uploads_are_attachments_too(app):
    """Core serves organization and user images from /uploads/ off the storage path."""
    folder = pathlib.Path(tk.config["ckan.storage_path"]) / "storage" / "uploads" / "group"
    folder.mkdir(parents=True, exist_ok=True)
    name = f"kip-http-{uuid.uuid4().hex[:8]}.svg"
    (folder / name).write_bytes(SVG.replace(b"<rect", b'<script>alert(1)</script><rect'))
    resp = app.get(f"/uploads/group/{name}", follow_redirects=False)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Disposition", "").startswith("attachment")
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert "sandbox" in resp.headers.get("Content-Security-Policy", "")


@pytest.mark.parametrize("path", ["/", "/dataset/", "/api/3/action/status_show", "/no-such-page", "/permintaan"])
def test_every_response_says_nosniff(app, path):
    resp = app.get(path, follow_redirects=False)
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", (path, resp.status_code)


ACTIVE_SVG = SVG.replace(b"<rect", b'<rect onload="fetch(\'/api/3/action/user_update\')"')
HOSTILE = [
    # declared as data, the bytes are markup
    pytest.param(HTML, "penduduk.csv", "CSV", id="html-declared-csv"),
    pytest.param(b"\xef\xbb\xbf  \n<html><script>alert(1)</script></html>", "penduduk.xlsx", "XLSX",
                 id="html-with-bom-declared-xlsx"),
    pytest.param(SVG, "penduduk.json", "JSON", id="svg-declared-json"),
    pytest.param(SVG, "peta.xml", "XML", id="svg-declared-xml"),
    pytest.param(HTML, "laporan.xml", "XML", id="html-declared-xml"),
    pytest.param(b"<?xml version='1.0'?><data><row>1</row></data>", "penduduk.csv", "CSV", id="xml-declared-csv"),
    pytest.param(b"<iframe src=//evil.example></iframe>", "penduduk.csv", "", id="html-format-guessed-csv"),
    pytest.param(b"kecamatan\n<script>alert(document.cookie)</script>\n", "penduduk.csv", "CSV",
                 id="script-in-first-kilobytes-of-csv"),
    # XML that is allowed as data, but carries script
    pytest.param(b"<?xml version='1.0'?><x xmlns:h='http://www.w3.org/1999/xhtml'><h:script>alert(1)</h:script></x>",
                 "data.xml", "XML", id="xml-with-xhtml-script"),
    pytest.param(b"<?xml version='1.0'?><kml><Placemark><description><![CDATA[<img src=x onerror=alert(1)>]]>"
                 b"</description></Placemark></kml>", "batas.kml", "KML", id="kml-with-handler"),
    pytest.param(b"<?xml version='1.0'?><data>" + b"<row>1</row>" * 40_000 + b"<a href='javascript:alert(1)'/></data>",
                 "data.xml", "XML", id="xml-with-late-javascript-url"),
    pytest.param(ACTIVE_SVG, "peta.xml", "XML", id="svg-with-handler-declared-xml"),
]


@pytest.mark.parametrize("content, filename, fmt", HOSTILE)
def test_markup_in_disguise_or_with_script_is_refused(shared_portal, app, content, filename, fmt):
    """The declared format is checked against the bytes: a 409 on ``upload``
    and nothing saved (no resource, no file)."""
    pkg = _dataset(shared_portal)
    resp = _upload(app, shared_portal, pkg, content, filename, fmt)
    assert resp.status_code == 409, resp.get_data(as_text=True)[:300]
    assert "upload" in resp.json["error"], resp.json
    assert _resources(pkg) == []


def test_replacing_a_file_with_disguised_markup_is_refused(shared_portal, app):
    pkg = _dataset(shared_portal)
    res = _upload(app, shared_portal, pkg, b'{"data": [1, 2]}', "data.json", "JSON").json["result"]
    resp = _upload(app, shared_portal, pkg, HTML, "data.json", "JSON", action="resource_update", id=res["id"])
    assert resp.status_code == 409 and "upload" in resp.json["error"], resp.get_data(as_text=True)[:300]
    after = _resources(pkg)[0]
    assert (after["size"], after["url"], after["format"]) == (res["size"], res["url"], res["format"])
    download = app.get(f"/dataset/{pkg['id']}/resource/{res['id']}/download", headers=_auth(shared_portal, "ppid_a"))
    assert download.get_data() == b'{"data": [1, 2]}'


def _xlsx() -> bytes:
    import openpyxl
    book = openpyxl.Workbook()
    book.active.append(["kecamatan", "catatan"])
    book.active.append(["Wado", "<script> as text in a cell"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("content, filename, fmt", [
    (CSV, "penduduk.csv", "CSV"),
    (CSV, "penduduk.csv", ""),
    (b'{"html": "<b>not markup</b>", "n": 1}', "data.json", "JSON"),
    (b'<?xml version="1.0"?><data><row kecamatan="Wado">1</row><note>&lt;script&gt;</note></data>', "data.xml",
     "XML"),
    (b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><description>'
     b'<![CDATA[<b>Wado</b> <a href="https://sumedangkab.go.id">situs</a>]]></description></Placemark></kml>',
     "batas.kml", "KML"),
    (_xlsx(), "penduduk.xlsx", "XLSX"),
])
def test_honest_files_are_still_accepted(shared_portal, app, content, filename, fmt):
    pkg = _dataset(shared_portal)
    resp = _upload(app, shared_portal, pkg, content, filename, fmt)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert len(_resources(pkg)) == 1


# ------------------------------------------------------------ Werkzeug debugger

def _get(url: str) -> int:
    try:
        return urllib.request.urlopen(url, timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_demo_server_has_no_debugger(shared_portal, tmp_path):
    """The demo starts its web server with scripts/web.sh, which is
    ``ckan run`` without the Werkzeug debugger or reloader: /console is a 404.
    Started here on the slot's spare port with the test config (same flags)."""
    demo = (ROOT / "scripts" / "demo.sh").read_text()
    assert re.search(r'^start_process web "\$ROOT/scripts/web\.sh" "\$ROOT/demo\.ini"', demo, re.M), demo
    assert not re.search(r"\bckan\b.*\brun\b", demo.replace("scripts/web.sh", ""), re.I), "demo.sh runs ckan run"
    ini = configparser.ConfigParser(strict=False)
    ini.read(ROOT / "demo.ini")
    assert ini.get("DEFAULT", "debug", fallback="false").strip().lower() == "false"
    assert ini.get("app:main", "debug", fallback="false").strip().lower() == "false"

    env = dict(os.environ, CKAN_SITE_URL=f"http://127.0.0.1:{WEB_PORT}")
    log = tmp_path / "web.log"
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "web.sh"), str(ROOT / "test.ini"), str(WEB_PORT)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
                            start_new_session=True)
    base = f"http://127.0.0.1:{WEB_PORT}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/3/action/status_show", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, log.read_text()[-2000:]
                time.sleep(0.5)
        else:
            raise AssertionError("scripts/web.sh did not start")
        assert _get(f"{base}/console") == 404
        assert _get(f"{base}/console?__debugger__=yes&cmd=resource&f=debugger.js") == 404
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
        proc.wait(timeout=20)


# ---------------------------------------------------------------------- CSRF

def _csrf_token(client, path="/dataset/") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="_csrf_token" (?:value|content)="([^"]+)"', page)
    assert match, "no CSRF token on " + path
    return match.group(1)


def _logged_in(app, user: dict):
    """A browser session: the login form, with its CSRF token, sets the cookie."""
    client = app.test_client()
    token = _csrf_token(client, "/user/login")
    resp = client.post("/user/login", data={"login": user["name"], "password": PASSWORD, "_csrf_token": token},
                       follow_redirects=False)
    assert resp.status_code == 302, resp.status_code
    return client


def _prime(app, portal, url: str, method="post"):
    """What GHSA-mcvf-jxcw-vj73 needs: one anonymous and one token request to the view."""
    getattr(app.test_client(), method)(url, follow_redirects=False)
    getattr(app.test_client(), method)(url, headers=_auth(portal, "plain"), follow_redirects=False)


def test_a_cookie_session_api_post_needs_its_csrf_token(shared_portal, passwords, app):
    pkg = _dataset(shared_portal)
    _prime(app, shared_portal, "/api/3/action/package_patch")
    browser = _logged_in(app, shared_portal.producer_a)
    # An attacker page submits in the producer's name: no CSRF token.
    resp = browser.post("/api/3/action/package_patch", json={"id": pkg["id"], "notes": "forged"},
                        follow_redirects=False)
    assert resp.status_code in (400, 403), resp.status_code
    assert helpers.call_action("package_show", id=pkg["id"])["notes"] != "forged"
    # The portal's own JavaScript sends the token in a header: that works.
    token = _csrf_token(browser)
    resp = browser.post("/api/3/action/package_patch", json={"id": pkg["id"], "notes": "from the page"},
                        headers={"X-CSRFToken": token}, follow_redirects=False)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    # A script with an API token needs no CSRF token.
    resp = app.test_client().post("/api/3/action/package_patch", json={"id": pkg["id"], "notes": "by token"},
                                  headers=_auth(shared_portal, "producer_a"), follow_redirects=False)
    assert resp.status_code == 200
    assert helpers.call_action("package_show", id=pkg["id"])["notes"] == "by token"


def test_a_cookie_session_form_post_needs_its_csrf_token(shared_portal, passwords, app):
    pkg = _dataset(shared_portal, resource=True)
    url = f"/dataset/{pkg['id']}/satudata/transition"
    _prime(app, shared_portal, url)
    browser = _logged_in(app, shared_portal.producer_a)
    resp = browser.post(url, data={"action": "submit"}, follow_redirects=False)
    assert resp.status_code in (400, 403), resp.status_code
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "draft"
    resp = browser.post(url, data={"action": "submit", "_csrf_token": _csrf_token(browser)}, follow_redirects=False)
    assert resp.status_code == 302
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "submitted"


def test_a_cookie_with_a_bad_api_token_still_needs_csrf(shared_portal, passwords, app):
    """An invalid token falls back to the cookie's user: still a cookie session."""
    pkg = _dataset(shared_portal)
    _prime(app, shared_portal, "/api/3/action/package_patch")
    browser = _logged_in(app, shared_portal.producer_a)
    resp = browser.post("/api/3/action/package_patch", json={"id": pkg["id"], "notes": "forged"},
                        headers={"Authorization": "not-a-token"}, follow_redirects=False)
    assert resp.status_code in (400, 403), resp.status_code
    assert helpers.call_action("package_show", id=pkg["id"])["notes"] != "forged"


# --------------------------------------------------------------- core 500s

@pytest.mark.parametrize("path", ["/dataset/%00", "/dataset/a%00b", "/dataset/edit/%00", "/dataset/activity/%00",
                                  "/dataset/%00/resource/%00", "/organization/%00", "/user/%00", "/permintaan/%00",
                                  "/dataset/%00/satudata/transition"])
def test_a_nul_in_a_path_is_a_404(app, path):
    assert app.get(path, follow_redirects=False).status_code == 404


EVIL = ["\\\\evil.example", "\\/evil.example", "/\\evil.example", "//evil.example", "///evil.example",
        "https://evil.example/x", "https:evil.example", " //evil.example", "\t//evil.example", "javascript:alert(1)",
        "/%5C%5Cevil.example", "\\\\evil.example\x00"]


def _assert_stays_here(resp):
    assert resp.status_code < 500, resp.status_code
    location = resp.headers.get("Location", "")
    site = urlsplit(tk.config["ckan.site_url"])
    if location:
        parts = urlsplit(location.strip())
        assert "\\" not in location and "evil.example" not in parts.netloc, location
        assert parts.netloc in ("", site.netloc), location
        assert not location.lstrip().startswith("//"), location


@pytest.mark.parametrize("came_from", EVIL)
def test_login_came_from_never_leaves_the_portal(shared_portal, passwords, app, came_from):
    client = app.test_client()
    token = _csrf_token(client, "/user/login")
    resp = client.post("/user/login", query_string={"came_from": came_from},
                       data={"login": shared_portal.producer_b["name"], "password": PASSWORD, "_csrf_token": token},
                       follow_redirects=False)
    assert resp.status_code == 302
    _assert_stays_here(resp)


@pytest.mark.parametrize("came_from", EVIL)
def test_logout_came_from_never_leaves_the_portal(shared_portal, passwords, app, came_from):
    browser = _logged_in(app, shared_portal.producer_b)
    resp = browser.get("/user/_logout", query_string={"came_from": came_from}, follow_redirects=False)
    assert resp.status_code == 302
    _assert_stays_here(resp)
    assert app.test_client().get("/user/login", query_string={"came_from": came_from},
                                 follow_redirects=False).status_code < 500


def test_a_local_came_from_still_works(shared_portal, passwords, app):
    browser = _logged_in(app, shared_portal.producer_b)
    resp = browser.get("/user/_logout", query_string={"came_from": "/dataset/?q=penduduk"}, follow_redirects=False)
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith("/dataset/?q=penduduk")


@pytest.mark.parametrize("url", ["http://[::1/x.csv", "http://[x]/x.csv", "https://[::1]:99999/x.csv"])
def test_an_unparseable_resource_url_is_a_field_error(shared_portal, app, url):
    pkg = _dataset(shared_portal)
    resp = app.post("/api/3/action/resource_create", json={"package_id": pkg["id"], "url": url, "format": "CSV"},
                    headers=_auth(shared_portal, "producer_a"))
    assert resp.status_code == 409, resp.status_code
    assert "url" in resp.json["error"]
    good = app.post("/api/3/action/resource_create",
                    json={"package_id": pkg["id"], "url": "https://example.org/x.csv", "format": "CSV"},
                    headers=_auth(shared_portal, "producer_a"), status=200).json["result"]
    resp = app.post("/api/3/action/resource_update", json={"id": good["id"], "url": url, "format": "CSV"},
                    headers=_auth(shared_portal, "producer_a"))
    assert resp.status_code == 409 and "url" in resp.json["error"], resp.status_code
    assert [r["url"] for r in _resources(pkg)] == ["https://example.org/x.csv"]


@pytest.mark.parametrize("url", ["http://[::1/x.csv", "https://[::1]:99999/x.csv"])
def test_an_unparseable_inline_resource_url_is_a_field_error(shared_portal, app, url):
    """package_create and package_patch with the resources inline: core parses
    their URLs before any validator runs (a 500 before)."""
    from tests.conftest import complete_metadata
    name = f"kip-http-{uuid.uuid4().hex[:10]}"
    resp = app.post("/api/3/action/package_create", headers=_auth(shared_portal, "producer_a"),
                    json=complete_metadata(name=name, owner_org=shared_portal.org_a["id"],
                                           resources=[{"url": url, "format": "CSV"}]))
    assert resp.status_code == 409, resp.status_code
    assert "resources" in resp.json["error"]
    assert app.post("/api/3/action/package_show", json={"id": name},
                    headers=_auth(shared_portal, "producer_a")).status_code == 404
    pkg = _dataset(shared_portal)
    resp = app.post("/api/3/action/package_patch", headers=_auth(shared_portal, "producer_a"),
                    json={"id": pkg["id"], "resources": [{"url": url, "format": "CSV"}]})
    assert resp.status_code == 409, resp.status_code
    assert _resources(pkg) == []


@pytest.mark.parametrize("ref", ["\x00", "abc\x00def", "\ud800"])
def test_package_show_of_an_id_holding_a_nul_is_not_found(shared_portal, app, ref):
    """Core's package_show took the NUL to PostgreSQL (a 500)."""
    resp = app.post("/api/3/action/package_show", data=json.dumps({"id": ref}),
                    headers={"Content-Type": "application/json"})
    assert resp.status_code == 404, resp.status_code
    if "\x00" in ref:  # a lone surrogate cannot be put in a URL
        resp = app.get("/api/3/action/package_show", query_string={"id": ref})
        assert resp.status_code == 404, resp.status_code
