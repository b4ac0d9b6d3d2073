"""Every transition x every role: allowed ones succeed, the others are refused."""
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

ROLES = ("anonymous", "plain", "forum", "producer_a", "producer_b", "ppid_a", "ppid_b", "pembina", "walidata", "sysadmin")

# action -> (state the dataset is brought to first, roles allowed)
TABLE = {
    "submit": ((), {"producer_a", "sysadmin"}),
    "verify": (("submit",), {"ppid_a", "sysadmin"}),
    "reject/submitted": (("submit",), {"ppid_a", "sysadmin"}),
    "reject/verified": (("submit", "verify"), {"ppid_a", "walidata", "sysadmin"}),
    "publish": (("submit", "verify"), {"walidata", "sysadmin"}),
    "unpublish": (("submit", "verify", "publish"), {"walidata", "sysadmin"}),
}


def _user(portal, role):
    return "" if role == "anonymous" else getattr(portal, role)["name"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", sorted(TABLE))
def test_transition_permissions(portal, transition, role):
    before, allowed = TABLE[transition]
    pkg = portal.walk(portal.dataset(name="ds"), *before)
    action = transition.split("/")[0]
    params = {"id": pkg["id"]}
    if action in ("reject", "unpublish"):
        params["reason"] = "Perlu perbaikan"
    context = {"user": _user(portal, role), "ignore_auth": False}
    if role in allowed:
        result = helpers.call_action(f"satudata_dataset_{action}", context, **params)
        assert result["sdi_status"] == {"submit": "submitted", "verify": "verified", "reject": "rejected",
                                        "publish": "published", "unpublish": "verified"}[action]
    else:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action(f"satudata_dataset_{action}", context, **params)
        assert model.Package.get(pkg["id"]).extras["sdi_status"] == pkg["sdi_status"]


def test_refused_over_http_with_403(portal, app):
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    token = helpers.call_action("api_token_create", user=portal.producer_b["name"], name="t")["token"]
    resp = app.post("/api/3/action/satudata_dataset_verify", json={"id": pkg["id"]},
                    headers={"Authorization": token}, status=403)
    assert resp.json["success"] is False


@pytest.mark.parametrize("path", ["package_update", "package_patch", "package_create"])
def test_core_actions_cannot_change_status_or_publish(portal, path):
    pkg = portal.dataset(name="ds")
    user = {"user": portal.sysadmin["name"], "ignore_auth": False}
    if path == "package_create":
        created = helpers.call_action("package_create", user, name="ds2", title="x", owner_org=portal.org_a["id"],
                                      sdi_status="published", private=False)
        assert created["sdi_status"] == "draft" and created["private"] is True
        return
    data = dict(pkg, sdi_status="published", private=False) if path == "package_update" else \
        {"id": pkg["id"], "sdi_status": "published", "private": False}
    updated = helpers.call_action(path, user, **data)
    assert updated["sdi_status"] == "draft" and updated["private"] is True


def test_package_revise_cannot_publish(portal):
    pkg = portal.dataset(name="ds")
    out = helpers.call_action("package_revise", {"user": portal.sysadmin["name"], "ignore_auth": False},
                              match={"id": pkg["id"]}, update={"sdi_status": "published", "private": False})
    assert out["package"]["sdi_status"] == "draft" and out["package"]["private"] is True


@pytest.mark.parametrize("action", ["bulk_update_public", "bulk_update_private"])
def test_bulk_actions_refuse_sdi_datasets(portal, action):
    pkg = portal.dataset(name="ds")
    with pytest.raises(tk.ValidationError):
        helpers.call_action(action, {"user": portal.sysadmin["name"]}, datasets=[pkg["id"]], org_id=portal.org_a["id"])


def test_producer_cannot_edit_under_review_but_edit_after_publication_returns_to_draft(portal, app):
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    ctx = {"user": portal.producer_a["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_patch", ctx, id=pkg["id"], notes="changed")
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_patch", ctx, id=pkg["id"], notes="changed")
    helpers.call_action("satudata_dataset_publish", {"user": portal.walidata["name"]}, id=pkg["id"])
    edited = helpers.call_action("package_patch", ctx, id=pkg["id"], notes="changed after publication")
    assert edited["sdi_status"] == "draft" and edited["private"] is True
    assert app.get(f"/dataset/{pkg['name']}", status=None).status_code == 404
    history = helpers.call_action("satudata_dataset_history", id=pkg["id"])
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("create", None, "draft"), ("submit", "draft", "submitted"), ("verify", "submitted", "verified"),
        ("publish", "verified", "published"), ("edit", "published", "draft")]
    assert history[1]["user_name"] == "producer-a" and history[3]["user_name"] == "walidata"


def test_reject_needs_a_reason_and_submit_names_what_fails(portal):
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"], reason="  ")
    assert "reason" in err.value.error_dict
    incomplete = portal.dataset(name="incomplete", sdi_concept="", sdi_unit="", resource=False)
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=incomplete["id"])
    assert {"sdi_concept", "sdi_unit", "interoperabilitas", "standar_data"} <= set(err.value.error_dict)


def test_concurrent_transition_loses_with_a_clear_error(portal):
    """Two PPID verifications of one dataset: the second finds it verified."""
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"])
    with pytest.raises(tk.ValidationError) as err:
        helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"])
    assert "sdi_status" in err.value.error_dict
