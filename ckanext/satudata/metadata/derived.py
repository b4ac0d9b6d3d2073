"""Derived SDI metadata added to every shown dataset (O(1), no queries)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckanext.scheming.helpers import scheming_get_dataset_schema

from ckanext.satudata.metadata import schedule
from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.metadata import wilayah

__all__ = ["after_dataset_show", "dataset_field_names", "EXEMPTION_FIELDS", "DERIVED_FIELDS"]

# What ``after_dataset_show`` adds: worked out on every show, so the search
# index does not store them (``indexing.before_dataset_index``) and search
# results, which are read from the index, do not carry them.
DERIVED_FIELDS = ("sdi_walidata_contact", "sdi_frequency_iso8601", "sdi_area_name", "sdi_area_level",
                  "sdi_area_bps_code", "sdi_next_update")


def _walidata_contact() -> dict[str, str]:
    return {
        "name": tk.config.get("ckanext.satudata.walidata_name"),
        "email": tk.config.get("ckanext.satudata.walidata_email"),
    }


def dataset_field_names() -> set[str]:
    """The fields of the SDI dataset schema (ckanext-scheming)."""
    schema = scheming_get_dataset_schema("dataset") or {}
    return {f["field_name"] for f in schema.get("dataset_fields", [])}


# The PPID's reasons for withholding data: no public version carries them.
EXEMPTION_FIELDS = ("sdi_exemption_basis", "sdi_consequence_test")


def after_dataset_show(pkg_dict: dict[str, Any]) -> None:
    if "sdi_status" not in pkg_dict:
        return
    value = pkg_dict.get("sdi_classification")
    classification = vocabularies.term("classification", value) if isinstance(value, str) else None
    if classification and classification.get("public") and pkg_dict.get("sdi_status") == "published":
        # Public data has no exemption: the workflow clears these when it is
        # verified as public; a version stored before that rule shows none either.
        for key in EXEMPTION_FIELDS:
            pkg_dict.pop(key, None)
    pkg_dict["sdi_walidata_contact"] = _walidata_contact()
    frequency = vocabularies.term("frequency", pkg_dict.get("sdi_frequency") or "")
    if frequency:
        pkg_dict["sdi_frequency_iso8601"] = frequency["iso8601"]
    if pkg_dict.get("sdi_status") == "published":
        due = schedule.next_update(pkg_dict.get("sdi_frequency"), pkg_dict.get("sdi_period_end"))
        if due:
            pkg_dict["sdi_next_update"] = due.isoformat()
    code = pkg_dict.get("sdi_area_code")
    area = wilayah.get(code) if code else None
    if area:
        pkg_dict["sdi_area_name"] = area.name
        pkg_dict["sdi_area_level"] = area.level
        pkg_dict["sdi_area_bps_code"] = wilayah.bps_code(area.code)
