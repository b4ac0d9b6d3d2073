"""The SDI code lists and area codes for API clients (issue 13): a script
that fills the dataset schema learns every code it accepts from the API,
not from the YAML in the source."""
from __future__ import annotations

import copy
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata.logic import metadata_schema
from ckanext.satudata.logic.schema import validate
from ckanext.satudata.metadata import vocabularies, wilayah

__all__ = ["satudata_vocabulary_list", "satudata_vocabulary_show", "satudata_area_list", "satudata_area_show",
           "scheming_dataset_schema_show"]


def _vocabulary(name: str) -> dict[str, Any]:
    """A code list: its terms with their labels in both languages and what
    else the list says of each (``iso8601`` of a frequency, ``public`` or
    ``shared`` of a classification)."""
    return {"name": name, "terms": [dict(term, label=dict(term["label"])) for term in vocabularies.terms(name)]}


@tk.side_effect_free
def satudata_vocabulary_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Every SDI code list, with its values and their labels (``id``, ``en``).

    :returns: ``[{"name", "terms": [{"value", "label": {"id", "en"}, ...}]}]``
    """
    tk.check_access("satudata_vocabulary_list", context, data_dict)
    return [_vocabulary(name) for name in vocabularies.names()]


@tk.side_effect_free
def satudata_vocabulary_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One SDI code list.

    :param name: the list's name, e.g. ``frequency`` (``satudata_vocabulary_list`` names them all)
    :returns: ``{"name", "terms": [...]}``
    """
    data = validate(data_dict, metadata_schema.satudata_vocabulary_show, context)
    tk.check_access("satudata_vocabulary_show", context, data)
    if data["name"] not in vocabularies.names():
        raise tk.ObjectNotFound(tk._("Code list not found"))
    return _vocabulary(data["name"])


def _area(area: wilayah.Area) -> dict[str, Any]:
    return {"code": area.code, "name": area.name, "level": area.level, "parent": area.parent or None,
            "bps_code": wilayah.bps_code(area.code)}


@tk.side_effect_free
def satudata_area_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Area codes (Kepmendagri), searched by name or code, a page at a time.

    :param q: words of the name (``bandung``) or the start of a code (``32.73``, ``3273``); optional
    :param level: ``provinsi``, ``kabupaten``, ``kecamatan`` or ``desa``; optional
    :param parent: only the areas below this code; optional
    :param limit: areas per page (default 20, at most 1,000)
    :param offset: areas to skip (default 0)
    :returns: ``{"results": [{"code", "name", "level", "parent", "bps_code"}], "offset", "limit", "more"}``;
        ``more`` is true when a next page exists. Higher levels come first, by code within a level.
    """
    data = validate(data_dict, metadata_schema.satudata_area_list, context)
    tk.check_access("satudata_area_list", context, data)
    if data.get("parent") and wilayah.get(data["parent"]) is None:
        raise tk.ValidationError({"parent": [tk._("Unknown area code")]})
    offset, limit = data["offset"], data["limit"]
    found = wilayah.search(data.get("q"), level=data.get("level"), under=data.get("parent"),
                           limit=offset + limit + 1)
    page = found[offset:offset + limit]
    return {"results": [_area(a) for a in page], "offset": offset, "limit": limit,
            "more": len(found) > offset + limit}


@tk.side_effect_free
def satudata_area_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One area code with its name, level and the areas above it.

    :param code: dotted (``32.11``) or plain digits (``3211``)
    :returns: ``{"code", "name", "level", "parent", "bps_code", "ancestors": [...]}``
    """
    data = validate(data_dict, metadata_schema.satudata_area_show, context)
    tk.check_access("satudata_area_show", context, data)
    area = wilayah.get(data["code"])
    if area is None:
        raise tk.ObjectNotFound(tk._("Area not found"))
    return dict(_area(area), ancestors=[_area(a) for a in wilayah.ancestors(area.code) if a.code != area.code])


@tk.side_effect_free
@tk.chained_action
def scheming_dataset_schema_show(up_func, context: Context, data_dict: DataDict) -> dict[str, Any]:
    """ckanext-scheming's schema, with the choices of every SDI code-list
    field written out (scheming does so for inline choices, not for a
    ``choices_helper``), so a client can fill the schema from the API."""
    schema = copy.deepcopy(up_func(context, data_dict))  # scheming's own dict: not to be changed
    for key in ("dataset_fields", "resource_fields"):
        for field in schema.get(key) or []:
            name = field.get("sdi_vocabulary")
            if name and field.get("choices_helper") == "satudata_choices" and "choices" not in field:
                field["choices"] = vocabularies.choices(name)
    return schema
