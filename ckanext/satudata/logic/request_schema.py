"""Input schemas of the satudata_request_* actions, one per action, same name."""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args

from ckanext.satudata.datarequest import steps
from ckanext.satudata.logic.validators import _as_list, _empty, _term_checker

Invalid = tk.Invalid

_YEAR_PART = re.compile(r"^(\d{4})(?:\s*-\s*(\d{4}))?$")
_TITLE_MAX, _TEXT_MAX = 200, 10000


def _max_length(limit: int):
    def validator(value):
        if isinstance(value, str) and len(value) > limit:
            raise Invalid(tk._("At most %(limit)s characters") % {"limit": limit})
        return value
    return validator


def request_years(value):
    """Years and ranges, e.g. ``2020-2024`` or ``2021, 2023``; kept normalized."""
    if _empty(value):
        return value
    parts = _as_list(value) if not isinstance(value, str) else [p.strip() for p in value.split(",") if p.strip()]
    normalized = []
    for part in parts:
        match = _YEAR_PART.match(str(part))
        if not match:
            raise Invalid(tk._("Years are written like 2020-2024 or 2021, 2023"))
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if not (1900 <= first <= 2100 and 1900 <= last <= 2100) or last < first:
            raise Invalid(tk._("Years must be between 1900 and 2100, the first before the last"))
        normalized.append(f"{first}-{last}" if last != first else str(first))
    return ", ".join(normalized)


def request_text_list(value):
    """Indicators: a list or lines of text, stored one per line."""
    if _empty(value):
        return value
    items = value if isinstance(value, (list, tuple)) else str(value).splitlines()
    items = [str(i).strip() for i in items if str(i).strip()]
    return "\n".join(items)


def request_date(value):
    """An ISO date (YYYY-MM-DD)."""
    if _empty(value):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise Invalid(tk._("Date must be written as YYYY-MM-DD"))


def request_future_date(value):
    value = request_date(value)
    if not _empty(value) and value < dt.date.today():
        raise Invalid(tk._("The date cannot be in the past"))
    return value


def request_organizations(value):
    """Agency names or ids; every one must exist. Returns the ids."""
    if _empty(value):
        raise Invalid(tk._("Choose at least one agency"))
    ids, unknown = [], []
    for ref in _as_list(value):
        group = model.Group.get(ref)
        if group is None or not group.is_organization or group.state != "active":
            unknown.append(ref)
        elif group.id not in ids:
            ids.append(group.id)
    if unknown:
        raise Invalid(tk._("Unknown agency: %(names)s") % {"names": ", ".join(unknown)})
    return ids


def request_table_schema(value):
    """A Frictionless Table Schema (object or JSON text); returned as a dict."""
    from ckanext.satudata import tabular

    if _empty(value):
        raise Invalid(tk._("Missing value"))
    problems = tabular.check_table_schema(value)
    if problems:
        raise Invalid(tk._("Invalid Table Schema: %(problems)s") % {
            "problems": "; ".join(f"{where}: {', '.join(msgs)}" for where, msgs in problems.items())})
    return json.loads(value) if isinstance(value, str) else value


def request_metadata_template(value):
    """SDI metadata defaults for the datasets: fields of the SDI dataset schema."""
    if _empty(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Invalid(tk._("The metadata template must be a JSON object"))
    if not isinstance(value, dict):
        raise Invalid(tk._("The metadata template must be a JSON object"))
    from ckanext.satudata.metadata import dataset_field_names

    known = dataset_field_names()
    unknown = sorted(k for k in value if k not in known or k in ("sdi_status", "sdi_request_id", "owner_org", "id"))
    if unknown:
        raise Invalid(tk._("Not fields of the SDI dataset: %(names)s") % {"names": ", ".join(unknown)})
    if any(not isinstance(v, (str, int, float, list)) for v in value.values()):
        raise Invalid(tk._("Template values must be text, numbers or lists"))
    return value


def request_pembina(value):
    if _empty(value):
        return value
    from ckanext.satudata import roles

    user = roles.user_object(value)
    if user is None or user.state != "active":
        raise Invalid(tk._("Unknown user: %(name)s") % {"name": value})
    if not roles.has_role(user, "pembina"):
        raise Invalid(tk._("%(name)s is not a Pembina Data") % {"name": user.name})
    return user.id


def _statuses(value):
    items = _as_list(value) if not isinstance(value, str) else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in steps.STATUSES]
    if unknown:
        raise Invalid(tk._("Unknown status %(value)s. Choose one of: %(choices)s") % {
            "value": ", ".join(unknown), "choices": ", ".join(steps.STATUSES)})
    return items


