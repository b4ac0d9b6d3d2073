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
             headers={"Authorization": _token(portal.ppid_b)}, status=403)
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
