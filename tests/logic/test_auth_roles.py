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
    with pytest.raises(tk.ObjectNotFound):  # no longer a reader: to them it does not exist
        helpers.call_action("satudata_dataset_verify", _context(portal, "ppid_a"), id=pkg["id"])
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]},
                        user="ppid-a", role="ppid", organization="agency-a")
    assert helpers.call_action("satudata_dataset_verify", _context(portal, "ppid_a"), id=pkg["id"])["sdi_status"] == "verified"


def test_one_user_holding_several_roles_has_each_power(portal):
    import ckan.tests.factories as factories

    multi = factories.User(name="multi")
    admin = {"user": portal.sysadmin["name"]}
    for data in ({"role": "walidata"}, {"role": "ppid", "organization": "agency-a"}, {"role": "forum"}):
        helpers.call_action("satudata_role_grant", admin, user="multi", **data)
    assert sorted(_active("multi")) == [("forum", None), ("ppid", "agency-a"), ("walidata", None)]
    ctx = {"user": "multi", "ignore_auth": False}
    # PPID of agency A: verifies A's dataset, not B's
    pkg_a = portal.walk(portal.dataset(name="ds-a"), "submit")
    assert helpers.call_action("satudata_dataset_verify", dict(ctx), id=pkg_a["id"])["sdi_status"] == "verified"
    pkg_b = portal.dataset(name="ds-b", org=portal.org_b, by=portal.producer_b)
    helpers.call_action("satudata_dataset_submit", {"user": "producer-b"}, id=pkg_b["id"])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("satudata_dataset_verify", dict(ctx), id=pkg_b["id"])
    # Walidata: publishes, lists every grant
    assert helpers.call_action("satudata_dataset_publish", dict(ctx), id=pkg_a["id"])["sdi_status"] == "published"
    assert len(helpers.call_action("satudata_role_list", dict(ctx))) == 8
    # Forum member: files a data request, which the Walidata (the same user) disposes
    req = helpers.call_action("satudata_request_create", dict(ctx), title="Jumlah posyandu", description="Per desa",
                              purpose="Perencanaan")
    assert req["status"] == "submitted"
    assert helpers.call_action("satudata_request_dispose", dict(ctx), id=req["id"],
                               organizations=["agency-a"])["status"] == "dispositioned"
    # revoking one role leaves the others
    helpers.call_action("satudata_role_revoke", admin, user="multi", role="walidata")
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action("satudata_dataset_unpublish", dict(ctx), id=pkg_a["id"], reason="Salah")
    assert sorted(_active("multi")) == [("forum", None), ("ppid", "agency-a")]
    assert helpers.call_action("satudata_request_create", dict(ctx), title="Jumlah kader", description="Per desa",
                               purpose="Perencanaan")["status"] == "submitted"
    pkg_c = portal.walk(portal.dataset(name="ds-c"), "submit")
    assert helpers.call_action("satudata_dataset_verify", dict(ctx), id=pkg_c["id"])["sdi_status"] == "verified"


def test_grants_and_revocations_record_who_by_id_and_when(portal):
    import ckan.model as model
    from ckanext.satudata.model import RoleGrant

    admin = portal.sysadmin
    grant = helpers.call_action("satudata_role_grant", {"user": admin["name"]}, user="plain-user", role="forum")
    assert (grant["granted_by"], grant["granted_by_name"]) == (admin["id"], admin["name"])
    assert grant["revoked_at"] is None and grant["revoked_by"] is None
    helpers.call_action("satudata_role_revoke", {"user": admin["name"]}, user="plain-user", role="forum")
    model.Session.expire_all()
    row = model.Session.get(RoleGrant, grant["id"])
    assert row.revoked_by == admin["id"] and row.revoked_at is not None
    assert row.revoked_at >= row.granted_at
    assert _active("plain-user") == []


def test_pembina_needs_an_institution_and_ppid_an_organization(portal):
    import ckan.tests.factories as factories

    admin = {"user": portal.sysadmin["name"]}
    for institution in (None, "  "):
        data = {"user": "plain-user", "role": "pembina"}
        if institution is not None:
            data["institution"] = institution
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("satudata_role_grant", admin, **data)
        assert list(error.value.error_dict) == ["institution"]
    group = factories.Group(name="kelompok-kerja")
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("satudata_role_grant", admin, user="plain-user", role="ppid", organization=group["name"])
    assert error.value.error_dict == {"organization": ["kelompok-kerja is a group, not an organization (agency)"]}
    assert _active("plain-user") == []
    grant = helpers.call_action("satudata_role_grant", admin, user="plain-user", role="pembina", institution=" BIG ")
    assert grant["institution"] == "BIG"


def test_purging_the_user_or_the_organization_keeps_the_grant_records(portal):
    import ckan.model as model
    import ckan.tests.factories as factories
    from sqlalchemy import text
    from ckanext.satudata.model import RoleGrant

    admin = {"user": portal.sysadmin["name"]}
    gone = factories.User(name="gone")
    org = factories.Organization(name="agency-gone")
    ppid = helpers.call_action("satudata_role_grant", admin, user="gone", role="ppid", organization="agency-gone")
    forum = helpers.call_action("satudata_role_grant", admin, user="gone", role="forum")
    helpers.call_action("organization_purge", admin, id=org["id"])
    model.Session.execute(text('DELETE FROM "user" WHERE id = :id'), {"id": gone["id"]})
    model.Session.commit()
    model.Session.expire_all()
    rows = {r.id: r for r in model.Session.query(RoleGrant).filter(RoleGrant.user_id == gone["id"])}
    assert set(rows) == {ppid["id"], forum["id"]}
    assert rows[ppid["id"]].organization_id == org["id"]
    listed = helpers.call_action("satudata_role_list", admin)
    assert {g["user_name"] for g in listed if g["id"] in rows} == {gone["id"]}


def test_the_migration_turns_stored_names_into_ids_and_drops_the_cascades(portal):
    import ckan.model as model
    from ckan.cli.db import _run_migrations
    from sqlalchemy import text

    def fkeys():
        return sorted(model.Session.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'satudata_role_grant'::regclass "
            "AND contype = 'f'")).scalars())

    def by(grant_id):
        return tuple(model.Session.execute(text(
            "SELECT granted_by, revoked_by FROM satudata_role_grant WHERE id = :id"), {"id": grant_id}).one())

    admin = portal.sysadmin
    kept = helpers.call_action("satudata_role_list", user="walidata")[0]["id"]
    model.Session.remove()
    _run_migrations("satudata", "6a1f0c2d9b10", forward=False)
    assert fkeys() == ["satudata_role_grant_organization_id_fkey", "satudata_role_grant_user_id_fkey"]
    assert by(kept) == (admin["name"], None)
    model.Session.execute(text(
        "INSERT INTO satudata_role_grant (id, user_id, role, granted_by, granted_at, revoked_by, revoked_at) "
        "VALUES ('old', :user, 'forum', :name, now(), :name, now())"), {"user": portal.plain["id"], "name": admin["name"]})
    model.Session.execute(text(
        "INSERT INTO satudata_role_grant (id, user_id, role, granted_by, granted_at) "
        "VALUES ('unknown', :user, 'forum', 'someone-long-gone', now())"), {"user": portal.plain["id"]})
    model.Session.commit()
    model.Session.remove()
    _run_migrations("satudata")
    assert fkeys() == []
    assert by("old") == (admin["id"], admin["id"])
    assert by(kept) == (admin["id"], None)
    assert by("unknown") == ("someone-long-gone", None)
    model.Session.remove()
