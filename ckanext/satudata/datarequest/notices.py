"""Who hears of a request's events, by email through CKAN's job queue.

Every event goes to the requester and the request's followers; some also to
whoever must act next: filing and step 3 -> the Walidata, asking for a
recommendation -> the Pembina asked, sending (step 5) -> the target agencies'
producers. Agencies added after sending (``redisposed``) are told as if sent
to them, and only they. The person who acted is never told of their own act.
Subjects are one line whatever the request's title holds.
"""
from __future__ import annotations

import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import select

from ckanext.satudata import mail, outbox
from ckanext.satudata.workflow import roles
from ckanext.satudata.datarequest import access, progress, steps
from ckanext.satudata.model import DataRequest, RequestEvent, RequestFollower

__all__ = ["enqueue", "recipients", "send", "request_url", "walidata_users", "pembina_users", "producers",
           "ppids"]

log = logging.getLogger(__name__)

# links, unlinks and edits show in the timeline without an email
NOTIFIED = ("step", "ask_recommendation", "comment", "rejected", "cancelled")


def enqueue(events) -> None:
    """Queue a notice per event (call after the commit)."""
    if not tk.config.get("ckanext.satudata.notify"):
        return
    for event in events:
        if event is not None and (event.kind in NOTIFIED or _adds_agencies(event)):
            outbox.queue("request", event.id)  # Redis down: the outbox keeps it for notice-requeue


def _adds_agencies(event: RequestEvent) -> bool:
    return event.kind == "redisposed" and bool((event.data or {}).get("added"))


def request_url(req: DataRequest) -> str:
    return f"{tk.config.get('ckan.site_url').rstrip('/')}/permintaan/{req.id}"


def walidata_users() -> list[model.User]:
    return roles.users_with_role("walidata")


def pembina_users(req: DataRequest) -> list[model.User]:
    if req.pembina_id:
        user = model.User.get(req.pembina_id)
        return [user] if user else []
    return roles.users_with_role("pembina")


def producers(req: DataRequest, org_names: list[str] | None = None) -> list[model.User]:
    """Editors and admins of the target agencies, or of those of them named in
    ``org_names`` (not sysadmins who merely created them)."""
    users = []
    for org in progress.targets(req):
        if org_names is not None and org.name not in org_names:
            continue
        users += roles.agency_producers(org.id)
    return users


def ppids(req: DataRequest) -> list[model.User]:
    return [u for org in progress.targets(req) for u in roles.users_with_role("ppid", org.id)]


def _followers(req: DataRequest) -> list[model.User]:
    ids = model.Session.scalars(select(RequestFollower.user_id).where(RequestFollower.request_id == req.id)).all()
    return [u for u in (model.User.get(i) for i in ids) if u is not None]


def recipients(event: RequestEvent, req: DataRequest) -> list[model.User]:
    if _adds_agencies(event):
        return _visible(event, req, producers(req, event.data["added"]))
    users = []
    requester = model.User.get(req.requester_id) if req.requester_id else None
    if requester:
        users.append(requester)
    users += _followers(req)
    if event.kind == "step" and event.step in (1, 3, 11):
        users += walidata_users()
    elif event.kind == "ask_recommendation":
        users += pembina_users(req)
    elif event.kind == "step" and event.step == 5:
        users += producers(req)
    elif event.kind in ("rejected", "cancelled", "comment"):
        users += walidata_users()
    return _visible(event, req, users)


def _visible(event: RequestEvent, req: DataRequest, users: list[model.User]) -> list[model.User]:
    """Each user once, not the actor, only active ones with an email who may see the request."""
    seen, out = {event.actor_id}, []
    for user in users:
        # a follower who lost access (agency dropped) hears no more of it
        if user.id not in seen and user.state == "active" and user.email and access.can_see(user, req):
            seen.add(user.id)
            out.append(user)
    return out


def _subject(event: RequestEvent, req: DataRequest, _) -> str:
    if event.kind == "step":
        what = _("Step %(step)s done: %(label)s") % {"step": event.step, "label": steps.step_label(event.step, _)}
    else:
        what = {
            "ask_recommendation": _("Statistical activity recommendation requested"),
            "link": _("Dataset linked"),
            "unlink": _("Dataset unlinked"),
            "comment": _("New comment"),
            "rejected": _("Request rejected"),
            "cancelled": _("Request cancelled"),
            "redisposed": _("Request sent to your agency"),
        }.get(event.kind, event.kind)
    return mail.one_line(_("[Data request] %(title)s: %(what)s") % {"title": req.title, "what": what})


def send(event_id: str) -> int:
    """The job: email one request event to the people it concerns."""
    event = model.Session.get(RequestEvent, event_id)
    req = DataRequest.get(event.request_id) if event else None
    if event is None or req is None:
        log.warning("notice for unknown request event %s", event_id)
        return 0
    _ = mail.translator()
    subject = _subject(event, req, _)
    return outbox.mail_each("request", event_id, recipients(event, req), subject,
                            mail.body(subject, request_url(req), event.note))
