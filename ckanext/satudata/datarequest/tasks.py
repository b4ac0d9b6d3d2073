""""Tugas saya" whole: the data requests waiting for the current user, beside
the workflow's dataset queues (workflow/tasks.py), per role.

The request queues come from the steps tables (steps.py): the Pembina's are
the statuses where the asked Pembina moves (recommend); the producer's, the
statuses where a target agency's producer moves (link a dataset); the
Walidata's, the steps whose actor is the Walidata or that wait on them
(``steps.waiting_on``); the Forum member's, their own open requests and
those waiting for them to receive (receive). Every row has its id, its due
date and whether it is overdue; a dataset's due date is that of the request
it fulfils when that request waits on the dataset's queue's role. A fixed
number of queries for the whole list, however many rows.
"""
from __future__ import annotations

from typing import Any, NamedTuple

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import and_, exists, or_, select

from ckanext.satudata.datarequest import dictize, steps
from ckanext.satudata.model import DataRequest, RequestAgency, RequestDataset, utcnow
from ckanext.satudata.validation import report, service
from ckanext.satudata.workflow import roles, states
from ckanext.satudata.workflow import tasks as dataset_tasks

__all__ = ["RequestQueue", "REQUEST_QUEUES", "ROLES", "for_user"]


class RequestQueue(NamedTuple):
    key: str
    role: str  # an actor of steps.STEP_TABLE
    statuses: tuple[str, ...]  # the request statuses it lists
    steps: tuple[int, ...] | None = None  # and only at these steps (None: any)


def _sources(who: str, action: str | None = None) -> tuple[str, ...]:
    """The statuses from which ``who`` makes a move (``action``, or any) of steps.MOVES."""
    return tuple(dict.fromkeys(m.source for m in steps.MOVES
                               if who in m.who and m.source is not None and action in (None, m.action)))


_RECEIVE = steps.statuses("receive")
# the Walidata's steps: those they do (steps 2, 4, 5, 10), and those waiting on them (step 3 until asked)
_WALIDATA_STEPS = tuple(sorted({s.number for s in steps.STEP_TABLE if s.actor == "walidata"}
                               | {step for status, step in steps.STEP_OF_STATUS.items()
                                  if steps.waiting_on(status, step) == "walidata"}))

REQUEST_QUEUES: tuple[RequestQueue, ...] = (
    RequestQueue("walidata_requests", "walidata", steps.OPEN, _WALIDATA_STEPS),
    RequestQueue("recommendations", "pembina", _sources("asked_pembina")),
    RequestQueue("agency_requests", "producer", _sources("target_producer", "link_dataset")),
    RequestQueue("delivered", "forum", _RECEIVE),
    RequestQueue("my_requests", "forum", tuple(s for s in steps.OPEN if s not in _RECEIVE)),
)

# the roles, in the page's order; each has its request queues, then its dataset queues
ROLES = ("walidata", "pembina", "producer", "ppid", "forum")
assert {q.who for q in dataset_tasks.QUEUES} <= set(ROLES) and {q.role for q in REQUEST_QUEUES} <= set(ROLES)
assert {q.who for q in dataset_tasks.QUEUES} <= set(steps.ACTORS.values())


def _not_returned(queue: dataset_tasks.Queue) -> bool:
    """Whether a queue does not list datasets sent back to it (sorted on it,
    the producer's returned datasets come before their drafts)."""
    return not any(row.to_status == queue.status and states.ACTIONS[row.action].reason for row in states.TABLE)


def _sections(role: str) -> list[tuple[str, str]]:
    """(key, kind) of the role's queues, in the page's order."""
    return ([(q.key, "request") for q in REQUEST_QUEUES if q.role == role]
            + [(q.key, "dataset") for q in sorted((q for q in dataset_tasks.QUEUES if q.who == role),
                                                  key=_not_returned)])


# ------------------------------------------------------------------ requests

