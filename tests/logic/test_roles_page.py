"""The Peran SDI page with hundreds of grants (issue 14, item 9): a search, a
role filter, pages of grants, a confirmation before revoking, and the same
number of queries whatever the number of grants."""
import itertools
import re

import pytest

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from ckanext.satudata.views import roles as roles_view
from tests.querycount import assert_flat

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

URL = "/ckan-admin/satudata/roles/"
_names = itertools.count()


def _auth(user):
    token = helpers.call_action("api_token_create", user=user["name"], name="t")["token"]
    return {"Authorization": token}


def _forum_members(portal, count, prefix="rp-forum"):
    names = []
    for _ in range(count):
        user = factories.User(name=f"{prefix}-{next(_names):04d}")
        helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user=user["name"], role="forum")
        names.append(user["name"])
    return names


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-user="([^"]+)" data-role="[^"]+"', page)


def test_the_list_comes_in_pages(portal, app):
    _forum_members(portal, roles_view.PER_PAGE + 5)
    headers = _auth(portal.sysadmin)
    first = app.get(URL, headers=headers).get_data(as_text=True)
    total = roles_view.PER_PAGE + 5 + 5  # the portal's five role users
    assert f"({total})" in first
    assert len(_rows(first)) == roles_view.PER_PAGE
    assert 'href="/ckan-admin/satudata/roles/?page=2"' in first
    second = app.get(URL + "?page=2", headers=headers).get_data(as_text=True)
    assert len(_rows(second)) == total - roles_view.PER_PAGE
    assert not set(_rows(first)) & set(_rows(second))
    # a page past the end is the last one, a page that is not a number the first
    assert _rows(app.get(URL + "?page=9", headers=headers).get_data(as_text=True)) == _rows(second)
    assert _rows(app.get(URL + "?page=x", headers=headers).get_data(as_text=True)) == _rows(first)


def test_search_by_user_agency_institution_and_role(portal, app):
    headers = _auth(portal.sysadmin)
    _forum_members(portal, 3, prefix="cari-saya")

    def found(query):
        return sorted(_rows(app.get(URL, query_string=query, headers=headers).get_data(as_text=True)))
    assert len(found({"q": "cari-saya"})) == 3
    assert found({"q": "Agency B"}) == ["ppid-b"]
    assert found({"q": "bps"}) == ["pembina"]
    assert found({"role": "ppid"}) == ["ppid-a", "ppid-b"]
    assert found({"q": "agency", "role": "ppid"}) == ["ppid-a", "ppid-b"]
    assert found({"q": "Pembina Data"}) == ["pembina"]  # the role's label
    page = app.get(URL, query_string={"q": "tidak-ada-siapa-pun"}, headers=headers).get_data(as_text=True)
    assert _rows(page) == [] and "Tidak ada peran yang cocok dengan pencarian." in page
    page = app.get(URL, query_string={"q": "cari-saya"}, headers=headers).get_data(as_text=True)
    assert 'data-found="3"' in page and "3 peran ditemukan" in page
    assert 'value="cari-saya"' in page, "the search box keeps the words"
    # paging keeps the search
    _forum_members(portal, roles_view.PER_PAGE, prefix="cari-saya")
    page = app.get(URL, query_string={"q": "cari-saya"}, headers=headers).get_data(as_text=True)
    assert 'href="/ckan-admin/satudata/roles/?q=cari-saya&amp;page=2"' in page


def test_revoking_asks_for_a_confirmation(portal, app):
    page = app.get(URL, headers=_auth(portal.sysadmin)).get_data(as_text=True)
    buttons = re.findall(r'<button type="submit"[^>]*data-action="revoke"[^>]*>', page, re.S)
    assert len(buttons) == 5
    for button in buttons:
        assert 'data-module="confirm-action"' in button and 'data-module-with-data="true"' in button
    assert 'data-module-content="Cabut peran PPID dari ppid-a?"' in page
    page = app.get("/en" + URL, headers=_auth(portal.sysadmin)).get_data(as_text=True)
    assert 'data-module-content="Revoke the PPID role from ppid-a?"' in page


def test_the_page_runs_the_same_queries_for_more_grants(portal, app):
    headers = _auth(portal.sysadmin)
    _forum_members(portal, 3)

    def measure():
        page = app.get(URL, headers=headers, status=200).get_data(as_text=True)
        return int(re.search(r"\((\d+)\)</h2>", page).group(1))
    assert_flat(measure, lambda: _forum_members(portal, 30), measure)
