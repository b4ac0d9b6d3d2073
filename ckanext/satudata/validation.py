"""Validating tabular resources against their Table Schema, on the job queue.

Keeps ckanext-validation's interface: resource fields ``schema``,
``validation_status`` (success | failure | error, plus pending | running
while queued) and ``validation_timestamp``; the report lives in
``satudata_validation``. The schema is the resource's own, or else the Table
Schema of the data request the dataset fulfils.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search, uploader
from sqlalchemy import select

from ckanext.satudata.model import DataRequest, RequestDataset, ResourceValidation, utcnow

__all__ = ["is_tabular", "needs_validation", "enqueue", "run", "table_schema_for", "report_for", "delete",
           "mark_stale", "INTERRUPTED"]

log = logging.getLogger(__name__)


def is_tabular(resource: dict[str, Any] | model.Resource) -> bool:
    fmt = resource.get("format") if isinstance(resource, dict) else resource.format
    formats = {f.lower() for f in tk.config.get("ckanext.satudata.validation.formats")}
    return bool(fmt) and fmt.lower() in formats


def needs_validation(resource: dict[str, Any], previous: dict[str, Any] | None) -> bool:
    """On create, and whenever the file, URL, format or schema changes."""
    if not is_tabular(resource):
        return False
    if previous is None:
        return True
    keys = ("url", "format", "schema", "last_modified", "size", "hash")
    return any(resource.get(k) != previous.get(k) for k in keys) or bool(resource.get("upload"))


def table_schema_for(res: model.Resource) -> dict | str | None:
    """The resource's schema, or the schema of a request its dataset fulfils."""
    own = (res.extras or {}).get("schema")
    if own:
        try:
            return json.loads(own) if own.strip().startswith("{") else own
        except ValueError:
            return own
    schema = model.Session.scalars(
        select(DataRequest.table_schema).join(RequestDataset, RequestDataset.request_id == DataRequest.id)
        .where(RequestDataset.package_id == res.package_id, DataRequest.table_schema.is_not(None))
        .order_by(RequestDataset.created)
    ).first()
    return schema


def _set_status(res: model.Resource, status: str, when=None) -> None:
    """Write the status fields on the resource row (not through package_update:
    a validation is not an edit and must not send a published dataset back to draft)."""
    extras = dict(res.extras or {})
    extras["validation_status"] = status
    extras["validation_timestamp"] = (when or utcnow()).isoformat()
    res.extras = extras


def _row(resource_id: str) -> ResourceValidation | None:
    return model.Session.scalars(
        select(ResourceValidation).where(ResourceValidation.resource_id == resource_id)).first()


def enqueue(resource_id: str) -> ResourceValidation:
    """Mark the resource pending and queue its validation job."""
    res = model.Resource.get(resource_id)
    if res is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    row = _row(resource_id) or ResourceValidation(resource_id=resource_id)
    row.package_id = res.package_id
    row.status, row.created, row.started, row.finished = "pending", utcnow(), None, None
    row.report, row.error = None, None
    model.Session.add(row)
    _set_status(res, "pending")
    model.Session.flush()
    from ckanext.satudata import jobs
    job = tk.enqueue_job(jobs.validate_resource, [resource_id], title=f"satudata validation {resource_id}",
                         queue=tk.config.get("ckanext.satudata.validation.queue"),
                         rq_kwargs={"timeout": 3600})
    row.job_id = job.id
    model.repo.commit()
    search.rebuild(res.package_id)
    return row


def _local_path(res: model.Resource, workdir: str) -> str:
    if res.url_type == "upload":
        path = uploader.get_resource_uploader({"id": res.id, "url_type": "upload", "url": res.url}).get_path(res.id)
        if not os.path.exists(path):
            raise _Unreadable(tk._("The uploaded file is missing"))
        return path
    from ckanext.satudata import tabular
    dest = os.path.join(workdir, "download")
    try:
        tabular.fetch_remote(res.url, dest, max_bytes=tk.config.get("ckanext.satudata.validation.max_bytes"),
                             timeout=tk.config.get("ckanext.satudata.validation.timeout"),
                             allow_private=tk.config.get("ckanext.satudata.validation.allow_private_urls"))
    except tabular.FetchError as e:
        raise _Unreadable(f"{e.code}: {e}")
    return dest


class _Unreadable(Exception):
    pass


