"""Requests brought to a given step through the API, by the portal's role users."""
import pytest

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

TABLE_SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "jumlah", "type": "integer"}]}

# the status a request reaches after each preparation step, in order
_ORDER = ("submitted", "dispositioned", "awaiting_recommendation", "recommended", "format_defined", "sent")


def call(action, user, **data):
    """An action as ``user`` (a dict, a name or None for anonymous), auth checked."""
    name = user["name"] if isinstance(user, dict) else user
    return helpers.call_action(action, {"user": name or "", "ignore_auth": False}, **data)


class Requests:
    def __init__(self, portal):
        self.portal = portal

    def new(self, upto="submitted", by=None, orgs=("agency-a",), **fields):
        p = self.portal
        data = {"title": "Jumlah penduduk per kecamatan", "description": "Untuk RPJMD",
                "purpose": "Perencanaan pembangunan"}
        data.update(fields)
        req = call("satudata_request_create", by or p.forum, **data)
        target = _ORDER.index(upto)
        if target >= 1:
            req = call("satudata_request_dispose", p.walidata, id=req["id"], organizations=list(orgs))
        if target >= 2:
            req = call("satudata_request_ask_recommendation", p.walidata, id=req["id"], pembina=p.pembina["name"])
        if target >= 3:
            req = call("satudata_request_recommend", p.pembina, id=req["id"], number="B-1/2026", date="2026-11-20",
                       text="Gunakan data administrasi")
        if target >= 4:
            req = call("satudata_request_set_format", p.walidata, id=req["id"], table_schema=TABLE_SCHEMA)
        if target >= 5:
            req = call("satudata_request_send", p.walidata, id=req["id"])
        assert req["status"] == upto
        return req


@pytest.fixture
def requests(portal):
    portal.forum2 = factories.User(name="forum-2")
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user="forum-2", role="forum")
    return Requests(portal)
