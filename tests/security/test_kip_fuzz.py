"""Bad input is never a 500 (issue 11): hypothesis property tests over the
input of every ``satudata_*`` and ``resource_validation_*`` action, called
directly as a sysadmin, the Walidata, a plain user and anonymous.

The actions are read from CKAN's action registry by name prefix, so a new
action is fuzzed without a change here; the keys each one knows come from its
``:param:`` docstring and its schema of the same name. Values are hostile
(NUL, lone surrogates, control characters, huge text, wrong types, nested
lists and dicts, Solr and SQL syntax, script tags) or real (ids and names of
the portal's requests, datasets, resources, agencies and users), so calls go
past the input checks too. A call either succeeds or raises ValidationError,
NotAuthorized or ObjectNotFound; a refused call leaves the database as it was
(the content of every satudata_* table and of the core tables an action
writes). The same payloads over HTTP: test_kip_fuzz_http.py.

Profiles (HYPOTHESIS_PROFILE): ``satudata-ci``, the default, derandomized
with a few examples per action (the module runs in well under a minute);
``satudata-deep`` for a longer local hunt.
"""
from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

import ckan.logic
import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from ckanext.satudata.datarequest import steps
from ckanext.satudata.logic import request_schema, schema
from ckanext.satudata.model import DataRequest, RequestFollower
from tests.conftest import upload

PREFIXES = ("satudata_", "resource_validation_")
REFUSED = (tk.ValidationError, tk.NotAuthorized, tk.ObjectNotFound)

_COMMON = dict(derandomize=True, database=None, deadline=None, print_blob=True,
               suppress_health_check=list(HealthCheck))
settings.register_profile("satudata-ci", max_examples=15, **_COMMON)
settings.register_profile("satudata-deep", max_examples=400, **_COMMON)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "satudata-ci")


# --------------------------------------------------------- the actions fuzzed

def fuzzed_actions() -> list[str]:
    """Every registered action named satudata_* or resource_validation_*."""
    try:
        tk.get_action("satudata_request_show")  # fills the registry
    except Exception:  # plugins not loaded: test_every_action_is_fuzzed says so
        return []
    return sorted(name for name in ckan.logic._actions if name.startswith(PREFIXES))


ACTIONS = fuzzed_actions()

def _schema_keys(name: str) -> set[str]:
    keys = set()
    for module in (schema, request_schema):
        fn = getattr(module, name, None)
        if callable(fn):
            keys |= set(fn())
    return keys


def known_keys(name: str) -> list[str]:
    """The action's ``:param x:`` names and its same-named schema's keys."""
    action = tk.get_action(name)
    doc = inspect.getdoc(getattr(action, "__wrapped__", action)) or ""
    keys = set(re.findall(r":param (\w+):", doc)) | _schema_keys(name) | {"id"}
    return sorted(keys)


def all_keys() -> list[str]:
    keys = set()
    for name in ACTIONS:
        keys |= set(known_keys(name))
    return sorted(keys | {"q", "limit", "offset", "name", "resource_id", "async", "organizations", "is_public",
                          "needed_by", "dataset_id", "user", "role", "organization"})


# ------------------------------------------------------------- the payloads

HOSTILE_TEXT = [
    "", " ", "\t", "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d", "\r\n", "line\rbreak", "\x1b[31m", "\x7f",
    "\u202e\u200b", "\ufeff", "\U0001f4a5", "*:*", "id:*", "title:[* TO *]", "' OR 1=1 --", "'; DROP TABLE satudata_request; --",
    '" OR ""="', "%", "_", "\\", "%00", "../../etc/passwd", "<script>alert(1)</script>",
    "{{ 7*7 }}", "${7*7}", "maybe", "null", "None", "NaN", "Infinity", "-1", "0", "1e309", "true", "false",
    "[]", "{}", "[1", "{\"fields\": [", "x" * 100_000, "2024-02-30", "0000-00-00", "9999-12-31",
]
HOSTILE_VALUES = [None, True, False, 0, -1, 2 ** 63, -(2 ** 63) - 1, 10 ** 30, 1.5, float("nan"), float("inf"),
                  [], [None], [[]], {}, {"": None}, {"\x00": "\ud800"}, ["\x00"], ["\ud800"],
                  {"fields": "x"}, {"fields": [{"name": "\x00", "type": "string"}]},
                  {"fields": [{"name": "a", "type": "string", "constraints": {"pattern": "("}}]},
                  [{"a": [{"b": [{"c": None}]}]}]]


def text_values() -> st.SearchStrategy:
    """Random text over every code point: control characters and lone surrogates too."""
    return st.text(st.characters(exclude_categories=()), max_size=30)


def values(refs: list) -> st.SearchStrategy:
    scalars = st.one_of(
        st.sampled_from(HOSTILE_TEXT), st.sampled_from(HOSTILE_VALUES), st.sampled_from(refs),
        st.sampled_from(refs), text_values(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
        st.floats(), st.booleans(), st.none())
    keys = st.one_of(st.sampled_from(all_keys()), text_values())
    return st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(keys, inner, max_size=3)),
                        max_leaves=5)


