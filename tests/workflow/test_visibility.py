"""Leak tests: only published data_umum is ever visible to the public, through
every door CKAN has (API, pages, downloads, activity streams); delivered
restricted data reaches exactly its readers."""
import pytest

from sqlalchemy import select

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests.datarequest.conftest import Requests

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

DOORS = ("search", "search_private", "show", "page", "resource_show", "resource_page", "download", "listing",
         "package_list", "autocomplete", "org_page", "activity", "recent_activity", "org_activity",
         "activity_page", "org_activity_page")


def _ok(resp) -> bool:
    return resp.status_code == 200


def _activities(resp, pkg_id: str) -> bool:
    """Whether an activity list answer holds an activity of the dataset."""
    if resp.status_code != 200:
        return False
    return any(a.get("object_id") == pkg_id for a in resp.json["result"])


def _anon_sees(app, pkg) -> dict[str, bool]:
    """Which doors show the dataset to an anonymous visitor."""
    name, pkg_id = pkg["name"], pkg["id"]
    res = pkg["resources"][0]
    link = f"/dataset/{name}"

    def api(action, **params):
        return app.get(f"/api/3/action/{action}", query_string=params, status=None)

    def search(**params):
        return name in [d["name"] for d in api("package_search", q="*:*", rows=100, **params).json["result"]["results"]]

    def page(url):
        resp = app.get(url, status=None)
        text = resp.get_data(as_text=True)
        return resp.status_code == 200 and (link in text or f"/dataset/{pkg_id}" in text)

    package_list = api("package_list").json["result"]
    autocomplete = [d["name"] for d in api("package_autocomplete", q=name[:6]).json["result"]]
    return {
        "search": search(),
        "search_private": search(include_private="true"),
        "show": _ok(api("package_show", id=name)),
        "page": _ok(app.get(link, status=None)),
        "resource_show": _ok(api("resource_show", id=res["id"])),
        "resource_page": _ok(app.get(f"/dataset/{pkg_id}/resource/{res['id']}", status=None)),
        "download": _ok(app.get(f"/dataset/{pkg_id}/resource/{res['id']}/download/data.json", status=None)),
        "listing": page("/dataset/"),
        "package_list": name in package_list,
        "autocomplete": name in autocomplete,
        "org_page": page(f"/organization/{pkg['organization']['name']}"),
        "activity": _activities(api("package_activity_list", id=pkg_id), pkg_id),
        "recent_activity": _activities(api("recently_changed_packages_activity_list"), pkg_id),
        "org_activity": _activities(api("organization_activity_list", id=pkg["organization"]["name"]), pkg_id),
        "activity_page": page(f"/dataset/activity/{name}"),
        "org_activity_page": page(f"/organization/activity/{pkg['organization']['name']}"),
    }


NOTHING = dict.fromkeys(DOORS, False)
EVERYTHING = dict.fromkeys(DOORS, True)


def _reject(portal, pkg):
    helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                        reason="Satuan belum benar")


@pytest.mark.parametrize("state", ["draft", "submitted", "verified", "rejected"])
def test_unpublished_dataset_is_invisible_to_the_public(portal, app, state):
    steps = {"draft": (), "submitted": ("submit",), "verified": ("submit", "verify"), "rejected": ("submit",)}[state]
    pkg = portal.walk(portal.dataset(name="draft-data"), *steps)
    if state == "rejected":
        _reject(portal, pkg)
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == state
    assert _anon_sees(app, pkg) == NOTHING


def test_published_public_data_is_visible_everywhere(portal, app):
    """The control: every door of _anon_sees can open."""
    pkg = portal.walk(portal.dataset(name="open-data"), "submit", "verify", "publish")
    assert _anon_sees(app, pkg) == EVERYTHING


