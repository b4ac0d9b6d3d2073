"""KIP permission labels (issue 11, leaks 1, 2, 3 and 7), tested through the
HTTP API and the pages as the outsider concerned:

* an activity is never readable by more people than when it was written (a
  reclassified dataset's exempted past stays inside its agency);
* the newest workflow activity carries its labels (no 500 for its readers);
* only *terbatas* data is delivered to requesters and shared agencies, and a
  requester reads it only while they hold the Forum (or Walidata) role;
* a deleted dataset is no longer public, nor is its history.
"""
import itertools
import json

import pytest

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests.datarequest.conftest import Requests

_names = itertools.count()

CANARY = "KANARI-RAHASIA-7781"
EXEMPT = {"sdi_exemption_basis": ["pasal17_h"], "sdi_consequence_test": f"Uji konsekuensi {CANARY}-UK"}
DENIED = (403, 404)


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _headers(portal, role):
    if role in (None, "anonymous"):
        return {}
    token = portal.tokens[role] if role in portal.tokens else role  # a role, or a raw token
    return {"Authorization": token}


def _api(app, portal, role, action, **params):
    resp = app.get(f"/api/3/action/{action}", query_string=params, headers=_headers(portal, role), status=None)
    assert resp.status_code != 500, (action, role, resp.get_data(as_text=True)[:500])
    return resp


def _page(app, portal, role, url):
    resp = app.get(url, headers=_headers(portal, role), status=None)
    assert resp.status_code != 500, (url, role)
    return resp


def _as(portal, role, action, **data):
    return helpers.call_action(action, {"user": getattr(portal, role)["name"], "ignore_auth": False}, **data)


def _activities(app, portal, pkg_id):
    """Every activity of the dataset, oldest first (as the sysadmin sees them)."""
    resp = _api(app, portal, "sysadmin", "package_activity_list", id=pkg_id, limit=100)
    return list(reversed(resp.json["result"]))


def _exempted_published(portal, name, **overrides) -> dict:
    """A published dikecualikan dataset of agency A whose title, notes, tags,
    resource name and exemption fields carry the canary."""
    pkg = portal.dataset(name=name, title=f"Data kasus {CANARY}", notes=f"Catatan {CANARY}",
                         sdi_classification="dikecualikan", tags=[{"name": "kanari-rahasia"}], **overrides)
    _as(portal, "producer_a", "resource_patch", id=pkg["resources"][0]["id"], name=f"berkas {CANARY}")
    portal.walk(pkg, "submit")
    _as(portal, "ppid_a", "satudata_dataset_verify", id=pkg["id"], **EXEMPT)
    portal.walk(pkg, "publish")
    return helpers.call_action("package_show", id=pkg["id"])


def _reclassified(portal, name) -> dict:
    """The exempted dataset edited to data umum, verified and published again."""
    pkg = _exempted_published(portal, name)
    _as(portal, "producer_a", "package_patch", id=pkg["id"], title="Data umum kecamatan", notes="Catatan umum",
        tags=[{"name": "penduduk"}], sdi_classification="data_umum")
    _as(portal, "producer_a", "resource_patch", id=pkg["resources"][0]["id"], name="berkas umum")
    portal.walk(pkg, "submit")
    _as(portal, "ppid_a", "satudata_dataset_verify", id=pkg["id"], sdi_classification="data_umum")
    portal.walk(pkg, "publish")
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert shown["sdi_status"] == "published" and shown["private"] is False
    return shown


# ------------------------------------------------------ leak 1: history

