"""Issue 14, item 1: the SDI status is the only state a user moves on an SDI
dataset, through every door. CKAN's ``state`` of an SDI dataset is kept by
the edit form (no core "Unpublish" button), by ``package_update`` /
``package_patch`` / ``package_revise`` (a field error on ``state``), by core's
bulk actions (visibility refused, deletion through ``package_delete``) and by
the resource pages. Item 11: the page and the API answer an outsider the same
way for a restricted dataset (404, as for an unknown one)."""
from __future__ import annotations

import itertools
import re
import uuid

import pytest
from sqlalchemy import func, select

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.model import DatasetEvent

_names = itertools.count()
_UNPUBLISH = 'value="go-metadata-unpublish"'
_TOKEN = re.compile(r'name="_csrf_token" (?:value|content)="[^"]+"')
_CSRF = re.compile(r'<meta name="_csrf_token" content="([^"]+)"')
STATE_WORDS = ("verification workflow", "alur verifikasi")


def _name(prefix: str) -> str:
    return f"pintu-{prefix}-{next(_names)}-{uuid.uuid4().hex[:6]}"


# status -> the workflow steps that bring a dataset there
STEPS = {
    "draft": (),
    "submitted": ("submit",),
    "verified": ("submit", "verify"),
    "published": ("submit", "verify", "publish"),
}


def _dataset(portal, status: str = "draft") -> dict:
    return portal.walk(portal.dataset(name=_name(status)), *STEPS[status])


def _stored(pkg_id: str) -> tuple:
    """(CKAN state, SDI status, private, history rows) as stored."""
    model.Session.remove()
    pkg = model.Package.get(pkg_id)
    events = model.Session.scalar(select(func.count()).select_from(DatasetEvent)
                                  .where(DatasetEvent.package_id == pkg_id))
    return pkg.state, pkg.extras.get("sdi_status"), pkg.private, events


def _api(app, portal, who: str, action: str, **params):
    headers = {} if who == "anonymous" else {"Authorization": portal.tokens[who]}
    return app.post(f"/api/3/action/{action}", json=params, headers=headers, status=None)


def _ctx(portal, who: str) -> dict:
    return {"user": getattr(portal, who)["name"], "ignore_auth": False}


def _state_refused(resp) -> None:
    assert resp.status_code == 409, (resp.status_code, resp.get_data(as_text=True)[:300])
    error = resp.json["error"]
    assert error["__type"] == "Validation Error" and set(error) == {"__type", "state"}, error
    assert any(word in error["state"][0] for word in STATE_WORDS), error


# ------------------------------------------------------------ package_update

def _patch(pkg, state):
    return "package_patch", {"id": pkg["name"], "state": state}


def _update(pkg, state):
    return "package_update", dict(pkg, state=state)


def _revise(pkg, state):
    return "package_revise", {"match": {"id": pkg["id"]}, "update": {"state": state}}


DOORS = {"package_patch": _patch, "package_update": _update, "package_revise": _revise}


@pytest.mark.parametrize("who, status", [("producer_a", "draft"), ("admin_a", "published"),
                                         ("sysadmin", "submitted"), ("sysadmin", "published")])
def test_the_api_refuses_a_state_outside_the_workflow(shared_portal, app, who, status):
    """Over HTTP with the user's token, through package_patch, package_update
    and package_revise: a ``state`` other than the stored one is a field
    error on ``state`` (409), for the producer, the agency's admin and a
    sysadmin alike; the dataset keeps its state, status, visibility and
    history."""
    portal = shared_portal
    pkg = _dataset(portal, status)
    before = _stored(pkg["id"])
    for door, wanted in itertools.product(sorted(DOORS), ("draft", "deleted", "pending", "")):
        action, params = DOORS[door](pkg, wanted)
        resp = _api(app, portal, who, action, **params)
        assert resp.status_code == 409, (door, wanted)
        _state_refused(resp)
        assert _stored(pkg["id"]) == before, (door, wanted)
    if status == "published":  # still in the public catalogue
        assert _api(app, portal, "anonymous", "package_show", id=pkg["name"]).status_code == 200


@pytest.mark.parametrize("who, status", [("producer_a", "draft"), ("admin_a", "rejected"),
                                         ("producer_a", "published"), ("sysadmin", "verified")])
def test_direct_calls_refuse_a_state_outside_the_workflow(shared_portal, who, status):
    """Called as an action (``ignore_auth`` false): a ValidationError whose
    only field is ``state``."""
    portal = shared_portal
    if status == "rejected":
        pkg = _dataset(portal, "submitted")
        helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                            reason="Perbaiki")
    else:
        pkg = _dataset(portal, status)
    before = _stored(pkg["id"])
    for action, params in (_patch(pkg, "draft"), _update(helpers.call_action("package_show", id=pkg["id"]), "draft"),
                           _patch(pkg, "deleted")):
        with pytest.raises(tk.ValidationError) as err:
            helpers.call_action(action, _ctx(portal, who), **params)
        assert list(err.value.error_dict) == ["state"], err.value.error_dict
    assert _stored(pkg["id"]) == before


