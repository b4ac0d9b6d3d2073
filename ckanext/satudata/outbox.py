"""Notices that outlive Redis, SMTP or a worker going down: an outbox in
``satudata_notice_log``.

``queue(kind, event_id)`` commits the row ``outbox:<kind>:<event id>`` and then
puts ``run`` on the job queue with the row's id as the RQ job id. Redis down
at that moment costs a log line, not the action: the action has committed and
answers as usual. ``run`` calls the kind's sender, whose emails go through
``mail_each``: a recipient is claimed (``sending:``) before their email and
marked ``sent:`` after it, so a retry tells only those not yet told and two
jobs of one notice never both mail someone. A failed email gives its claim
back and, once the others are tried, fails the job (RQ records it). When
everyone is told, the outbox row and the claims go.

``requeue()`` (``ckan satudata notice-requeue``, run from cron like
``validation-requeue``) queues again every outbox row older than
``ckanext.satudata.notice.stale_after`` seconds whose job is not alive: never
queued (Redis was down), lost (Redis restarted without its data), failed (SMTP
was down) or started by a worker that died. The claims a dead job held are
given back first (its worker may have died in the middle of an email: that
recipient may, rarely, be told twice rather than never). A notice still not
delivered ``ckanext.satudata.notice.give_up_after`` seconds after it was first
queued is dropped, with an error in the log.
"""
from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Any, Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert

from ckanext.satudata import jobs
from ckanext.satudata.mail import one_line
from ckanext.satudata.model import NoticeLog, utcnow

__all__ = ["queue", "run", "mail_each", "requeue", "claim", "release"]

log = logging.getLogger(__name__)

# kind -> the job body that builds and mails one event's notice: (module, function)
KINDS = {
    "dataset": ("ckanext.satudata.workflow.notices", "send_dataset_notice"),
    "request": ("ckanext.satudata.datarequest.notices", "send"),
}


class NoticeError(Exception):
    """Some recipients of a notice could not be emailed; a requeue retries them alone."""


def _outbox_key(kind: str, event_id: str) -> str:
    return f"outbox:{kind}:{event_id}"


def _claim_prefix(kind: str, event_id: str) -> str:
    return f"{kind}:{event_id}:"


def _insert(key: str) -> str | None:
    """The new row's id, or None when ``key`` is there already."""
    return model.Session.execute(
        insert(NoticeLog.__table__).values(id=model.types.make_uuid(), key=key, created=utcnow())
        .on_conflict_do_nothing(constraint="satudata_notice_log_key_uq").returning(NoticeLog.__table__.c.id)
    ).scalar()


def _enqueue(kind: str, event_id: str, job_id: str) -> bool:
    """Put the notice on the queue; False (logged) when Redis cannot take it."""
    try:
        tk.enqueue_job(run, [kind, event_id], title=f"satudata {kind} notice {event_id}",
                       rq_kwargs={"job_id": job_id})
    except Exception:  # Redis down: the outbox row stays for notice-requeue
        log.exception("could not queue the %s notice of event %s; notice-requeue will", kind, event_id)
        return False
    return True


def queue(kind: str, event_id: str) -> None:
    """Queue the notice of an event (after the event's commit)."""
    if kind not in KINDS:
        raise ValueError(kind)
    row_id = _insert(_outbox_key(kind, event_id))
    model.Session.commit()
    if row_id is not None:  # else it is in the outbox already, its job on the way
        _enqueue(kind, event_id, row_id)


def run(kind: str, event_id: str) -> int:
    """The job: send the event's notice, then empty its outbox row. Returns
    how many were emailed; 0 when the notice was delivered already."""
    if model.Session.scalar(select(NoticeLog.id).where(NoticeLog.key == _outbox_key(kind, event_id))) is None:
        model.Session.rollback()
        return 0
    module, name = KINDS[kind]
    sent = getattr(importlib.import_module(module), name)(event_id)
    prefix = _claim_prefix(kind, event_id)
    model.Session.execute(delete(NoticeLog).where(
        (NoticeLog.key == _outbox_key(kind, event_id)) | NoticeLog.key.startswith(f"sent:{prefix}")))
    model.Session.commit()
    return sent


