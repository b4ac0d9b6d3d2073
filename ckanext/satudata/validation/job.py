"""Validating tabular resources against their Table Schema, on the job queue.

Keeps ckanext-validation's interface: resource fields ``schema``,
``validation_status`` (success | failure | error, plus pending | running
while queued) and ``validation_timestamp``; the report lives in
``satudata_validation``. The schema is the resource's own (JSON, or an
http(s) URL fetched by the job), or else the Table Schema of the data request
the dataset fulfils.

Each queued validation gets a token (its RQ job id, stored on the row); a job
whose token is no longer the row's (the file changed again and a newer job
was queued) writes nothing. Problems that stop a file being read are stored as
``error = {"code", "params", "message"}``: the page translates the code, the
English message is kept for API clients.

Jobs go to their own queue (``ckanext.satudata.validation.queue``, default
``satudata_validation``), so notices on the default queue never wait behind a
validation: run a worker for each (``ckan jobs worker default`` and ``ckan jobs
worker satudata_validation``). The file is read in a forked child process under
a time limit (``validation.time_limit``), a memory cap (``validation.max_memory``,
RLIMIT_AS above what the process holds when it forks) and a column limit
(``validation.max_columns``); each ends as an error report, and the RQ job's own
timeout covers the download and the child together.
"""
from __future__ import annotations

import json
import logging
import multiprocessing
import os
import resource
import signal
import tempfile
import uuid
from typing import Any, Callable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search, uploader
from sqlalchemy import select

from ckanext.satudata import jobs
from ckanext.satudata.msgid import N_
from ckanext.satudata.validation import engine, fetch
from ckanext.satudata.model import DataRequest, RequestDataset, ResourceValidation, utcnow

__all__ = ["is_tabular", "needs_validation", "enqueue", "enqueue_many", "run", "table_schema_for",
           "report_for", "delete", "mark_stale", "save_and_queue", "fingerprint", "INTERRUPTED", "WATCHED"]

log = logging.getLogger(__name__)

# A change of any of these re-validates a resource (an upload sets a new last_modified and size).
WATCHED = ("url", "url_type", "format", "schema", "last_modified", "size", "hash")
SCHEMA_MAX_BYTES = 1024 * 1024  # a Table Schema given as a URL
SCHEMA_TIMEOUT = 20


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


def table_schema_for(res: model.Resource) -> dict | str | None:
    """The resource's schema (a dict, or a URL string), or the schema of a request its dataset fulfils."""
    own = (res.extras or {}).get("schema")
    if own:
        try:
            return json.loads(own) if own.strip().startswith("{") else own.strip()
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


def _row(resource_id: str, lock: bool = False) -> ResourceValidation | None:
    query = select(ResourceValidation).where(ResourceValidation.resource_id == resource_id)
    if lock:  # CKAN's session keeps objects across commits: read the row anew
        query = query.with_for_update().execution_options(populate_existing=True)
    return model.Session.scalars(query).first()


def _resource(resource_id: Any) -> model.Resource | None:
    """By id only (model.Resource.get would also match a name)."""
    return model.Session.get(model.Resource, resource_id) if isinstance(resource_id, str) else None


def enqueue(resource_id: str, requeued: int | None = None) -> ResourceValidation:
    """Mark the resource pending and queue its validation job."""
    return enqueue_many([resource_id], requeued)[0]


def enqueue_many(resource_ids: list[str], requeued: int | None = None) -> list[ResourceValidation]:
    """Mark each resource pending with a fresh token, commit, then queue the jobs
    (a job never starts before its row says pending with its token)."""
    queued: list[tuple[ResourceValidation, str]] = []
    packages: set[str] = set()
    for resource_id in resource_ids:
        res = _resource(resource_id)
        if res is None:
            raise tk.ObjectNotFound(tk._("Resource not found"))
        row = _row(resource_id, lock=True) or ResourceValidation(resource_id=resource_id)
        token = str(uuid.uuid4())
        row.package_id = res.package_id
        row.status, row.created, row.started, row.finished = "pending", utcnow(), None, None
        row.report, row.error, row.job_id = None, ({"requeued": requeued} if requeued else None), token
        model.Session.add(row)
        _set_status(res, "pending")
        queued.append((row, token))
        packages.add(res.package_id)
    model.repo.commit()
    for row, token in queued:
        try:
            tk.enqueue_job(validate_resource, [row.resource_id, token],
                           title=f"satudata validation {row.resource_id}",
                           queue=tk.config.get("ckanext.satudata.validation.queue"),
                           rq_kwargs={"timeout": _job_timeout(), "job_id": token})
        except Exception:  # Redis down: the row stays pending and validation-requeue picks it up
            log.exception("could not queue the validation of %s", row.resource_id)
    for package_id in packages:
        search.rebuild(package_id)
    return [row for row, _token in queued]


