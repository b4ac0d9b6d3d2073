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

from tests.conftest import Portal

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
PORT = int(os.environ.get("SATUDATA_TEST_WEB_PORT", "5055"))
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


def _login(page, base, name, password=PASSWORD):
    page.goto(f"{base}/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", password)
    page.click("form.form-horizontal button[type=submit], form button.btn-primary")
    page.wait_for_load_state()


def _chromium(playwright):
    """Debian's Chromium, headless, with no background network traffic."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        # a slot's ports run 5055-5064 (tests/_speed.py); Chromium refuses 5060/5061 (SIP) unless told
        "--explicitly-allowed-ports=5060,5061"])


def _logout(page, base):
    page.context.clear_cookies()


def fill_title(page, title):
    """Type a dataset title once CKAN's slug modules are running, and wait for
    the URL name they derive from it. CKAN starts its JS modules after it has
    fetched the page's translations, which can end after the page's load event;
    a title typed before that never reaches the hidden name field (the module
    only watches an empty title), and the form comes back with "Name: Missing
    value"."""
    page.wait_for_selector(".slug-preview", state="attached")
    page.fill("#field-title", title)
    page.wait_for_function("document.querySelector('#field-name').value !== ''")


# The dataset form as the demo producer of Dinas Kesehatan fills it: every
# field the SDI compliance check needs before submission.
FORM_TEXT = {
    "#field-title": "Jumlah Posyandu per Kecamatan (uji peramban)",
    "#field-notes": "Jumlah posyandu aktif menurut kecamatan.",
    "#field-sdi_responsible_person": "Kepala Seksi Promosi Kesehatan",
    "#field-sdi_contact_email": "dinkes@sumedangkab.go.id",
    "#field-sdi_standard_code": "SP00542.00.00",
    "#field-sdi_concept": "Posyandu adalah upaya kesehatan bersumber daya masyarakat.",
    "#field-sdi_definition": "Banyaknya posyandu aktif pada akhir tahun.",
    "#field-sdi_unit": "unit",
    "#field-sdi_period_start": "2024",
    "#field-sdi_period_end": "2024",
    "#field-sdi_area_code": "32.11",
    "#field-sdi_source": "Profil Kesehatan Kabupaten Sumedang",
}
FORM_SELECT = {
    "#field-license_id": "cc-by",
    "#field-sdi_urusan": "1.02",
    "#field-sdi_sector": "kesehatan",
    "#field-sdi_data_type": "statistik_sektoral",
    "#field-sdi_measure": "jumlah",
    "#field-sdi_frequency": "tahunan",
    "#field-sdi_presentation_level": "kecamatan",
    "#field-sdi_collection_method": "kompilasi_produk_administrasi",
}
CSV = "kecamatan,tahun,posyandu\nJatinangor,2024,84\nTanjungsari,2024,77\n"


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def test_draft_to_published_in_a_browser_as_the_demo_users(live_server, clean_queues):
    """The demo producer creates the dataset in the web form and submits it,
    the demo PPID verifies it and the Walidata publishes it, all with the
    page's buttons; anonymous visitors get 404 until it is published."""
    from playwright.sync_api import sync_playwright
    from ckan.lib import jobs

    from ckanext.satudata.demo import data as demo

    list(demo.load())
    jobs.get_queue().empty()  # the demo's own notices: only the new CSV's validation is run below
    model.Session.remove()
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    name = "jumlah-posyandu-per-kecamatan-uji-peramban"
    url = f"{base}/dataset/{name}"
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        _login(page, base, "produsen-dinkes", demo.PASSWORD)
        page.goto(f"{base}/dataset/new")
        assert page.locator("#field-organizations option:checked").inner_text().strip() == "Dinas Kesehatan"
        for selector, value in FORM_TEXT.items():
            if selector == "#field-title":
                fill_title(page, value)
            else:
                page.fill(selector, value)
        for selector, value in FORM_SELECT.items():
            page.select_option(selector, value, force=True)
        page.screenshot(path=str(ARTIFACTS / "workflow-0-form.png"), full_page=True)
        _click(page, "button[name=save]")
        assert "/resource/new" in page.url, page.url
        page.set_input_files("#field-resource-upload", files=[{
            "name": "posyandu.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
        page.fill("#field-name", "posyandu.csv")
        _click(page, "button[name=save][value=go-metadata]")
        jobs.Worker(["default", "satudata_validation"]).work(burst=True)  # the CSV's validation, on its queue

        anonymous = browser.new_page()
        assert anonymous.goto(url).status == 404
        for user, action, status in (("produsen-dinkes", "submit", "submitted"), ("ppid-dinkes", "verify", "verified"),
                                     ("walidata", "publish", "published")):
            if user != "produsen-dinkes":
                _logout(page, base)
                _login(page, base, user, demo.PASSWORD)
            page.goto(url)
            if action == "verify":
                assert page.locator("#satudata-classification").input_value() == "data_umum"
                page.fill("#satudata-note", "Data dan metadata sesuai.")
            _click(page, f"button[data-action={action}]")
            assert page.locator(".satudata-badge[data-status]").get_attribute("data-status") == status, page.content()
            page.screenshot(path=str(ARTIFACTS / f"workflow-{action}.png"))
            if status != "published":
                assert anonymous.goto(url).status == 404, status
        response = anonymous.goto(url)
        assert response.status == 200
        assert anonymous.locator(".satudata-badge[data-status]").get_attribute("data-status") == "published"
        assert "Jumlah Posyandu per Kecamatan (uji peramban)" in anonymous.content()
        anonymous.goto(f"{base}/dataset/")
        assert f"/dataset/{name}" in anonymous.content()
        anonymous.screenshot(path=str(ARTIFACTS / "workflow-public-listing.png"))
        browser.close()
    model.Session.remove()  # the server process changed the row
    pkg = helpers.call_action("package_show", id=name)
    assert (pkg["sdi_status"], pkg["organization"]["name"], pkg["private"]) == ("published", "dinas-kesehatan", False)
    assert [r["format"] for r in pkg["resources"]] == ["CSV"]
    history = helpers.call_action("satudata_dataset_history", id=name)
    assert [(e["action"], e["user_name"]) for e in history] == [
        ("create", "produsen-dinkes"), ("submit", "produsen-dinkes"), ("verify", "ppid-dinkes"),
        ("publish", "walidata")]


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