def test_the_same_state_and_other_edits_still_save(shared_portal, app):
    """Sending the stored state back (package_show's dict) is no change: the
    producer's edit of its draft saves."""
    portal = shared_portal
    pkg = _dataset(portal)
    resp = _api(app, portal, "producer_a", "package_update", **dict(pkg, notes="Catatan baru"))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert resp.json["result"]["notes"] == "Catatan baru" and resp.json["result"]["state"] == "active"
    resp = _api(app, portal, "producer_a", "package_patch", id=pkg["id"], state="active", notes="Lagi")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]


@pytest.mark.parametrize("who, expected", [("ppid_a", 403), ("walidata", 403), ("producer_b", 404),
                                           ("anonymous", 404)])
def test_who_may_not_edit_is_refused_as_before_not_told_about_the_state(shared_portal, app, who, expected):
    """A reader who may not edit (agency A's PPID, the Walidata) gets 403; an
    outsider gets the 404 of an unknown dataset, never the state's message."""
    portal = shared_portal
    pkg = _dataset(portal)
    before = _stored(pkg["id"])
    resp = _api(app, portal, who, "package_patch", id=pkg["name"], state="draft")
    assert resp.status_code == expected, resp.get_data(as_text=True)[:300]
    assert "state" not in resp.json["error"]
    assert _stored(pkg["id"]) == before


def test_finishing_cores_new_dataset_form_still_activates_a_draft(shared_portal, app):
    """Core's new-dataset form saves its first stage in CKAN's draft state and
    makes it active with the first resource: that move stays open."""
    portal = shared_portal
    pkg = _dataset(portal)
    helpers.call_action("package_patch", {"user": portal.sysadmin["name"]}, id=pkg["id"], state="draft")  # the form's first stage
    assert _stored(pkg["id"])[0] == "draft"
    resp = _api(app, portal, "producer_a", "package_patch", id=pkg["id"], state="active")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert _stored(pkg["id"])[:2] == ("active", "draft")


def test_only_a_sysadmin_restores_a_deleted_dataset_and_it_comes_back_as_a_draft(shared_portal, app):
    """Deleting goes through package_delete; restoring (deleted -> active) is
    a sysadmin's, and published data comes back as a draft of the workflow,
    out of the public catalogue."""
    portal = shared_portal
    pkg = _dataset(portal, "published")
    assert _api(app, portal, "admin_a", "package_delete", id=pkg["id"]).status_code == 200
    deleted = _stored(pkg["id"])
    assert deleted[:2] == ("deleted", "published")
    for who in ("admin_a", "producer_a"):
        _state_refused(_api(app, portal, who, "package_patch", id=pkg["id"], state="active"))
    assert _stored(pkg["id"]) == deleted
    resp = _api(app, portal, "sysadmin", "package_patch", id=pkg["id"], state="active")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    assert _stored(pkg["id"])[:3] == ("active", "draft", True)
    assert _api(app, portal, "anonymous", "package_show", id=pkg["id"]).status_code == 404
    history = helpers.call_action("satudata_dataset_history", id=pkg["id"])
    assert (history[-1]["action"], history[-1]["from_status"], history[-1]["to_status"]) == \
        ("edit", "published", "draft")


def test_a_dataset_outside_sdi_keeps_cores_behaviour(shared_portal, app):
    """A dataset with no ``sdi_status`` (made before the plugin) is core's:
    its editor may set its state, and its edit form keeps the button."""
    portal = shared_portal
    pkg = _dataset(portal)
    stored = model.Package.get(pkg["id"])
    stored.extras = {k: v for k, v in stored.extras.items() if k != "sdi_status"}
    model.Session.commit()
    page = app.get(f"/dataset/edit/{pkg['name']}", headers={"Authorization": portal.tokens["producer_a"]})
    assert _UNPUBLISH in page.get_data(as_text=True)
    resp = _api(app, portal, "producer_a", "package_patch", id=pkg["id"], state="draft")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    model.Session.remove()
    assert model.Package.get(pkg["id"]).state == "draft"


# ------------------------------------------------------------ the edit form

def _form(app, portal, who: str, pkg: dict, locale: str = "") -> str:
    resp = app.get(f"{locale}/dataset/edit/{pkg['name']}", headers={"Authorization": portal.tokens[who]})
    return resp.get_data(as_text=True)


def _form_actions(html: str) -> str:
    start = html.index('<div class="form-actions">')
    return html[start:html.index("</form>", start)]


