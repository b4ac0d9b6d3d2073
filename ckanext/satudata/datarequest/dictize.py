"""Requests as dicts for the API and the pages."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
from sqlalchemy import func, select

from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import roles
from ckanext.satudata.datarequest import access, progress, steps
from ckanext.satudata.model import DataRequest, RequestAgency, RequestComment, RequestEvent, RequestFollower, utcnow

__all__ = ["FIELDS", "iso", "request_dict", "public_dict", "list_rows", "timeline",
           "comment_dict", "comment_dicts"]


# the request's own fields: filed by the requester, edited while it is open
FIELDS = ("title", "description", "purpose", "needed_by", "indicators", "area_level", "years")


def iso(value) -> str | None:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def is_overdue(req: DataRequest, now: dt.datetime | None = None) -> bool:
    return req.status in steps.OPEN and req.step_due is not None and req.step_due < (now or utcnow())


def _user_name(user_id: str | None) -> str | None:
    user = model.User.get(user_id) if user_id else None
    return user.name if user else None


def _dataset_dict(pkg: model.Package) -> dict[str, Any]:
    return {"id": pkg.id, "name": pkg.name, "title": pkg.title, "organization_id": pkg.owner_org,
            "sdi_status": pkg.extras.get("sdi_status"), "sdi_classification": pkg.extras.get("sdi_classification"),
            "private": pkg.private, "state": pkg.state}


def public_dict(req: DataRequest) -> dict[str, Any]:
    """What everybody sees of a request the Walidata made public."""
    return {"id": req.id, "title": req.title, "status": req.status, "status_label": steps.status_label(req.status),
            "is_public": True, "limited": True,
            "datasets": [_dataset_dict(p) for p in progress.linked_packages(req) if permissions.is_public(p)]}


def request_dict(req: DataRequest, user=None) -> dict[str, Any]:
    """The whole request, for those who may see it."""
    me = access.user_of(user)
    comments = model.Session.scalar(select(func.count()).select_from(RequestComment)
                                     .where(RequestComment.request_id == req.id))
    followers = model.Session.scalar(select(func.count()).select_from(RequestFollower)
                                      .where(RequestFollower.request_id == req.id))
    following = bool(me and model.Session.get(RequestFollower, (req.id, me.id)))
    return {
        "id": req.id, "title": req.title, "description": req.description, "purpose": req.purpose,
        "needed_by": iso(req.needed_by),
        "indicators": [i for i in (req.indicators or "").splitlines() if i],
        "area_level": req.area_level, "years": req.years,
        "requester_id": req.requester_id, "requester": _user_name(req.requester_id),
        "status": req.status, "status_label": steps.status_label(req.status),
        "step": req.step, "step_label": steps.step_label(req.step),
        "step_actor": steps.ACTORS.get(req.step), "step_started": iso(req.step_started),
        "step_due": iso(req.step_due), "overdue": is_overdue(req),
        "is_public": req.is_public, "limited": False,
        "pembina_id": req.pembina_id, "pembina": _user_name(req.pembina_id),
        "recommendation": req.recommendation, "table_schema": req.table_schema,
        "metadata_template": req.metadata_template,
        "organizations": [{"id": g.id, "name": g.name, "title": g.title} for g in progress.targets(req)],
        "datasets": [_dataset_dict(p) for p in progress.linked_packages(req)],
        "created": iso(req.created), "modified": iso(req.modified), "closed": iso(req.closed),
        "close_reason": req.close_reason, "num_comments": comments, "num_followers": followers,
        "am_following": following,
    }


def list_rows(requests: list[DataRequest], user) -> list[dict[str, Any]]:
    """Light rows for listings: a fixed number of queries for the whole page."""
    ids = [r.id for r in requests]
    agencies: dict[str, list[tuple[str, str, str]]] = {}
    if ids:
        for request_id, org_id, name, title in model.Session.execute(
                select(RequestAgency.request_id, model.Group.id, model.Group.name, model.Group.title)
                .join(model.Group, model.Group.id == RequestAgency.organization_id)
                .where(RequestAgency.request_id.in_(ids))):
            agencies.setdefault(request_id, []).append((org_id, name, title or name))
    requester_ids = {r.requester_id for r in requests if r.requester_id}
    people = {user_id: (name, fullname or name) for user_id, name, fullname in model.Session.execute(
        select(model.User.id, model.User.name, model.User.fullname).where(model.User.id.in_(requester_ids)))
    } if requester_ids else {}
    now = utcnow()
    viewer = access.Viewer(user)
    rows = []
    for req in requests:
        targets = agencies.get(req.id, [])
        if not viewer.can_see(req, {org_id for org_id, _name, _title in targets}):
            rows.append({"id": req.id, "title": req.title, "status": req.status,
                         "status_label": steps.status_label(req.status), "is_public": True, "limited": True})
            continue
        rows.append({
            "id": req.id, "title": req.title, "status": req.status, "status_label": steps.status_label(req.status),
            "step": req.step, "step_label": steps.step_label(req.step), "step_due": iso(req.step_due),
            "overdue": is_overdue(req, now), "requester": people.get(req.requester_id, (None,))[0],
            "requester_display_name": people.get(req.requester_id, (None, None))[1],
            "organizations": sorted(name for _org_id, name, _title in targets),
            "organization_titles": [title for _name, title in sorted((n, t) for _i, n, t in targets)],
            "needed_by": iso(req.needed_by),
            "created": iso(req.created), "is_public": req.is_public, "limited": False,
        })
    return rows


def event_dict(event: RequestEvent, users: dict[str, model.User] | None = None) -> dict[str, Any]:
    out = event.as_dict()
    out["actor"] = _name_of(event.actor_id, users)
    return out


def _name_of(user_id: str | None, users: dict[str, model.User] | None) -> str | None:
    if users is None:
        return _user_name(user_id)
    user = users.get(user_id) if user_id else None
    return user.name if user else None


def comment_dict(comment: RequestComment, users: dict[str, model.User] | None = None) -> dict[str, Any]:
    if users is None:
        users = roles.users_by_id([comment.user_id])
    user = users.get(comment.user_id) if comment.user_id else None
    return {"id": comment.id, "user": user.name if user else None,
            "user_display_name": user.display_name if user else None,
            "comment": comment.comment, "created": iso(comment.created)}


def comment_dicts(comments: list[RequestComment]) -> list[dict[str, Any]]:
    """The comments, their authors looked up at once."""
    users = roles.users_by_id(c.user_id for c in comments)
    return [comment_dict(c, users) for c in comments]


def _done_by(event: RequestEvent, users: dict[str, model.User]) -> str | None:
    """Who did a step: for steps 6-10, everyone who did it for one of the
    datasets (in the order they did), else the event's actor."""
    names = []
    for actor in (event.data or {}).get("actors") or []:
        name = _name_of(actor.get("user_id"), users)
        if name and name not in names:
            names.append(name)
    return ", ".join(names) if names else _name_of(event.actor_id, users)


