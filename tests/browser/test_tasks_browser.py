"""Login lands on "Tugas saya" (issue 14, items 3 and 4): each demo role logs
in, in headless Chromium against a live `ckan run`, in Bahasa Indonesia and
in English, lands on its task page and sees its queues, the same as
satudata_task_list answers for it; a returned dataset says why and is
resubmitted with a note the PPID reads."""
import pytest

import ckan.model as model
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.demo import data as demo
from tests.browser.test_workflow_browser import ARTIFACTS, _chromium, live_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_queues")

# demo user -> (a queue of theirs, a title the demo puts in it)
ROLES = {
    "walidata": ("walidata_requests", "Jumlah penduduk miskin per desa"),
    "pembina": ("recommendations", "Jumlah tenaga kesehatan per puskesmas"),
    "produsen-disdik": ("agency_requests", "Angka partisipasi sekolah menurut kecamatan"),
    "ppid-dinkes": ("to_verify", "Jumlah Puskesmas"),
    "forum": ("delivered", "Kasus gizi buruk balita per kecamatan"),
}
HEADING = {"": "Tugas saya", "/en": "My tasks"}


def _login(page, base, prefix, name):
    """The login form of the locale's URL, as a person fills it."""
    page.context.clear_cookies()
    page.goto(f"{base}{prefix}/user/login")
    page.fill("#field-login", name)
    page.fill("#field-password", demo.PASSWORD)
    with page.expect_navigation():
        page.click("form.form-horizontal button[type=submit], form button.btn-primary")
    page.wait_for_load_state()


def test_each_demo_role_lands_on_its_tasks_in_both_languages(live_server):  # noqa: F811
    list(demo.load())
    jobs.get_queue().empty()
    model.Session.remove()
    expected = {}
    for user in ROLES:
        tasks = helpers.call_action("satudata_task_list", {"user": user, "ignore_auth": False})
        expected[user] = {q["key"]: [row["id"] for row in tasks[q["key"]]] for q in tasks["queues"]}
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for prefix in ("", "/en"):
            for user, (key, title) in ROLES.items():
                _login(page, base, prefix, user)
                assert page.url == f"{base}{prefix}/satudata/tugas", (user, prefix, page.url)
                assert page.locator("h1").first.inner_text().strip() == HEADING[prefix], (user, prefix)
                sections = page.eval_on_selector_all(
                    "section[data-section]", "els => els.map(e => [e.dataset.section, "
                    "Array.from(e.querySelectorAll('tr[data-id]')).map(r => r.dataset.id)])")
                assert dict(sections) == expected[user], (user, prefix)
                assert [s for s, _ in sections] == list(expected[user]), (user, prefix)
                queue = page.locator(f"section[data-section={key}]")
                assert title in queue.inner_text(), (user, prefix, key)
                if prefix == "":
                    page.screenshot(path=str(ARTIFACTS / f"tasks-{user}.png"), full_page=True)

        # item 4: the PPID returns a dataset; its producer reads why on the
        # task page and at the top of the dataset's page, and resubmits it
        # with a note of what was fixed, which the PPID reads in both places
        helpers.call_action("satudata_dataset_reject", {"user": "ppid-dinkes", "ignore_auth": False},
                            id="jumlah-puskesmas", reason="Satuan harus unit, bukan buah")
        model.Session.remove()
        _login(page, base, "", "produsen-dinkes")
        returned = page.locator("section[data-section=to_revise]")
        assert "Jumlah Puskesmas" in returned.inner_text()
        assert "Satuan harus unit, bukan buah" in returned.inner_text()
        with page.expect_navigation():
            returned.locator("a[href='/dataset/jumlah-puskesmas']").click()
        notice = page.locator("#satudata-review-notice")
        assert notice.get_attribute("data-kind") == "returned"
        assert "Satuan harus unit, bukan buah" in notice.inner_text()
        page.fill("#satudata-fixed-note", "Satuan diganti menjadi unit")
        page.screenshot(path=str(ARTIFACTS / "tasks-returned-dataset.png"), full_page=True)
        with page.expect_navigation():
            page.click("button[data-action=resubmit]")
        assert page.locator(".satudata-badge[data-status]").get_attribute("data-status") == "submitted"

        _login(page, base, "/en", "ppid-dinkes")
        assert page.url == f"{base}/en/satudata/tugas"
        queue = page.locator("section[data-section=to_verify]")
        assert "Submitted again after revision" in queue.inner_text()
        assert "Satuan diganti menjadi unit" in queue.inner_text()
        with page.expect_navigation():
            queue.locator("a[href='/en/dataset/jumlah-puskesmas']").click()
        notice = page.locator("#satudata-review-notice")
        assert notice.get_attribute("data-kind") == "resubmitted"
        assert "Satuan diganti menjadi unit" in notice.inner_text()
        assert "Satuan harus unit, bukan buah" in notice.inner_text()
        page.screenshot(path=str(ARTIFACTS / "tasks-resubmitted-dataset.png"), full_page=True)
        browser.close()
    model.Session.remove()
    history = helpers.call_action("satudata_dataset_history", id="jumlah-puskesmas")
    assert (history[-1]["action"], history[-1]["note"], history[-1]["user_name"]) == (
        "submit", "Satuan diganti menjadi unit", "produsen-dinkes")