def payloads(name: str, refs: list) -> st.SearchStrategy:
    """The action's own keys (each present or not), and now and then others."""
    value = values(refs)
    own = st.fixed_dictionaries({}, optional={key: value for key in known_keys(name)})
    extra = st.dictionaries(st.one_of(st.sampled_from(all_keys()), text_values()), value, max_size=2)
    return st.builds(_merged, own, st.one_of(st.just({}), extra))


def _merged(own: dict, extra: dict) -> dict:
    return {**extra, **own}


# ------------------------------------------------------- the portal fuzzed

class World:
    """A module portal with requests at every step, datasets in several
    states, a tabular resource, and a user whose roles the fuzz may change."""

    def __init__(self, portal):
        from tests.datarequest.conftest import Requests, call

        self.portal = p = portal
        self.victim = factories.User(name="fuzz-victim")
        draft = p.dataset(name="fuzz-draft")
        res = helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=draft["id"],
                                  name="data.csv", format="CSV", url="",
                                  upload=upload("kecamatan,jumlah\nJatinangor,10\n", "data.csv"))
        published = p.walk(p.dataset(name="fuzz-published"), "submit", "verify", "publish")
        submitted = p.walk(p.dataset(name="fuzz-submitted"), "submit")
        linked = p.dataset(name="fuzz-linked", resource=False)
        reqs = Requests(p)
        self.requests = {stage: reqs.new(upto=stage, by=p.walidata, title=f"Fuzz {stage}")
                         for stage in ("submitted", "dispositioned", "awaiting_recommendation", "recommended",
                                       "format_defined", "sent")}
        self.requests["mine"] = reqs.new(by=p.forum, title="Fuzz forum")
        public = reqs.new(by=p.walidata, title="Fuzz public")
        self.requests["public"] = call("satudata_request_patch", p.walidata, id=public["id"], is_public=True)
        call("satudata_request_link_dataset", p.walidata, id=self.requests["sent"]["id"], dataset_id=linked["id"])
        self.datasets = [draft, published, submitted, linked]
        self.resource = res
        self.hidden_request = self.requests["submitted"]  # plain users and anonymous may not see it
        model.Session.remove()

    def refs(self) -> list:
        """Real values the input may name."""
        p = self.portal
        tomorrow = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        ids = [r["id"] for r in self.requests.values()] + [d["id"] for d in self.datasets] + [
            d["name"] for d in self.datasets] + [self.resource["id"]]
        return ids + [
            str(uuid.UUID(int=0)), "no-such-request", "no-such-dataset",
            p.org_a["name"], p.org_a["id"], p.org_b["name"], [p.org_a["name"]], [p.org_b["id"], "nope"],
            self.victim["name"], self.victim["id"], p.plain["name"], "pembina",
            "walidata", "forum", "ppid", "nope", *steps.STATUSES, ["sent", "nope"],
            "data_umum", "terbatas", "dikecualikan", ["a", "b"], "kecamatan", "2020-2024", "2024-2020",
            tomorrow, "2001-01-01", "true", "false", "on", "1", "created", "due",
            {"fields": [{"name": "kecamatan", "type": "string"}]}, {"sdi_unit": "orang"}, {"sdi_status": "published"},
        ]

    def users(self) -> dict[str, str]:
        p = self.portal
        return {"sysadmin": p.sysadmin["name"], "walidata": p.walidata["name"], "plain": p.plain["name"],
                "anonymous": ""}


@pytest.fixture(scope="module")
def _plugins_once(module_portal):
    """After module_portal (which unloads the plugins it loaded)."""
    import ckan.plugins as plugins
    plugins.load_all()
    yield
    plugins.unload_all()


@pytest.fixture(autouse=True)
def _satudata_plugins(_plugins_once):
    """The plugins loaded once for the module (conftest loads them per test);
    each test ends with a fresh session, whatever it left behind."""
    yield
    model.Session.rollback()
    model.Session.remove()


@pytest.fixture
def world(shared_portal):
    if getattr(shared_portal, "fuzz_world", None) is None:
        shared_portal.fuzz_world = World(shared_portal)
    return shared_portal.fuzz_world


# Tables a refused call must leave as they were: every satudata_* table and the
# core ones the actions write (compared by content, in a fresh connection, so
# only what was committed counts).
CORE_TABLES = ("package", "resource", "activity", "member", '"group"', "package_tag")


_TABLES: list[str] = []


def database_state() -> dict[str, str]:
    """Each table's row count and content digest, in one query."""
    with model.meta.engine.connect() as conn:
        if not _TABLES:
            _TABLES.extend(sorted(row[0] for row in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                " AND tablename LIKE 'satudata%'"))) + list(CORE_TABLES))
        digest = " UNION ALL ".join(
            f"SELECT '{table}', count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
            f" FROM {table} t" for table in _TABLES)
        return dict(conn.execute(text(digest)).all())