@pytest.mark.parametrize("role", ["anonymous", "plain", "producer_b", "forum"])
def test_reclassified_dataset_keeps_its_exempted_past_hidden(shared_portal, app, role):
    """Exempted, published, then reclassified to data umum and published
    again: the outsider sees the public version and its publication, and
    nothing of the exempted past in any activity door."""
    portal = shared_portal
    pkg = _reclassified(portal, _name("reclass"))
    org = pkg["organization"]["name"]
    everything = _activities(app, portal, pkg["id"])
    publish = everything[-1]
    assert publish["data"]["satudata_transition"]["action"] == "publish"
    past = [a for a in everything if CANARY in json.dumps(a)]
    assert past, "the exempted versions are in the trail"

    def no_canary(resp):
        return CANARY not in resp.get_data(as_text=True)

    listed = _api(app, portal, role, "package_activity_list", id=pkg["id"], limit=100)
    assert listed.status_code == 200 and no_canary(listed)
    assert [a["id"] for a in listed.json["result"]] == [publish["id"]]
    for action in ("recently_changed_packages_activity_list",):
        assert no_canary(_api(app, portal, role, action, limit=100))
    assert no_canary(_api(app, portal, role, "organization_activity_list", id=org, limit=100))
    for url in (f"/dataset/activity/{pkg['name']}", f"/organization/activity/{org}", f"/dataset/{pkg['name']}"):
        resp = _page(app, portal, role, url)
        assert resp.status_code == 200 and no_canary(resp), url
    for activity in past:
        for action in ("activity_show", "activity_data_show", "activity_diff"):
            resp = _api(app, portal, role, action, id=activity["id"], object_type="package")
            assert resp.status_code in DENIED and no_canary(resp), (action, activity["activity_type"])
        for url in (f"/dataset/changes/{activity['id']}", f"/dataset/{pkg['name']}/history/{activity['id']}"):
            resp = _page(app, portal, role, url)
            assert resp.status_code in DENIED and no_canary(resp), url
    if role != "anonymous":
        dashboard = _api(app, portal, role, "dashboard_activity_list", limit=100)
        assert dashboard.status_code == 200 and no_canary(dashboard)
    # the public version, and its publication, carry no exemption fields
    shown = _api(app, portal, role, "package_show", id=pkg["id"]).json["result"]
    assert shown["sdi_classification"] == "data_umum" and no_canary(_api(app, portal, role, "package_show", id=pkg["id"]))
    assert not shown.get("sdi_exemption_basis") and not shown.get("sdi_consequence_test")
    record = _api(app, portal, role, "activity_show", id=publish["id"])
    assert record.status_code == 200 and no_canary(record)
    assert not record.json["result"]["data"]["package"].get("sdi_exemption_basis")


def test_reclassified_dataset_keeps_its_audit_trail_for_the_agency(shared_portal, app):
    """The agency's producer, its PPID and the Walidata still read the whole
    trail, exempted versions included."""
    portal = shared_portal
    pkg = _reclassified(portal, _name("reclass-audit"))
    everything = [a["id"] for a in _activities(app, portal, pkg["id"])]
    for role in ("producer_a", "ppid_a", "walidata"):
        listed = _api(app, portal, role, "package_activity_list", id=pkg["id"], limit=100)
        assert sorted(a["id"] for a in listed.json["result"]) == sorted(everything), role
        assert CANARY in listed.get_data(as_text=True), role
    stored = helpers.call_action("package_show", id=pkg["id"])
    assert not stored.get("sdi_exemption_basis") and not stored.get("sdi_consequence_test")


def test_activities_of_unpublished_versions_never_become_public(shared_portal, app):
    """Draft, under review and verified versions stay inside the agency when
    the dataset is published: the public reads the publication onwards."""
    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("never-widen"), title=f"Draf {CANARY}"), "submit")
    _as(portal, "ppid_a", "satudata_dataset_reject", id=pkg["id"], reason="Judul keliru")
    _as(portal, "producer_a", "package_patch", id=pkg["id"], title="Judul benar")
    pkg = portal.walk(pkg, "submit", "verify", "publish")
    everything = _activities(app, portal, pkg["id"])
    listed = _api(app, portal, None, "package_activity_list", id=pkg["id"], limit=100)
    assert [a["id"] for a in listed.json["result"]] == [everything[-1]["id"]]
    assert CANARY not in listed.get_data(as_text=True)
    for activity in everything[:-1]:
        assert _api(app, portal, None, "activity_show", id=activity["id"]).status_code in DENIED


def test_moving_a_dataset_never_makes_its_restricted_history_public(shared_portal, app):
    """A sysadmin moves a published data umum dataset with a restricted past
    to agency B: the publication stays public, the restricted versions move
    to agency B (not to the public, not left with agency A)."""
    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("moved"), title=f"Draf {CANARY}"), "submit")
    pkg = portal.walk(pkg, "verify", "publish")
    everything = [a["id"] for a in _activities(app, portal, pkg["id"])]
    _as(portal, "sysadmin", "package_owner_org_update", id=pkg["id"], organization_id=portal.org_b["name"])

    def seen(role):
        resp = _api(app, portal, role, "package_activity_list", id=pkg["id"], limit=100)
        return sorted(a["id"] for a in resp.json["result"]) if resp.status_code == 200 else []

    assert seen(None) == [everything[-1]]
    assert seen("producer_b") == sorted(everything)
    assert seen("ppid_b") == sorted(everything)
    assert seen("producer_a") == [everything[-1]]


