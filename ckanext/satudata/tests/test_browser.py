"""draft -> published in headless Chromium (Debian's, driven by Playwright),
against a live `ckan run` on the test database."""
import os
import pathlib
import shutil
import subprocess
import time
import urllib.request

import pytest

import ckan.model as model
import ckan.tests.helpers as helpers

from ckanext.satudata.tests.conftest import Portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = pathlib.Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts"
PORT = 5055
PASSWORD = "Sumedang#2026"


@pytest.fixture
def live_server(clean_db, clean_index):
    """`ckan run` on the test config; the test writes data first, then serves it."""
    procs = []

    def start():
        env = dict(os.environ, CKAN_SITE_URL=f"http://127.0.0.1:{PORT}")
        proc = subprocess.Popen([str(ROOT / ".venv/bin/ckan"), "-c", str(ROOT / "test.ini"), "run", "-H", "127.0.0.1",
                                 "-p", str(PORT), "--disable-reloader"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/3/action/status_show", timeout=2)
                return f"http://127.0.0.1:{PORT}"
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("ckan run did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)
    model.Session.remove()


def _login(page, base, name):
    page.goto(f"{base}/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", PASSWORD)
    page.click("form.form-horizontal button[type=submit], form button.btn-primary")
    page.wait_for_load_state()


def _chromium(playwright):
    """Debian's Chromium, headless, with no background network traffic."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"])


def _logout(page, base):
    page.context.clear_cookies()


def test_draft_to_published_in_a_browser(live_server):
    from playwright.sync_api import sync_playwright

    portal = Portal(password=PASSWORD)
    pkg = portal.dataset(name="jumlah-penduduk-browser", title="Jumlah Penduduk (uji peramban)")
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        url = f"{base}/dataset/{pkg['name']}"
        for user, action, status in (("producer-a", "submit", "submitted"), ("ppid-a", "verify", "verified"),
                                     ("walidata", "publish", "published")):
            _login(page, base, user)
            page.goto(url)
            page.click(f"button[data-action={action}]")
            page.wait_for_selector(f".satudata-badge[data-status={status}]")
            page.screenshot(path=str(ARTIFACTS / f"workflow-{action}.png"))
            _logout(page, base)
        page.goto(url)
        assert page.locator(".satudata-badge").get_attribute("data-status") == "published"
        assert "Jumlah Penduduk (uji peramban)" in page.content()
        page.goto(f"{base}/dataset/")
        assert f"/dataset/{pkg['name']}" in page.content()
        page.screenshot(path=str(ARTIFACTS / "workflow-public-listing.png"))
        browser.close()
    model.Session.remove()  # the server process changed the row
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "published"


FORM_LABELS = {
    "id": ["Kode Standar Data Statistik", "Klasifikasi Informasi", "Frekuensi Pemutakhiran", "Tingkat Penyajian",
           "Kode Wilayah (cakupan)", "Cara Pengumpulan Data", "Urusan Pemerintahan", "Penanggung Jawab"],
    "en": ["Statistical data standard code", "Information classification", "Update frequency", "Presentation level",
           "Area code (coverage)", "Collection method", "Government affair", "Person in charge"],
}


def test_form_and_page_render_every_field_in_both_languages(live_server):
    from playwright.sync_api import sync_playwright

    portal = Portal(password=PASSWORD)
    pkg = portal.walk(portal.dataset(name="penduduk-bahasa"), "submit", "verify", "publish")
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 3000})
        _login(page, base, "producer-a")
        for lang, prefix in (("id", ""), ("en", "/en")):
            page.goto(f"{base}{prefix}/dataset/new")
            form = page.content()
            for label in FORM_LABELS[lang]:
                assert label in form, (lang, label)
            page.screenshot(path=str(ARTIFACTS / f"dataset-form-{lang}.png"), full_page=True)
            page.goto(f"{base}{prefix}/dataset/{pkg['name']}")
            shown = page.content()
            for label in FORM_LABELS[lang]:
                assert label in shown, (lang, label)
            assert ("Data Umum (terbuka)" if lang == "id" else "Public data (open)") in shown
            page.screenshot(path=str(ARTIFACTS / f"dataset-page-{lang}.png"), full_page=True)
        browser.close()
