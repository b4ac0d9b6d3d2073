"""The pages hold at 360 px wide, a phone's width (issue 14, item 10): no
horizontal scrolling of the whole page on the request tables, the dataset
list and a dataset page; and on the Peran SDI page (item 9) a revoke button
asks first, and only the confirmed revocation happens."""
import pytest

import ckan.model as model
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests.browser.test_workflow_browser import PASSWORD, _chromium, _login, live_server  # noqa: F401
from tests.conftest import Portal

pytestmark = pytest.mark.usefixtures("clean_queues")

WIDTH = 360


def _request(portal, title):
    req = helpers.call_action("satudata_request_create", {"user": portal.forum["name"]}, title=title,
                              description="Jumlah penduduk per kecamatan menurut jenis kelamin dan kelompok umur.",
                              purpose="Penyusunan RPJMD (Perbup 48/2021)", area_level="kecamatan", years="2022-2024")
    helpers.call_action("satudata_request_dispose", {"user": portal.walidata["name"]}, id=req["id"],
                        organizations=[portal.org_a["name"]], note="Sesuai Arsitektur Data")
    return req


def test_pages_hold_at_360_px_and_revoking_asks_first(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    portal = Portal(password=PASSWORD)
    admin = factories.Sysadmin(name="admin-sempit", password=PASSWORD)
    pkg = portal.walk(portal.dataset(name="penduduk-sempit-dengan-judul-yang-cukup-panjang-untuk-layar-ponsel"),
                      "submit", "verify", "publish")
    req = _request(portal, "Jumlah penduduk menurut kecamatan, jenis kelamin dan kelompok umur 2022-2024")
    _request(portal, "Jumlah sekolah dasar negeri dan swasta per kecamatan")
    model.Session.remove()
    base = live_server()
    res = pkg["resources"][0]["id"]
    pages = {
        None: ["/dataset/", f"/dataset/{pkg['name']}", f"/dataset/{pkg['name']}/resource/{res}", "/permintaan",
               "/user/login"],
        "forum": ["/permintaan/saya", f"/permintaan/{req['id']}", "/satudata/tugas"],
        "walidata": ["/permintaan/kotak-masuk", "/permintaan", "/satudata/tugas", f"/dataset/{pkg['name']}"],
        "producer-a": [f"/permintaan/instansi/{portal.org_a['name']}", "/satudata/tugas", f"/dataset/edit/{pkg['name']}"],
        admin["name"]: ["/ckan-admin/satudata/roles/"],
    }
    wide = []
    with sync_playwright() as p:
        browser = _chromium(p)
        for user, paths in pages.items():
            context = browser.new_context(viewport={"width": WIDTH, "height": 740}, device_scale_factor=1)
            page = context.new_page()
            if user:
                _login(page, base, user)
            for path in paths:
                for prefix in ("", "/en"):
                    page.goto(f"{base}{prefix}{path}")
                    width = page.evaluate("document.scrollingElement.scrollWidth")
                    if width > WIDTH:
                        # the elements that stick out of a parent that does not
                        culprits = page.evaluate("""(w) => [...document.querySelectorAll('body *')]
                            .filter(e => e.getBoundingClientRect().right > w + 1 && e.parentElement
                                    && e.parentElement.getBoundingClientRect().right <= w + 1)
                            .slice(0, 4).map(e => e.tagName + '.' + [...e.classList].join('.')
                                    + ' ' + Math.round(e.getBoundingClientRect().right))""", WIDTH)
                        wide.append(f"{user or 'anonymous'} {prefix}{path}: {width}px {culprits}")
            context.close()

        # Peran SDI: a revoke button asks first; cancelling keeps the grant
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        _login(page, base, admin["name"])
        page.goto(f"{base}/ckan-admin/satudata/roles/?q=ppid-a")
        button = page.locator('tr[data-user="ppid-a"] button[data-action="revoke"]')
        button.click()
        dialog = page.locator(".modal.show")
        dialog.wait_for()
        assert "Cabut peran PPID dari ppid-a?" in dialog.inner_text()
        dialog.locator(".btn-cancel").click()
        dialog.wait_for(state="hidden")
        assert page.locator('tr[data-user="ppid-a"]').count() == 1
        button.click()
        page.locator(".modal.show").wait_for()
        with page.expect_navigation():
            page.locator(".modal.show .modal-footer .btn:not(.btn-cancel)").click()
        assert "Peran PPID dicabut dari ppid-a" in page.content()
        context.close()
        browser.close()
    model.Session.remove()
    assert [g["user_name"] for g in helpers.call_action("satudata_role_list", role="ppid")] == ["ppid-b"]
    assert wide == [], "\n".join(wide)