@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True)
def test_a_diff_shows_no_earlier_version_its_reader_may_not_see(shared_portal, app):
    """With public activity details, anyone may diff a public activity; core
    returns the earlier activity with it, here the PPID's verification of
    the version under review: refused unless the reader may see that too."""
    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("diffed")), "submit")
    _as(portal, "ppid_a", "satudata_dataset_verify", id=pkg["id"], note=f"Catatan internal {CANARY}")
    portal.walk(pkg, "publish")
    publish = _activities(app, portal, pkg["id"])[-1]
    for role in ("anonymous", "plain", "producer_b"):
        assert _api(app, portal, role, "activity_show", id=publish["id"]).status_code == 200, role
        diff = _api(app, portal, role, "activity_diff", id=publish["id"], object_type="package")
        assert diff.status_code in DENIED and CANARY not in diff.get_data(as_text=True), role
        changes = _page(app, portal, role, f"/dataset/changes/{publish['id']}")
        assert changes.status_code in DENIED and CANARY not in changes.get_data(as_text=True), role
    for role in ("producer_a", "ppid_a", "walidata"):
        diff = _api(app, portal, role, "activity_diff", id=publish["id"], object_type="package")
        assert diff.status_code == 200, role
        earlier = diff.json["result"]["activities"][0]
        assert earlier["data"]["satudata_transition"]["action"] == "verify", role
        assert earlier["data"]["package"]["sdi_status"] == "verified", role
        # the note is the review conversation: the history has it, no activity does
        assert CANARY not in diff.get_data(as_text=True), role


# ----------------------------------------- leak 7: the newest activity

READERS_OF_A_DRAFT = {"producer_a", "ppid_a", "walidata", "sysadmin"}


@pytest.mark.parametrize("steps", [("submit",), ("submit", "verify"), ("submit", "verify", "publish")])
def test_newest_workflow_activity_is_readable_by_its_readers(shared_portal, app, steps):
    """Right after each transition: the activity answers 200 with content to
    whoever may read that version, 403/404 to the others, never a 500."""
    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("newest")), *steps)
    newest = _activities(app, portal, pkg["id"])[-1]
    if steps:
        assert newest["data"]["satudata_transition"]["action"] == steps[-1]
    public = steps[-1:] == ("publish",)
    for role in ("anonymous", "plain", "producer_b", "ppid_b", "producer_a", "ppid_a", "walidata", "sysadmin"):
        reader = public or role in READERS_OF_A_DRAFT
        # core shows activity data and diffs to those who may edit the dataset
        # (nobody but a sysadmin while it is under review)
        editor = role == "sysadmin" or (role == "producer_a" and public)
        shown = _api(app, portal, role, "activity_show", id=newest["id"])
        if reader:
            assert shown.status_code == 200, role
            assert shown.json["result"]["data"]["package"]["title"] == pkg["title"], role
        else:
            assert shown.status_code in DENIED, role
        data = _api(app, portal, role, "activity_data_show", id=newest["id"], object_type="package")
        diff = _api(app, portal, role, "activity_diff", id=newest["id"], object_type="package")
        changes = _page(app, portal, role, f"/dataset/changes/{newest['id']}")
        history = _page(app, portal, role, f"/dataset/{pkg['name']}/history/{newest['id']}")
        stream = _page(app, portal, role, f"/dataset/activity/{pkg['name']}")
        if editor:
            assert data.status_code == 200 and data.json["result"]["name"] == pkg["name"], role
            assert diff.status_code == 200 and diff.json["result"]["activities"][1]["id"] == newest["id"], role
            assert changes.status_code == 200 and history.status_code == 200, role
        else:
            for resp in (data, diff, changes, history):
                assert resp.status_code in DENIED, role
        if reader:
            assert stream.status_code == 200 and pkg["title"] in stream.get_data(as_text=True), role
        else:
            assert stream.status_code in DENIED, role


