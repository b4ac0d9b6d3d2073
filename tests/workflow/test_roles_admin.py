"""The sysadmin's SDI roles page: list, grant, revoke, errors and refusals over HTTP."""
import pytest

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

URL = "/ckan-admin/satudata/roles/"


def _auth(user):
    token = helpers.call_action("api_token_create", user=user["name"], name="t")["token"]
    return {"Authorization": token}


def _grants(**filters):
    return helpers.call_action("satudata_role_list", **filters)


def test_sysadmin_sees_every_grant_with_labels(portal, app):
    page = app.get(URL, headers=_auth(portal.sysadmin)).get_data(as_text=True)
    assert "Peran SDI" in page
    for name in ("walidata", "pembina", "forum", "ppid-a", "ppid-b"):
        assert f'data-user="{name}"' in page
    assert "Agency A" in page and "Agency B" in page
    assert ">Pembina Data<" in page and ">Forum Satu Data<" in page and ">PPID<" in page
    assert page.count('data-action="revoke"') == 5
    assert 'id="satudata-role-grant-form"' in page


def test_admin_tabs_link_to_the_roles_page(portal, app):
    page = app.get("/ckan-admin", headers=_auth(portal.sysadmin)).get_data(as_text=True)
    assert 'href="/ckan-admin/satudata/roles/"' in page


def test_grant_from_the_form(portal, app):
    resp = app.post(URL + "grant", data={"user": "plain-user", "role": "pembina", "institution": "BIG",
                                         "organization": ""},
                    headers=_auth(portal.sysadmin), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "Peran Pembina Data diberikan kepada plain-user" in page
    grants = _grants(user="plain-user")
    assert [(g["role"], g["institution"], g["granted_by"], g["granted_by_name"]) for g in grants] == [
        ("pembina", "BIG", portal.sysadmin["id"], portal.sysadmin["name"])]
    assert 'data-user="plain-user"' in page


def test_grant_a_ppid_for_one_agency(portal, app):
    app.post(URL + "grant", data={"user": "plain-user", "role": "ppid", "organization": "agency-b"},
             headers=_auth(portal.sysadmin), follow_redirects=True)
    assert [(g["role"], g["organization_name"]) for g in _grants(user="plain-user")] == [("ppid", "agency-b")]


@pytest.mark.parametrize("form, field_label, message", [
    ({"user": "plain-user", "role": "ppid"}, "Organisasi", "Peran PPID melekat pada satu perangkat daerah"),
    ({"user": "plain-user", "role": "walidata", "organization": "agency-a"}, "Organisasi",
     "Peran Walidata berlaku untuk seluruh portal"),
    ({"user": "plain-user", "role": "forum", "institution": "BPS"}, "Instansi", "Hanya peran Pembina Data"),
    ({"user": "plain-user", "role": "pembina"}, "Instansi", "Peran Pembina Data memerlukan instansinya, mis. BPS atau BIG"),
    ({"user": "plain-user", "role": "pembina", "institution": "  "}, "Instansi", "Peran Pembina Data memerlukan instansinya"),
    ({"user": "plain-user", "role": "ppid", "organization": "kelompok-kerja"}, "Organisasi",
     "kelompok-kerja adalah grup, bukan organisasi (perangkat daerah)"),
    ({"user": "nobody-here", "role": "forum"}, "Pengguna", ""),
    ({"user": "plain-user", "role": "bupati"}, "Peran SDI", ""),
    ({"role": "forum"}, "Pengguna", ""),
])
def test_bad_input_comes_back_with_field_messages(portal, app, form, field_label, message):
    factories.Group(name="kelompok-kerja")
    resp = app.post(URL + "grant", data=form, headers=_auth(portal.sysadmin))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "alert-danger" in page or "alert-error" in page
    assert f"{field_label}: {message}" in page
    assert 'id="satudata-role-grant-form"' in page
    if form.get("user"):
        assert f'value="{form["user"]}"' in page, "the form keeps what was typed"
    assert _grants(user="plain-user") == []


def test_revoke_button(portal, app):
    resp = app.post(URL + "revoke", data={"user": "ppid-a", "role": "ppid", "organization": "agency-a"},
                    headers=_auth(portal.sysadmin), follow_redirects=True)
    assert "Peran PPID dicabut dari ppid-a" in resp.get_data(as_text=True)
    assert _grants(user="ppid-a") == []
    assert [g["user_name"] for g in _grants(role="ppid")] == ["ppid-b"]

    resp = app.post(URL + "revoke", data={"user": "ppid-a", "role": "ppid", "organization": "agency-a"},
                    headers=_auth(portal.sysadmin), follow_redirects=True)
    assert "Pengguna tidak memegang peran tersebut" in resp.get_data(as_text=True)


@pytest.mark.parametrize("who", ["plain", "forum", "producer_a", "ppid_a", "pembina", "walidata"])
def test_only_a_sysadmin_may_use_the_page(portal, app, who):
    headers = _auth(getattr(portal, who))
    app.get(URL, headers=headers, status=403)
    app.post(URL + "grant", data={"user": "plain-user", "role": "walidata"}, headers=headers, status=403)
    app.post(URL + "revoke", data={"user": "walidata", "role": "walidata"}, headers=headers, status=403)
    assert _grants(user="plain-user") == []
    assert [g["role"] for g in _grants(user="walidata")] == ["walidata"]


def test_anonymous_is_asked_to_log_in(portal, app):
    app.get(URL, status=401)
    app.post(URL + "grant", data={"user": "plain-user", "role": "walidata"}, status=401)
    assert _grants(user="plain-user") == []


def test_english_page_uses_english_labels(portal, app):
    page = app.get("/en" + URL, headers=_auth(portal.sysadmin)).get_data(as_text=True)
    assert "SDI roles" in page and "Active grants" in page and "Grant role" in page
    assert "Institution (required for a Pembina Data, e.g. BPS or BIG)" in page


def test_the_page_shows_who_granted_by_name(portal, app):
    page = app.get(URL, headers=_auth(portal.sysadmin)).get_data(as_text=True)
    assert f'href="/user/{portal.sysadmin["name"]}"' in page
    assert "Instansi (wajib untuk Pembina Data, mis. BPS atau BIG)" in page
