"""Who may grant, revoke and list SDI roles, for every role.

Only a sysadmin grants and revokes. Listing every grant is open to the
sysadmin and the Walidata (who coordinates the other roles); any logged-in
user may list their own grants; anonymous visitors may list nothing.
"""
import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

ROLES = ("anonymous", "plain", "forum", "producer_a", "ppid_a", "pembina", "walidata", "sysadmin")


def _context(portal, role):
    return {"user": "" if role == "anonymous" else getattr(portal, role)["name"], "ignore_auth": False}


def _active(user):
    return [(g["role"], g["organization_name"] if "organization_name" in g else None)
            for g in helpers.call_action("satudata_role_list", user=user)]


@pytest.mark.parametrize("role", ROLES)
def test_only_a_sysadmin_grants(portal, role):
    data = {"user": "plain-user", "role": "ppid", "organization": "agency-b"}
    if role == "sysadmin":
        grant = helpers.call_action("satudata_role_grant", _context(portal, role), **data)
        assert (grant["user_name"], grant["role"], grant["organization_name"]) == ("plain-user", "ppid", "agency-b")
        assert _active("plain-user") == [("ppid", "agency-b")]
    else:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("satudata_role_grant", _context(portal, role), **data)
        assert _active("plain-user") == []


@pytest.mark.parametrize("role", ROLES)
def test_only_a_sysadmin_revokes(portal, role):
    data = {"user": "ppid-a", "role": "ppid", "organization": "agency-a"}
    if role == "sysadmin":
        assert helpers.call_action("satudata_role_revoke", _context(portal, role), **data) == {"revoked": 1}
        assert _active("ppid-a") == []
    else:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("satudata_role_revoke", _context(portal, role), **data)
        assert _active("ppid-a") == [("ppid", "agency-a")]


@pytest.mark.parametrize("role", ROLES)
def test_only_the_walidata_and_a_sysadmin_list_every_grant(portal, role):
    context = _context(portal, role)
    if role in ("walidata", "sysadmin"):
        grants = helpers.call_action("satudata_role_list", context)
        assert sorted(g["user_name"] for g in grants) == ["forum", "pembina", "ppid-a", "ppid-b", "walidata"]
        assert [g["user_name"] for g in helpers.call_action("satudata_role_list", context, user="ppid-b")] == ["ppid-b"]
    else:
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("satudata_role_list", context)
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("satudata_role_list", context, user="ppid-b")


@pytest.mark.parametrize("role", ROLES)
def test_a_user_lists_their_own_grants(portal, role):
    if role == "anonymous":
        with pytest.raises(tk.NotAuthorized):
            helpers.call_action("satudata_role_list", _context(portal, role), user="")
        return
    user = getattr(portal, role)
    expected = {"forum": ["forum"], "ppid_a": ["ppid"], "pembina": ["pembina"], "walidata": ["walidata"]}.get(role, [])
    for ref in (user["name"], user["id"]):
        grants = helpers.call_action("satudata_role_list", _context(portal, role), user=ref)
        assert [g["role"] for g in grants] == expected


def test_refused_over_the_api_with_403(portal, app):
    token = helpers.call_action("api_token_create", user=portal.walidata["name"], name="t")["token"]
    resp = app.post("/api/3/action/satudata_role_grant", json={"user": "plain-user", "role": "walidata"},
                    headers={"Authorization": token}, status=403)
    assert resp.json["success"] is False
    app.post("/api/3/action/satudata_role_revoke", json={"user": "forum", "role": "forum"}, status=403)
    app.get("/api/3/action/satudata_role_list", status=403)
    assert _active("plain-user") == [] and _active("forum") == [("forum", None)]


def test_a_revoked_role_no_longer_gives_power(portal):
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    helpers.call_action("satudata_role_revoke", {"user": portal.sysadmin["name"]},
                        user="ppid-a", role="ppid", organization="agency-a")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("satudata_dataset_verify", _context(portal, "ppid_a"), id=pkg["id"])
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]},
                        user="ppid-a", role="ppid", organization="agency-a")
    assert helpers.call_action("satudata_dataset_verify", _context(portal, "ppid_a"), id=pkg["id"])["sdi_status"] == "verified"
