"""Bad input is never a 500 over HTTP (issue 11): the payloads of
test_kip_fuzz.py sent to /api/3/action/<name> (JSON body and form-encoded)
for every satudata_* and resource_validation_* action, and to the pages and
forms under /permintaan/, /dataset/<id>/satudata/, /satudata/ and the roles
page (GET, and POST with the session's CSRF token), as a sysadmin, the
Walidata, a plain user and anonymous. Every answer is below 500; a refused API
call (4xx) leaves the database as it was.
"""
from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ckan.model as model
import ckan.tests.helpers as helpers

from tests.security.test_kip_fuzz import (  # noqa: F401 (fixtures)
    ACTIONS, HOSTILE_TEXT, PROFILE, _plugins_once, _satudata_plugins, database_state, known_keys, payloads,
    text_values, world)

USERS = ("sysadmin", "walidata", "plain", "anonymous")
_PASSWORD = "fuzz-Password-1"
_CSRF = re.compile(r'<meta name="_csrf_token" content="([^"]+)"')  # base.html, every page


def _quoted(value) -> str:
    """Any value as text, percent-encoded as UTF-8 (lone surrogates as their
    CESU bytes: the server decodes them as replacement characters)."""
    text = value if isinstance(value, str) else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form_body(fields: dict) -> bytes:
    """application/x-www-form-urlencoded; a list is one field per item."""
    pairs = []
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{_quoted(key)}={_quoted(item)}")
    return "&".join(pairs).encode("ascii")


class Http:
    """One CKAN test client per user: API tokens for the API, cookie sessions
    (with their CSRF token) for the pages."""

    def __init__(self, app, portal):
        self.app = app
        self.tokens = {"sysadmin": portal.tokens["sysadmin"], "walidata": portal.tokens["walidata"],
                       "plain": portal.tokens["plain"]}
        names = {"sysadmin": portal.sysadmin["name"], "walidata": portal.walidata["name"],
                 "plain": portal.plain["name"], "anonymous": None}
        for name in filter(None, names.values()):  # the portal's users have random passwords
            model.User.get(name).password = _PASSWORD
        model.repo.commit()
        self.clients, self.csrf = {}, {}
        for who, name in names.items():
            client = self.clients[who] = app.test_client()
            if name:  # logged in through the login form, as a browser is
                response = client.post("/user/login", data={"login": name, "password": _PASSWORD,
                                                            "_csrf_token": self._token(client)})
                assert response.request.path == "/satudata/tugas", who  # login lands on Tugas saya
            self.csrf[who] = self._token(client)

    @staticmethod
    def _token(client) -> str:
        found = _CSRF.search(client.get("/user/login").get_data(as_text=True))
        assert found
        return found.group(1)

    def api(self, who: str, action: str, payload: dict, encoding: str):
        headers = {"Authorization": self.tokens[who]} if who in self.tokens else {}
        if encoding == "json":
            body, content_type = json.dumps(payload), "application/json"
        else:
            body, content_type = _form_body(payload), "application/x-www-form-urlencoded"
        return self.app.post(f"/api/3/action/{action}", data=body, content_type=content_type, headers=headers)

    def page(self, who: str, method: str, path: str, fields: dict | None = None):
        client = self.clients[who]
        if method == "GET":
            return client.get(path, follow_redirects=True)
        body = _form_body(dict(fields or {}, _csrf_token=self.csrf[who]))
        return client.post(path, data=body, content_type="application/x-www-form-urlencoded",
                           follow_redirects=True)


@pytest.fixture
def http(world, make_app):
    """CKAN's test app (the ``app`` fixture's) and its logged-in clients, made
    once for the module (logging in hashes passwords)."""
    if getattr(world, "http", None) is None:
        world.http = Http(make_app(), world.portal)
    return world.http


def _server_error(response) -> str:
    return f"{response.status_code}: {response.get_data(as_text=True)[:2000]}"


# ------------------------------------------------------------------ the API