def _job_timeout() -> int:
    """RQ's limit for a whole job: the download, the schema's and the reading."""
    return tk.config.get("ckanext.satudata.validation.timeout") + SCHEMA_TIMEOUT \
        + tk.config.get("ckanext.satudata.validation.time_limit") + 60


class _Unreadable(Exception):
    """The file could not be read: a code and parameters the page translates."""

    def __init__(self, code: str, message: str, **params: Any):
        super().__init__(message)
        self.code, self.message, self.params = code, message, params

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "params": self.params, "message": self.message}


def _fetch(url: str, dest: str, max_bytes: int, timeout: float) -> None:
    try:
        fetch.fetch_remote(url, dest, max_bytes=max_bytes, timeout=timeout,
                             allow_private=tk.config.get("ckanext.satudata.validation.allow_private_urls"))
    except fetch.FetchError as e:
        params = {"max_bytes": max_bytes} if e.code == "too_large" else {}
        if e.status is not None:
            params["status"] = e.status
        raise _Unreadable(e.code, f"{e.code}: {e}", **params)


def _local_path(job: dict[str, Any], workdir: str, max_bytes: int) -> str:
    if job["url_type"] == "upload":
        path = uploader.get_resource_uploader(
            {"id": job["id"], "url_type": "upload", "url": job["url"]}).get_path(job["id"])
        if not os.path.exists(path):
            raise _Unreadable("upload_missing", "The uploaded file is missing")
    else:
        path = os.path.join(workdir, "download")
        _fetch(job["url"], path, max_bytes, tk.config.get("ckanext.satudata.validation.timeout"))
    size = os.path.getsize(path)
    if size > max_bytes:
        raise _Unreadable("too_large", f"too_large: The file is {size} bytes, more than the {max_bytes} allowed.",
                          max_bytes=max_bytes)
    if size == 0:
        raise _Unreadable("empty_file", "The file is empty (0 bytes).")
    return path


def _schema(schema: Any, workdir: str) -> Any:
    """A schema given as a URL is downloaded (SSRF-safe, small limits)."""
    if not (isinstance(schema, str) and schema.startswith(("http://", "https://"))):
        return schema
    dest = os.path.join(workdir, "schema.json")
    timeout = min(SCHEMA_TIMEOUT, tk.config.get("ckanext.satudata.validation.timeout"))
    try:
        _fetch(schema, dest, SCHEMA_MAX_BYTES, timeout)
    except _Unreadable as e:
        raise _Unreadable("schema_download", f"The Table Schema could not be downloaded: {e.message}",
                          reason=e.code, **e.params)
    with open(dest, "rb") as fh:
        return fh.read()


def _validate(job: dict[str, Any], schema: Any) -> tuple[str, dict | None, dict | None]:
    """(status, report, error) of one validation; never raises."""
    max_bytes = tk.config.get("ckanext.satudata.validation.max_bytes")
    try:
        with tempfile.TemporaryDirectory(prefix="satudata-validation-") as workdir:
            path = _local_path(job, workdir, max_bytes)
            report = _limited({"path": path, "fmt": job["format"], "table_schema": _schema(schema, workdir),
                               "max_unzipped_bytes": max(max_bytes * 4, 64 * 1024 * 1024),
                               "max_columns": tk.config.get("ckanext.satudata.validation.max_columns")})
        return report["status"], report, None
    except _Unreadable as e:
        return "error", None, e.as_dict()
    except Exception as e:  # whatever happens, the row must not stay "running"
        log.exception("validation of resource %s failed", job["id"])
        detail = f"{type(e).__name__}: {e}"[:500]
        return "error", None, {"code": "unexpected", "params": {"detail": detail},
                               "message": f"An unexpected error stopped the validation: {detail}"}


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), or None."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


_REPORT_ROOM = 64 * 1024 * 1024  # memory the child may take back to report it ran out


