"""Who is told what about a dataset's workflow, by email through the job queue.

* submit -> the agency's PPIDs;
* verify -> the Walidata and the producer;
* reject -> the producer, with the reason;
* publish -> the producer and the requesters of the data requests the dataset
  fulfils (requests that were rejected or cancelled do not count: the same rule
  as the permission labels of ``permissions.py``).

The *producer* is whoever last submitted the dataset (or created it, before a
first submission), while they may still submit it (the auth function: an
editor or admin of the agency). When that was a sysadmin, or the user is gone
or has left the agency, the producer is the agency's editors and admins who
are not sysadmins (a sysadmin who created an organization is its admin without
producing its data); an agency without any falls back to the dataset's
creator, under the same condition.

Recipients are decided when the job sends the notice, not when the event
happens, and each must then be allowed to read the dataset
(``permissions.can_read``, the rule of search, show and downloads): someone
who lost access in between (removed from the agency, role revoked, data not
delivered to them) hears nothing more of it, note or reason included.
"""
from __future__ import annotations

import logging

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from sqlalchemy import select

from ckanext.satudata import mail, outbox
from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import roles
from ckanext.satudata.model import DatasetEvent

__all__ = ["dataset_event", "producers", "requesters", "send_dataset_notice"]

log = logging.getLogger(__name__)

def dataset_event(event_id: str) -> None:
    """Queue the notice of a workflow event (after its commit)."""
    if not tk.config.get("ckanext.satudata.notify"):
        return
    outbox.queue("dataset", event_id)  # Redis down: the outbox keeps it for notice-requeue


def _active(user: model.User | None) -> bool:
    return user is not None and user.state == "active"


def _last_submitter(pkg_id: str) -> model.User | None:
    event = model.Session.scalars(
        select(DatasetEvent).where(DatasetEvent.package_id == pkg_id, DatasetEvent.action.in_(("submit", "create")))
        .order_by(DatasetEvent.created.desc())
    ).first()
    return model.User.get(event.user_id) if event and event.user_id else None


def _may_submit(user: model.User, pkg: model.Package) -> bool:
    """Whether ``user`` is still a producer of the dataset (the submit auth function)."""
    return authz.is_authorized("satudata_dataset_submit", {"user": user.name, "auth_user_obj": user, "model": model,
                                                           "package": pkg}, {"id": pkg.id})["success"]


def producers(pkg: model.Package) -> list[model.User]:
    """The producer(s) to tell of the dataset's verification, return or publication."""
    submitter = _last_submitter(pkg.id)
    if _active(submitter) and not submitter.sysadmin and _may_submit(submitter, pkg):
        return [submitter]
    agency = roles.agency_producers(pkg.owner_org)
    if agency:
        return agency
    creator = model.User.get(pkg.creator_user_id) if pkg.creator_user_id else None
    return [creator] if _active(creator) and _may_submit(creator, pkg) else []


def requesters(pkg_id: str) -> list[model.User]:
    """Requesters of the data requests the dataset fulfils, except rejected or cancelled ones."""
    return [u for u in (model.User.get(i) for i in permissions.requester_ids(pkg_id)) if _active(u)]


def dataset_recipients(action: str, pkg: model.Package) -> list[model.User]:
    if action == "submit":
        users = roles.users_with_role("ppid", pkg.owner_org)
    elif action == "verify":
        users = roles.users_with_role("walidata") + producers(pkg)
    elif action == "reject":
        users = producers(pkg)
    elif action == "publish":
        users = producers(pkg) + requesters(pkg.id)
    else:
        users = []
    seen, out = set(), []
    for user in users:
        # checked when the notice is sent: whoever lost access since the event hears nothing
        if user.email and user.id not in seen and _active(user) and permissions.can_read(user, pkg):
            seen.add(user.id)
            out.append(user)
    return out


def _dataset_mail(action: str, pkg: model.Package, note: str | None) -> tuple[str, str]:
    _ = mail.translator()
    subjects = {
        "submit": _("Dataset submitted for verification: %(title)s"),
        "verify": _("Dataset verified by the PPID: %(title)s"),
        "reject": _("Dataset returned for revision: %(title)s"),
        "publish": _("Dataset published: %(title)s"),
    }
    subject = mail.one_line(subjects[action] % {"title": pkg.title})
    url = f"{tk.config.get('ckan.site_url').rstrip('/')}/dataset/{pkg.name}"
    if note:
        note = (_("Reason: %(note)s") if action == "reject" else _("Note: %(note)s")) % {"note": note}
    return subject, mail.body(subject, url, note)


def send_dataset_notice(event_id: str) -> int:
    """The outbox's job for a workflow event: email the people it concerns;
    returns how many."""
    event = model.Session.get(DatasetEvent, event_id)
    pkg = model.Package.get(event.package_id) if event else None
    if event is None or pkg is None:
        log.warning("notice for unknown event %s", event_id)
        return 0
    subject, body = _dataset_mail(event.action, pkg, event.note)
    return outbox.mail_each("dataset", event_id, dataset_recipients(event.action, pkg), subject, body)
