""""Tugas saya": the datasets waiting for the current user, per role.

One queue per forward row of the workflow table (``states.TABLE``: an action
without a reason): its datasets are in the row's status, its user is the
row's ``who`` (the producer's drafts and returned datasets, the PPID's
submitted ones, the Walidata's verified ones). Each queue lists the datasets
of the agencies where the user is that ``who``, with their tabular
resources' validation state and the latest return reason and submission
note, in a fixed number of queries however many rows there are. The data
request queues and due dates are added above (``datarequest/tasks.py``).
"""
from __future__ import annotations

from typing import Any, NamedTuple

import ckan.model as model
from ckan import authz
from sqlalchemy import select

from ckanext.satudata.model import DatasetEvent
from ckanext.satudata.workflow import permissions, roles, states

__all__ = ["Queue", "QUEUES", "Scope", "for_user", "add_review_notes"]


class Queue(NamedTuple):
    key: str  # the key of the task list (API) and of the page's section
    status: str  # the workflow status its datasets are in
    who: str  # the role of the table's row (states.PRODUCER, PPID, WALIDATA)
    action: str  # what the user does with them (the row's action)


# the queue's key by the status it lists (the names the API has always used)
_KEYS = {"draft": "drafts", "rejected": "to_revise", "submitted": "to_verify", "verified": "to_publish"}

QUEUES: tuple[Queue, ...] = tuple(
    Queue(_KEYS[row.from_status], row.from_status, row.who, row.action)
    for row in states.TABLE if not states.ACTIONS[row.action].reason)
assert len({q.key for q in QUEUES}) == len(QUEUES)


class Scope:
    """Where a user is each ``who`` of the table: the agencies (ids) where
    they produce or are PPID, None for every agency (sysadmins, and the
    Walidata, who is portal-wide); worked out once per task list."""

    def __init__(self, user):
        self.user = roles.user_object(user)
        obj = self.user
        if obj is None or obj.state != "active":
            self.user, self.orgs = None, {}
            return
        if obj.sysadmin:
            self.orgs: dict[str, list[str] | None] = {states.PRODUCER: None, states.PPID: None, states.WALIDATA: None}
            return
        editing = authz.get_roles_with_permission("update_dataset")
        producer = list(model.Session.scalars(
            select(model.Member.group_id).join(model.Group, model.Group.id == model.Member.group_id).where(
                model.Member.table_name == "user", model.Member.table_id == obj.id, model.Member.state == "active",
                model.Member.capacity.in_(editing), model.Group.is_organization.is_(True),
                model.Group.state == "active")).all())
        ppid = [g.organization_id for g in roles.active_grants(obj.id, "ppid") if g.organization_id]
        self.orgs = {states.PRODUCER: sorted(set(producer)), states.PPID: sorted(set(ppid)),
                     states.WALIDATA: None if permissions.is_walidata(obj) else []}

    def holds(self, who: str) -> bool:
        """Whether the user is ``who`` anywhere."""
        return self.user is not None and self.orgs.get(who, []) != []

    def organizations(self, who: str) -> list[str] | None:
        return self.orgs.get(who, [])


def _rows(status: str, org_ids: list[str] | None) -> list[dict[str, Any]]:
    query = (select(model.Package, model.Group.title)
             .outerjoin(model.Group, model.Group.id == model.Package.owner_org)
             .where(model.Package.state == "active", model.Package.extras["sdi_status"].astext == status))
    if org_ids is not None:
        query = query.where(model.Package.owner_org.in_(org_ids))
    out = []
    for pkg, org_title in model.Session.execute(query.order_by(model.Package.metadata_modified, model.Package.id)):
        out.append({"id": pkg.id, "name": pkg.name, "title": pkg.title or pkg.name, "owner_org": pkg.owner_org,
                    "organization": org_title, "sdi_status": status,
                    "metadata_modified": pkg.metadata_modified.isoformat() if pkg.metadata_modified else None})
    return out


def _resources(rows: list[dict[str, Any]]) -> None:
    """Each row's active resources (id, name, format, validation_status), in one query."""
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["resources"] = []
    if not by_id:
        return
    for res in model.Session.scalars(
            select(model.Resource).where(model.Resource.package_id.in_(by_id), model.Resource.state == "active")
            .order_by(model.Resource.package_id, model.Resource.position)):
        extras = res.extras or {}
        by_id[res.package_id]["resources"].append({
            "id": res.id, "name": res.name or res.id, "format": res.format,
            "validation_status": extras.get("validation_status")})


def add_review_notes(rows: list[dict[str, Any]]) -> None:
    """The latest return (``returned``: reason, when, by whom) of every row,
    and for a dataset submitted again after a return, that submission
    (``resubmitted``: the producer's note of what was fixed, when, by whom):
    two queries for all the rows."""
    by_id = {row["id"]: row for row in rows}
    for row in rows:
        row["returned"] = row["resubmitted"] = None
    if not by_id:
        return
    events = model.Session.scalars(
        select(DatasetEvent).where(DatasetEvent.package_id.in_(by_id), DatasetEvent.action.in_(("reject", "submit")))
        .distinct(DatasetEvent.package_id, DatasetEvent.action)
        .order_by(DatasetEvent.package_id, DatasetEvent.action, DatasetEvent.created.desc())).all()
    users = roles.users_by_id(e.user_id for e in events)

    def said(event: DatasetEvent) -> dict[str, Any]:
        user = users.get(event.user_id) if event.user_id else None
        return {"note": event.note or None, "at": event.created.isoformat(),
                "by": user.display_name if user else None}

    latest = {(e.package_id, e.action): e for e in events}
    for pkg_id, row in by_id.items():
        reject, submit = latest.get((pkg_id, "reject")), latest.get((pkg_id, "submit"))
        if row["sdi_status"] == "rejected" and reject is not None:
            returned = said(reject)
            row["returned"] = {"reason": returned.pop("note"), **returned}
        elif submit is not None and submit.from_status == "rejected" and row["sdi_status"] == "submitted":
            row["resubmitted"] = said(submit)
            if reject is not None and reject.created <= submit.created:
                row["resubmitted"]["reason"] = reject.note or None


def for_user(user, scope: Scope | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every queue of ``QUEUES`` by key: the rows of the queues whose ``who``
    the user is somewhere, and empty lists for the others."""
    scope = scope or Scope(user)
    out: dict[str, list[dict[str, Any]]] = {}
    for queue in QUEUES:
        out[queue.key] = _rows(queue.status, scope.organizations(queue.who)) if scope.holds(queue.who) else []
    rows = [row for queue in QUEUES for row in out[queue.key]]
    _resources(rows)
    add_review_notes(rows)
    return out
