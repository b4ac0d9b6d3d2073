"""The validation report as an agency clerk reads it in headless Chromium:
a CSV uploaded on the resource form is validated by the worker against the
request's Table Schema; the resource page says what is wrong, in which
column and row and how to fix it, in Bahasa Indonesia and under /en in
English, beside the format table whose CSV/XLSX template downloads."""
import io

import openpyxl
import pytest

import ckan.model as model
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from tests.browser.test_workflow_browser import ARTIFACTS, PASSWORD, _chromium, _login, live_server  # noqa: F401
from tests.conftest import Portal, complete_metadata, upload
from tests.datarequest.conftest import Requests

pytestmark = pytest.mark.usefixtures("clean_queues")

GOOD_ROWS = "".join(f"Desa {i},{100 + i}\n" for i in range(10))  # rows 2-11
BAD = "kecamatan,jumlah\n" + GOOD_ROWS + "Wado,1.180\nCimanggung,2,5\n"  # rows 12 and 13
GOOD = "kecamatan,jumlah\n" + GOOD_ROWS

EXPECTED = {
    "id": {
        "status": "Tidak valid",
        "rows": [
            ("12", "jumlah", "Tipe data salah",
             "Kolom jumlah baris 12: '1.180' bukan bilangan bulat — tulis tanpa titik ribuan"),
            ("13", "3", "Sel berlebih",
             "Baris 13, kolom ke-3: ada nilai lebih '5' setelah kolom terakhir — koma di dalam nilai (misalnya koma"
             " desimal) memecahnya menjadi dua: apit nilai dengan tanda kutip ganda atau gunakan titik untuk desimal"),
        ],
        "format": ["Format dataset", "Unduh templat", "bilangan bulat", "teks"],
        "valid": "Valid",
    },
    "en": {
        "status": "Not valid",
        "rows": [
            ("12", "jumlah", "Wrong type",
             "Column jumlah, row 12: '1.180' is not a whole number — write it without thousands separators"),
            ("13", "3", "Extra cell",
             "Row 13, column 3: an extra value '5' after the last column — a comma inside a value (such as a"
             " decimal comma) splits it in two: put the value in double quotes or use a dot for decimals"),
        ],
        "format": ["Dataset format", "Download the template", "whole number", "text"],
        "valid": "Valid",
    },
}


def _work():
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    model.Session.remove()


def _report_rows(page):
    return [tuple(cell.inner_text().strip() for cell in row.locator("td").all())
            for row in page.locator("table.satudata-validation-errors tbody tr").all()]


def test_a_clerk_reads_the_report_and_downloads_the_template(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    portal = Portal(password=PASSWORD)
    req = Requests(portal).new(upto="sent")  # its format: kecamatan (text), jumlah (whole number)
    pkg = helpers.call_action("package_create", {"user": portal.producer_a["name"]}, **complete_metadata(
        name="penduduk-laporan-validasi", owner_org=portal.org_a["id"], sdi_request_id=req["id"]))
    jobs.get_queue().empty()  # the request's notices: only the CSV's validation is run below
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
        _login(page, base, "producer-a")
        page.goto(f"{base}/dataset/{pkg['name']}/resource/new")
        page.set_input_files("#field-resource-upload", files=[{
            "name": "penduduk.csv", "mimeType": "text/csv", "buffer": BAD.encode()}])
        page.fill("#field-name", "penduduk.csv")
        with page.expect_navigation():
            page.click("form button.btn-primary[name=save]")
        _work()  # the worker validates the upload
        res, = helpers.call_action("package_show", id=pkg["id"])["resources"]
        url = f"{base}/dataset/{pkg['name']}/resource/{res['id']}"

        for lang, prefix in (("id", ""), ("en", "/en")):
            page.goto(f"{base}{prefix}/dataset/{pkg['name']}/resource/{res['id']}")
            report = page.locator("#satudata-validation")
            assert report.locator("[data-status]").first.inner_text().strip() == EXPECTED[lang]["status"]
            assert _report_rows(page) == EXPECTED[lang]["rows"], lang
            assert page.locator("table.satudata-validation-errors strong").first.inner_text() == "jumlah"
            fmt = page.locator("#satudata-validation-format").inner_text()
            for text in EXPECTED[lang]["format"]:
                assert text in fmt, (lang, text)
            assert "Type error" not in report.inner_text() and "does not conform" not in report.inner_text()
            page.screenshot(path=str(ARTIFACTS / f"validation-report-{lang}.png"), full_page=True)

            with page.expect_download() as download:
                page.click("#satudata-validation-format a[data-template=csv]")
            assert download.value.suggested_filename == "penduduk-template.csv"
            assert open(download.value.path(), "rb").read() == b"kecamatan,jumlah\r\n"
            with page.expect_download() as download:
                page.click("#satudata-validation-format a[data-template=xlsx]")
            book = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
            assert [c.value for c in book.worksheets[0][1]] == ["kecamatan", "jumlah"]

        anonymous = browser.new_page()
        assert anonymous.goto(url).status == 404  # a draft: not public
        assert anonymous.request.get(f"{url}/template.csv").status == 404

        # the clerk corrects the file; the worker validates it again
        helpers.call_action("resource_patch", {"user": portal.producer_a["name"]}, id=res["id"],
                            upload=upload(GOOD, "penduduk.csv"))
        _work()
        for lang, prefix in (("id", ""), ("en", "/en")):
            page.goto(f"{base}{prefix}/dataset/{pkg['name']}/resource/{res['id']}")
            assert page.locator("#satudata-validation [data-status]").first.inner_text().strip() == \
                EXPECTED[lang]["valid"]
            assert page.locator("table.satudata-validation-errors").count() == 0
        browser.close()
