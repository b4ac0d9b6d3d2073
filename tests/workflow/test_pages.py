"""The workflow pages over HTTP: buttons only for allowed transitions, 403s, tasks."""
import pytest

import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _token(user):
    return helpers.call_action("api_token_create", user=user["name"], name="t")["token"]


def test_dataset_page_shows_badge_and_only_allowed_buttons(portal, app):
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    page = app.get("/dataset/ds", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    assert 'data-status="submitted"' in page
    assert 'data-action="verify"' in page and 'data-action="reject"' in page
    assert 'data-action="publish"' not in page
    page = app.get("/dataset/ds", headers={"Authorization": _token(portal.walidata)}).get_data(as_text=True)
    assert 'data-status="submitted"' in page and 'data-action=' not in page
    history = helpers.call_action("satudata_dataset_history", id=pkg["id"])
    assert len(history) == 2


def test_transition_form_posts_and_403s_for_the_wrong_role(portal, app):
    portal.walk(portal.dataset(name="ds"), "submit")
    app.post("/dataset/ds/satudata/transition", data={"action": "verify"},
             headers={"Authorization": _token(portal.walidata)}, status=403)
    # another agency's PPID may not read it: as for an unknown dataset (issue 11)
    app.post("/dataset/ds/satudata/transition", data={"action": "verify"},
             headers={"Authorization": _token(portal.ppid_b)}, status=404)
    app.post("/dataset/ds/satudata/transition", data={"action": "verify"},
             headers={"Authorization": _token(portal.ppid_a)}, status=200, follow_redirects=True)
    assert helpers.call_action("package_show", id="ds")["sdi_status"] == "verified"


def test_tasks_page_lists_the_ppid_queue(portal, app):
    portal.walk(portal.dataset(name="ds", title="Data untuk diverifikasi"), "submit")
    page = app.get("/satudata/tugas", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    assert "Data untuk diverifikasi" in page
    page = app.get("/satudata/tugas", headers={"Authorization": _token(portal.ppid_b)}).get_data(as_text=True)
    assert "Data untuk diverifikasi" not in page
    app.get("/satudata/tugas", status=401)


def test_task_list_action_per_role(portal):
    pkg = portal.walk(portal.dataset(name="ds"), "submit", "verify")
    assert [d["name"] for d in helpers.call_action("satudata_task_list", {"user": portal.walidata["name"]})["to_publish"]] == ["ds"]
    assert helpers.call_action("satudata_task_list", {"user": portal.ppid_a["name"]})["to_publish"] == []
    helpers.call_action("satudata_dataset_reject", {"user": portal.walidata["name"]}, id=pkg["id"], reason="Perbaiki satuan")
    assert [d["name"] for d in helpers.call_action("satudata_task_list", {"user": portal.producer_a["name"]})["to_revise"]] == ["ds"]


def test_verify_form_shows_the_classification_fields_only_to_the_ppid(portal, app):
    portal.walk(portal.dataset(name="ds", sdi_classification="terbatas"), "submit")
    page = app.get("/dataset/ds", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    assert 'id="satudata-verify-fields"' in page
    assert '<option value="terbatas" selected>Terbatas (dibagipakaikan antarinstansi)</option>' in page
    assert 'name="sdi_exemption_basis" value="pasal17_h"' in page
    assert "Pasal 17 huruf h: mengungkap rahasia pribadi" in page and "Uji Konsekuensi" in page
    page = app.get("/dataset/ds", headers={"Authorization": _token(portal.producer_a)}).get_data(as_text=True)
    assert 'id="satudata-verify-fields"' not in page


def test_ppid_verifies_restricted_data_through_the_form(portal, app):
    portal.walk(portal.dataset(name="ds", sdi_classification="terbatas"), "submit")
    headers = {"Authorization": _token(portal.ppid_a)}
    resp = app.post("/dataset/ds/satudata/transition", headers=headers, follow_redirects=True,
                    data={"action": "verify", "sdi_classification": "terbatas", "sdi_consequence_test": "Uji PPID"})
    page = resp.get_data(as_text=True)
    assert "Dasar Pengecualian: Data nonpublik wajib mencantumkan Dasar Pengecualian (Pasal 17 UU KIP)" in page
    assert helpers.call_action("package_show", id="ds")["sdi_status"] == "submitted"

    resp = app.post("/dataset/ds/satudata/transition", headers=headers, follow_redirects=True, data={
        "action": "verify", "sdi_classification": "dikecualikan", "note": "Sesuai",
        "sdi_exemption_basis": ["pasal17_h", "pasal17_j"],
        "sdi_consequence_test": "Uji konsekuensi No. 2/2026: data per desa mengungkap identitas."})
    assert "Berhasil: dataset kini berstatus" in resp.get_data(as_text=True)
    pkg = helpers.call_action("package_show", id="ds")
    assert pkg["sdi_status"] == "verified"
    assert pkg["sdi_classification"] == "dikecualikan"
    assert pkg["sdi_exemption_basis"] == ["pasal17_h", "pasal17_j"]
    assert pkg["sdi_consequence_test"].startswith("Uji konsekuensi No. 2/2026")


def test_reject_ignores_the_verify_fields(portal, app):
    portal.walk(portal.dataset(name="ds", sdi_classification="terbatas"), "submit")
    app.post("/dataset/ds/satudata/transition", headers={"Authorization": _token(portal.ppid_a)},
             data={"action": "reject", "note": "Perbaiki", "sdi_classification": "data_umum",
                   "sdi_exemption_basis": ["pasal17_h"]}, follow_redirects=True)
    pkg = helpers.call_action("package_show", id="ds")
    assert (pkg["sdi_status"], pkg["sdi_classification"]) == ("rejected", "terbatas")
    assert not pkg.get("sdi_exemption_basis")


def _history(app, token=None):
    headers = {"Authorization": token} if token else {}
    return app.get("/api/3/action/satudata_dataset_history?id=ds", headers=headers).json["result"]


def _published_with_notes(portal):
    pkg = portal.dataset(name="ds")
    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"],
                        note="Mohon dicek, Pak Budi")
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"], note="Sesuai")
    helpers.call_action("satudata_dataset_publish", {"user": portal.walidata["name"]}, id=pkg["id"])
    return pkg


_PUBLIC_KEYS = {"id", "package_id", "action", "from_status", "to_status", "created"}


def test_history_hides_who_and_notes_from_outsiders(portal, app):
    _published_with_notes(portal)
    for token in (None, _token(portal.plain), _token(portal.ppid_b), _token(portal.producer_b)):
        rows = _history(app, token)
        assert [r["action"] for r in rows] == ["create", "submit", "verify", "publish"]
        assert [r["to_status"] for r in rows][-1] == "published" and all(r["created"] for r in rows)
        assert all(set(r) == _PUBLIC_KEYS for r in rows), rows
    page = app.get("/dataset/ds").get_data(as_text=True)
    assert "Mohon dicek, Pak Budi" not in page and portal.producer_a["fullname"] not in page


def test_history_shows_who_and_notes_to_the_agency_its_ppid_and_the_walidata(portal, app):
    _published_with_notes(portal)
    for user in (portal.producer_a, portal.ppid_a, portal.walidata, portal.sysadmin):
        rows = _history(app, _token(user))
        submit = next(r for r in rows if r["action"] == "submit")
        assert (submit["user_name"], submit["note"]) == ("producer-a", "Mohon dicek, Pak Budi"), user["name"]
        assert submit["user_display_name"] == portal.producer_a["fullname"]


@pytest.mark.ckan_config("ckan.auth.public_user_details", "true")
def test_public_user_details_shows_who_to_logged_in_readers_only(portal, app):
    _published_with_notes(portal)
    submit = next(r for r in _history(app, _token(portal.plain)) if r["action"] == "submit")
    assert submit["user_name"] == "producer-a"
    assert all(set(r) == _PUBLIC_KEYS for r in _history(app))
