"""The validation job, run by a worker on the validation queue: one resource
validated against its Table Schema.

The schema is the resource's own (JSON, or an http(s) URL fetched here), or
else the Table Schema of the data request the dataset fulfils. Each queued
validation carries a token (its RQ job id, stored on the row by the
service); a job whose token is no longer the row's (the file changed again
and a newer job was queued) writes nothing. No transaction stays open while
the file is downloaded and read.

Problems that stop a file being read are stored as ``error = {"code",
"params", "message"}``: the page translates the code, the English message is
kept for API clients.

The file is read in a forked child process under a time limit
(``validation.time_limit``), a memory cap (``validation.max_memory``,
RLIMIT_AS above what the process holds when it forks) and a column limit
(``validation.max_columns``); each ends as an error report, and the RQ job's
own timeout (``job_timeout``) covers the download and the child together.
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
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search, uploader
from sqlalchemy import select

from ckanext.satudata.model import DataRequest, RequestDataset, ResourceValidation, utcnow
from ckanext.satudata.validation import engine, fetch, record

__all__ = ["validate_resource", "run", "job_timeout"]

log = logging.getLogger(__name__)

SCHEMA_MAX_BYTES = 1024 * 1024  # a Table Schema given as a URL
SCHEMA_TIMEOUT = 20


def validate_resource(resource_id: str, token: str | None = None) -> dict:
    """The job on ``ckanext.satudata.validation.queue``: Frictionless validation
    of one resource; writes nothing when ``token`` is no longer the resource's
    current one."""
    return run(resource_id, token)


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


def job_timeout() -> int:
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
    # Here, not at the top: the web process never loads frictionless (engine imports it
    # lazily); the child loads it before its memory cap, which is for the file alone.
    import frictionless  # noqa: F401

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
    res = record.resource(resource_id)
    if res is None or res.state != "active":
        model.Session.rollback()
        return {}
    row = record.row(resource_id, lock=True)
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
    record.set_status(res, "running")
    model.repo.commit()  # from here on no ORM object is touched until the result is written

    status, report, error = _validate(job, schema)

    row = record.row(resource_id, lock=True)
    res = record.resource(resource_id)
    if res is None or row is None or row.job_id != token:
        model.Session.rollback()
        return {}
    row.status, row.finished, row.report, row.error = status, utcnow(), report, error
    record.set_status(res, status, row.finished)
    model.repo.commit()
    search.rebuild(job["package_id"])
    return row.as_dict()
