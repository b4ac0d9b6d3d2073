"""What the pages show of a validation: the report on the resource page (each
error in the page's language, messages.py), the format table of the Table
Schema it is checked against with its template links, and the badges on the
dataset's review panel. Read-only; auth through the actions."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata.validation import engine, job, messages, record, service

__all__ = ["status_label", "report", "badges", "table_schema", "with_messages"]

REPORT_LIMIT = 100  # errors listed on the page; the rest are counted


def status_label(status: str | None) -> str:
    """Indonesian (or the request's language) label of a validation status."""
    labels = {
        "success": tk._("Valid"),
        "failure": tk._("Not valid"),
        "error": tk._("Validation could not run"),
        "running": tk._("Being validated"),
        "pending": tk._("Waiting for validation"),
    }
    return labels.get(status or "", tk._("Not validated yet"))


def _problems() -> dict[str, str]:
    """What stopped a file being read, by the code the job stores."""
    return {
        "empty_file": tk._("The file is empty (0 bytes)."),
        "upload_missing": tk._("The uploaded file is missing"),
        "too_large": tk._("The file is larger than the %(size)s MB the validator reads."),
        "http_error": tk._("The file could not be downloaded: the server answered HTTP %(status)s."),
        "blocked_address": tk._("The URL points to a local or private network address, which the validator does not download from."),
        "timeout": tk._("The download took too long."),
        "dns_error": tk._("The host name of the URL could not be found."),
        "connection_error": tk._("The server of the URL could not be reached."),
        "bad_url": tk._("The URL is not a valid http or https address."),
        "bad_scheme": tk._("The URL is not a valid http or https address."),
        "too_many_redirects": tk._("The URL redirects too many times."),
        "io_error": tk._("The downloaded file could not be saved."),
        "schema_download": tk._("The Table Schema could not be downloaded from its URL: %(reason)s"),
        "unexpected": tk._("An unexpected error stopped the validation: %(detail)s"),
        "interrupted": tk._(service.INTERRUPTED),
        "time_limit": tk._("The validation took longer than its limit of %(seconds)s seconds."),
        "memory_limit": tk._("The validation needed more memory than its limit of %(megabytes)s MB."),
    }


def problem_message(error: dict[str, Any] | None) -> str | None:
    """The translated message of a stored ``{"code", "params", "message"}``."""
    if not error or not (error.get("code") or error.get("message")):
        return None
    known = _problems()
    code, params = error.get("code"), dict(error.get("params") or {})
    if code not in known:
        message = error.get("message")  # stored before codes existed
        return tk._(message) if message else None
    if "max_bytes" in params:
        params["size"] = f"{params['max_bytes'] / (1024 * 1024):g}"
    if code == "schema_download":
        reason = params.get("reason")
        params["reason"] = known[reason] % params if reason in known and reason != "schema_download" else reason
    params.setdefault("status", "?")
    params.setdefault("detail", "")
    try:
        return known[code] % params
    except (KeyError, ValueError, TypeError):
        return known[code]


def table_schema(resource_id: str) -> dict[str, Any] | None:
    """The Table Schema a resource is validated against (its own, else its
    request's), when it is a JSON object with fields; None for none or a URL
    (the page does not download it)."""
    res = record.resource(resource_id)
    schema = job.table_schema_for(res) if res is not None else None
    return schema if isinstance(schema, dict) and messages.field_names(schema) else None


def _error_for_display(error: dict[str, Any], schema: dict | None, delimiter: str | None) -> dict[str, Any]:
    described = messages.describe(error, schema, delimiter)
    return {
        "type": error.get("type") or "error",
        "type_label": described["label"],
        "row": error.get("row"),
        "column": error.get("field") or error.get("column"),
        "cell": error.get("cell"),
        "message": described["message"],
        "html": described["html"],
        "hint": described["hint"],
        "original": error.get("message") or "",
    }


def _summary(data: dict[str, Any]) -> list[dict[str, Any]]:
    """How many errors of each type, most first, with the type's title."""
    counts = (data.get("stats") or {}).get("error_types") or {}
    if not counts:
        for error in data.get("errors") or []:
            counts[error.get("type") or "error"] = counts.get(error.get("type") or "error", 0) + 1
    return [{"type": t, "label": tk._(engine.ERROR_TYPES.get(t, engine.ERROR_TYPES["error"])), "count": n}
            for t, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _template_urls(resource: dict[str, Any]) -> dict[str, str]:
    return {fmt: tk.h.url_for("satudata_validation.resource_template", id=resource["package_id"],
                              resource_id=resource["id"], fmt=fmt) for fmt in ("csv", "xlsx")}


def report(resource: dict[str, Any], limit: int = REPORT_LIMIT) -> dict[str, Any] | None:
    """The validation of a tabular resource for display, or None when the
    resource is not tabular or the current user may not see its report.
    Each error is described in the page's language; ``columns`` is the
    format table of its Table Schema and ``templates`` its template links."""
    if not resource or not service.is_tabular(resource):
        return None
    try:
        row = tk.get_action("resource_validation_show")({}, {"resource_id": resource["id"]})
    except tk.NotAuthorized:
        return None
    except tk.ObjectNotFound:
        row = {"status": None}
    schema = table_schema(resource["id"])
    data = row.get("report") or {}
    errors = data.get("errors") or []
    total = max(data.get("error_count") or 0, len(errors))
    problem = problem_message(row.get("error")) if not errors else None
    return {
        "status": row["status"] or "none",
        "label": status_label(row["status"]),
        "timestamp": row.get("finished") or row.get("started") or row.get("created"),
        "finished": bool(row.get("finished")),
        "row_count": data.get("row_count"),
        "error_count": total if errors else (1 if problem else 0),
        "errors": [_error_for_display(e, schema, data.get("delimiter")) for e in errors[:limit]],
        "summary": _summary(data) if errors else [],
        "more": total - min(len(errors), limit),
        "problem": problem,
        "columns": messages.columns(schema) if schema else [],
        "templates": _template_urls(resource) if schema and resource.get("package_id") else {},
    }


def with_messages(row: dict[str, Any]) -> dict[str, Any]:
    """A stored validation record (``resource_validation_show``) as it is,
    plus ``messages``: each error of its report described in the request's
    language (``type``, ``row``, ``column``, ``message``, ``hint``; in the
    report's order), and ``error_message``: what stopped the file being read,
    translated. The report keeps frictionless' own structure and words."""
    data = row.get("report") or {}
    schema = table_schema(row["resource_id"]) if row.get("resource_id") and data.get("errors") else None
    described = []
    for error in data.get("errors") or []:
        words = messages.describe(error, schema, data.get("delimiter"))
        described.append({"type": error.get("type") or "error", "row": error.get("row"),
                          "column": error.get("field") or error.get("column"),
                          "message": words["message"], "hint": words["hint"]})
    return dict(row, messages=described, error_message=problem_message(row.get("error")))


def badges(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """One validation badge per tabular resource of the dataset, linking to its report."""
    out = []
    for res in pkg.get("resources") or []:
        if not service.is_tabular(res):
            continue
        status = res.get("validation_status")
        out.append({
            "name": res.get("name") or res["id"],
            "status": status or "none",
            "label": status_label(status),
            "url": tk.h.url_for("resource.read", id=pkg["name"], resource_id=res["id"]) + "#satudata-validation",
        })
    return out