def run(resource_id: str) -> dict[str, Any]:
    """Validate now (the job's body); returns the stored report row."""
    from ckanext.satudata import tabular

    res = model.Resource.get(resource_id)
    if res is None or res.state != "active":
        return {}
    row = _row(resource_id) or ResourceValidation(resource_id=resource_id, package_id=res.package_id)
    row.status, row.started = "running", utcnow()
    model.Session.add(row)
    _set_status(res, "running")
    model.repo.commit()
    with tempfile.TemporaryDirectory(prefix="satudata-validation-") as workdir:
        try:
            path = _local_path(res, workdir)
            report = tabular.validate_file(path, fmt=(res.format or "").lower() or None,
                                           table_schema=table_schema_for(res))
            status, error = report["status"], None
        except _Unreadable as e:
            report, status, error = None, "error", {"message": str(e)}
    res = model.Resource.get(resource_id)
    row = _row(resource_id)
    if res is None or row is None:
        return {}
    row.status, row.finished, row.report, row.error = status, utcnow(), report, error
    _set_status(res, status, row.finished)
    model.repo.commit()
    search.rebuild(res.package_id)
    return row.as_dict()


def report_for(resource_id: str) -> ResourceValidation | None:
    return _row(resource_id)


def delete(resource_id: str) -> bool:
    row = _row(resource_id)
    res = model.Resource.get(resource_id)
    if row is None:
        return False
    model.Session.delete(row)
    if res is not None:
        extras = {k: v for k, v in (res.extras or {}).items() if k not in ("validation_status", "validation_timestamp")}
        res.extras = extras
    model.repo.commit()
    if res is not None:
        search.rebuild(res.package_id)
    return True


INTERRUPTED = "The validation was interrupted too many times (the worker stopped before it finished)"


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
    import datetime as dt
    from sqlalchemy import func

    if older_than is None:
        older_than = tk.config.get("ckanext.satudata.validation.stale_after")
    limit = utcnow() - dt.timedelta(seconds=older_than)
    rows = model.Session.scalars(
        select(ResourceValidation).join(model.Resource, model.Resource.id == ResourceValidation.resource_id)
        .where(ResourceValidation.status.in_(("pending", "running")), model.Resource.state == "active",
               func.coalesce(ResourceValidation.started, ResourceValidation.created) < limit)
    ).all()
    stuck = [(row.resource_id, (row.error or {}).get("requeued", 0)) for row in rows if not _job_alive(row.job_id)]
    out: dict[str, list[str]] = {"requeued": [], "given_up": []}
    for resource_id, requeued in stuck:
        if requeued >= tk.config.get("ckanext.satudata.validation.max_requeues"):
            _give_up(resource_id, requeued)
            out["given_up"].append(resource_id)
            continue
        row = enqueue(resource_id)
        row.error = {"requeued": requeued + 1}
        model.repo.commit()
        out["requeued"].append(resource_id)
    return out


def _give_up(resource_id: str, requeued: int) -> None:
    row, res = _row(resource_id), model.Resource.get(resource_id)
    row.status, row.finished = "error", utcnow()
    row.error = {"message": INTERRUPTED, "requeued": requeued}
    _set_status(res, "error", row.finished)
    model.repo.commit()
    search.rebuild(res.package_id)


def _job_alive(job_id: str | None) -> bool:
    """Queued, or started by a worker that still runs."""
    from ckan.lib import jobs as ckan_jobs

    if not job_id:
        return False
    try:
        job = ckan_jobs.job_from_id(job_id)
    except KeyError:
        return False
    status = job.get_status()
    if status in ("queued", "deferred", "scheduled"):
        return True
    return status == "started" and _worker_alive(job.worker_name)


def _worker_alive(worker_name: str | None) -> bool:
    """The worker's Redis key lives while it heartbeats (every 30 s, 90 s TTL);
    on this host its process is checked too, so a killed worker is seen at once."""
    import socket
    import rq
    from ckan.lib.redis import connect_to_redis

    if not worker_name:
        return False
    worker = rq.Worker.find_by_key(rq.Worker.redis_worker_namespace_prefix + worker_name,
                                   connection=connect_to_redis())
    if worker is None:
        return False
    if worker.hostname == socket.gethostname() and worker.pid:
        try:
            os.kill(worker.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
    return True