def _request_fields(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator, required=True):
    """The request's own fields. A past ``needed_by`` is refused on create; on
    update the action refuses it only when it changes."""
    first = not_empty if required else ignore_missing
    return {
        "title": [first, unicode_safe, strip_value, first, _max_length(_TITLE_MAX)],
        "description": [first, unicode_safe, strip_value, _max_length(_TEXT_MAX)],
        "purpose": [first, unicode_safe, strip_value, _max_length(_TEXT_MAX)],
        "needed_by": [ignore_missing, request_date],
        "indicators": [ignore_missing, request_text_list, _max_length(_TEXT_MAX)],
        "area_level": [ignore_missing, unicode_safe, _term_checker("presentation_level")],
        "years": [ignore_missing, request_years],
        "is_public": [ignore_missing, boolean_validator],
    }


@validator_args
def satudata_request_create(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator):
    schema = _request_fields(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator)
    schema["needed_by"] = [ignore_missing, request_future_date]
    return schema


@validator_args
def satudata_request_update(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator):
    schema = _request_fields(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator)
    schema["id"] = [not_empty, unicode_safe]
    return schema


@validator_args
def satudata_request_id(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


@validator_args
def satudata_request_note(not_empty, ignore_missing, unicode_safe):
    return {"id": [not_empty, unicode_safe], "note": [ignore_missing, unicode_safe, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_reason(not_empty, unicode_safe, strip_value):
    return {"id": [not_empty, unicode_safe],
            "reason": [not_empty, unicode_safe, strip_value, not_empty, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_dispose(not_empty, ignore_missing, unicode_safe):
    return {"id": [not_empty, unicode_safe], "organizations": [request_organizations],
            "note": [ignore_missing, unicode_safe, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_ask_recommendation(not_empty, ignore_missing, unicode_safe):
    return {"id": [not_empty, unicode_safe], "pembina": [ignore_missing, unicode_safe, request_pembina],
            "note": [ignore_missing, unicode_safe, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_recommend(not_empty, ignore_missing, unicode_safe, strip_value, boolean_validator):
    return {"id": [not_empty, unicode_safe],
            "not_needed": [ignore_missing, boolean_validator],
            "number": [ignore_missing, unicode_safe, strip_value, _max_length(_TITLE_MAX)],
            "date": [ignore_missing, request_date],
            "text": [ignore_missing, unicode_safe, strip_value, _max_length(_TEXT_MAX)],
            "reason": [ignore_missing, unicode_safe, strip_value, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_set_format(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe], "table_schema": [request_table_schema],
            "metadata_template": [request_metadata_template]}


@validator_args
def satudata_request_link_dataset(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe], "dataset_id": [not_empty, unicode_safe]}


@validator_args
def satudata_request_comment_create(not_empty, unicode_safe, strip_value):
    return {"id": [not_empty, unicode_safe], "comment": [not_empty, unicode_safe, strip_value, not_empty,
                                                          _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_list(ignore_missing, unicode_safe, boolean_validator, natural_number_validator,
                          int_validator, convert_user_name_or_id_to_id):
    return {
        "status": [ignore_missing, _statuses],
        "agency": [ignore_missing, unicode_safe],
        "requester": [ignore_missing, unicode_safe, convert_user_name_or_id_to_id],
        "overdue": [ignore_missing, boolean_validator],
        "q": [ignore_missing, unicode_safe, _max_length(_TITLE_MAX)],
        "limit": [ignore_missing, int_validator, natural_number_validator, _at_most(1000)],
        "offset": [ignore_missing, int_validator, natural_number_validator, _at_most(2 ** 31 - 1)],
        "sort": [ignore_missing, unicode_safe, tk.get_validator("one_of")(["created", "due", "modified"])],
    }


def _at_most(limit: int):
    def validator(value):
        if value not in (None, "") and int(value) > limit:
            raise Invalid(tk._("At most %(limit)s") % {"limit": limit})
        return value
    return validator