def call_refused_or_done(action: str, user: str, data_dict: dict) -> str:
    """Call ``action``; 'done' or 'refused', and a refused call wrote nothing.
    Anything but ValidationError, NotAuthorized and ObjectNotFound propagates
    (the test fails with the payload)."""
    before = database_state()
    context = {"user": user, "ignore_auth": False}
    try:
        tk.get_action(action)(context, data_dict)
    except REFUSED:
        model.Session.remove()
        after = database_state()
        changed = sorted(t for t in before if before[t] != after[t])
        assert not changed, f"{action} was refused after writing to {changed}"
        return "refused"
    finally:
        model.Session.remove()
    return "done"


# ------------------------------------------------------------------ tests

def test_every_action_is_fuzzed():
    """The collected list is the registry's (the plugins were loaded at collection)."""
    registered = sorted(name for name in fuzzed_actions())
    assert ACTIONS == registered and len(ACTIONS) > 30
    assert {"satudata_request_unfollow", "satudata_role_grant", "resource_validation_run",
            "satudata_dataset_verify"} <= set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_bad_input_is_refused_never_a_500(world, action):
    refs, users = world.refs(), world.users()

    @settings(settings.get_profile(PROFILE))
    @given(who=st.sampled_from(sorted(users)), data_dict=payloads(action, refs))
    def property_(who, data_dict):
        call_refused_or_done(action, users[who], data_dict)

    property_()


# ---------------------------------------------- the cases the issue names

NUL, SURROGATE = "a\x00b", "a\ud800b"


@pytest.mark.parametrize("action", ACTIONS)
def test_nul_and_surrogates_in_every_key(world, action):
    """Each known key of the action in turn holds a NUL or a lone surrogate,
    the id naming a real request: as the sysadmin (who passes every auth
    check, so the input itself is judged) and as anonymous (auth first)."""
    users = world.users()
    for who in ("sysadmin", "anonymous"):
        for bad in (NUL, SURROGATE):
            for key in known_keys(action):
                call_refused_or_done(action, users[who], {"id": world.requests["sent"]["id"], key: bad})


@pytest.mark.parametrize("needed_by", ["", [], None, {}, " ", "\x00", "\ud800"])
@pytest.mark.parametrize("action", ["satudata_request_create", "satudata_request_update",
                                    "satudata_request_patch"])
def test_needed_by_empty_or_wrong_is_no_date_or_a_field_error(world, action, needed_by):
    data = {"title": "Tanggal kosong", "description": "d", "purpose": "p", "needed_by": needed_by}
    if action != "satudata_request_create":
        data["id"] = world.requests["mine"]["id"]
    try:
        result = tk.get_action(action)({"user": world.portal.forum["name"], "ignore_auth": False}, data)
    except tk.ValidationError as error:
        assert list(error.error_dict) == ["needed_by"]
    else:
        assert result["needed_by"] is None
    finally:
        model.Session.remove()


@pytest.mark.parametrize("action", ["satudata_request_show", "satudata_request_timeline",
                                    "satudata_request_follow", "satudata_request_unfollow",
                                    "satudata_request_comment_list", "satudata_request_comment_create",
                                    "satudata_request_update", "satudata_request_patch",
                                    "satudata_request_receive", "satudata_request_cancel",
                                    "satudata_request_reject"])
def test_a_sysadmin_asking_for_an_unknown_request_gets_not_found(world, action):
    data = {"id": "no-such-request", "comment": "c", "reason": "r", "title": "t", "description": "d",
            "purpose": "p"}
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action(action, {"user": world.portal.sysadmin["name"], "ignore_auth": False}, **data)


@pytest.mark.parametrize("value", ["maybe", "2", [], {}, "\x00"])
def test_is_public_must_be_a_boolean_and_nothing_is_saved(world, value):
    req = world.requests["public"]
    before = database_state()
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("satudata_request_patch", {"user": world.portal.walidata["name"], "ignore_auth": False},
                            id=req["id"], is_public=value)
    assert list(error.value.error_dict) == ["is_public"]
    model.Session.remove()
    assert database_state() == before


def test_unfollow_answers_outsiders_alike_for_hidden_and_unknown_requests(world):
    plain = {"user": world.portal.plain["name"], "ignore_auth": False}
    answers = []
    for request_id in (world.hidden_request["id"], "no-such-request", str(uuid.UUID(int=1))):
        with pytest.raises(tk.ObjectNotFound) as error:
            helpers.call_action("satudata_request_unfollow", dict(plain), id=request_id)
        answers.append(str(error.value))
    assert len(set(answers)) == 1
    # a follower who can no longer see the request may still stop following it
    model.Session.add(RequestFollower(request_id=world.hidden_request["id"], user_id=world.portal.plain["id"]))
    model.repo.commit()
    assert helpers.call_action("satudata_request_unfollow", dict(plain), id=world.hidden_request["id"]) == {
        "id": world.hidden_request["id"], "following": False}
    assert model.Session.get(RequestFollower, (world.hidden_request["id"], world.portal.plain["id"])) is None
    assert DataRequest.get(world.hidden_request["id"]) is not None
