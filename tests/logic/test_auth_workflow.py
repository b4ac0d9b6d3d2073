"""Every transition x every role, called directly and over HTTP: allowed ones
succeed and leave one history row and one activity, the others are refused
(403 over HTTP; 404 for a role that may not read the dataset, as for an
unknown one) and change nothing."""
import itertools

import pytest
from sqlalchemy import func, select

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckanext.activity.model import Activity

from ckanext.satudata.model import DatasetEvent
from tests.conftest import Portal

ROLES = ("anonymous", "plain", "forum", "producer_a", "admin_a", "producer_b", "ppid_a", "ppid_b", "pembina",
         "walidata", "sysadmin")

# transition (/the state it starts from) -> (steps that bring the dataset there, roles allowed)
TABLE = {
    "submit": ((), {"producer_a", "admin_a", "sysadmin"}),
    "submit/rejected": (("submit", "reject"), {"producer_a", "admin_a", "sysadmin"}),
    "verify": (("submit",), {"ppid_a", "sysadmin"}),
    "reject/submitted": (("submit",), {"ppid_a", "sysadmin"}),
    "reject/verified": (("submit", "verify"), {"ppid_a", "walidata", "sysadmin"}),
    "publish": (("submit", "verify"), {"walidata", "sysadmin"}),
    "unpublish": (("submit", "verify", "publish"), {"walidata", "sysadmin"}),
}
# action -> (stored status, private) after it (the datasets are data_umum)
AFTER = {"submit": ("submitted", True), "verify": ("verified", True), "reject": ("rejected", True),
         "publish": ("published", False), "unpublish": ("verified", True)}
ACTORS = {"submit": "producer_a", "verify": "ppid_a", "reject": "ppid_a", "publish": "walidata"}

_names = itertools.count()


def _user(portal, role):
    return "" if role == "anonymous" else getattr(portal, role)["name"]


def _params(action: str, pkg_id: str) -> dict:
    return {"id": pkg_id, "reason": "Perlu perbaikan"} if action in ("reject", "unpublish") else {"id": pkg_id}


def _bring(portal: Portal, steps) -> dict:
    pkg = portal.dataset(name=f"table-{next(_names)}")
    for step in steps:
        helpers.call_action(f"satudata_dataset_{step}", {"user": getattr(portal, ACTORS[step])["name"]},
                            **_params(step, pkg["id"]))
    return helpers.call_action("package_show", id=pkg["id"])


def _trail(pkg_id: str) -> tuple[int, list]:
    model.Session.remove()
    events = model.Session.scalar(select(func.count()).select_from(DatasetEvent)
                                  .where(DatasetEvent.package_id == pkg_id))
    activities = [a.data.get("satudata_transition") for a in model.Session.scalars(
        select(Activity).where(Activity.object_id == pkg_id).order_by(Activity.timestamp))]
    return events, activities


def _stored(pkg_id: str) -> tuple[str, bool]:
    model.Session.remove()
    pkg = model.Package.get(pkg_id)
    return pkg.extras["sdi_status"], pkg.private


def _call(portal, app, via: str, role: str, action: str, pkg_id: str):
    """The outcome of one call: ("ok", status) or ("refused", http status or None)."""
    params = _params(action, pkg_id)
    if via == "http":
        headers = {} if role == "anonymous" else {"Authorization": portal.tokens[role]}
        resp = app.post(f"/api/3/action/satudata_dataset_{action}", json=params, headers=headers, status=None)
        if resp.status_code == 200:
            assert resp.json["success"] is True
            return "ok", resp.json["result"]["sdi_status"]
        assert resp.json["success"] is False
        return "refused", resp.status_code
    try:
        result = helpers.call_action(f"satudata_dataset_{action}", {"user": _user(portal, role), "ignore_auth": False},
                                     **params)
    except tk.NotAuthorized:
        return "refused", None
    except tk.ObjectNotFound:
        return "not found", None
    return "ok", result["sdi_status"]


def _refusal(portal, via: str, role: str, pkg_id: str) -> tuple:
    """403 (NotAuthorized); a role that may not read the dataset is told it
    does not exist (issue 11), except an anonymous direct call, which core
    refuses before anything is looked up (no user object in its context)."""
    from ckanext.satudata.workflow import permissions
    hidden = not permissions.can_read(_user(portal, role) or None, model.Package.get(pkg_id))
    if via == "http":
        return "refused", 404 if hidden else 403
    return ("not found" if hidden and role != "anonymous" else "refused"), None


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("transition", sorted(TABLE))
def test_transition_permissions(shared_portal, app, transition, role):
    portal = shared_portal
    steps, allowed = TABLE[transition]
    action = transition.split("/")[0]
    paths = ("action", "http")
    if role in allowed:
        for via in paths:  # one dataset per path: the first call moves it on
            pkg = _bring(portal, steps)
            events, activities = _trail(pkg["id"])
            assert _call(portal, app, via, role, action, pkg["id"]) == ("ok", AFTER[action][0]), via
            assert _stored(pkg["id"]) == AFTER[action], via
            events_after, activities_after = _trail(pkg["id"])
            assert events_after == events + 1, via
            assert activities_after[:-1] == activities and activities_after[-1]["action"] == action, via
            assert activities_after[-1]["from"] == pkg["sdi_status"] and activities_after[-1]["to"] == AFTER[action][0]
    else:
        pkg = _bring(portal, steps)
        before = _stored(pkg["id"]), _trail(pkg["id"])
        for via in paths:
            assert _call(portal, app, via, role, action, pkg["id"]) == _refusal(portal, via, role, pkg["id"]), via
            assert (_stored(pkg["id"]), _trail(pkg["id"])) == before, via


