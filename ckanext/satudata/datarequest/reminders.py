"""``ckan satudata remind``: email whoever owns an overdue step, once a day.

Each recipient is claimed on their own: the key
``remind:<request>:<step>:<user>:<local date>`` goes into satudata_notice_log
under a unique constraint before their email is sent, so a second run on the
same day (or two runs at once) sends nobody anything twice. A failed email
gives back only its own claim: the next run retries that recipient alone.
"""
from __future__ import annotations

import datetime as dt
import logging

import ckan.model as model
from ckan.lib import mailer
from sqlalchemy import select

from ckanext.satudata import dates, mail, outbox
from ckanext.satudata.datarequest import due, notices, steps
from ckanext.satudata.model import DataRequest, utcnow

__all__ = ["remind", "ReminderError"]

log = logging.getLogger(__name__)


def overdue_requests(now: dt.datetime | None = None) -> list[DataRequest]:
    now = now or utcnow()
    return list(model.Session.scalars(
        select(DataRequest).where(DataRequest.status.in_(steps.OPEN), DataRequest.step_due < now)
        .order_by(DataRequest.step_due)).all())


def step_owners(req: DataRequest) -> list[model.User]:
    """Who must act on the request's current step (steps.waiting_on)."""
    role = steps.waiting_on(req.status, req.step)
    if role == "pembina":
        return notices.pembina_users(req)
    if role == "forum":  # the Forum member who filed it
        requester = model.User.get(req.requester_id) if req.requester_id else None
        return [requester] if requester else []
    if role == "producer":
        return notices.producers(req)
    if role == "ppid":
        return notices.ppids(req)
    return notices.walidata_users()


def _key(request_id: str, step: int, user_id: str, today: dt.date) -> str:
    return f"remind:{request_id}:{step}:{user_id}:{today.isoformat()}"


def remind(now: dt.datetime | None = None) -> list[dict]:
    """Send today's reminders; returns what was sent (request, step, recipients)."""
    now = now or utcnow()
    today = dates.local_date(now)
    _ = mail.translator()
    sent, failed = [], []
    for req in overdue_requests(now):
        request_id, step = req.id, req.step
        subject, body = _reminder(req, _)
        reached = []
        owners = [(u.id, u.name, u.display_name, u.email)
                  for u in step_owners(req) if u.email and u.state == "active"]
        for user_id, name, display_name, address in owners:
            key = _key(request_id, step, user_id, today)
            if not outbox.claim(key):
                continue
            try:
                mailer.mail_recipient(mail.one_line(display_name), address, subject, body)
            except Exception:  # one bad address or SMTP hiccup must not stop the others
                log.exception("reminder to %s for request %s step %s failed", name, request_id, step)
                outbox.release(key)
                failed.append(f"{request_id}:{name}")
                continue
            reached.append(name)
        if reached:
            sent.append({"request": request_id, "step": step, "to": sorted(reached)})
            log.info("reminded %s of request %s step %s", reached, request_id, step)
    if failed:
        raise ReminderError(sent, failed)
    return sent


class ReminderError(Exception):
    """Some reminders could not be sent; they stay unclaimed for the next run."""

    def __init__(self, sent: list[dict], failed: list[str]):
        super().__init__(f"{len(failed)} reminders failed")
        self.sent, self.failed = sent, failed


def _reminder(req: DataRequest, _) -> tuple[str, str]:
    """The reminder's subject (one line) and body."""
    label = steps.step_label(req.step, _)
    subject = mail.one_line(_("[Data request] %(title)s: step %(step)s is overdue (%(label)s)") % {
        "title": req.title, "step": req.step, "label": label})
    due_local = req.step_due.replace(tzinfo=dt.timezone.utc).astimezone(due.zone())
    due_line = _("Due: %(due)s") % {"due": due_local.strftime("%Y-%m-%d %H:%M %Z")}
    return subject, mail.body(subject, f"{due_line}\n{notices.request_url(req)}")
