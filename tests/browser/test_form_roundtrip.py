"""Every demo dataset opened in its edit form and saved unchanged, in
headless Chromium (Debian's, driven by Playwright) against a live `ckan
run`, in both languages: package_show is the same before and after (issue
14: "Editing clears Data Prioritas"). The form's own scripts run (select2 on
the licence, tags and agencies, the URL slug), as they do for its users."""
import pytest

import ckan.model as model
import ckan.tests.helpers as helpers

from ckanext.satudata.demo import data as demo
from tests.browser.test_workflow_browser import ARTIFACTS, _chromium, _login, live_server  # noqa: F401

pytestmark = pytest.mark.usefixtures("clean_queues")

# What a save that changes nothing may still change.
VOLATILE = {"metadata_modified"}
UNDER_REVIEW = ("submitted", "verified")


def _show(name):
    model.Session.remove()  # the server process changed the row
    return helpers.call_action("package_show", id=name)


def _stored(resource, key):
    """A resource field as stored: an upload's URL is its file name (package_show
    builds the rest from the site URL and language of the request that last
    indexed the dataset: the live server's, in English on /en/ pages)."""
    value = resource.get(key)
    if key == "url" and resource.get("url_type") == "upload" and isinstance(value, str):
        return value.rsplit("/", 1)[-1]
    return value


def _differences(before, after, ignore):
    """The fields that changed (for resources, the resource fields that changed)."""
    out = {k: (before.get(k), after.get(k)) for k in set(before) | set(after)
           if k not in ignore and k != "resources" and before.get(k) != after.get(k)}
    old, new = before.get("resources") or [], after.get("resources") or []
    if [r["id"] for r in old] != [r["id"] for r in new]:
        out["resources"] = ([r["id"] for r in old], [r["id"] for r in new])
    for a, b in zip(old, new):
        for k in set(a) | set(b):
            if _stored(a, k) != _stored(b, k):
                out[f"resources.{a['id'][:8]}.{k}"] = (a.get(k), b.get(k))
    return out


def _editor(spec, status):
    """Who may open the form now: the producer, or a sysadmin while it is under review."""
    return "admin" if status in UNDER_REVIEW else spec["by"]


def test_every_demo_dataset_saved_unchanged_in_its_edit_form_keeps_every_field(live_server):  # noqa: F811
    from playwright.sync_api import sync_playwright

    list(demo.load())
    model.Session.remove()
    names = [spec["name"] for spec in demo.DATASETS]
    assert {_show(n)["sdi_status"] for n in names} == {"draft", "submitted", "verified", "published"}
    assert _show("jumlah-penduduk-per-kecamatan")["sdi_priority"] is True
    assert _show("kasus-gizi-buruk-balita")["sdi_exemption_basis"]  # the PPID's, kept from its producer
    base = live_server()
    ARTIFACTS.mkdir(exist_ok=True)
    problems = {}
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        user = None
        for lang, prefix in (("id", ""), ("en", "/en")):
            for spec in demo.DATASETS:
                name = spec["name"]
                before = _show(name)
                editor = _editor(spec, before["sdi_status"])
                if editor != user:
                    page.context.clear_cookies()
                    _login(page, base, editor, demo.PASSWORD)
                    user = editor
                page.goto(f"{base}{prefix}/dataset/edit/{name}")
                page.wait_for_selector("#s2id_field-sdi_shared_with, .select2-container",
                                       state="attached")  # CKAN's modules have run
                page.wait_for_load_state("networkidle")
                assert page.locator("fieldset.satudata-form-section").count() == 5, (lang, name)
                if name == "jumlah-penduduk-per-kecamatan":
                    # the reported bug: "Ya" opened as the blank option and was saved as False
                    assert page.locator("#field-sdi_priority").input_value() == "true"
                    label = page.locator("#field-sdi_priority option:checked").inner_text().strip()
                    assert label == {"id": "Ya", "en": "Yes"}[lang]
                    page.screenshot(path=str(ARTIFACTS / f"dataset-form-sections-{lang}.png"), full_page=True)
                with page.expect_navigation():
                    page.click("form#dataset-edit .form-actions button.btn-primary[name=save]")
                assert page.url.rstrip("/").endswith(f"/dataset/{name}"), (lang, name, page.url)
                # a published dataset saved unchanged stays published (sdi_status, private compared too)
                changed = _differences(before, _show(name), VOLATILE)
                if changed:
                    problems[(lang, name, editor)] = changed
        browser.close()
    assert problems == {}
    for name in names:  # the PPID's decision and the producer's answers are still there
        shown = _show(name)
        spec = next(s for s in demo.DATASETS if s["name"] == name)
        assert shown.get("sdi_priority") is (True if spec.get("sdi_priority") == "true" else None), name
    assert _show("kasus-gizi-buruk-balita")["sdi_exemption_basis"] == ["pasal17_h"]
    assert _show("kasus-gizi-buruk-balita")["sdi_shared_with"] == [model.Group.get("dinas-pendidikan").id]