@pytest.mark.parametrize("locale, unpublish", [("", "Batalkan penerbitan"), ("/en", "Unpublish")])
@pytest.mark.parametrize("who, status", [("producer_a", "draft"), ("producer_a", "published"),
                                         ("sysadmin", "submitted"), ("sysadmin", "verified")])
def test_the_edit_form_has_no_unpublish_button(shared_portal, app, who, status, locale, unpublish):
    """The rendered edit page of an SDI dataset, in both locales: no core
    "Unpublish" ("Batalkan penerbitan") button; its save and delete stay."""
    portal = shared_portal
    pkg = _dataset(portal, status)
    html = _form(app, portal, who, pkg, locale)
    actions = _form_actions(html)
    assert _UNPUBLISH not in html and unpublish not in actions, actions
    assert re.search(r'<button class="btn btn-primary" type="submit" name="save">', actions), actions
    assert f"/dataset/delete/{pkg['id']}" in actions or f"/dataset/delete/{pkg['name']}" in actions


def test_a_forged_unpublish_post_is_refused_beside_the_form(shared_portal, app):
    """Core's edit view still knows the button's value: posting it anyway
    re-renders the form with the state's field error and saves nothing."""
    portal = shared_portal
    pkg = _dataset(portal, "published")
    before = _stored(pkg["id"])
    headers = {"Authorization": portal.tokens["admin_a"]}
    form = {"_ckan_phase": "dataset_new_1", "save": "go-metadata-unpublish", "pkg_name": pkg["id"],
            **{k: v for k, v in pkg.items() if isinstance(v, str)}}
    resp = app.post(f"/dataset/edit/{pkg['name']}", data=form, headers=headers, status=None, follow_redirects=False)
    assert resp.status_code == 200, resp.status_code
    html = resp.get_data(as_text=True)
    assert "Status dataset SDI hanya dapat berubah melalui alur verifikasi" in html
    assert _stored(pkg["id"]) == before


# ------------------------------------------------------------ bulk actions

def _bulk(app, portal, who: str, action: str, *pkgs):
    return _api(app, portal, who, action, datasets=[p["id"] for p in pkgs], org_id=portal.org_a["id"])


@pytest.mark.parametrize("action, status", [("bulk_update_private", "published"), ("bulk_update_public", "draft"),
                                            ("bulk_update_public", "verified")])
@pytest.mark.parametrize("who", ["admin_a", "sysadmin"])
def test_bulk_visibility_never_moves_an_sdi_dataset(shared_portal, app, action, status, who):
    portal = shared_portal
    pkg = _dataset(portal, status)
    before = _stored(pkg["id"])
    resp = _bulk(app, portal, who, action, pkg)
    assert resp.status_code == 403 and any(w in resp.json["error"]["message"] for w in STATE_WORDS), resp.json
    assert _stored(pkg["id"]) == before


@pytest.mark.parametrize("who", ["admin_a", "sysadmin"])
def test_bulk_delete_deletes_sdi_datasets_through_package_delete(shared_portal, app, who):
    """Core's bulk delete patches the state; an SDI dataset is deleted by
    package_delete instead: its status and history stay (no back-to-draft
    row), it leaves the public catalogue and its page."""
    portal = shared_portal
    draft, published = _dataset(portal), _dataset(portal, "published")
    befores = [_stored(p["id"]) for p in (draft, published)]
    resp = _bulk(app, portal, who, "bulk_update_delete", draft, published)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    for pkg, before in zip((draft, published), befores):
        assert _stored(pkg["id"]) == ("deleted",) + before[1:], pkg["name"]
    assert _api(app, portal, "anonymous", "package_show", id=published["id"]).status_code == 404
    assert app.get(f"/dataset/{published['name']}", status=None).status_code == 404


def test_bulk_delete_refuses_a_dataset_under_review_and_deletes_none(shared_portal, app):
    """The agency's admin may not delete a dataset its PPID is reviewing: the
    whole bulk call is refused, the draft beside it stays too."""
    portal = shared_portal
    draft, submitted = _dataset(portal), _dataset(portal, "submitted")
    befores = [_stored(p["id"]) for p in (draft, submitted)]
    resp = _bulk(app, portal, "admin_a", "bulk_update_delete", draft, submitted)
    assert resp.status_code == 403, resp.get_data(as_text=True)[:300]
    assert [_stored(p["id"]) for p in (draft, submitted)] == befores


def _bulk_page(app, portal, who: str, button: str, *pkgs):
    headers = {"Authorization": portal.tokens[who]}
    page = app.get(f"/organization/bulk_process/{portal.org_a['name']}", headers=headers)
    form = {"_csrf_token": _CSRF.search(page.get_data(as_text=True)).group(1), f"bulk_action.{button}": button,
            **{f"dataset_{p['id']}": "on" for p in pkgs}}
    return app.post(f"/organization/bulk_process/{portal.org_a['name']}", data=form, headers=headers,
                    status=None, follow_redirects=False)


