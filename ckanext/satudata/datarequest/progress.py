"""Moving a request along its steps and tying datasets to it.

Every change happens on the request row locked ``FOR UPDATE`` so two people
acting at once queue up; the caller commits. Steps 6-10 are not called by
anybody: they complete when the linked datasets reach the state the step
stands for, and are credited to whoever did that for each dataset (who linked
it, created it, submitted, verified, published it).

Lock order, everywhere: the dataset row first (``transitions.lock_dataset``),
then its requests' rows by request id. A transition locks the dataset and then
advances its requests; a link locks the dataset and then the request, so
either one waits for the other and sees its committed result.
"""
from __future__ import annotations

import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import select

from ckanext.satudata.datarequest import due, steps
from ckanext.satudata.model import DataRequest, DatasetEvent, RequestAgency, RequestDataset, RequestEvent, utcnow
from ckanext.satudata.validation import service
from ckanext.satudata.workflow import transitions

__all__ = ["lock", "record", "complete_step", "start", "close", "targets", "agencies", "linked_packages",
           "link_problem", "check_linkable", "link", "unlink", "advance", "revalidate", "dataset_saved",
           "dataset_changed", "requests_of_dataset"]

log = logging.getLogger(__name__)

# steps 8-10: the dataset statuses that count as done, the transition that does each (steps.STEP_TABLE)
_DONE_STATES = {s.number: s.done_states for s in steps.STEP_TABLE if s.transition}
_TRANSITION_OF_STEP = {s.number: s.transition for s in steps.STEP_TABLE if s.transition}


def lock(id_: str) -> DataRequest:
    """The request row, locked until commit."""
    req = model.Session.scalars(
        select(DataRequest).where(DataRequest.id == id_).with_for_update()).first() if id_ else None
    if req is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    model.Session.refresh(req)
    return req


def record(req: DataRequest, kind: str, actor_id: str | None, note: str | None = None,
           data: dict | None = None, step: int | None = None, due_at=None, at=None) -> RequestEvent:
    event = RequestEvent(request_id=req.id, kind=kind, actor_id=actor_id, note=note, data=data, step=step,
                         due=due_at, created=at or utcnow())
    model.Session.add(event)
    req.modified = event.created
    return event


def start(req: DataRequest, actor_id: str | None) -> RequestEvent:
    """Step 1 is done by filing; step 2 is due from then."""
    now = req.created or utcnow()
    event = record(req, "step", actor_id, step=1, due_at=now, at=now)
    req.step, req.step_started, req.step_due = 2, now, due.due_for_step(2, now)
    return event


def complete_step(req: DataRequest, step: int, actor_id: str | None, note: str | None = None,
                  data: dict | None = None) -> RequestEvent:
    """Record ``step`` as done now and start the next one with its due date."""
    if req.step != step:
        raise tk.ValidationError({"step": [tk._("The request is at step %(current)s, not %(step)s") % {
            "current": req.step, "step": step}]})
    now = utcnow()
    event = record(req, "step", actor_id, note=note, data=data, step=step, due_at=req.step_due, at=now)
    if step < 11:
        req.step, req.step_started, req.step_due = step + 1, now, due.due_for_step(step + 1, now)
    else:
        req.step_due = None
    return event


def close(req: DataRequest, status: str, actor_id: str | None, reason: str | None) -> RequestEvent:
    now = utcnow()
    req.status, req.closed, req.close_reason, req.step_due = status, now, reason, None
    return record(req, status, actor_id, note=reason, step=req.step, at=now)


def targets(req: DataRequest) -> list[model.Group]:
    ids = model.Session.scalars(
        select(RequestAgency.organization_id).where(RequestAgency.request_id == req.id)).all()
    groups = [model.Group.get(i) for i in ids]
    return sorted((g for g in groups if g is not None and g.state == "active"), key=lambda g: g.title or g.name)


def agencies(refs: list, active: bool = True) -> tuple[list[model.Group], list[str]]:
    """The organizations ``refs`` (names or ids) name, each once and in order,
    and the refs that name none (unknown, not an organization, or deleted when
    ``active``): the one check of a request's list of agencies."""
    groups: list[model.Group] = []
    unknown: list[str] = []
    for ref in refs:
        group = model.Group.get(ref)
        if group is None or not group.is_organization or (active and group.state != "active"):
            unknown.append(ref)
        elif group.id not in {g.id for g in groups}:
            groups.append(group)
    return groups, unknown