def test_an_activity_stored_without_labels_is_refused_not_a_500(shared_portal, app):
    """Data from before the fix: the newest workflow activity has no labels.
    Its doors answer 403/404 to everyone but sysadmins, and the dataset's
    next change gives it the agency's labels (never the public's)."""
    import ckan.model as model
    from ckanext.activity.model import Activity

    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("unlabelled")), "submit")
    newest = _activities(app, portal, pkg["id"])[-1]
    model.Session.query(Activity).filter_by(id=newest["id"]).update({"permission_labels": None})
    model.repo.commit()
    for role in ("anonymous", "producer_a", "ppid_a", "walidata"):
        for action in ("activity_show", "activity_data_show", "activity_diff"):
            resp = _api(app, portal, role, action, id=newest["id"], object_type="package")
            assert resp.status_code in DENIED, (role, action)
        for url in (f"/dataset/changes/{newest['id']}", f"/dataset/{pkg['name']}/history/{newest['id']}",
                    f"/dataset/activity/{pkg['name']}"):
            assert _page(app, portal, role, url).status_code in DENIED + (200,), (role, url)
    assert _api(app, portal, "sysadmin", "activity_show", id=newest["id"]).status_code == 200
    _as(portal, "ppid_a", "satudata_dataset_reject", id=pkg["id"], reason="Perlu perbaikan")
    assert _api(app, portal, "producer_a", "activity_show", id=newest["id"]).status_code == 200
    assert _api(app, portal, None, "activity_show", id=newest["id"]).status_code in DENIED


# ------------------------------------------- leak 2: what is delivered

def _forum_member(portal) -> tuple[dict, str]:
    """A Forum member of their own (their role may be revoked), with a token."""
    user = factories.User(name=_name("forum-kip"))
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user=user["name"], role="forum")
    return user, helpers.call_action("api_token_create", user=user["name"], name="t")["token"]


def _delivered(portal, classification: str, requester: dict) -> dict:
    """Published data of agency A, shared with agency B and linked to the
    requester's data request."""
    req = Requests(portal).new(upto="sent", by=requester)
    pkg = portal.dataset(name=_name(f"delivered-{classification}"), title=f"Data {classification} {CANARY}",
                         sdi_classification=classification, sdi_shared_with=portal.org_b["name"])
    portal.walk(pkg, "submit")
    _as(portal, "ppid_a", "satudata_dataset_verify", id=pkg["id"], **EXEMPT)
    _as(portal, "producer_a", "satudata_request_link_dataset", id=req["id"], dataset_id=pkg["id"])
    portal.walk(pkg, "publish")
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert shown["sdi_status"] == "published" and shown["sdi_classification"] == classification
    return shown


def _reads(app, portal, who, pkg) -> dict:
    """What ``who`` (a role or a token) gets of the dataset, door by door."""
    res = pkg["resources"][0]
    found = _api(app, portal, who, "package_search", q=f"name:{pkg['name']}", include_private="true")
    newest = _activities(app, portal, pkg["id"])[-1]
    activity = _api(app, portal, who, "package_activity_list", id=pkg["id"])
    return {
        "show": _api(app, portal, who, "package_show", id=pkg["id"]).status_code == 200,
        "resource_show": _api(app, portal, who, "resource_show", id=res["id"]).status_code == 200,
        "download": _page(app, portal, who,
                          f"/dataset/{pkg['id']}/resource/{res['id']}/download/data.json").status_code == 200,
        "page": _page(app, portal, who, f"/dataset/{pkg['name']}").status_code == 200,
        "search": found.json["result"]["count"] == 1,
        "activity": activity.status_code == 200 and bool(activity.json["result"]),
        "activity_show": _api(app, portal, who, "activity_show", id=newest["id"]).status_code == 200,
    }


def test_exempted_data_is_never_delivered_or_shared(shared_portal, app):
    """Dikecualikan data linked to a Forum member's request and shared with
    agency B, walked to published: the requester and agency B read nothing;
    its agency, its PPID and the Walidata read it."""
    portal = shared_portal
    requester, token = _forum_member(portal)
    pkg = _delivered(portal, "dikecualikan", requester)
    for who in (token, "producer_b", "ppid_b", "forum", "plain", "anonymous"):
        sees = _reads(app, portal, who, pkg)
        assert sees == dict.fromkeys(sees, False), (who, sees)
    for role in ("producer_a", "ppid_a", "walidata"):
        sees = _reads(app, portal, role, pkg)
        assert sees == dict.fromkeys(sees, True), (role, sees)