def _condition(queue: RequestQueue, user: model.User, scope: dataset_tasks.Scope):
    """The SQL condition of the queue's requests for ``user``, or None: not theirs."""
    if queue.role == "walidata":
        return True if scope.holds(states.WALIDATA) else None
    if queue.role == "pembina":
        if not roles.has_role(user, "pembina"):
            return None
        return and_(DataRequest.recommendation["asked_at"].isnot(None),
                    or_(DataRequest.pembina_id.is_(None), DataRequest.pembina_id == user.id))
    if queue.role == "producer":
        if not scope.holds(states.PRODUCER):
            return None
        orgs = scope.organizations(states.PRODUCER)
        agency = RequestAgency.request_id == DataRequest.id
        return exists().where(agency, RequestAgency.organization_id.in_(orgs)) if orgs is not None \
            else exists().where(agency)
    if queue.role == "forum":
        return DataRequest.requester_id == user.id
    raise ValueError(queue.role)


def _request_rows(requests: list[DataRequest], producer_orgs: list[str] | None) -> dict[str, dict[str, Any]]:
    """The rows of the requests by id: agencies by title, requester, step,
    due date, overdue, and who the request waits on."""
    ids = [r.id for r in requests]
    agencies: dict[str, list[dict[str, Any]]] = {}
    if ids:
        for request_id, org_id, name, title in model.Session.execute(
                select(RequestAgency.request_id, model.Group.id, model.Group.name, model.Group.title)
                .join(model.Group, model.Group.id == RequestAgency.organization_id)
                .where(RequestAgency.request_id.in_(ids)).order_by(model.Group.title)):
            agencies.setdefault(request_id, []).append({"id": org_id, "name": name, "title": title or name})
    users = roles.users_by_id(r.requester_id for r in requests)
    now = utcnow()
    out = {}
    for req in requests:
        waiting = steps.waiting_on(req.status, req.step)
        requester = users.get(req.requester_id) if req.requester_id else None
        targets = agencies.get(req.id, [])
        out[req.id] = {
            "id": req.id, "title": req.title, "status": req.status, "status_label": steps.status_label(req.status),
            "step": req.step, "step_label": steps.step_label(req.step), "waiting_on": waiting,
            "waiting_on_label": steps.actor_label(waiting), "step_due": dictize.iso(req.step_due),
            "overdue": dictize.is_overdue(req, now), "needed_by": dictize.iso(req.needed_by),
            "requester": requester.name if requester else None,
            "requester_display_name": requester.display_name if requester else None,
            "organizations": targets,
            "my_organizations": [o for o in targets if producer_orgs is None or o["id"] in producer_orgs],
            "created": dictize.iso(req.created),
        }
    return out


def _delivered_datasets(rows: list[dict[str, Any]], user: model.User) -> None:
    """The datasets each delivered request brought, as the user's search
    finds them (the permission labels decide, as everywhere): one query and
    one search for all the rows."""
    for row in rows:
        row["datasets"] = []
    if not rows:
        return
    links = model.Session.execute(
        select(RequestDataset.request_id, RequestDataset.package_id)
        .where(RequestDataset.request_id.in_([r["id"] for r in rows])).order_by(RequestDataset.created)).all()
    if not links:
        return
    ids = sorted({package_id for _request_id, package_id in links})
    found = tk.get_action("package_search")({"user": user.name}, {
        "fq": "id:(" + " OR ".join(f'"{i}"' for i in ids) + ")", "include_private": True, "rows": len(ids),
        "fl": ["id", "name", "title"]})
    readable = {d["id"]: {"id": d["id"], "name": d["name"], "title": d.get("title") or d["name"]}
                for d in found["results"]}
    by_id = {row["id"]: row for row in rows}
    for request_id, package_id in links:
        if package_id in readable:
            by_id[request_id]["datasets"].append(readable[package_id])


def _request_queues(user: model.User, scope: dataset_tasks.Scope) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[DataRequest]] = {}
    for queue in REQUEST_QUEUES:
        condition = _condition(queue, user, scope)
        if condition is None:
            found[queue.key] = []
            continue
        query = select(DataRequest).where(DataRequest.status.in_(queue.statuses))
        if condition is not True:
            query = query.where(condition)
        if queue.steps is not None:
            query = query.where(DataRequest.step.in_(queue.steps))
        found[queue.key] = list(model.Session.scalars(
            query.order_by(DataRequest.step_due.asc().nulls_last(), DataRequest.created, DataRequest.id)).all())
    unique = list({req.id: req for reqs in found.values() for req in reqs}.values())
    rows = _request_rows(unique, scope.organizations(states.PRODUCER))
    out = {key: [dict(rows[req.id]) for req in reqs] for key, reqs in found.items()}
    _delivered_datasets(out["delivered"], user)
    return out


