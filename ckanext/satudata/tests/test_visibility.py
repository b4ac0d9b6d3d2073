"""Leak tests: only published data_umum is ever visible to the public."""
import pytest

import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _anon_sees(app, pkg):
    search = app.get("/api/3/action/package_search", query_string={"q": "*:*", "rows": 100}).json["result"]
    names = [d["name"] for d in search["results"]]
    show = app.get("/api/3/action/package_show", query_string={"id": pkg["name"]}, status=None)
    page = app.get(f"/dataset/{pkg['name']}", status=None)
    res = pkg["resources"][0]
    download = app.get(f"/dataset/{pkg['id']}/resource/{res['id']}/download/data.json", status=None)
    listing = app.get("/dataset/").get_data(as_text=True)
    activity = app.get("/api/3/action/package_activity_list", query_string={"id": pkg["id"]}, status=None)
    return {
        "search": pkg["name"] in names,
        "show": show.status_code == 200,
        "page": page.status_code == 200,
        "download": download.status_code == 200,
        "listing": f"/dataset/{pkg['name']}" in listing,
        "activity": activity.status_code == 200,
    }


@pytest.mark.parametrize("steps", [(), ("submit",), ("submit", "verify")])
def test_unpublished_dataset_is_invisible_to_the_public(portal, app, steps):
    pkg = portal.walk(portal.dataset(name="draft-data"), *steps)
    assert _anon_sees(app, pkg) == dict.fromkeys(("search", "show", "page", "download", "listing", "activity"), False)


def test_published_public_data_is_visible_everywhere(portal, app):
    pkg = portal.walk(portal.dataset(name="open-data"), "submit", "verify", "publish")
    assert _anon_sees(app, pkg) == dict.fromkeys(("search", "show", "page", "download", "listing", "activity"), True)


def test_published_restricted_data_is_delivered_not_public(portal, app):
    pkg = portal.dataset(name="restricted-data", sdi_classification="terbatas", sdi_shared_with=portal.org_b["name"])
    portal.walk(pkg, "submit")
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                        sdi_exemption_basis="pasal17_h", sdi_consequence_test="Uji konsekuensi no. 1")
    portal.walk(pkg, "publish")
    pkg = helpers.call_action("package_show", id=pkg["id"])
    assert pkg["sdi_status"] == "published" and pkg["private"] is True
    assert _anon_sees(app, pkg) == dict.fromkeys(("search", "show", "page", "download", "listing", "activity"), False)
    # the agency it is shared with sees it; an unrelated plain user does not
    shared = helpers.call_action("package_search", {"user": portal.producer_b["name"], "ignore_auth": False}, include_private=True)
    assert "restricted-data" in [d["name"] for d in shared["results"]]
    plain = helpers.call_action("package_search", {"user": portal.plain["name"], "ignore_auth": False}, include_private=True)
    assert "restricted-data" not in [d["name"] for d in plain["results"]]


def test_unpublish_hides_data_again_including_past_activity(portal, app):
    pkg = portal.walk(portal.dataset(name="open-then-closed"), "submit", "verify", "publish")
    helpers.call_action("satudata_dataset_unpublish", {"user": portal.walidata["name"]}, id=pkg["id"], reason="Koreksi")
    assert _anon_sees(app, pkg) == dict.fromkeys(("search", "show", "page", "download", "listing", "activity"), False)


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
        assert helpers.call_auth("package_show", {"user": user, "model": __import__("ckan.model").model}, id=pkg["id"])
    else:
        with pytest.raises(__import__("ckan.plugins.toolkit").plugins.toolkit.NotAuthorized):
            helpers.call_auth("package_show", {"user": user, "model": __import__("ckan.model").model}, id=pkg["id"])
