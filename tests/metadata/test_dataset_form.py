"""The dataset form: no Visibility select (the status decides), and a warning
before editing a published dataset."""
import pytest

import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

WARNING = "Menyimpan perubahan akan mengembalikannya ke status draf dan mengeluarkannya dari katalog publik"


def _auth(user):
    token = helpers.call_action("api_token_create", user=user["name"], name="t")["token"]
    return {"Authorization": token}


def test_new_and_edit_forms_have_no_visibility_select(portal, app):
    portal.dataset(name="ds")
    headers = _auth(portal.producer_a)
    for url in ("/dataset/new", "/dataset/edit/ds"):
        page = app.get(url, headers=headers).get_data(as_text=True)
        assert 'name="owner_org"' in page, url
        assert 'name="private"' not in page and 'id="field-private"' not in page, url


def test_saving_the_form_keeps_a_draft_private(portal, app):
    pkg = portal.dataset(name="ds")
    form = {k: v for k, v in pkg.items() if k.startswith("sdi_") and isinstance(v, str) and k != "sdi_status"}
    form.update(name="ds", title="Judul baru", notes=pkg["notes"], license_id=pkg["license_id"],
                owner_org=pkg["owner_org"], tag_string="penduduk", save="")
    app.post("/dataset/edit/ds", data=form, headers=_auth(portal.producer_a), follow_redirects=True)
    saved = helpers.call_action("package_show", id="ds")
    assert saved["title"] == "Judul baru"
    assert saved["private"] is True and saved["sdi_status"] == "draft"


@pytest.mark.parametrize("steps, warned", [
    ((), False),
    (("submit", "verify", "publish"), True),
])
def test_edit_form_warns_only_for_a_published_dataset(portal, app, steps, warned):
    portal.walk(portal.dataset(name="ds"), *steps)
    page = app.get("/dataset/edit/ds", headers=_auth(portal.producer_a)).get_data(as_text=True)
    assert (WARNING in page) is warned
    assert ("satudata-published-edit-warning" in page) is warned


def test_warning_in_english(portal, app):
    portal.walk(portal.dataset(name="ds"), "submit", "verify", "publish")
    page = app.get("/en/dataset/edit/ds", headers=_auth(portal.producer_a)).get_data(as_text=True)
    assert "Saving changes returns it to draft and takes it out of the public catalogue" in page