# ------------------------------------------------------------------ datasets

def _step_of(action: str) -> int | None:
    """The request step a dataset's workflow action does (8 submit, 9 verify, 10 publish)."""
    return next((s.number for s in steps.STEP_TABLE if s.transition == action), None)


def _dataset_due_dates(queues: dict[str, list[dict[str, Any]]]) -> None:
    """Each dataset row's open requests, and its due date: the earliest due
    date of those waiting on the queue's role at a step up to the one the
    queue's action does (a producer's draft for a request at steps 6-8, a
    PPID's dataset for one at step 9, the Walidata's at step 10)."""
    rows = [(queue, row) for queue in dataset_tasks.QUEUES for row in queues[queue.key]]
    for _queue, row in rows:
        row.update(requests=[], due=None, overdue=False)
    if not rows:
        return
    linked: dict[str, list[DataRequest]] = {}
    # requests still sent to the dataset's agency: those its people see whole (access.can_see)
    for package_id, req in model.Session.execute(
            select(RequestDataset.package_id, DataRequest)
            .join(DataRequest, DataRequest.id == RequestDataset.request_id)
            .join(model.Package, model.Package.id == RequestDataset.package_id)
            .where(RequestDataset.package_id.in_({row["id"] for _queue, row in rows}),
                   DataRequest.status.in_(steps.OPEN),
                   exists().where(RequestAgency.request_id == DataRequest.id,
                                  RequestAgency.organization_id == model.Package.owner_org))
            .order_by(DataRequest.created)):
        linked.setdefault(package_id, []).append(req)
    now = utcnow()
    for queue, row in rows:
        step = _step_of(queue.action)
        dues = []
        for req in linked.get(row["id"], []):
            row["requests"].append({"id": req.id, "title": req.title})
            if step is not None and steps.ACTORS.get(req.step) == queue.who and req.step <= step and req.step_due:
                dues.append(req.step_due)
        if dues:
            row["due"] = dictize.iso(min(dues))
            row["overdue"] = min(dues) < now


# the order in which one resource's state speaks for the dataset's (worst first)
_WORST_FIRST = ("failure", "error", "running", "pending", None, "success")


def _validation(queues: dict[str, list[dict[str, Any]]]) -> None:
    """Each dataset row's validation state: its tabular resources' statuses
    with their labels, and the worst of them (``validation_status``; None
    without a tabular resource)."""
    for queue in dataset_tasks.QUEUES:
        for row in queues[queue.key]:
            checked = [{"resource_id": r["id"], "name": r["name"], "status": r["validation_status"],
                        "label": report.status_label(r["validation_status"])}
                       for r in row["resources"] if service.is_tabular(r)]
            row["validation"] = checked
            worst = min((c["status"] if c["status"] in _WORST_FIRST else "error" for c in checked),
                        key=_WORST_FIRST.index, default=None) if checked else None
            row["validation_status"] = worst if checked else None
            row["validation_label"] = report.status_label(worst) if checked else None


# ------------------------------------------------------------------ the list

def for_user(user) -> dict[str, Any]:
    """The task list of ``user``: every queue by key (empty when it is not
    theirs) and ``queues``, the queues of the roles they hold in the page's
    order (``key``, ``role``, ``kind``: request or dataset, ``count``)."""
    scope = dataset_tasks.Scope(user)
    obj = scope.user
    out: dict[str, Any] = dataset_tasks.for_user(obj, scope)
    if obj is None:
        out.update({q.key: [] for q in REQUEST_QUEUES})
        out["queues"] = []
        return out
    _dataset_due_dates(out)
    _validation(out)
    out.update(_request_queues(obj, scope))
    held = {
        "walidata": scope.holds(states.WALIDATA),
        "pembina": roles.has_role(obj, "pembina"),
        "producer": scope.holds(states.PRODUCER),
        "ppid": scope.holds(states.PPID),
        "forum": roles.has_role(obj, "forum") or bool(out["my_requests"] or out["delivered"]),
    }
    out["queues"] = [{"key": key, "role": role, "kind": kind, "count": len(out[key])}
                     for role in ROLES if held[role] for key, kind in _sections(role)]
    return out