def test_the_agency_bulk_page_follows_the_same_rules(shared_portal, app):
    """The agency's bulk page (core's buttons "Make public/private/Delete"):
    visibility refused (403), deletion through package_delete."""
    portal = shared_portal
    draft, published = _dataset(portal), _dataset(portal, "published")
    befores = [_stored(p["id"]) for p in (draft, published)]
    assert _bulk_page(app, portal, "admin_a", "public", draft).status_code == 403
    assert _bulk_page(app, portal, "admin_a", "private", published).status_code == 403
    assert [_stored(p["id"]) for p in (draft, published)] == befores
    assert _bulk_page(app, portal, "admin_a", "delete", draft, published).status_code == 302
    assert [_stored(p["id"]) for p in (draft, published)] == [("deleted",) + b[1:] for b in befores]


# ------------------------------------------------------------ resource doors

def test_the_resource_pages_never_move_the_state(shared_portal, app):
    """Core's resource form asks for CKAN's draft state on its "preview"
    button and for "active" on "finish": on an SDI dataset neither moves
    the state (no 500), and resource actions keep it."""
    portal = shared_portal
    pkg = _dataset(portal)
    before = _stored(pkg["id"])
    headers = {"Authorization": portal.tokens["producer_a"]}
    csrf = _CSRF.search(app.get(f"/dataset/{pkg['name']}/resource/new", headers=headers)
                        .get_data(as_text=True)).group(1)
    for save in ("go-metadata-preview", "go-metadata-publish", "go-metadata", "again"):
        resp = app.post(f"/dataset/{pkg['name']}/resource/new", headers=headers, status=None,
                        follow_redirects=False,
                        data={"_csrf_token": csrf, "id": "", "name": f"berkas {save}", "save": save,
                              "url": f"https://data.example.go.id/{save}.csv"})
        assert resp.status_code == 302, (save, resp.status_code)
        assert _stored(pkg["id"])[:3] == before[:3], save
    res = helpers.call_action("package_show", id=pkg["id"])["resources"][-1]
    for action, params in (("resource_patch", {"id": res["id"], "description": "x"}),
                           ("resource_update", {"id": res["id"], "name": "y",
                                                "url": "https://data.example.go.id/y.csv"}),
                           ("package_resource_reorder", {"id": pkg["id"], "order": [res["id"]]}),
                           ("resource_delete", {"id": res["id"]})):
        resp = _api(app, portal, "producer_a", action, **params)
        assert resp.status_code == 200, (action, resp.get_data(as_text=True)[:300])
        assert _stored(pkg["id"])[:3] == before[:3], action


# ------------------------------------------------------------ item 11

def _page_text(resp, ref: str) -> str:
    return _TOKEN.sub("", resp.get_data(as_text=True).replace(ref, "REF"))


@pytest.mark.parametrize("status", ["draft", "submitted", "verified"])
def test_page_and_api_answer_a_restricted_dataset_alike(shared_portal, app, status):
    """An outsider (anonymous, another agency's producer, a plain user, a
    Forum member) asking for an unpublished dataset, by name or id: the page
    and package_show both answer 404, each exactly as for a dataset that does
    not exist, and never with the dataset's internal id. Whoever may read it
    gets it from both."""
    portal = shared_portal
    pkg = _dataset(portal, status)
    for who, by in itertools.product(("anonymous", "producer_b", "plain", "forum"), ("name", "id")):
        ref = pkg[by]
        unknown = str(uuid.uuid4()) if by == "id" else _name("tidak-ada")
        headers = {} if who == "anonymous" else {"Authorization": portal.tokens[who]}
        pages = [app.get(f"/dataset/{r}", headers=headers, status=None) for r in (ref, unknown)]
        apis = [_api(app, portal, who, "package_show", id=r) for r in (ref, unknown)]
        assert [r.status_code for r in pages + apis] == [404] * 4, (who, by)
        assert _page_text(pages[0], ref) == _page_text(pages[1], unknown), (who, by)
        assert apis[0].json == apis[1].json, (who, by)
        assert pkg["id"] not in apis[0].get_data(as_text=True), (who, by)
        if by == "name":
            assert pkg["id"] not in pages[0].get_data(as_text=True), who
    for reader, by in itertools.product(("producer_a", "ppid_a", "walidata"), ("name", "id")):
        auth = {"Authorization": portal.tokens[reader]}
        assert app.get(f"/dataset/{pkg[by]}", headers=auth, status=None).status_code == 200, reader
        assert _api(app, portal, reader, "package_show", id=pkg[by]).status_code == 200, reader