def test_unpublish_hides_data_again_including_past_activity(portal, app):
    pkg = portal.walk(portal.dataset(name="open-then-closed"), "submit", "verify", "publish")
    helpers.call_action("satudata_dataset_unpublish", {"user": portal.walidata["name"]}, id=pkg["id"], reason="Koreksi")
    assert _anon_sees(app, pkg) == NOTHING


def test_edit_of_published_data_hides_it_including_past_activity(portal, app):
    pkg = portal.walk(portal.dataset(name="open-then-edited"), "submit", "verify", "publish")
    helpers.call_action("package_patch", {"user": portal.producer_a["name"]}, id=pkg["id"], notes="Diperbaiki")
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "draft"
    assert _anon_sees(app, pkg) == NOTHING


def _delivered(portal):
    """Published terbatas data of agency A, shared with agency B and linked to
    the Forum member's data request."""
    requests = Requests(portal)
    req = requests.new(upto="sent")
    pkg = portal.dataset(name="restricted-data", sdi_classification="terbatas", sdi_shared_with=portal.org_b["name"])
    portal.walk(pkg, "submit")
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                        sdi_exemption_basis="pasal17_h", sdi_consequence_test="Uji konsekuensi no. 1")
    helpers.call_action("satudata_request_link_dataset", {"user": portal.producer_a["name"]},
                        id=req["id"], dataset_id=pkg["id"])
    portal.walk(pkg, "publish")
    return helpers.call_action("package_show", id=pkg["id"])


def test_published_restricted_data_is_delivered_not_public(portal, app):
    pkg = _delivered(portal)
    assert pkg["sdi_status"] == "published" and pkg["private"] is True
    assert _anon_sees(app, pkg) == NOTHING


READERS = {"producer_a": True, "walidata": True, "ppid_a": True, "producer_b": True, "forum": True,
           "forum2": False, "ppid_b": False, "pembina": False, "plain": False}


def test_delivered_data_reaches_exactly_its_readers(portal, app):
    """The agency, the Walidata, the agency's PPID, the agency it is shared
    with and the requester of the linked request read it (show, search,
    download); nobody else does."""
    portal.forum2 = factories.User(name="forum-2")
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user="forum-2", role="forum")
    pkg = _delivered(portal)
    res = pkg["resources"][0]
    for reader, expected in READERS.items():
        user = getattr(portal, reader)["name"]
        token = helpers.call_action("api_token_create", user=user, name="t")["token"]
        headers = {"Authorization": token}
        context = {"user": user, "ignore_auth": False}
        found = helpers.call_action("package_search", context, include_private=True, q="*:*")
        sees = {
            "search": pkg["name"] in [d["name"] for d in found["results"]],
            "show": app.get("/api/3/action/package_show", query_string={"id": pkg["id"]}, headers=headers,
                            status=None).status_code == 200,
            "resource_show": app.get("/api/3/action/resource_show", query_string={"id": res["id"]},
                                     headers=headers, status=None).status_code == 200,
            "download": app.get(f"/dataset/{pkg['id']}/resource/{res['id']}/download/data.json",
                                headers=headers, status=None).status_code == 200,
        }
        assert sees == dict.fromkeys(sees, expected), reader


@pytest.mark.parametrize("reader,expected", [
    ("walidata", True), ("ppid_a", True), ("producer_a", True),
    ("ppid_b", False), ("producer_b", False), ("forum", False), ("pembina", False), ("plain", False),
])
def test_who_sees_a_draft(portal, reader, expected):
    pkg = portal.dataset(name="a-draft")
    user = getattr(portal, reader)["name"]
    found = helpers.call_action("package_search", {"user": user, "ignore_auth": False}, include_private=True, q="*:*")
    assert ("a-draft" in [d["name"] for d in found["results"]]) is expected
    if expected:
        assert helpers.call_auth("package_show", {"user": user, "model": model}, id=pkg["id"])
    else:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_auth("package_show", {"user": user, "model": model}, id=pkg["id"])


