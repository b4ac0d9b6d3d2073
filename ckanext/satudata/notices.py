"""Who is told what, by email through the job queue.

submit -> the agency's PPIDs; verify -> the Walidata and the producer;
reject -> the producer with the reason; publish -> the producer and requesters.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import select

from ckanext.satudata import roles

__all__ = ["dataset_event", "dataset_recipients"]


def dataset_event(event_id: str) -> None:
    """Queue the notice of a workflow event (after its commit)."""
    if not tk.config.get("ckanext.satudata.notify"):
        return
    from ckanext.satudata import jobs
    tk.enqueue_job(jobs.send_dataset_notice, [event_id], title=f"satudata notice {event_id}")


def _submitter(pkg_id: str) -> model.User | None:
    from ckanext.satudata.model import DatasetEvent
    event = model.Session.scalars(
        select(DatasetEvent).where(DatasetEvent.package_id == pkg_id, DatasetEvent.action.in_(("submit", "create")))
        .order_by(DatasetEvent.created.desc())
    ).first()
    return model.User.get(event.user_id) if event and event.user_id else None


def _requesters(pkg_id: str) -> list[model.User]:
    from ckanext.satudata.model import DataRequest, RequestDataset
    ids = model.Session.scalars(
        select(DataRequest.requester_id).join(RequestDataset, RequestDataset.request_id == DataRequest.id)
        .where(RequestDataset.package_id == pkg_id)
    ).all()
    return [u for u in (model.User.get(i) for i in ids if i) if u]


def dataset_recipients(action: str, pkg: model.Package) -> list[model.User]:
    producer = _submitter(pkg.id)
    producers = [producer] if producer else []
    if action == "submit":
        users = roles.users_with_role("ppid", pkg.owner_org)
    elif action == "verify":
        users = roles.users_with_role("walidata") + producers
    elif action == "reject":
        users = producers
    elif action == "publish":
        users = producers + _requesters(pkg.id)
    else:
        users = []
    seen, out = set(), []
    for user in users:
        if user.email and user.id not in seen:
            seen.add(user.id)
            out.append(user)
    return out
