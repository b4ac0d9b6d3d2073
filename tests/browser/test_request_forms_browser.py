"""The request page's step forms in headless Chromium (issue 14, items 5, 6
and 11): the Walidata chooses the agencies by title in the searchable list and
the Pembina Data by name, builds the Table Schema as a table of columns (adding,
moving and removing rows with the page's JavaScript), saves a stored schema
unchanged, switches to raw JSON; a form with errors comes back with its input;
anonymous visitors learn what the page is. Both locales where text matters."""
import re

import pytest

import ckan.model as model
import ckan.tests.helpers as helpers

from ckanext.satudata.demo import data as demo
from tests.browser.test_workflow_browser import ARTIFACTS, _chromium, _login, live_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_queues")


def _call(action, user, **data):
    model.Session.remove()  # the server process changed the rows
    return helpers.call_action(action, {"user": user, "ignore_auth": False}, **data)


def _file(title):
    return _call("satudata_request_create", "forum", title=title, description="Untuk RPJMD.",
                 purpose="Perencanaan pembangunan")


def _submit(page, form):
    with page.expect_navigation():
        page.click(f'form[data-form="{form}"] button[type=submit]')


def _row(page, n):
    return page.locator("[data-rows] [data-row]").nth(n)


def _fill_row(page, n, **cells):
    row = _row(page, n)
    for column, value in cells.items():
        cell = row.locator(f'[data-column="{column}"]')
        if column == "type":
            cell.select_option(value)
        elif column in ("required", "unique"):
            cell.set_checked(bool(value))
        else:
            cell.fill(value)


