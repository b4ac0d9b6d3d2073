"""Validation pages: the blank CSV/XLSX template of a Table Schema, for a
resource (the schema it is validated against) and for a data request (its
format). Whoever may not see the dataset or request gets 404, as for an
unknown one."""
from __future__ import annotations

import re

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response

from ckanext.satudata.text import safe_ref
from ckanext.satudata.validation import report, template

__all__ = ["satudata_validation"]

satudata_validation = Blueprint("satudata_validation", __name__)

_FORMATS = ("csv", "xlsx")


def _download(schema: dict, name: str, fmt: str) -> Response:
    body = template.csv_bytes(schema) if fmt == "csv" else template.xlsx_bytes(schema)
    stem = re.sub(r"\.(csv|tsv|xlsx?)$", "", name, flags=re.I)
    filename = (re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "data")[:80] + f"-template.{fmt}"
    response = Response(body, content_type=template.CONTENT_TYPES[fmt])
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@satudata_validation.route("/dataset/<id>/resource/<resource_id>/template.<fmt>")
def resource_template(id: str, resource_id: str, fmt: str):
    """The template of the Table Schema the resource is validated against."""
    not_found = tk._("Resource not found")
    if fmt not in _FORMATS or not safe_ref(id) or not safe_ref(resource_id):
        return tk.abort(404, not_found)
    try:
        tk.check_access("satudata_validation_template", {"user": tk.current_user.name}, {"resource_id": resource_id})
        res = tk.get_action("resource_show")({"user": tk.current_user.name}, {"id": resource_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return tk.abort(404, not_found)
    pkg = tk.get_action("package_show")({"user": tk.current_user.name}, {"id": res["package_id"]})
    if id not in (pkg["id"], pkg["name"]):
        return tk.abort(404, not_found)
    schema = report.table_schema(res["id"])
    if schema is None:
        return tk.abort(404, tk._("This resource has no Table Schema"))
    return _download(schema, res.get("name") or pkg["name"], fmt)


@satudata_validation.route("/permintaan/<id>/template.<fmt>")
def request_template(id: str, fmt: str):
    """The template of a data request's format (its Table Schema)."""
    not_found = tk._("Data request not found")
    if fmt not in _FORMATS or not safe_ref(id):
        return tk.abort(404, not_found)
    try:
        req = tk.get_action("satudata_request_show")({"user": tk.current_user.name}, {"id": id})
    except (tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
        return tk.abort(404, not_found)
    schema = req.get("table_schema")
    if req.get("limited") or not isinstance(schema, dict) or not schema.get("fields"):
        return tk.abort(404, tk._("This request has no Table Schema yet"))
    return _download(schema, req.get("title") or "permintaan", fmt)