def test_restricted_data_is_delivered_while_the_requester_holds_the_forum_role(shared_portal, app):
    """Terbatas data reaches the requester and agency B; once the requester's
    Forum role is revoked they read it no more (agency B still does)."""
    portal = shared_portal
    requester, token = _forum_member(portal)
    pkg = _delivered(portal, "terbatas", requester)
    for who in (token, "producer_b"):
        sees = _reads(app, portal, who, pkg)
        assert sees == dict.fromkeys(sees, True), (who, sees)
    for who in ("ppid_b", "forum", "plain", "anonymous"):
        sees = _reads(app, portal, who, pkg)
        assert sees == dict.fromkeys(sees, False), (who, sees)
    helpers.call_action("satudata_role_revoke", {"user": portal.sysadmin["name"]}, user=requester["name"],
                        role="forum")
    sees = _reads(app, portal, token, pkg)
    assert sees == dict.fromkeys(sees, False), sees
    assert _reads(app, portal, "producer_b", pkg)["show"] is True


# ------------------------------------------------- leak 3: deletion

@pytest.mark.parametrize("via", ["package_delete", "bulk_update_delete"])
def test_deleted_published_dataset_is_no_longer_served(shared_portal, app, via):
    """A published data umum dataset deleted by the agency's admin: no door
    serves it or its history to an anonymous visitor; its agency keeps it."""
    portal = shared_portal
    pkg = portal.walk(portal.dataset(name=_name("deleted")), "submit", "verify", "publish")
    res = pkg["resources"][0]
    publish = _activities(app, portal, pkg["id"])[-1]
    download = f"/dataset/{pkg['id']}/resource/{res['id']}/download/data.json"
    assert _page(app, portal, None, download).status_code == 200  # the control
    body = {"id": pkg["id"]} if via == "package_delete" else {"datasets": [pkg["id"]], "org_id": portal.org_a["id"]}
    resp = app.post(f"/api/3/action/{via}", json=body, headers=_headers(portal, "admin_a"), status=None)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    for action, params in (("package_show", {"id": pkg["id"]}), ("resource_show", {"id": res["id"]}),
                           ("satudata_dataset_history", {"id": pkg["id"]}),
                           ("satudata_dataset_compliance", {"id": pkg["id"]}),
                           ("activity_show", {"id": publish["id"]})):
        assert _api(app, portal, None, action, **params).status_code in DENIED, action
    for url in (f"/dataset/{pkg['name']}", f"/dataset/{pkg['id']}/resource/{res['id']}", download,
                f"/dataset/activity/{pkg['name']}"):
        assert _page(app, portal, None, url).status_code in DENIED, url
    listed = _api(app, portal, None, "package_activity_list", id=pkg["id"])
    assert listed.status_code in DENIED or not listed.json["result"]
    found = _api(app, portal, None, "package_search", q=f"name:{pkg['name']}", include_deleted="true")
    assert found.json["result"]["count"] == 0
    for action, params in (("recently_changed_packages_activity_list", {"limit": 100}),
                           ("organization_activity_list", {"id": portal.org_a["name"], "limit": 100})):
        assert pkg["id"] not in _api(app, portal, None, action, **params).get_data(as_text=True), action
    for role in ("producer_b", "plain"):
        assert _api(app, portal, role, "package_show", id=pkg["id"]).status_code in DENIED, role
    # the agency keeps its dataset and its trail
    assert _api(app, portal, "producer_a", "satudata_dataset_history", id=pkg["id"]).status_code == 200
    trail = _api(app, portal, "producer_a", "package_activity_list", id=pkg["id"], limit=100)
    assert publish["id"] in [a["id"] for a in trail.json["result"]]


def test_the_walidata_publication_note_stays_out_of_the_public_activity(shared_portal, app):
    """The notes are the review conversation (the history shows them only to
    the agency, its PPID and the Walidata): the public publish activity holds
    the transition, not its note."""
    portal = shared_portal
    pkg = portal.dataset(name=_name("publish-note"))
    for step, who, extra in (("submit", portal.producer_a, {}), ("verify", portal.ppid_a, {}),
                             ("publish", portal.walidata, {"note": f"Catatan internal {CANARY}"})):
        helpers.call_action(f"satudata_dataset_{step}", {"user": who["name"]}, id=pkg["id"], **extra)
    listed = _api(app, portal, "anonymous", "package_activity_list", id=pkg["id"], limit=100)
    assert listed.status_code == 200
    assert listed.json["result"][0]["data"]["satudata_transition"]["action"] == "publish"
    assert CANARY not in listed.get_data(as_text=True)
    history = _api(app, portal, "walidata", "satudata_dataset_history", id=pkg["id"])
    assert CANARY in history.get_data(as_text=True)
