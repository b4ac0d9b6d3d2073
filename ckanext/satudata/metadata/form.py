"""The dataset form, as schemas/dataset.yaml describes it.

The schema names the form's sections (``sdi_form_sections``) and puts each
field in one (``sdi_section``); it marks the fields only the agency's PPID
sets (``sdi_ppid_only``) and those required before submission
(``sdi_required``, checked by ``compliance``). This module reads those marks
for the form template (through the ``satudata_form_*`` helpers), lists the
agencies a dataset can be shared with, and works out what a new dataset for
a data request starts with.
"""
from __future__ import annotations

import json
from typing import Any

import ckan.model as model
from ckanext.scheming.helpers import scheming_get_dataset_schema
from sqlalchemy import func

__all__ = ["sections", "ppid_fields", "agency_options", "request_prefill"]

# Never taken from a request's metadata template: the agency and the request
# come from the link itself, the rest is the dataset's own or the workflow's.
_NOT_PREFILLED = ("id", "name", "owner_org", "sdi_request_id", "sdi_status")


def _fields(dataset_type: str = "dataset") -> list[dict[str, Any]]:
    return (scheming_get_dataset_schema(dataset_type) or {}).get("dataset_fields", [])


def sections(dataset_type: str = "dataset") -> list[dict[str, Any]]:
    """The form's sections in order, each ``{"name", "label", "description",
    "fields"}`` with its form fields in schema order (a field with no form
    snippet, such as ``sdi_status``, is in none). A form field that names no
    known section lands in a last section named ``other`` (the schema test
    keeps it empty)."""
    schema = scheming_get_dataset_schema(dataset_type) or {}
    out = [dict(section, fields=[]) for section in schema.get("sdi_form_sections", [])]
    by_name = {section["name"]: section for section in out}
    other: list[dict[str, Any]] = []
    for field in schema.get("dataset_fields", []):
        if "form_snippet" in field and field["form_snippet"] is None:
            continue
        section = by_name.get(field.get("sdi_section"))
        (section["fields"] if section else other).append(field)
    if other:
        out.append({"name": "other", "label": None, "description": None, "fields": other})
    return out


def ppid_fields(dataset_type: str = "dataset") -> tuple[str, ...]:
    """The fields only the agency's PPID sets (``sdi_ppid_only``)."""
    return tuple(f["field_name"] for f in _fields(dataset_type) if f.get("sdi_ppid_only"))


def _as_refs(value: Any) -> set[str]:
    """Agency references as the form may hold them: a list (ids from
    package_show or the posted form, names from a request's template), a
    JSON list as stored, or comma-separated text."""
    if value is None or value == "":
        return set()
    if isinstance(value, (list, tuple, set)):
        return {str(v).strip() for v in value if str(v).strip()}
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return {str(v).strip() for v in parsed if str(v).strip()}
    return {part.strip() for part in text.split(",") if part.strip()}


def agency_options(selected: Any = None) -> list[dict[str, Any]]:
    """Every active agency (CKAN organization) by title, for a choice by name:
    ``[{"value": id, "label": title, "selected": bool}]``; ``selected`` may
    name them by id or by name. One query."""
    refs = _as_refs(selected)
    rows = (model.Session.query(model.Group.id, model.Group.name, model.Group.title)
            .filter(model.Group.is_organization.is_(True), model.Group.state == "active")
            .order_by(func.lower(func.coalesce(func.nullif(model.Group.title, ""), model.Group.name)))
            .all())
    return [{"value": row.id, "label": row.title or row.name, "selected": row.id in refs or row.name in refs}
            for row in rows]


def request_prefill(request: dict[str, Any], data: dict[str, Any] | None = None,
                    dataset_type: str = "dataset") -> dict[str, Any]:
    """The fields a new dataset for data ``request`` (as ``satudata_request_show``
    returns it) starts with: its metadata template (fields of the dataset
    schema only, PPID-only fields left out) and the Pembina's recommendation
    number; with ``data`` (the form's), only the fields it leaves empty."""
    names = {f["field_name"] for f in _fields(dataset_type)}
    skip = set(_NOT_PREFILLED) | set(ppid_fields(dataset_type))
    out = {key: value for key, value in (request.get("metadata_template") or {}).items()
           if key in names and key not in skip}
    recommendation = request.get("recommendation") or {}
    if recommendation.get("number") and not recommendation.get("not_needed"):
        out["sdi_recommendation_number"] = recommendation["number"]
    if data is not None:
        out = {key: value for key, value in out.items() if data.get(key) in (None, "", [])}
    return out
