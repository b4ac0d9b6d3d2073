"""What the actions, hooks and commands ask of validation: which resources
are validated and when, queueing their job, the latest report, deleting it,
and re-queueing validations a dead worker left behind.

Keeps ckanext-validation's interface: resource fields ``schema``,
``validation_status`` (success | failure | error, plus pending | running
while queued) and ``validation_timestamp``; the report lives in
``satudata_validation``.

Jobs go to their own queue (``ckanext.satudata.validation.queue``, default
``satudata_validation``), so notices on the default queue never wait behind a
validation: run a worker for each (``ckan jobs worker default`` and ``ckan jobs
worker satudata_validation``).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, Callable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from sqlalchemy import func, select

from ckanext.satudata import jobs, transaction
from ckanext.satudata.msgid import N_
from ckanext.satudata.model import ResourceValidation, utcnow
from ckanext.satudata.validation import job, record

__all__ = ["is_tabular", "fingerprint", "save_and_queue", "enqueue",
           "report_for", "delete", "mark_stale", "INTERRUPTED"]

log = logging.getLogger(__name__)

# A change of any of these re-validates a resource (an upload sets a new last_modified and size).
WATCHED = ("url", "url_type", "format", "schema", "last_modified", "size", "hash")
# The error stored when a validation is given up (the page translates it).
INTERRUPTED = N_("The validation was interrupted too many times (the worker stopped before it finished)")


def is_tabular(resource: dict[str, Any] | model.Resource) -> bool:
    fmt = resource.get("format") if isinstance(resource, dict) else resource.format
    formats = {f.lower() for f in tk.config.get("ckanext.satudata.validation.formats")}
    return bool(fmt) and fmt.lower() in formats


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return None if value in ("", None) else value


def fingerprint(resource: dict[str, Any] | model.Resource) -> dict[str, Any]:
    """The watched fields of a resource (dict or row), comparable across both."""
    if isinstance(resource, dict):
        return {k: _plain(resource.get(k)) for k in WATCHED}
    extras = resource.extras or {}
    return {k: _plain(extras.get(k) if k == "schema" else getattr(resource, k, None)) for k in WATCHED}


def needs_validation(resource: dict[str, Any] | model.Resource, previous: dict[str, Any] | None) -> bool:
    """On create, and whenever the file, URL, format or schema changes."""
    if not is_tabular(resource):
        return False
    if previous is None:
        return True
    if isinstance(resource, dict) and resource.get("upload"):
        return True
    return fingerprint(resource) != fingerprint(previous)


def _resources_state(ref: Any) -> dict[str, dict[str, Any]]:
    pkg = model.Package.get(ref) if isinstance(ref, str) and ref else None
    return {r.id: fingerprint(r) for r in pkg.resources} if pkg is not None else {}


def save_and_queue(up_func: Callable, context: dict, data_dict: dict, created: bool = False):
    """Run core's package_create/package_update, then queue the validation of
    the tabular resources it added or whose watched fields changed."""
    ref = None if created else ((data_dict or {}).get("id") or (data_dict or {}).get("name"))
    if ref is not None and not isinstance(ref, str):
        ref = ref[0] if isinstance(ref, (tuple, list)) or hasattr(ref, "_mapping") else None  # bulk: query rows
    before = _resources_state(ref)
    result = up_func(context, data_dict)
    if context.get("defer_commit"):
        return result  # nothing is committed yet: resource_validation_run queues it later
    pkg = model.Package.get(result if isinstance(result, str) else result["id"])
    if pkg is not None:
        changed = [r.id for r in pkg.resources if needs_validation(r, before.get(r.id))]
        try:
            if changed:
                enqueue_many(changed)
        except Exception:  # the edit is committed; validation-requeue or a new run catches up
            log.exception("could not queue the validation of %s", changed)
            model.Session.rollback()
    return result


def enqueue(resource_id: str, requeued: int | None = None,
            context: dict[str, Any] | None = None) -> ResourceValidation:
    """Mark the resource pending and queue its validation job."""
    return enqueue_many([resource_id], requeued, context)[0]


def enqueue_many(resource_ids: list[str], requeued: int | None = None,
                 context: dict[str, Any] | None = None) -> list[ResourceValidation]:
    """Mark each resource pending with a fresh token, commit, then queue the jobs
    (a job never starts before its row says pending with its token). Given an
    action's ``context`` with ``defer_commit``, nothing is committed or queued:
    the caller that commits queues them (or ``validation-requeue`` does)."""
    queued: list[tuple[ResourceValidation, str]] = []
    packages: set[str] = set()
    for resource_id in resource_ids:
        res = record.resource(resource_id)
        if res is None:
            raise tk.ObjectNotFound(tk._("Resource not found"))
        row = record.row(resource_id, lock=True) or ResourceValidation(resource_id=resource_id)
        token = str(uuid.uuid4())
        row.package_id = res.package_id
        row.status, row.created, row.started, row.finished = "pending", utcnow(), None, None
        row.report, row.error, row.job_id = None, ({"requeued": requeued} if requeued else None), token
        model.Session.add(row)
        record.set_status(res, "pending")
        queued.append((row, token))
        packages.add(res.package_id)

    def queue() -> None:
        for row, token in queued:
            try:
                tk.enqueue_job(job.validate_resource, [row.resource_id, token],
                               title=f"satudata validation {row.resource_id}",
                               queue=tk.config.get("ckanext.satudata.validation.queue"),
                               rq_kwargs={"timeout": job.job_timeout(), "job_id": token})
            except Exception:  # Redis down: the row stays pending and validation-requeue picks it up
                log.exception("could not queue the validation of %s", row.resource_id)
        for package_id in packages:
            search.rebuild(package_id)
    transaction.commit(context or {}, then=queue)
    return [row for row, _token in queued]


def report_for(resource_id: str) -> ResourceValidation | None:
    """The resource's latest validation record, or None."""
    return record.row(resource_id)