def test_every_action_over_the_api_is_never_a_500(world, http):
    """Per action: JSON and form-encoded payloads, as each user; 4xx leaves
    the database as it was."""
    refs, failures = world.refs(), {}
    for action in ACTIONS:
        @settings(settings.get_profile(PROFILE), max_examples=max(4, settings.get_profile(PROFILE).max_examples // 3))
        @given(who=st.sampled_from(USERS), encoding=st.sampled_from(["json", "form"]),
               payload=payloads(action, refs))
        def property_(who, encoding, payload):
            before = database_state()
            response = http.api(who, action, payload, encoding)
            assert response.status_code < 500, _server_error(response)
            if response.status_code >= 400:
                assert database_state() == before, f"{action} answered {response.status_code} after writing"

        try:
            property_()
        except Exception as error:  # every action is tried; all failures are reported
            failures[action] = f"{type(error).__name__}: {error}"[:3000]
        finally:
            model.Session.remove()
    assert not failures, "\n\n".join(f"{a}: {f}" for a, f in failures.items())


# ---------------------------------------------------------------- the pages

_STEPS = {"dispose": ("note", "organizations"), "ask_recommendation": ("pembina", "note"),
          "recommend": ("number", "date", "text", "not_needed", "reason"),
          "set_format": ("table_schema", "metadata_template"), "send": ("note",),
          "link_dataset": ("dataset_id",), "unlink_dataset": ("dataset_id",), "receive": ("note",),
          "reject": ("reason",), "cancel": ("reason",), "comment": ("comment",), "follow": (), "unfollow": (),
          "public": ("is_public",), "no-such-step": ()}
_REQUEST_FIELDS = ("title", "description", "purpose", "needed_by", "indicators", "area_level", "years")


def _routes(world) -> st.SearchStrategy:
    """(method, path template, form fields or query keys) of every page and form."""
    rows = [("GET", "/permintaan", ("status", "agency", "q", "overdue", "page", "sort")),
            ("GET", "/permintaan/saya", ("page",)), ("GET", "/permintaan/kotak-masuk", ()),
            ("GET", "/permintaan/baru", ()), ("POST", "/permintaan/baru", _REQUEST_FIELDS),
            ("GET", "/permintaan/{id}", ()), ("GET", "/permintaan/{id}/ubah", ()),
            ("POST", "/permintaan/{id}/ubah", _REQUEST_FIELDS), ("GET", "/permintaan/instansi/{org}", ("page",)),
            ("POST", "/dataset/{dataset}/satudata/transition",
             ("action", "note", "sdi_classification", "sdi_exemption_basis", "sdi_consequence_test")),
            ("GET", "/satudata/tugas", ()), ("GET", "/ckan-admin/satudata/roles/", ()),
            ("POST", "/ckan-admin/satudata/roles/grant", ("user", "role", "organization", "institution")),
            ("POST", "/ckan-admin/satudata/roles/revoke", ("user", "role", "organization"))]
    rows += [("POST", f"/permintaan/{{id}}/{step}", fields) for step, fields in _STEPS.items()]
    return st.sampled_from(rows)


def _segment(world) -> st.SearchStrategy:
    real = [r["id"] for r in world.requests.values()] + [d["id"] for d in world.datasets] + [
        d["name"] for d in world.datasets] + [world.portal.org_a["name"], "no-such-request"]
    return st.one_of(st.sampled_from(real), st.sampled_from(real), st.sampled_from(HOSTILE_TEXT[:45]),
                     text_values().filter(bool))


def test_every_page_and_form_is_never_a_500(world, http):
    refs = world.refs() + ["submit", "verify", "reject", "publish", "unpublish", "nope"]
    value = st.one_of(st.sampled_from(HOSTILE_TEXT), st.sampled_from(refs), text_values(),
                      st.lists(st.sampled_from(refs + HOSTILE_TEXT[:10]), max_size=3))

    @settings(settings.get_profile(PROFILE), max_examples=4 * settings.get_profile(PROFILE).max_examples)
    @given(who=st.sampled_from(USERS), route=_routes(world), segment=_segment(world), data=st.data())
    def property_(who, route, segment, data):
        method, template, keys = route
        path = template.format(id=_quoted(segment), org=_quoted(segment), dataset=_quoted(segment))
        fields = data.draw(st.fixed_dictionaries({}, optional={key: value for key in keys}))
        if method == "GET" and fields:
            path += "?" + _form_body(fields).decode("ascii")
        response = http.page(who, method, path, fields if method == "POST" else None)
        assert response.status_code < 500, f"{method} {path} {fields!r} -> {_server_error(response)}"

    try:
        property_()
    finally:
        model.Session.remove()


# ---------------------------------------------- the cases the issue names

@pytest.mark.parametrize("action", ACTIONS)
def test_nul_and_surrogates_over_the_api_are_refused(world, http, action):
    """Each known key of the action in turn holds a NUL or a lone surrogate (as
    JSON), as the sysadmin (who passes every auth check, so the input itself is
    judged) and anonymous: a 4xx, and nothing written."""
    for who in ("sysadmin", "anonymous"):
        for bad in ("a\x00b", "a\ud800b"):
            for key in known_keys(action):
                before = database_state()
                response = http.api(who, action, {"id": world.requests["sent"]["id"], key: bad}, "json")
                assert response.status_code < 500, f"{who} {key}={bad!r}: {_server_error(response)}"
                if response.status_code >= 400:
                    assert database_state() == before


def test_a_nul_in_a_page_url_is_not_found(world, http):
    for who in USERS:
        for path in ("/permintaan/a%00b", "/permintaan/a%00b/ubah", "/permintaan/instansi/a%00b"):
            assert http.page(who, "GET", path).status_code == 404, (who, path)
        assert http.page(who, "POST", "/permintaan/a%00b/follow").status_code in (401, 403, 404), who
    response = http.page("walidata", "POST", "/dataset/a%00b/satudata/transition", {"action": "publish"})
    assert response.status_code == 404


def test_needed_by_empty_over_the_api_is_no_date(world, http):
    for needed_by in ("", []):
        response = http.api("walidata", "satudata_request_create",
                            {"title": "Tanpa tanggal", "description": "d", "purpose": "p", "needed_by": needed_by},
                            "json")
        assert response.status_code == 200, _server_error(response)
        assert response.json["result"]["needed_by"] is None


def test_a_sysadmin_asking_for_an_unknown_request_gets_404(world, http):
    for action in ("satudata_request_show", "satudata_request_timeline", "satudata_request_follow",
                   "satudata_request_comment_list"):
        response = http.api("sysadmin", action, {"id": "no-such-request"}, "json")
        assert response.status_code == 404, (action, _server_error(response))
    for method, path in (("GET", "/permintaan/no-such-request"), ("GET", "/permintaan/no-such-request/ubah"),
                         ("POST", "/permintaan/no-such-request/follow"),
                         ("POST", "/permintaan/no-such-request/comment")):
        response = http.page("sysadmin", method, path, {"comment": "Halo"})
        assert response.status_code == 404, (path, _server_error(response))


def test_is_public_maybe_on_the_public_switch_saves_nothing(world, http):
    req = world.requests["public"]
    before = database_state()
    response = http.page("walidata", "POST", f"/permintaan/{req['id']}/public", {"is_public": "maybe"})
    assert response.status_code == 200, _server_error(response)
    assert "Harus true atau false" in response.get_data(as_text=True)
    assert database_state() == before
    response = http.api("walidata", "satudata_request_patch", {"id": req["id"], "is_public": "maybe"}, "json")
    assert response.status_code == 409 and list(response.json["error"]) == ["is_public", "__type"]
    assert database_state() == before
    assert helpers.call_action("satudata_request_show", id=req["id"])["is_public"] is True


def test_unfollow_answers_outsiders_alike_for_hidden_and_unknown_requests(world, http):
    answers = []
    for request_id in (world.hidden_request["id"], "no-such-request"):
        response = http.api("plain", "satudata_request_unfollow", {"id": request_id}, "json")
        answers.append((response.status_code, response.json["error"]))
    assert answers[0] == answers[1] and answers[0][0] == 404