def _drop(key: str) -> None:
    model.Session.rollback()
    model.Session.execute(delete(NoticeLog).where(NoticeLog.key == key))
    model.Session.commit()


def claim(key: str) -> bool:
    """Claim ``key`` in satudata_notice_log (committed): True the first time,
    False ever after. Reminders claim each recipient before emailing them."""
    claimed = _insert(key) is not None
    model.Session.commit()
    return claimed


def release(key: str) -> None:
    """Give back a claim whose email failed (the next run tries again)."""
    _drop(key)


def mail_each(kind: str, event_id: str, users: Iterable[model.User], subject: str, body: str) -> int:
    """Email each user the notice once, however often the job runs; raises
    ``NoticeError`` after trying everyone if any email failed."""
    recipients = [(u.id, u.name, u.display_name, u.email) for u in users]
    prefix = _claim_prefix(kind, event_id)
    sent, failed = 0, []
    for user_id, name, display_name, address in recipients:
        claimed = _insert(f"sending:{prefix}{user_id}") is not None
        model.Session.commit()
        if not claimed:
            continue  # being told by another job of the same notice
        if model.Session.scalar(select(NoticeLog.id).where(NoticeLog.key == f"sent:{prefix}{user_id}")):
            _drop(f"sending:{prefix}{user_id}")  # told already (checked after the claim: no race)
            continue
        try:
            mailer.mail_recipient(one_line(display_name), address, one_line(subject), body)
        except Exception:  # SMTP down or the address refused: the others still get theirs
            log.exception("%s notice of event %s to %s failed", kind, event_id, name)
            _drop(f"sending:{prefix}{user_id}")
            failed.append(name)
            continue
        _insert(f"sent:{prefix}{user_id}")
        model.Session.execute(delete(NoticeLog).where(NoticeLog.key == f"sending:{prefix}{user_id}"))
        model.Session.commit()
        sent += 1
    if failed:
        raise NoticeError(f"{kind} notice of event {event_id} not sent to {', '.join(failed)}")
    return sent


def requeue(older_than: int | None = None) -> dict[str, list[str]]:
    """Queue again the notices whose job is not alive; returns
    ``{"requeued": [outbox keys], "given_up": [outbox keys]}``."""
    if older_than is None:
        older_than = tk.config.get("ckanext.satudata.notice.stale_after")
    now = utcnow()
    give_up = now - dt.timedelta(seconds=tk.config.get("ckanext.satudata.notice.give_up_after"))
    rows = model.Session.execute(
        select(NoticeLog.id, NoticeLog.key, NoticeLog.created).where(
            NoticeLog.key.startswith("outbox:"), NoticeLog.created < now - dt.timedelta(seconds=older_than))
        .order_by(NoticeLog.created)).all()
    model.Session.rollback()
    out: dict[str, list[str]] = {"requeued": [], "given_up": []}
    for row_id, key, created in rows:
        if jobs.job_alive(row_id):  # queued, or started by a live worker
            continue
        _delete_job(row_id)
        _, kind, event_id = key.split(":", 2)
        prefix = _claim_prefix(kind, event_id)
        model.Session.execute(delete(NoticeLog).where(NoticeLog.key.startswith(f"sending:{prefix}")))
        if created < give_up or kind not in KINDS:
            model.Session.execute(delete(NoticeLog).where(
                (NoticeLog.id == row_id) | NoticeLog.key.startswith(f"sent:{prefix}")))
            model.Session.commit()
            log.error("gave up the %s notice of event %s, undelivered since %s", kind, event_id, created)
            out["given_up"].append(key)
            continue
        model.Session.commit()
        if _enqueue(kind, event_id, row_id):
            out["requeued"].append(key)
    return out


def _delete_job(job_id: str) -> None:
    """Forget a dead job (failed, or left by a dead worker) so its id can be queued again."""
    from ckan.lib import jobs as ckan_jobs

    try:
        job: Any = ckan_jobs.job_from_id(job_id)
    except KeyError:
        return
    job.delete()