BAD_IDS = [None, 5, {}, [], ["x"], {"id": "x"}]


@pytest.mark.parametrize("role", ["anonymous", "producer_a", "sysadmin"])
@pytest.mark.parametrize("action", ["submit", "verify", "reject", "publish", "unpublish", "compliance", "history"])
def test_bad_ids_are_field_errors_over_http(shared_portal, app, action, role):
    """A missing or non-string id is a field error (409), never a 500, for
    anyone, sysadmins included; an unknown one is a 404."""
    portal = shared_portal
    headers = {} if role == "anonymous" else {"Authorization": portal.tokens[role]}
    for bad in BAD_IDS:
        body = {"reason": "x"} if bad is None else {"id": bad, "reason": "x"}
        resp = app.post(f"/api/3/action/satudata_dataset_{action}", json=body, headers=headers, status=None)
        assert resp.status_code == 409, (bad, resp.status_code, resp.get_data(as_text=True)[:300])
        assert resp.json["error"]["__type"] == "Validation Error" and "id" in resp.json["error"], resp.json
    resp = app.post(f"/api/3/action/satudata_dataset_{action}", json={"id": "no-such-dataset", "reason": "x"},
                    headers=headers, status=None)
    assert resp.status_code == 404


@pytest.mark.parametrize("action", ["bulk_update_public", "bulk_update_private", "bulk_update_delete"])
def test_bulk_bad_entries_are_field_errors_over_http(shared_portal, app, action):
    portal = shared_portal
    for datasets in ([5], [{}], [["x"]], "not-a-list"):
        resp = app.post(f"/api/3/action/{action}", json={"datasets": datasets, "org_id": portal.org_a["id"]},
                        headers={"Authorization": portal.tokens["admin_a"]}, status=None)
        assert resp.status_code in (400, 409), (datasets, resp.status_code, resp.get_data(as_text=True)[:300])


def _published_terbatas(portal) -> dict:
    pkg = _bring(portal, ("submit",))
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                        sdi_classification="terbatas", sdi_exemption_basis=["pasal17_a"],
                        sdi_consequence_test="Uji konsekuensi")
    helpers.call_action("satudata_dataset_publish", {"user": portal.walidata["name"]}, id=pkg["id"])
    return helpers.call_action("package_show", id=pkg["id"])


STATES = {
    "verified": lambda portal: _bring(portal, ("submit", "verify")),
    "published": lambda portal: _bring(portal, ("submit", "verify", "publish")),
    "published-terbatas": _published_terbatas,
}
BYPASSES = ("package_patch", "package_update", "resource_create", "resource_update", "resource_delete",
            "dataset_purge", "member_create", "bulk_update_delete")


def _bypass(portal, action: str, pkg: dict, user: str):
    ctx = {"user": user, "ignore_auth": False}
    res = pkg["resources"][0]
    if action == "package_patch":
        return helpers.call_action(action, ctx, id=pkg["id"], private=False, sdi_status="published", notes="x")
    if action == "package_update":
        return helpers.call_action(action, ctx, **dict(pkg, private=False, sdi_status="published", notes="x"))
    if action == "resource_create":
        return helpers.call_action(action, ctx, package_id=pkg["id"], url="http://example.com/b.csv", name="b")
    if action == "resource_update":
        return helpers.call_action(action, ctx, id=res["id"], url="http://example.com/c.csv", name="c")
    if action == "resource_delete":
        return helpers.call_action(action, ctx, id=res["id"])
    if action == "dataset_purge":
        return helpers.call_action(action, ctx, id=pkg["id"])
    if action == "member_create":
        group = helpers.call_action("group_create", {"user": portal.sysadmin["name"]}, name=f"group-{next(_names)}",
                                    users=[{"name": portal.admin_a["name"], "capacity": "member"}])
        return helpers.call_action(action, ctx, id=group["id"], object=pkg["id"], object_type="package",
                                   capacity="public")
    return helpers.call_action(action, ctx, datasets=[pkg["id"]], org_id=portal.org_a["id"])


def _expected(state: str, action: str, actor: str) -> str:
    if action == "dataset_purge":
        return "purged" if actor == "sysadmin" else "refused"
    if action == "member_create":  # a group of the portal: no change to the dataset's status or readers
        return "unchanged"
    if state == "verified" and actor != "sysadmin":  # under review: only a sysadmin edits
        return "refused"
    if action == "bulk_update_delete":  # package_delete of each SDI dataset
        return "deleted"
    if state == "verified":  # the status stays
        return "unchanged"
    return "draft"  # an edit of published data returns it to draft