def _child(sender, seconds: int, max_memory: int, kwargs: dict[str, Any]) -> None:
    """The forked child: cap itself, validate, send ``(outcome, value)`` back."""
    import frictionless  # noqa: F401 - loaded before the cap, which is for the file

    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # not RQ's death penalty, inherited from the horse
        signal.alarm(seconds + 10)  # ends by itself should its parent be killed
        resource.setrlimit(resource.RLIMIT_CPU, (seconds + 5, seconds + 10))
        base = _address_space()
        if base is not None:  # the hard limit leaves room to report running out
            resource.setrlimit(resource.RLIMIT_AS, (base + max_memory, base + max_memory + _REPORT_ROOM))
        outcome = ("memory", None)
        try:
            outcome = ("report", engine.validate_file(**kwargs))
        except MemoryError:
            pass
        if outcome[0] == "memory":  # out of the handler, its frames freed; room to send
            resource.setrlimit(resource.RLIMIT_AS, resource.getrlimit(resource.RLIMIT_AS)[1:] * 2)
        sender.send(outcome)
    except Exception as e:
        sender.send(("crash", f"{type(e).__name__}: {e}"[:500]))
    finally:
        sender.close()


def _limited(kwargs: dict[str, Any]) -> dict[str, Any]:
    """``engine.validate_file(**kwargs)`` in a forked child under the time limit
    and memory cap; raises _Unreadable ``time_limit`` / ``memory_limit``."""
    seconds = tk.config.get("ckanext.satudata.validation.time_limit")
    max_memory = tk.config.get("ckanext.satudata.validation.max_memory")
    megabytes = round(max_memory / (1024 * 1024))
    too_slow = _Unreadable("time_limit", f"The validation took longer than its limit of {seconds} seconds.",
                           seconds=seconds)
    too_big = _Unreadable("memory_limit", f"The validation needed more memory than its limit of {megabytes} MB.",
                          megabytes=megabytes)
    receiver, sender = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_child, args=(sender, seconds, max_memory, kwargs))
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise too_slow
        try:
            outcome, value = receiver.recv()
        except EOFError:  # it died without a word: its CPU or alarm limit, the OOM killer, a crash
            child.join(5)
            if child.exitcode in (-signal.SIGXCPU, -signal.SIGALRM):
                raise too_slow from None
            if child.exitcode == -signal.SIGKILL:
                raise too_big from None
            raise RuntimeError(f"the validation process ended with exit code {child.exitcode}") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if outcome == "memory":
        raise too_big
    if outcome == "crash":
        raise RuntimeError(value)
    return value


def run(resource_id: str, token: str | None = None) -> dict[str, Any]:
    """Validate now (the job's body); returns the stored report row, or {} when
    the resource is gone or the token is no longer current (a newer validation
    was queued). No transaction stays open while the file is downloaded and read."""
    res = _resource(resource_id)
    if res is None or res.state != "active":
        model.Session.rollback()
        return {}
    row = _row(resource_id, lock=True)
    if token is not None and (row is None or row.job_id != token):
        model.Session.rollback()
        log.info("validation of %s skipped: superseded by a newer one", resource_id)
        return {}
    if row is None:
        row = ResourceValidation(resource_id=resource_id, package_id=res.package_id, created=utcnow())
        model.Session.add(row)
    if token is None:  # run directly: supersede whatever job is in flight
        token = row.job_id = str(uuid.uuid4())
    job = {"id": res.id, "package_id": res.package_id, "url": res.url, "url_type": res.url_type,
           "format": (res.format or "").lower() or None}
    try:
        schema = table_schema_for(res)
    except Exception:
        model.Session.rollback()
        raise
    row.status, row.started, row.finished, row.report, row.error = "running", utcnow(), None, None, row.error
    _set_status(res, "running")
    model.repo.commit()  # from here on no ORM object is touched until the result is written

    status, report, error = _validate(job, schema)

    row = _row(resource_id, lock=True)
    res = _resource(resource_id)
    if res is None or row is None or row.job_id != token:
        model.Session.rollback()
        return {}
    row.status, row.finished, row.report, row.error = status, utcnow(), report, error
    _set_status(res, status, row.finished)
    model.repo.commit()
    search.rebuild(job["package_id"])
    return row.as_dict()


def report_for(resource_id: str) -> ResourceValidation | None:
    return _row(resource_id)


def delete(resource_id: str) -> bool:
    row = _row(resource_id)
    res = _resource(resource_id)
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


INTERRUPTED = N_("The validation was interrupted too many times (the worker stopped before it finished)")


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
    row, res = _row(resource_id, lock=True), _resource(resource_id)
    row.status, row.finished, row.job_id = "error", utcnow(), None
    row.error = {"code": "interrupted", "params": {}, "message": INTERRUPTED, "requeued": requeued}
    _set_status(res, "error", row.finished)
    model.repo.commit()
    search.rebuild(res.package_id)


def validate_resource(resource_id: str, token: str | None = None) -> dict:
    """The job on ``ckanext.satudata.validation.queue``: Frictionless validation
    of one resource; writes nothing when ``token`` is no longer the resource's
    current one."""
    return run(resource_id, token)
