"""A data request walks the main pages in headless Chromium with the demo's
role users, against a live `ckan run`: filed on the form, dispositioned,
recommended, given a format and sent, a dataset created for it from the
agency's list, then received; the requester finds it under "Permintaan saya".
The dataset's own workflow (metadata, submit, verify, publish) runs through
the action API to keep the test short."""
import re

import pytest

import ckan.model as model
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.demo import data as demo
from tests.conftest import complete_metadata
from tests.browser.test_workflow_browser import ARTIFACTS, _chromium, _login, fill_title, live_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_queues")

CSV = "kecamatan,tahun,jumlah\nJatinangor,2024,120\nTanjungsari,2024,98\n"
TABLE_SCHEMA = ('{"fields": [{"name": "kecamatan", "type": "string"}, {"name": "tahun", "type": "integer"}, '
                '{"name": "jumlah", "type": "integer"}]}')


def _as(page, base, user, path):
    page.context.clear_cookies()
    _login(page, base, user)
    page.goto(f"{base}{path}")


def _submit(page, form):
    """Click the form's button and wait for the page it redirects to."""
    with page.expect_navigation():
        page.click(f'form[data-form="{form}"] button[type=submit]')


def _shot(page, name):
    page.screenshot(path=str(ARTIFACTS / f"request-{name}.png"), full_page=True)


def _call(action, user, **data):
    model.Session.remove()  # the server process changed the rows
    return helpers.call_action(action, {"user": user, "ignore_auth": False}, **data)


def test_a_request_walks_the_pages_in_a_browser(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    list(demo.load_people())
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})

        # step 1: the Forum member files the request on the form
        _as(page, base, "forum", "/permintaan")
        page.click("text=Ajukan permintaan data")
        page.fill("#field-title", "Jumlah penduduk per kecamatan (peramban)")
        page.fill("#field-description", "Jumlah penduduk per kecamatan untuk RPJMD.")
        page.fill("#field-purpose", "Perencanaan pembangunan (Perbup 48/2021)")
        page.fill("#field-indicators", "Jumlah penduduk\nKepadatan penduduk")
        page.select_option("#field-area_level", "kecamatan")
        page.fill("#field-years", "2022-2024")
        _shot(page, "1-form")
        with page.expect_navigation():
            page.click("button[data-action=file]")
        assert "Permintaan data Anda telah diajukan" in page.content()
        request_path = re.search(r"/permintaan/[0-9a-f-]{36}$", page.url).group(0)
        request_id = request_path.rsplit("/", 1)[1]
        assert page.locator(".satudata-step--current").get_attribute("data-step") == "2"
        # "Permintaan saya" lists it
        page.goto(f"{base}/permintaan/saya")
        assert page.locator(f'tr[data-request-id="{request_id}"] a').inner_text() == (
            "Jumlah penduduk per kecamatan (peramban)")

        # step 2 and 3: the Walidata finds it in the inbox, dispositions it, asks BPS
        _as(page, base, "walidata", "/permintaan/kotak-masuk")
        page.click('section[data-section="new"] >> text=Jumlah penduduk per kecamatan (peramban)')
        page.select_option("#field-organizations", ["disdukcapil"], force=True)  # a searchable list (select2)
        _submit(page, "dispose")
        assert "Permintaan telah didisposisikan ke perangkat daerah" in page.content()
        page.select_option("#field-pembina", "pembina")
        _submit(page, "ask_recommendation")
        assert page.locator(".satudata-request-badge").get_attribute("data-request-status") == "awaiting_recommendation"
        _shot(page, "2-walidata")

        # step 3: the Pembina Data recommends
        _as(page, base, "pembina", request_path)
        page.fill("#field-number", "B-123/32110/VS.300/2026")
        page.fill("#field-date", "2026-11-20")
        page.fill("#field-text", "Gunakan data administrasi kependudukan (SIAK).")
        _submit(page, "recommend")
        assert "Rekomendasi telah dicatat" in page.content()

        # steps 4 and 5: the Walidata sets the format and sends the request
        _as(page, base, "walidata", request_path)
        page.check('input[data-mode-choice="json"]')  # the raw JSON option beside the column table
        page.fill("#field-table_schema", TABLE_SCHEMA)
        page.fill("#field-metadata_template", '{"sdi_unit": "orang", "sdi_frequency": "tahunan"}')
        _submit(page, "set_format")
        assert "<code>jumlah</code>" in page.content()
        _submit(page, "send")
        assert page.locator(".satudata-request-badge").get_attribute("data-request-status") == "sent"
        _shot(page, "3-sent")

        # steps 6-7: the producer creates the dataset from the agency's list
        _as(page, base, "produsen-disdukcapil", "/permintaan/instansi/disdukcapil")
        assert "kecamatan, tahun, jumlah" in page.content()
        _shot(page, "4-agency")
        with page.expect_navigation():
            page.click(f'li[data-request-id="{request_id}"] a[data-action=create-dataset]')
        assert page.locator("input[name=sdi_request_id]").get_attribute("value") == request_id
        assert page.locator("#field-sdi_unit").input_value() == "orang"
        fill_title(page, "Penduduk Kecamatan Permintaan")  # the slug follows the title
        _shot(page, "5-dataset-form")
        with page.expect_navigation():
            page.click("button[name=save]")
        assert "/resource/new" in page.url, page.url
        page.set_input_files("#field-resource-upload", files=[{
            "name": "penduduk.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
        page.fill("#field-name", "penduduk.csv")
        with page.expect_navigation():
            page.click("button[name=save][value=go-metadata]")
        _shot(page, "6-dataset-created")

        # steps 8-10 through the API: metadata, validation, submit, verify, publish
        pkg = _call("package_show", "produsen-disdukcapil", id="penduduk-kecamatan-permintaan")
        assert pkg["sdi_request_id"] == request_id and pkg["state"] == "active"
        jobs.Worker(["default", "satudata_validation"]).work(burst=True)  # the CSV's validation
        metadata = complete_metadata(owner_org="disdukcapil")
        metadata.pop("title")
        _call("package_patch", "produsen-disdukcapil", id=pkg["id"], **metadata)
        _call("satudata_dataset_submit", "produsen-disdukcapil", id=pkg["id"])
        _call("satudata_dataset_verify", "ppid-disdukcapil", id=pkg["id"])
        _call("satudata_dataset_publish", "walidata", id=pkg["id"])

        # step 11: the Forum member sees the dataset and the steps done, and receives
        _as(page, base, "forum", request_path)
        assert page.locator('li[data-dataset="penduduk-kecamatan-permintaan"] a').get_attribute("href").endswith(
            "/dataset/penduduk-kecamatan-permintaan")
        assert page.locator('.satudata-step[data-state="done"]').count() == 10
        _submit(page, "receive")
        assert "Penerimaan data telah dikonfirmasi" in page.content()
        assert page.locator('.satudata-step[data-state="done"]').count() == 11
        assert page.locator(".satudata-request-badge").get_attribute("data-request-status") == "received"
        _shot(page, "7-received")
        browser.close()

    timeline = _call("satudata_request_timeline", "forum", id=request_id)
    assert [s["done_by"] for s in timeline["steps"]] == [
        "forum", "walidata", "pembina", "walidata", "walidata", "produsen-disdukcapil", "produsen-disdukcapil",
        "produsen-disdukcapil", "ppid-disdukcapil", "walidata", "forum"]