def linked_packages(req: DataRequest, include_deleted: bool = False) -> list[model.Package]:
    query = (select(model.Package).join(RequestDataset, RequestDataset.package_id == model.Package.id)
             .where(RequestDataset.request_id == req.id).order_by(RequestDataset.created))
    if not include_deleted:
        query = query.where(model.Package.state == "active")
    return list(model.Session.scalars(query).all())


def requests_of_dataset(pkg_id: str) -> list[str]:
    """The ids of the requests ``pkg_id`` is linked to, in lock order."""
    return list(model.Session.scalars(
        select(RequestDataset.request_id).where(RequestDataset.package_id == pkg_id)
        .order_by(RequestDataset.request_id)).all())


def link_problem(req: DataRequest, owner_org: str | None, sdi: bool = True) -> str | None:
    """Why a dataset of agency ``owner_org`` (an id) may not fulfil ``req``, or
    None: the one rule, for linking and for a dataset saved with
    ``sdi_request_id``. Only a request in a status that takes datasets (sent,
    until delivered), only SDI datasets, only from the agencies it was sent to."""
    if not steps.allows("link_dataset", req.status):
        return tk._("Datasets are linked to a request once it has been sent to the agencies and until it is delivered")
    if not sdi:
        return tk._("Only SDI datasets can fulfil a data request")
    if owner_org not in {g.id for g in targets(req)}:
        return tk._("The request was not sent to this dataset's agency")
    return None


def check_linkable(req: DataRequest, pkg: model.Package, field: str = "dataset_id") -> None:
    """``link_problem`` for a stored dataset, as a field error."""
    problem = link_problem(req, pkg.owner_org, sdi="sdi_status" in pkg.extras)
    if problem:
        raise tk.ValidationError({field: [problem]})


def link(req: DataRequest, pkg: model.Package, actor_id: str | None) -> RequestEvent | None:
    """Tie ``pkg`` to ``req`` (once); the caller has checked it may be."""
    if model.Session.get(RequestDataset, (req.id, pkg.id)) is not None:
        return None
    model.Session.add(RequestDataset(request_id=req.id, package_id=pkg.id, linked_by=actor_id))
    model.Session.flush()  # CKAN's session does not autoflush; advance() queries the links
    return record(req, "link", actor_id, step=req.step,
                  data={"dataset_id": pkg.id, "dataset_name": pkg.name, "dataset_title": pkg.title,
                        "organization_id": pkg.owner_org})


def unlink(req: DataRequest, pkg: model.Package, actor_id: str | None) -> RequestEvent:
    row = model.Session.get(RequestDataset, (req.id, pkg.id))
    if row is None:
        raise tk.ValidationError({"dataset_id": [tk._("This dataset is not linked to the request")]})
    model.Session.delete(row)
    model.Session.flush()
    return record(req, "unlink", actor_id, step=req.step,
                  data={"dataset_id": pkg.id, "dataset_name": pkg.name, "dataset_title": pkg.title})


def _step_condition(step: int, req: DataRequest, packages: list[model.Package]) -> bool:
    if not packages:
        return False
    if step == 6:
        return {g.id for g in targets(req)} <= {p.owner_org for p in packages}
    if step == 7:
        return all(any(r.state == "active" for r in p.resources_all) for p in packages)
    return all((p.extras.get("sdi_status") or "draft") in _DONE_STATES[step] for p in packages)


def _dataset_actor(step: int, req: DataRequest, pkg: model.Package) -> tuple[str | None, object]:
    """Who did ``step`` for ``pkg``, and when (for ordering): who linked it
    (6), who created it (7), who made the transition of steps 8-10 last."""
    if step == 6:
        row = model.Session.get(RequestDataset, (req.id, pkg.id))
        return (row.linked_by, row.created) if row else (None, None)
    if step == 7:
        return pkg.creator_user_id, pkg.metadata_created
    event = model.Session.scalars(
        select(DatasetEvent).where(DatasetEvent.package_id == pkg.id,
                                   DatasetEvent.action == _TRANSITION_OF_STEP[step])
        .order_by(DatasetEvent.created.desc()).limit(1)).first()
    return (event.user_id, event.created) if event else (None, None)