def _set_status(pkg_id: str, status: str) -> None:
    """Put a dataset in a state directly (a transition would reindex it, and
    CKAN 2.12 cannot index a dataset with relationships: its show schema drops
    the package ids that the indexer reads)."""
    pkg = model.Package.get(pkg_id)
    pkg.extras = dict(pkg.extras, sdi_status=status)
    model.repo.commit()


def _legacy_relationship(subject: dict, obj: dict) -> str:
    """A relationship made before the plugin was enabled (the API refuses them)."""
    rel = model.PackageRelationship(subject_package_id=subject["id"], object_package_id=obj["id"],
                                    type="links_to")
    model.Session.add(rel)
    model.repo.commit()
    return rel.id


def test_relationships_are_refused_on_sdi_datasets(portal, app):
    """SDI datasets get no relationships, whoever asks and in whatever state;
    an old one may be removed only while the dataset is a draft or returned."""
    published = portal.walk(portal.dataset(name="open-data"), "submit", "verify", "publish")
    draft = portal.dataset(name="a-draft")
    other = portal.dataset(name="other-draft")
    for user in (portal.producer_a, portal.sysadmin):
        ctx = {"user": user["name"], "ignore_auth": False}
        for subject, obj in ((published, draft), (draft, published), (draft, other)):
            with pytest.raises(tk.NotAuthorized):
                helpers.call_action("package_relationship_create", ctx, subject=subject["id"], object=obj["id"],
                                    type="links_to")
    token = helpers.call_action("api_token_create", user=portal.producer_a["name"], name="t")["token"]
    resp = app.post("/api/3/action/package_relationship_create", headers={"Authorization": token}, status=None,
                    json={"subject": draft["id"], "object": other["id"], "type": "links_to"})
    assert resp.status_code == 403
    assert model.Session.scalars(select(model.PackageRelationship.id)).all() == []
    _legacy_relationship(draft, other)
    ctx = {"user": portal.producer_a["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("package_relationship_update", ctx, subject=draft["id"], object=other["id"],
                            type="links_to", comment="x")
    for frozen in ("submitted", "verified", "published"):
        _set_status(other["id"], frozen)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("package_relationship_delete", ctx, subject=draft["id"], object=other["id"],
                                type="links_to")
    _set_status(other["id"], "rejected")  # returned for revision: editable again
    helpers.call_action("package_relationship_delete", ctx, subject=draft["id"], object=other["id"], type="links_to")
    assert model.Session.scalars(
        select(model.PackageRelationship.state)).all() == ["deleted"]


def test_relationships_to_unreadable_datasets_are_not_shown(portal, app):
    """Agency A's draft related (before the plugin) to agency B's draft: only
    readers of both see the relationship."""
    shown = portal.dataset(name="shown-data")
    hidden = portal.dataset(name="hidden-draft", org=portal.org_b, by=portal.producer_b)
    rel = _legacy_relationship(shown, hidden)

    def related(user, pkg, key):
        # not from the search index: CKAN 2.12 cannot index a dataset with relationships
        ctx = {"user": user["name"], "ignore_auth": False, "use_cache": False}
        return [r["id"] for r in helpers.call_action("package_show", ctx, id=pkg["id"])[key]]

    for user in (portal.walidata, portal.sysadmin):
        assert related(user, shown, "relationships_as_subject") == [rel]
        assert related(user, hidden, "relationships_as_object") == [rel]
    assert related(portal.producer_a, shown, "relationships_as_subject") == []
    assert related(portal.ppid_a, shown, "relationships_as_subject") == []
    assert related(portal.producer_b, hidden, "relationships_as_object") == []
    with pytest.raises(tk.ObjectNotFound):  # nor through the relationship list (404: issue 11, leak 8)
        helpers.call_action("package_relationships_list", {"user": portal.producer_a["name"], "ignore_auth": False},
                            id=shown["id"], id2=hidden["id"])
