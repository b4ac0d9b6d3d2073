"""Published datasets due for their update (jadwal pemutakhiran), and the
reminder their agency gets when one is late.

The due date of each dataset is ``metadata.schedule.next_update`` (frekuensi
and end of period plus the region's grace period). A late dataset's
producers are reminded once a week (key ``late:<dataset>:<due>:<user>:<ISO
week>`` in satudata_notice_log, claimed before the email goes: two runs the
same week send nothing twice), with the Walidata in copy of each.
"""
from __future__ import annotations

import datetime as dt
import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer
from sqlalchemy import select

from ckanext.satudata import dates, mail, outbox
from ckanext.satudata.metadata import schedule
from ckanext.satudata.model import utcnow
from ckanext.satudata.workflow import notices, permissions, roles

__all__ = ["today", "scheduled", "remind_late"]

log = logging.getLogger(__name__)


def today(now: dt.datetime | None = None) -> dt.date:
    """The portal's local date (``ckanext.satudata.timezone``)."""
    return dates.local_date(now or utcnow())


def scheduled(org_ids: list[str] | None = None) -> list[tuple[model.Package, dt.date]]:
    """Active published SDI datasets that have an update schedule, with their
    due dates, earliest first (``org_ids``: of these agencies only). One query."""
    query = select(model.Package).where(
        model.Package.state == "active", model.Package.type == "dataset",
        model.Package.extras["sdi_status"].astext == "published")
    if org_ids is not None:
        query = query.where(model.Package.owner_org.in_(org_ids))
    grace = schedule.grace_days()
    found = []
    for pkg in model.Session.scalars(query):
        due = schedule.next_update(pkg.extras.get("sdi_frequency"), pkg.extras.get("sdi_period_end"), grace)
        if due is not None:
            found.append((pkg, due))
    return sorted(found, key=lambda row: (row[1], row[0].name))


def _mail(pkg: model.Package, due: dt.date, _) -> tuple[str, str]:
    subject = mail.one_line(_("[Satu Data] %(title)s is due for its update since %(due)s") % {
        "title": pkg.title or pkg.name, "due": due.isoformat()})
    url = tk.url_for("dataset.read", id=pkg.name, _external=True)
    text = _("Its period ends in %(year)s and its frequency is %(frequency)s: publish the data of the "
             "next period, then submit it for verification again.") % {
        "year": pkg.extras.get("sdi_period_end"), "frequency": pkg.extras.get("sdi_frequency")}
    return subject, mail.body(subject, f"{text}\n{url}")


def remind_late(now: dt.datetime | None = None) -> tuple[list[dict], list[str]]:
    """Remind the producers of each late dataset (and the Walidata), at most
    once a week each; returns what was sent and who failed (retried next run)."""
    day = today(now)
    week = "%d-W%02d" % day.isocalendar()[:2]
    _ = mail.translator()
    walidata = roles.users_with_role("walidata")
    sent, failed = [], []
    for pkg, due in scheduled():
        if due >= day:
            continue
        subject, body = _mail(pkg, due, _)
        reached = []
        seen = set()
        for user in notices.producers(pkg) + walidata:
            if user.id in seen or not user.email or user.state != "active" or not permissions.can_read(user, pkg):
                continue
            seen.add(user.id)
            key = f"late:{pkg.id}:{due.isoformat()}:{user.id}:{week}"
            if not outbox.claim(key):
                continue
            try:
                mailer.mail_recipient(mail.one_line(user.display_name), user.email, subject, body)
            except Exception:  # one bad address or SMTP hiccup must not stop the others
                log.exception("late-update reminder to %s for %s failed", user.name, pkg.name)
                outbox.release(key)
                failed.append(f"{pkg.name}:{user.name}")
                continue
            reached.append(user.name)
        if reached:
            sent.append({"dataset": pkg.name, "due": due.isoformat(), "to": sorted(reached)})
    return sent, failed
