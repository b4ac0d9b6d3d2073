"""``ckan satudata remind``: email whoever owns an overdue step, once a day.

The key ``remind:<request>:<step>:<local date>`` goes into satudata_notice_log
under a unique constraint before anything is sent, so a second run on the
same day (or two runs at once) sends nothing twice.
"""
from __future__ import annotations

import datetime as dt
import logging
from zoneinfo import ZoneInfo

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from ckanext.satudata.datarequest import notices, steps
from ckanext.satudata.model import DataRequest, NoticeLog, utcnow

__all__ = ["overdue_requests", "step_owners", "remind", "ReminderError"]

log = logging.getLogger(__name__)


def overdue_requests(now: dt.datetime | None = None) -> list[DataRequest]:
    now = now or utcnow()
    return list(model.Session.scalars(
        select(DataRequest).where(DataRequest.status.in_(steps.OPEN), DataRequest.step_due < now)
        .order_by(DataRequest.step_due)).all())


def step_owners(req: DataRequest) -> list[model.User]:
    """Who must act on the request's current step."""
    if req.status == "awaiting_recommendation":
        return notices.pembina_users(req)
    if req.status == "delivered":
        requester = model.User.get(req.requester_id) if req.requester_id else None
        return [requester] if requester else []
    if req.status == "sent" and req.step in (6, 7, 8):
        return notices.producers(req)
    if req.status == "sent" and req.step == 9:
        return notices.ppids(req)
    return notices.walidata_users()


def _local_date(now: dt.datetime) -> dt.date:
    zone = ZoneInfo(tk.config.get("ckan.display_timezone") or "Asia/Jakarta")
    return now.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()


def _claim(key: str) -> bool:
    """True the first time ``key`` is claimed, False ever after."""
    result = model.Session.execute(
        insert(NoticeLog.__table__).values(id=model.types.make_uuid(), key=key, created=utcnow())
        .on_conflict_do_nothing(constraint="satudata_notice_log_key_uq"))
    model.Session.commit()
    return result.rowcount == 1


def remind(now: dt.datetime | None = None) -> list[dict]:
    """Send today's reminders; returns what was sent (request, step, recipients)."""
    from ckanext.satudata.jobs import _translator

    now = now or utcnow()
    today = _local_date(now)
    _ = _translator()
    sent, failed = [], []
    for req in overdue_requests(now):
        owners = [u for u in step_owners(req) if u.email and u.state == "active"]
        if not owners or not _claim(f"remind:{req.id}:{req.step}:{today.isoformat()}"):
            continue
        try:
            _send_reminder(req, owners, _)
        except Exception:  # one bad address or SMTP hiccup must not stop the others
            log.exception("reminder for request %s step %s failed", req.id, req.step)
            _unclaim(f"remind:{req.id}:{req.step}:{today.isoformat()}")
            failed.append(req.id)
            continue
        sent.append({"request": req.id, "step": req.step, "to": sorted(u.name for u in owners)})
        log.info("reminded %s of request %s step %s", [u.name for u in owners], req.id, req.step)
    if failed:
        raise ReminderError(sent, failed)
    return sent


class ReminderError(Exception):
    """Some reminders could not be sent; they stay unclaimed for the next run."""

    def __init__(self, sent: list[dict], failed: list[str]):
        super().__init__(f"{len(failed)} reminders failed")
        self.sent, self.failed = sent, failed


def _unclaim(key: str) -> None:
    model.Session.rollback()
    model.Session.execute(NoticeLog.__table__.delete().where(NoticeLog.key == key))
    model.Session.commit()


def _send_reminder(req: DataRequest, owners: list[model.User], _) -> None:
    label = steps.step_label(req.step, _)
    subject = _("[Data request] %(title)s: step %(step)s is overdue (%(label)s)") % {
        "title": req.title, "step": req.step, "label": label}
    due_local = req.step_due.replace(tzinfo=dt.timezone.utc).astimezone(
        ZoneInfo(tk.config.get("ckan.display_timezone") or "Asia/Jakarta"))
    body = "\n".join([subject, "", _("Due: %(due)s") % {"due": due_local.strftime("%Y-%m-%d %H:%M %Z")},
                      notices.request_url(req), "", "-- ", tk.config.get("ckan.site_title") or "Satu Data"])
    notices.mail(owners, subject, body)