def test_the_walidata_fills_the_step_forms_in_a_browser(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    list(demo.load_people())
    req = _file("Jumlah penduduk per kecamatan (formulir)")
    path = f"/permintaan/{req['id']}"
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        _login(page, base, "walidata")
        page.goto(f"{base}{path}")

        # step 2: the agency is found by typing part of its title in the searchable list
        page.wait_for_selector('form[data-form="dispose"] .select2-container')
        page.click('form[data-form="dispose"] .select2-selection')
        page.keyboard.type("Kependudukan")
        page.wait_for_selector('.select2-results__option:has-text("Dinas Kependudukan dan Pencatatan Sipil")')
        page.keyboard.press("Enter")
        assert page.locator("#field-organizations").evaluate("s => [...s.selectedOptions].map(o => o.value)") == [
            "disdukcapil"]
        page.screenshot(path=str(ARTIFACTS / "request-forms-dispose.png"))
        _submit(page, "dispose")
        assert "Permintaan telah didisposisikan ke perangkat daerah" in page.content()
        assert [o["name"] for o in _call("satudata_request_show", "walidata", id=req["id"])["organizations"]] == [
            "disdukcapil"]

        # step 3: the Pembina Data by name (and institution), from those holding the role
        labels = page.locator("#field-pembina option").all_inner_texts()
        assert "Pembina Data BPS Kabupaten Sumedang (BPS)" in labels
        page.select_option("#field-pembina", label="Pembina Data BPS Kabupaten Sumedang (BPS)")
        _submit(page, "ask_recommendation")
        assert _call("satudata_request_show", "walidata", id=req["id"])["pembina"] == "pembina"
        _call("satudata_request_recommend", "pembina", id=req["id"], number="B-9/2026", date="2026-11-20",
              text="Gunakan data administrasi")

        # step 4: the column table, rows added, moved and removed by the page's script
        page.goto(f"{base}{path}")
        page.wait_for_selector("[data-action=add-column]")
        assert page.locator("#field-table_schema").is_hidden()  # raw JSON is the advanced option
        _fill_row(page, 0, name="jumlah", title="Jumlah penduduk", type="integer", required=True, minimum="0")
        _fill_row(page, 1, name="kecamatan", title="Kecamatan", type="string", required=True, unique=True,
                  enum="Jatinangor, Tanjungsari")
        _fill_row(page, 2, name="dihapus", type="string")
        page.click("[data-action=add-column]")
        _fill_row(page, 3, name="tahun", type="year", minimum="2020", maximum="2030",
                  description="Tahun data")
        _row(page, 2).locator('[data-row-action="remove"]').click()
        _row(page, 1).locator('[data-row-action="up"]').click()  # kecamatan first
        page.fill("#field-metadata_template", '{"sdi_unit": "orang"}')
        page.screenshot(path=str(ARTIFACTS / "request-forms-columns.png"), full_page=True)
        _submit(page, "set_format")
        assert "Format dataset telah disimpan" in page.content()
        stored = _call("satudata_request_show", "walidata", id=req["id"])
        assert stored["table_schema"] == {"fields": [
            {"name": "kecamatan", "title": "Kecamatan", "type": "string",
             "constraints": {"required": True, "unique": True, "enum": ["Jatinangor", "Tanjungsari"]}},
            {"name": "jumlah", "title": "Jumlah penduduk", "type": "integer",
             "constraints": {"required": True, "minimum": 0}},
            {"name": "tahun", "type": "year", "description": "Tahun data",
             "constraints": {"minimum": 2020, "maximum": 2030}},
        ]}
        assert stored["metadata_template"] == {"sdi_unit": "orang"}

        # a schema with what the table does not show, saved unchanged, is stored identical
        schema = {"fields": [{"name": "kode", "type": "string", "format": "default",
                              "constraints": {"required": False, "minLength": 5}},
                             {"name": "jumlah", "type": "integer", "constraints": {"minimum": "0", "enum": [1, 2]}},
                             {"name": "catatan"}],
                  "primaryKey": "kode", "missingValues": ["", "-"]}
        _call("satudata_request_set_format", "walidata", id=req["id"], table_schema=schema)
        page.goto(f"{base}{path}")
        page.wait_for_selector("[data-action=add-column]")
        _submit(page, "set_format")
        assert _call("satudata_request_show", "walidata", id=req["id"])["table_schema"] == schema

        # raw JSON, chosen as the advanced option
        page.wait_for_selector("[data-action=add-column]")
        page.check('input[data-mode-choice="json"]')
        assert page.locator("[data-rows]").is_hidden() and page.locator("#field-table_schema").is_visible()
        assert page.locator("[data-json-note]").is_hidden()
        # the JSON is not rewritten from the table: after an edit in the table the page says so
        page.check('input[data-mode-choice="columns"]')
        _fill_row(page, 0, title="Diubah di tabel")
        page.check('input[data-mode-choice="json"]')
        assert page.locator("[data-json-note]").is_visible()
        page.fill("#field-table_schema", '{"fields": [{"name": "x", "type": "integer"}], "missingValues": ["NA"]}')
        _submit(page, "set_format")
        assert _call("satudata_request_show", "walidata", id=req["id"])["table_schema"] == {
            "fields": [{"name": "x", "type": "integer"}], "missingValues": ["NA"]}
        browser.close()


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_refused_form_keeps_its_input_beside_the_errors(live_server, lang):  # noqa: F811
    from playwright.sync_api import sync_playwright

    list(demo.load_people())
    req = _file(f"Angka kelahiran ({lang})")
    _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"])
    _call("satudata_request_recommend", "walidata", id=req["id"], not_needed=True, reason="Data administrasi")
    prefix = "" if lang == "id" else "/en"
    base = live_server()
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _login(page, base, "walidata")
        page.goto(f"{base}{prefix}/permintaan/{req['id']}")
        page.wait_for_selector("[data-action=add-column]")
        _fill_row(page, 0, name="kecamatan", type="string", title="Kecamatan")
        _fill_row(page, 1, name="", title="Tanpa nama", type="integer", maximum="banyak")
        _submit(page, "set_format")
        # the page opens at the form, with the input as typed and the errors in their cells
        assert page.url.endswith("#satudata-form-set_format")
        assert page.locator("#satudata-form-set_format").is_visible()
        assert page.evaluate("window.scrollY") > 0
        assert _row(page, 0).locator('[data-column="name"]').input_value() == "kecamatan"
        assert _row(page, 1).locator('[data-column="title"]').input_value() == "Tanpa nama"
        assert _row(page, 1).locator('[data-column="maximum"]').input_value() == "banyak"
        name_error = _row(page, 1).locator("td").nth(0).locator(".error-block").inner_text()
        max_error = _row(page, 1).locator("td").nth(8).locator(".error-block").inner_text()
        assert (name_error, max_error) == {"id": ("Beri nama kolom ini", "Harus berupa bilangan bulat"),
                                           "en": ("Give the column a name", "Must be a whole number")}[lang]
        page.screenshot(path=str(ARTIFACTS / f"request-forms-errors-{lang}.png"))
        # the reject form keeps its text too
        page.fill("#field-reject-reason", "x" * 10001)
        _submit(page, "reject")
        assert page.locator("#field-reject-reason").input_value() == "x" * 10001
        assert page.locator('form[data-form="reject"] .error-block').inner_text() == {
            "id": "Paling banyak 10000 karakter", "en": "At most 10000 characters"}[lang]
        assert _call("satudata_request_show", "walidata", id=req["id"])["status"] == "recommended"

        # anonymous: what the page is, how to file one, and the header's link
        page.context.clear_cookies()
        page.goto(f"{base}{prefix}/dataset/")
        with page.expect_navigation():
            page.click(f'header a[href="{prefix}/permintaan"]')
        intro = page.locator(".satudata-request-intro").inner_text()
        assert {"id": "Apa itu permintaan data?", "en": "What is a data request?"}[lang] in intro
        with page.expect_navigation():
            page.click("a[data-action=login]")
        assert re.search(r"/user/login", page.url)
        browser.close()