def _public_names() -> list[str]:
    found = helpers.call_action("package_search", {"user": "", "ignore_auth": False}, q="*:*", rows=1000)
    return [d["name"] for d in found["results"]]


@pytest.mark.parametrize("actor", ["admin_a", "sysadmin"])
@pytest.mark.parametrize("action", BYPASSES)
@pytest.mark.parametrize("state", sorted(STATES))
def test_core_actions_do_not_bypass_the_workflow(shared_portal, state, action, actor):
    """The agency's admin and a sysadmin, through core actions, on datasets
    under review or published: refused, or the status stays (only
    publication makes data public), or the edit returns it to draft."""
    portal = shared_portal
    pkg = STATES[state](portal)
    before = _stored(pkg["id"]), _trail(pkg["id"])[0]
    expected = _expected(state, action, actor)
    if expected == "refused":
        with pytest.raises(tk.NotAuthorized):
            _bypass(portal, action, pkg, getattr(portal, actor)["name"])
        assert (_stored(pkg["id"]), _trail(pkg["id"])[0]) == before
        return
    _bypass(portal, action, pkg, getattr(portal, actor)["name"])
    model.Session.remove()
    public = _public_names()
    if expected == "purged":
        assert model.Package.get(pkg["id"]) is None and pkg["name"] not in public
        return
    stored = model.Package.get(pkg["id"])
    if expected == "deleted":  # deleted by package_delete (issue 14): the status stays
        assert stored.state == "deleted" and pkg["name"] not in public
        assert stored.extras["sdi_status"] == before[0][0]
        return
    if expected == "unchanged":
        assert _stored(pkg["id"]) == before[0]
        assert (pkg["name"] in public) is (before[0] == ("published", False))
        return
    assert _stored(pkg["id"]) == ("draft", True)
    assert pkg["name"] not in public
    history = helpers.call_action("satudata_dataset_history", id=pkg["id"])
    assert (history[-1]["action"], history[-1]["from_status"], history[-1]["to_status"]) == (
        "edit", "published", "draft")
    assert _trail(pkg["id"])[0] == before[1] + 1


@pytest.mark.parametrize("action", ["bulk_update_public", "bulk_update_private"])
@pytest.mark.parametrize("actor", ["admin_a", "sysadmin"])
def test_bulk_visibility_refuses_sdi_datasets_with_403(shared_portal, app, action, actor):
    portal = shared_portal
    pkg = _bring(portal, ("submit", "verify", "publish") if action == "bulk_update_private" else ())
    before = _stored(pkg["id"])
    resp = app.post(f"/api/3/action/{action}", json={"datasets": [pkg["id"]], "org_id": portal.org_a["id"]},
                    headers={"Authorization": portal.tokens[actor]}, status=None)
    assert resp.status_code == 403
    message = resp.json["error"]["message"]
    assert "verification workflow" in message or "alur verifikasi" in message, message
    assert _stored(pkg["id"]) == before
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action(action, {"user": getattr(portal, actor)["name"], "ignore_auth": False},
                            datasets=[pkg["id"]], org_id=portal.org_a["id"])


def test_moving_a_dataset_reindexes_and_relabels_it(shared_portal, app):
    """A sysadmin moves a draft from agency A to agency B: search, show and
    the activity stream agree for both agencies' members; a dataset under
    review keeps its agency."""
    portal = shared_portal
    pkg = _bring(portal, ())
    sysadmin = {"user": portal.sysadmin["name"], "ignore_auth": False}
    helpers.call_action("package_owner_org_update", sysadmin, id=pkg["id"], organization_id=portal.org_b["name"])

    def sees(role):
        ctx = {"user": getattr(portal, role)["name"], "ignore_auth": False}
        found = helpers.call_action("package_search", ctx, q=f"name:{pkg['name']}", include_private=True)["results"]
        try:
            helpers.call_action("package_show", ctx, id=pkg["id"])
            shown = True
        except tk.ObjectNotFound:  # hidden from outsiders as if it did not exist (issue 11, leak 8)
            shown = False
        resp = app.get("/api/3/action/package_activity_list", query_string={"id": pkg["id"]},
                       headers={"Authorization": portal.tokens[role]}, status=None)
        activity = resp.status_code == 200 and bool(resp.json["result"])
        return bool(found), shown, activity

    assert sees("producer_b") == (True, True, True)
    assert sees("ppid_b") == (True, True, True)
    assert sees("producer_a") == (False, False, False)
    assert sees("ppid_a") == (False, False, False)

    under_review = _bring(portal, ("submit",))
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_owner_org_update", sysadmin, id=under_review["id"],
                            organization_id=portal.org_b["id"])
    assert model.Package.get(under_review["id"]).owner_org == portal.org_a["id"]


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
