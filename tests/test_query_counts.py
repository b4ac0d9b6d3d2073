"""Lists run one set of queries per page, never one per row (issue 16): the
statement count of each list action and page stays the same when its rows grow."""
from __future__ import annotations

import itertools
import re


import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from tests.datarequest.conftest import Requests, call
from tests.querycount import assert_flat

_names = itertools.count()


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _submitted(portal, count: int) -> None:
    for _ in range(count):
        pkg = portal.dataset(name=_name("qc-task"))
        helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])


def test_task_list_queries_do_not_grow_with_its_rows(shared_portal):
    p = shared_portal
    _submitted(p, 2)

    def measure():
        tasks = call("satudata_task_list", p.ppid_a)
        return len(tasks["to_verify"])
    assert_flat(measure, lambda: _submitted(p, 4), measure)


def test_tasks_page_queries_do_not_grow_with_its_rows(shared_portal, app):
    p = shared_portal
    _submitted(p, 2)
    headers = {"Authorization": p.tokens["ppid_a"]}

    def measure():
        page = app.get("/satudata/tugas", headers=headers, status=200).get_data(as_text=True)
        return len(re.findall(r'href="/dataset/qc-task-', page))
    assert_flat(measure, lambda: _submitted(p, 4), measure)


def test_history_queries_do_not_grow_with_its_events(shared_portal):
    """Each transition by another user: the actors are looked up at once."""
    p = shared_portal
    pkg = p.dataset(name=_name("qc-history"))

    def round_trip():
        helpers.call_action("satudata_dataset_submit", {"user": p.producer_a["name"]}, id=pkg["id"])
        helpers.call_action("satudata_dataset_reject", {"user": p.ppid_a["name"]}, id=pkg["id"], reason="Lengkapi")

    def measure():
        return len(call("satudata_dataset_history", p.walidata, id=pkg["id"]))
    round_trip()
    assert_flat(measure, lambda: (round_trip(), round_trip()), measure)


def test_role_list_queries_do_not_grow_with_its_grants(shared_portal):
    p = shared_portal

    def grant(count):
        for _ in range(count):
            user = factories.User(name=_name("qc-forum"))
            helpers.call_action("satudata_role_grant", {"user": p.sysadmin["name"]}, user=user["name"], role="forum")
    grant(2)

    def measure():
        return len(call("satudata_role_list", p.sysadmin))
    assert_flat(measure, lambda: grant(4), measure)


def test_request_list_and_page_queries_do_not_grow_with_their_rows(shared_portal, app):
    p = shared_portal
    requests = Requests(p)
    req = requests.new(upto="sent")

    def more(count):
        for _ in range(count):
            requests.new()
            call("satudata_request_comment_create", p.forum, id=req["id"], comment="Kapan data tersedia?")
    more(2)

    def measure_list():
        return call("satudata_request_list", p.walidata, limit=100)["count"]
    assert_flat(measure_list, lambda: more(3), measure_list)

    headers = {"Authorization": p.tokens["walidata"]}

    def measure_page():
        page = app.get(f"/permintaan/{req['id']}", headers=headers, status=200).get_data(as_text=True)
        return page.count("Kapan data tersedia?")
    assert_flat(measure_page, lambda: more(3), measure_page)


def test_an_edit_works_out_its_editors_labels_once(shared_portal):
    """package_update asks "may they read it" in the action and in each auth
    check it makes: the editor's labels (an organization list and a role
    query) are worked out once per call (issue 15), and again on the next call."""
    from tests.querycount import counting
    p = shared_portal
    pkg = p.dataset(name=_name("qc-edit"))
    editor = {"user": p.producer_a["name"], "ignore_auth": False}  # call_action ignores auth by default
    shown = helpers.call_action("package_show", id=pkg["id"])
    for k in range(2):
        with counting() as statements:
            helpers.call_action("package_update", dict(editor), **dict(shown, notes=f"edit {k}"))
        # the labels' query: the user's active grants, any role (not a check of one role)
        grants = [s for s in statements if "FROM satudata_role_grant" in s and "role_1" not in s]
        assert len(grants) == 1, grants


def test_package_show_and_the_dataset_page_queries_do_not_grow_with_resources(shared_portal, app):
    """No query per resource (issue 15): package_show as the agency's
    producer and the dataset page as the Walidata."""
    p = shared_portal
    pkg = p.dataset(name=_name("qc-show"))

    def add(count):
        for _ in range(count):
            helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=pkg["id"],
                                name=_name("qc-res"), format="JSON", url="http://data.example.go.id/x.json")

    def measure_show():
        return sum(r["name"].startswith("qc-res") for r in call("package_show", p.producer_a, id=pkg["id"])["resources"])
    add(2)
    assert_flat(measure_show, lambda: add(3), measure_show)

    headers = {"Authorization": p.tokens["walidata"]}

    def measure_page():
        return app.get(f"/dataset/{pkg['name']}", headers=headers, status=200).get_data(as_text=True).count(
            "qc-res-")
    # core's dataset page asks resource_view_list of each resource (ckan/views/dataset.py read())
    assert_flat(measure_page, lambda: add(3), measure_page,
                core_per_row=("FROM resource \nWHERE resource.id = ", "FROM resource_view \nWHERE resource_view.resource_id"))


def test_package_search_queries_do_not_grow_with_its_rows(shared_portal):
    """A search of up to 100 rows, as the Walidata (who reads every agency's
    drafts): its statements do not grow with the datasets found."""
    p = shared_portal
    prefix = _name("qc-search")

    def more(count):
        for _ in range(count):
            p.dataset(name=_name(prefix), resource=False)

    def measure():
        return call("package_search", p.walidata, q=f"name:{prefix}*", rows=100, include_private=True)["count"]
    more(2)
    assert_flat(measure, lambda: more(3), measure)
