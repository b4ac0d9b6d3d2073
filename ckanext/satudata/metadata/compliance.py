"""The *Kepatuhan SDI* check: one entry per Perpres 39/2019 principle.

Standar Data, Metadata, Interoperabilitas, Kode Referensi; each passes or
fails with reasons. ``satudata_dataset_submit`` refuses a failing dataset.
"""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.scheming.helpers import scheming_get_dataset_schema

from ckanext.satudata.metadata import codes
from ckanext.satudata.metadata import labels
from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.metadata import wilayah

__all__ = ["check", "field_errors"]

_STANDARD_FIELDS = ("sdi_standard_code", "sdi_concept", "sdi_definition", "sdi_unit")


def _empty(value: Any) -> bool:
    return value in (None, "", [], {})


def _schema_fields() -> list[dict[str, Any]]:
    schema = scheming_get_dataset_schema("dataset") or {}
    return schema.get("dataset_fields", [])


def _required_fields() -> list[dict[str, Any]]:
    """Fields of the SDI schema marked ``sdi_required``."""
    return [f for f in _schema_fields() if f.get("sdi_required")]


def field_errors(pkg_dict: dict[str, Any]) -> dict[str, list[str]]:
    """Missing publication-bound metadata, as ValidationError field messages."""
    errors: dict[str, list[str]] = {}
    for field in _required_fields():
        name = field["field_name"]
        value = pkg_dict.get(name)
        if name == "tag_string":
            value = pkg_dict.get("tags")
        if _empty(value):
            errors[name] = [tk._("Missing value: required before the dataset is submitted")]
    return errors


def _tabular_formats() -> set[str]:
    return {f.lower() for f in tk.config.get("ckanext.satudata.validation.formats")}


def _resource_problems(pkg_dict: dict[str, Any]) -> list[str]:
    resources = pkg_dict.get("resources") or []
    if not resources:
        return [tk._("The dataset has no resource")]
    problems = []
    open_formats = {v.lower() for v in vocabularies.values("open_format")}
    for res in resources:
        name = res.get("name") or res.get("id")
        fmt = (res.get("format") or "").lower()
        if fmt not in open_formats:
            problems.append(tk._("%(name)s: %(format)s is not an open format") % {"name": name, "format": res.get("format") or "?"})
        elif fmt in _tabular_formats():
            status = res.get("validation_status")
            if status != "success":
                problems.append(_validation_problem(name, status))
    return problems


def _validation_problem(name: str, status: str | None) -> str:
    if status == "failure":
        return tk._("%(name)s: does not match its Table Schema") % {"name": name}
    if status == "error":
        return tk._("%(name)s: could not be read for validation") % {"name": name}
    if status in ("pending", "running"):
        return tk._("%(name)s: validation still running") % {"name": name}
    return tk._("%(name)s: not validated yet") % {"name": name}


def check(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    """The checklist: ``{"passed": bool, "principles": [{"principle", "label", "passed", "reasons"}]}``."""
    standard = [tk._("Missing %(field)s") % {"field": labels.field_label(f)}
                for f in _STANDARD_FIELDS if _empty(pkg_dict.get(f))]
    metadata = [f"{labels.field_label(key)}: {msgs[0]}" for key, msgs in field_errors(pkg_dict).items()]
    interop = _resource_problems(pkg_dict)
    reference = []
    area = pkg_dict.get("sdi_area_code")
    if _empty(area):
        reference.append(tk._("Missing area code"))
    elif not wilayah.is_valid(area):
        reference.append(tk._("Unknown area code %(code)s") % {"code": area})
    if pkg_dict.get("sdi_urusan") and pkg_dict["sdi_urusan"] not in vocabularies.values("urusan"):
        reference.append(tk._("Unknown government affair code"))
    try:
        codes.indicator_code(pkg_dict.get("sdi_indicator_code"))
    except tk.Invalid as e:
        reference.append(e.error)
    entries = [
        ("standar_data", tk._("Data standard"), standard),
        ("metadata", tk._("Metadata"), metadata),
        ("interoperabilitas", tk._("Interoperability"), interop),
        ("kode_referensi", tk._("Reference codes"), reference),
    ]
    principles = [{"principle": key, "label": label, "passed": not reasons, "reasons": reasons}
                  for key, label, reasons in entries]
    return {"passed": all(p["passed"] for p in principles), "principles": principles}
