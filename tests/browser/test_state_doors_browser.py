"""Issue 14, item 1, in headless Chromium: the edit page of an SDI dataset
(a draft its producer edits, one under review a sysadmin edits) has no core
"Unpublish" ("Batalkan penerbitan") button, in both locales; saving it keeps
the dataset's state and status."""
import ckan.model as model
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests.browser.test_workflow_browser import PASSWORD, _chromium, _click, _login, _logout, live_server  # noqa: F401
from tests.conftest import Portal

UNPUBLISH = "button[value=go-metadata-unpublish]"


def test_the_edit_page_has_no_unpublish_button_in_chromium(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    portal = Portal(password=PASSWORD)
    sysadmin = factories.Sysadmin(name="sysadmin-peramban", password=PASSWORD)
    draft = portal.dataset(name="pintu-peramban-draf")
    submitted = portal.walk(portal.dataset(name="pintu-peramban-diajukan"), "submit")
    base = live_server()
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for user, pkg in ((portal.producer_a, draft), (sysadmin, submitted)):
            _login(page, base, user["name"])
            for locale, word in (("", "Batalkan penerbitan"), ("/en", "Unpublish")):
                page.goto(f"{base}{locale}/dataset/edit/{pkg['name']}")
                actions = page.locator("#dataset-edit .form-actions")
                assert actions.locator("button[name=save]").count() == 1, (user["name"], locale)
                assert page.locator(UNPUBLISH).count() == 0, (user["name"], locale)
                assert word not in actions.inner_text(), (user["name"], locale, actions.inner_text())
            _click(page, "#dataset-edit .form-actions button[name=save]")  # save unchanged
            assert f"/dataset/{pkg['name']}" in page.url and "/edit/" not in page.url, page.url
            _logout(page, base)
        browser.close()
    model.Session.remove()  # the server process changed the rows
    for pkg, status in ((draft, "draft"), (submitted, "submitted")):
        stored = helpers.call_action("package_show", id=pkg["id"])
        assert (stored["state"], stored["sdi_status"], stored["private"]) == ("active", status, True)