def delete(resource_id: str, context: dict[str, Any] | None = None) -> bool:
    """Delete the resource's validation record; False when it has none. Commits
    (unless the action's ``context`` defers it), then reindexes the dataset."""
    row = record.row(resource_id)
    res = record.resource(resource_id)
    if row is None:
        return False
    model.Session.delete(row)
    if res is not None:
        record.clear_status(res)
    transaction.commit(context or {}, then=(lambda: search.rebuild(res.package_id)) if res is not None else None)
    return True


def mark_stale(older_than: int | None = None) -> dict[str, list[str]]:
    """Re-queue validations left pending or running by a worker that died.

    A report is stuck when it has been pending (since queued) or running (since
    started) for more than ``older_than`` seconds (default
    ``ckanext.satudata.validation.stale_after``) and its job is not alive: gone
    from Redis, failed, stopped or canceled, or started by a worker whose process
    is gone. After ``max_requeues`` re-queues it gets an error report instead,
    so a file that kills the worker cannot loop forever.
    Returns ``{"requeued": [resource ids], "given_up": [resource ids]}``.
    """
    if older_than is None:
        older_than = tk.config.get("ckanext.satudata.validation.stale_after")
    limit = utcnow() - dt.timedelta(seconds=older_than)
    rows = model.Session.scalars(
        select(ResourceValidation).join(model.Resource, model.Resource.id == ResourceValidation.resource_id)
        .where(ResourceValidation.status.in_(("pending", "running")), model.Resource.state == "active",
               func.coalesce(ResourceValidation.started, ResourceValidation.created) < limit)
    ).all()
    stuck = [(row.resource_id, (row.error or {}).get("requeued", 0)) for row in rows if not jobs.job_alive(row.job_id)]
    out: dict[str, list[str]] = {"requeued": [], "given_up": []}
    for resource_id, requeued in stuck:
        if requeued >= tk.config.get("ckanext.satudata.validation.max_requeues"):
            _give_up(resource_id, requeued)
            out["given_up"].append(resource_id)
            continue
        enqueue(resource_id, requeued=requeued + 1)
        out["requeued"].append(resource_id)
    return out


def _give_up(resource_id: str, requeued: int) -> None:
    row, res = record.row(resource_id, lock=True), record.resource(resource_id)
    row.status, row.finished, row.job_id = "error", utcnow(), None
    row.error = {"code": "interrupted", "params": {}, "message": INTERRUPTED, "requeued": requeued}
    record.set_status(res, "error", row.finished)
    model.repo.commit()
    search.rebuild(res.package_id)