def step_actors(step: int, req: DataRequest, packages: list[model.Package]) -> list[dict]:
    """Each dataset's actor for an automatic step, oldest first."""
    rows = []
    for pkg in packages:
        user_id, at = _dataset_actor(step, req, pkg)
        user = model.User.get(user_id) if user_id else None
        rows.append({"dataset": pkg.name, "user_id": user_id, "user": user.name if user else None,
                     "_at": at})
    rows.sort(key=lambda r: (r["_at"] is None, r["_at"] or 0))
    for row in rows:
        del row["_at"]
    return rows


def advance(req: DataRequest, actor_id: str | None) -> list[RequestEvent]:
    """Complete steps 6-10 as far as the linked datasets allow (a dataset that
    is already published completes them all at once). Each step is credited
    to whoever did it for the dataset that completed it last, ``actor_id``
    (who triggered this) only when no dataset says; every dataset's actor is
    listed in the event's data."""
    if not steps.allows("deliver", req.status):  # the datasets move a request only while it is sent
        return []
    events = []
    packages = linked_packages(req)
    while steps.FIRST_AUTOMATIC <= req.step <= steps.LAST_AUTOMATIC and _step_condition(req.step, req, packages):
        actors = step_actors(req.step, req, packages)
        credited = next((a["user_id"] for a in reversed(actors) if a["user_id"]), actor_id)
        events.append(complete_step(req, req.step, credited,
                                    data={"datasets": [p.name for p in packages], "actors": actors}))
    if req.step == steps.LAST_AUTOMATIC + 1:
        req.status = steps.target("deliver", req.status)
    return events


def dataset_changed(pkg_id: str, actor_id: str | None) -> list[RequestEvent]:
    """A linked dataset moved (resource, submit, verify, publish): advance its
    requests. The caller holds the dataset's row lock; the requests are locked
    here in id order."""
    events = []
    for request_id in requests_of_dataset(pkg_id):
        req = lock(request_id)
        events += advance(req, actor_id)
    return events


def revalidate(pkg_id: str) -> list[str]:
    """Once linked, tabular resources without a schema of their own are checked
    against the request's Table Schema (call after the commit)."""
    pkg = model.Package.get(pkg_id)
    ids = [r.id for r in (pkg.resources if pkg else [])
           if service.is_tabular(r) and not (r.extras or {}).get("schema")]
    for resource_id in ids:
        service.enqueue(resource_id)
    return ids


def dataset_saved(pkg_id: str, actor_id: str | None) -> list[RequestEvent]:
    """The hook after a dataset is created or updated: a dataset saved with
    ``sdi_request_id`` is linked to that request (the dataset validator has
    already refused a request it may not fulfil), and every request it serves
    advances as far as its datasets allow (a new resource completes step 7).
    Locks the dataset, then its requests by id. Returns the events to notify;
    the caller commits.
    """
    pkg = model.Package.get(pkg_id)
    if pkg is None or pkg.state == "deleted" or "sdi_status" not in pkg.extras:
        return []
    if not pkg.extras.get("sdi_request_id") and not requests_of_dataset(pkg.id):
        return []  # it serves no request: nothing to link or advance, no lock
    pkg = transitions.lock_dataset(pkg.id)
    linked = requests_of_dataset(pkg.id)
    request_id = pkg.extras.get("sdi_request_id")
    to_link = request_id if request_id and request_id not in linked else None
    locked = {}
    for id_ in sorted(set(linked) | ({to_link} if to_link else set())):
        try:
            locked[id_] = lock(id_)
        except tk.ObjectNotFound:
            log.warning("dataset %s names unknown request %s", pkg.id, id_)
    events = []
    if to_link in locked:
        try:
            check_linkable(locked[to_link], pkg, field="sdi_request_id")
        except tk.ValidationError as e:
            # The dataset is already saved (core committed it); the request
            # changed since the validator passed. Keep the dataset, skip the link.
            log.warning("dataset %s not linked to request %s: %s", pkg.id, to_link, e)
            del locked[to_link]
        else:
            events.append(link(locked[to_link], pkg, actor_id))
    for id_ in sorted(locked):
        events += advance(locked[id_], actor_id)
    return events