def timeline(req: DataRequest) -> dict[str, Any]:
    """Every step: actor, done at, due at, overdue or not; then every event."""
    events = list(model.Session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == req.id).order_by(RequestEvent.created)).all())
    done = {e.step: e for e in events if e.kind == "step"}
    users = roles.users_by_id([e.actor_id for e in events] + [
        a.get("user_id") for e in events for a in (e.data or {}).get("actors") or [] if isinstance(a, dict)])
    now = utcnow()
    rows = []
    for step in steps.STEPS:
        role = steps.ACTORS[step]
        row = {"step": step, "label": steps.step_label(step), "actor_role": role,
               "actor_role_label": steps.actor_label(role)}
        event = done.get(step)
        if event is not None:
            row.update(state="done", done_at=iso(event.created), done_by=_done_by(event, users),
                       done_by_datasets=[{"dataset": a.get("dataset"), "user": _name_of(a.get("user_id"), users)}
                                         for a in (event.data or {}).get("actors") or []],
                       due_at=iso(event.due), overdue=bool(event.due and event.created > event.due),
                       note=event.note, skipped=bool((event.data or {}).get("not_needed")))
        elif step == req.step and req.status in steps.OPEN:
            row.update(state="current", done_at=None, done_by=None, done_by_datasets=[], due_at=iso(req.step_due),
                       overdue=bool(req.step_due and req.step_due < now), note=None, skipped=False)
        else:
            row.update(state="pending", done_at=None, done_by=None, done_by_datasets=[], due_at=None, overdue=False,
                       note=None, skipped=False)
        rows.append(row)
    return {"id": req.id, "status": req.status, "status_label": steps.status_label(req.status),
            "step": req.step, "steps": rows, "events": [event_dict(e, users) for e in events]}
