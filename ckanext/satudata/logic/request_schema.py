"""Input schemas of the satudata_request_* actions, one per action, same name.

Every action validates its input here before its auth function runs; what
depends on the stored request (its status, who acts) is the action's and the
auth's.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckanext.scheming.helpers import scheming_get_dataset_schema

from ckanext.satudata.datarequest import progress, steps
from ckanext.satudata.logic.validators import (
    _as_list, _empty, _term_checker, _term_list_checker, satudata_boolean, satudata_unicode_safe,
    satudata_unicode_safe_multiline)
from ckanext.satudata.metadata.derived import dataset_field_names
from ckanext.satudata.text import text_problem
from ckanext.satudata.validation import table_schema
from ckanext.satudata.workflow import roles

Invalid = tk.Invalid

_YEAR_PART = re.compile(r"^(\d{4})(?:\s*-\s*(\d{4}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
_TITLE_MAX, _TEXT_MAX = 200, 10000


# the references an action looks things up by
REFS = ("id", "dataset_id")


def check(data_dict, schema_fn, context) -> tuple[dict, dict]:
    """The action's input validated against its schema (``schema_fn``): the
    converted data and the errors of each wrong field."""
    return tk.navl_validate(dict(data_dict or {}), schema_fn(), context)


def request_ref(value):
    """An id: non-blank text the database can be asked about (no control
    character, no lone surrogate); anything else is missing or a field error."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(tk._("Missing value"))
    problem = text_problem(value)
    if problem:
        raise Invalid(problem)
    return value


# Ids, names, titles and search words; descriptions, notes, reasons and
# comments (line breaks kept). Both refuse other types, control characters and
# lone surrogates, and stop there (the validators after them may query the database).
request_line = satudata_unicode_safe
request_long_text = satudata_unicode_safe_multiline


def _check_text_size(text: str) -> None:
    """JSON text is parsed only when it is not far above the limit (indentation allowed for)."""
    limit = tk.config.get("ckanext.satudata.request_format_max_bytes")
    if len(text) > 4 * limit:
        raise Invalid(tk._("At most %(limit)s bytes of JSON") % {"limit": limit})


def _check_json_size(value: Any) -> None:
    """Text jsonb can hold (no NUL, no lone surrogate), finite numbers, within the size limit."""
    problem = text_problem(value, multiline=True)
    if problem:
        raise Invalid(problem)
    limit = tk.config.get("ckanext.satudata.request_format_max_bytes")
    try:  # PostgreSQL's jsonb has no NaN or Infinity
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))
    except ValueError:
        raise Invalid(tk._("Numbers must be finite (no NaN or Infinity)"))
    except TypeError:  # keys that are not text (a direct call)
        raise Invalid(tk._("Not valid JSON"))
    if size > limit:
        raise Invalid(tk._("At most %(limit)s bytes of JSON") % {"limit": limit})


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
    """An ISO date (YYYY-MM-DD) or an ISO datetime (its date); nothing else.
    Empty ("" or []) is no date."""
    if _empty(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if _ISO_DATE.match(text):
            return dt.date.fromisoformat(text)
        if _ISO_DATETIME.match(text):
            return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    raise Invalid(tk._("Date must be written as YYYY-MM-DD"))


def request_future_date(value):
    value = request_date(value)
    if not _empty(value) and value < dt.date.today():
        raise Invalid(tk._("The date cannot be in the past"))
    return value


def request_organizations(value):
    """The agencies a request is sent to: names or ids of active
    organizations (progress.agencies); returns their ids, each once."""
    if _empty(value):
        raise Invalid(tk._("Choose at least one agency"))
    return _agency_ids(_as_list(value))  # text the database can be asked about (or Invalid)


def _agency_known(key, data, errors, context):
    """The list's ``agency`` filter, once the filters are well formed: one
    organization (a deleted one too: its past requests), kept as its id."""
    value = data.get(("agency",))
    if any(errors.values()) or _empty(value):
        return
    try:
        data[("agency",)] = _agency_ids([value], active=False)[0]
    except Invalid as e:
        errors[("agency",)].append(e.error)


def _agency_ids(refs: list, active: bool = True) -> list[str]:
    groups, unknown = progress.agencies(refs, active=active)
    if unknown:
        raise Invalid(tk._("Unknown agency: %(names)s") % {"names": ", ".join(unknown)})
    return [g.id for g in groups]


def request_table_schema(value):
    """A Frictionless Table Schema (object or JSON text); returned as a dict."""
    if _empty(value):
        raise Invalid(tk._("Missing value"))
    parsed = value
    if isinstance(value, str):
        _check_text_size(value)
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None  # check_table_schema says what is wrong
    if isinstance(parsed, dict):  # size and characters before the (slower) schema check
        _check_json_size(parsed)
    problems = table_schema.check_table_schema(value)
    if problems:
        raise Invalid(tk._("Invalid Table Schema: %(problems)s") % {
            "problems": "; ".join(f"{where}: {', '.join(problem_text(m) for m in msgs)}"
                                  for where, msgs in problems.items())})
    return parsed


# check_table_schema speaks English (it has no CKAN imports); these are its
# messages, and frictionless' JSON Schema ones, in the page's language.
_PROBLEMS: tuple[tuple[re.Pattern, Any], ...] = tuple((re.compile(pattern + "$", re.S), text) for pattern, text in (
    (r"The Table Schema is not UTF-8 text\.", lambda m: tk._("The Table Schema is not UTF-8 text.")),
    (r"The Table Schema is not valid JSON: .*line (?P<line>\d+) column (?P<column>\d+).*",
     lambda m: tk._("The Table Schema is not valid JSON (line %(line)s, column %(column)s).") % m.groupdict()),
    (r"The Table Schema is not valid JSON: .*", lambda m: tk._("The Table Schema is not valid JSON.")),
    (r"The Table Schema must be a JSON object\.", lambda m: tk._("The Table Schema must be a JSON object.")),
    (r'The schema has no "fields" list\.', lambda m: tk._('The schema has no "fields" list.')),
    (r'"fields" must be a list\.', lambda m: tk._('"fields" must be a list.')),
    (r"The schema must declare at least one field\.", lambda m: tk._("The schema must declare at least one field.")),
    (r"A field must be an object\.", lambda m: tk._("A field must be an object.")),
    (r"The field name must be a non-empty string\.", lambda m: tk._("The field name must be a non-empty string.")),
    (r'Duplicate field name "(?P<name>.*)" \(also used by fields\[(?P<index>\d+)\]\)\.',
     lambda m: tk._('Duplicate field name "%(name)s" (also used by fields[%(index)s]).') % m.groupdict()),
    (r"primaryKey must be a field name or a list of field names\.",
     lambda m: tk._("primaryKey must be a field name or a list of field names.")),
    (r'primaryKey refers to an unknown field "(?P<name>.*)"\.',
     lambda m: tk._('primaryKey refers to an unknown field "%(name)s".') % m.groupdict()),
    (r"foreignKeys must be a list\.", lambda m: tk._("foreignKeys must be a list.")),
    (r"missingValues must be a list of strings\.", lambda m: tk._("missingValues must be a list of strings.")),
    (r"fieldsMatch must be one of: (?P<choices>.*)\.",
     lambda m: tk._("fieldsMatch must be one of: %(choices)s.") % m.groupdict()),
    (r"A foreign key must be an object\.", lambda m: tk._("A foreign key must be an object.")),
    (r'A foreign key needs "fields" and a "reference" object\.',
     lambda m: tk._('A foreign key needs "fields" and a "reference" object.')),
    (r'Unknown field "(?P<name>.*)"\.', lambda m: tk._('Unknown field "%(name)s".') % m.groupdict()),
    (r'Only foreign keys to the same table \(resource ""\) are supported\.',
     lambda m: tk._('Only foreign keys to the same table (resource "") are supported.')),
    (r'Must list as many fields as "fields"\.', lambda m: tk._('Must list as many fields as "fields".')),
    (r"The field type must be a string\.", lambda m: tk._("The field type must be a string.")),
    (r'Unknown field type "(?P<type>.*)"\.', lambda m: tk._('Unknown field type "%(type)s".') % m.groupdict()),
    (r"constraints must be an object\.", lambda m: tk._("constraints must be an object.")),
    (r'Constraint "(?P<name>.*)" is not supported for type "(?P<type>.*)"\.',
     lambda m: tk._('Constraint "%(name)s" is not supported for type "%(type)s".') % m.groupdict()),
    (r'"(?P<name>\w+)" must be true or false\.', lambda m: tk._('"%(name)s" must be true or false.') % m.groupdict()),
    (r'"(?P<name>\w+)" must be a non-negative integer\.',
     lambda m: tk._('"%(name)s" must be a non-negative integer.') % m.groupdict()),
    (r"pattern must be a string\.", lambda m: tk._("pattern must be a string.")),
    (r"Invalid regular expression: .* at position (?P<position>\d+)\.?",
     lambda m: tk._("Invalid regular expression (at position %(position)s).") % m.groupdict()),
    (r"Invalid regular expression: .*", lambda m: tk._("Invalid regular expression.")),
    (r"enum must be a non-empty list\.", lambda m: tk._("enum must be a non-empty list.")),
    (r'Value (?P<value>.*) is not a valid "(?P<type>.*)"\.',
     lambda m: tk._('Value %(value)s is not a valid "%(type)s".') % m.groupdict()),
    (r"minLength is greater than maxLength\.", lambda m: tk._("minLength is greater than maxLength.")),
    (r"minimum is greater than maximum\.", lambda m: tk._("minimum is greater than maximum.")),
    # frictionless' JSON Schema checks
    (r".* is not of type '(?P<type>\w+)'", lambda m: tk._("Must be of JSON type %(type)s.") % m.groupdict()),
    (r".* is not one of \[(?P<choices>.*)\]", lambda m: tk._("Must be one of: %(choices)s.") % m.groupdict()),
    (r"'(?P<name>.*)' is a required property", lambda m: tk._('"%(name)s" is required.') % m.groupdict()),
))


def problem_text(message: str) -> str:
    """A message of ``table_schema.check_table_schema`` in the page's language
    (a message it does not know becomes a general one: the location names the place)."""
    for pattern, text in _PROBLEMS:
        match = pattern.match(message)
        if match:
            return text(match)
    return tk._("Does not follow the Table Schema specification.")


def request_metadata_template(value):
    """SDI metadata defaults for the datasets: fields of the SDI dataset schema."""
    if _empty(value):
        return {}
    if isinstance(value, str):
        _check_text_size(value)
        try:
            value = json.loads(value)
        except ValueError:
            raise Invalid(tk._("The metadata template must be a JSON object"))
    if not isinstance(value, dict):
        raise Invalid(tk._("The metadata template must be a JSON object"))
    known = dataset_field_names()
    unknown = sorted(k for k in value if k not in known or k in ("sdi_status", "sdi_request_id", "owner_org", "id"))
    if unknown:
        raise Invalid(tk._("Not fields of the SDI dataset: %(names)s") % {"names": ", ".join(unknown)})
    if any(not isinstance(v, (str, int, float, list)) for v in value.values()):
        raise Invalid(tk._("Template values must be text, numbers or lists"))
    _check_json_size(value)
    _check_template_vocabularies(value)
    return value


def _check_template_vocabularies(template: dict) -> None:
    """Values of the dataset schema's vocabulary fields must be terms of it."""
    fields = {f["field_name"]: f for f in (scheming_get_dataset_schema("dataset") or {}).get("dataset_fields", [])}
    problems = []
    for name, value in sorted(template.items()):
        vocabulary = fields.get(name, {}).get("sdi_vocabulary")
        if not vocabulary or _empty(value):
            continue
        many = fields[name].get("preset") == "satudata_multiple_select"
        try:
            if many:
                _term_list_checker(vocabulary)(value)
            else:
                _term_checker(vocabulary)(value if isinstance(value, str) else json.dumps(value))
        except Invalid as e:
            problems.append(f"{name}: {e.error}")
    if problems:
        raise Invalid("; ".join(problems))


def request_pembina(value):
    if _empty(value):
        return value
    problem = text_problem(value) if isinstance(value, str) else tk._("Must be a string")
    if problem:
        raise Invalid(problem)
    user = roles.user_object(value)
    if user is None or user.state != "active":
        raise Invalid(tk._("Unknown user: %(name)s") % {"name": value})
    if not roles.has_role(user, "pembina"):
        raise Invalid(tk._("%(name)s is not a Pembina Data") % {"name": user.name})
    return user.id


def _statuses(value):
    problem = text_problem(value)
    if problem:
        raise Invalid(problem)
    items = _as_list(value) if not isinstance(value, str) else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in steps.STATUSES]
    if unknown:
        raise Invalid(tk._("Unknown status %(value)s. Choose one of: %(choices)s") % {
            "value": ", ".join(unknown), "choices": ", ".join(steps.STATUSES)})
    return items


def _request_fields(not_empty, ignore_missing, strip_value):
    """The request's own fields. A past ``needed_by`` is refused on create; on
    update the action refuses it only when it changes. Required text is
    checked again after stripping, so blanks are refused."""
    return {
        "title": [not_empty, request_line, strip_value, not_empty, _max_length(_TITLE_MAX)],
        "description": [not_empty, request_long_text, strip_value, not_empty, _max_length(_TEXT_MAX)],
        "purpose": [not_empty, request_long_text, strip_value, not_empty, _max_length(_TEXT_MAX)],
        "needed_by": [ignore_missing, request_date],
        "indicators": [ignore_missing, request_text_list, request_long_text, _max_length(_TEXT_MAX)],
        "area_level": [ignore_missing, request_line, _term_checker("presentation_level")],
        "years": [ignore_missing, request_years],
        "is_public": [ignore_missing, satudata_boolean],
    }


def _id(not_empty=None):
    """An id (``request_ref``: "Missing value" for a blank or not text)."""
    return [request_ref]


def _note(ignore_missing):
    return [ignore_missing, request_long_text, _max_length(_TEXT_MAX)]


@validator_args
def satudata_request_create(not_empty, ignore_missing, strip_value):
    schema = _request_fields(not_empty, ignore_missing, strip_value)
    schema["needed_by"] = [ignore_missing, request_future_date]
    return schema


@validator_args
def satudata_request_update(not_empty, ignore_missing, strip_value):
    schema = _request_fields(not_empty, ignore_missing, strip_value)
    schema["id"] = _id()
    return schema


@validator_args
def satudata_request_patch():
    """The id; the fields given are merged with the stored ones and checked
    by update's schema."""
    return {"id": _id()}


@validator_args
def satudata_request_id(not_empty):
    return {"id": _id()}


satudata_request_show = satudata_request_timeline = satudata_request_id
satudata_request_comment_list = satudata_request_follow = satudata_request_unfollow = satudata_request_id


@validator_args
def satudata_request_note(not_empty, ignore_missing):
    return {"id": _id(), "note": _note(ignore_missing)}


satudata_request_send = satudata_request_receive = satudata_request_note


@validator_args
def satudata_request_reason(not_empty, strip_value):
    return {"id": _id(),
            "reason": [not_empty, request_long_text, strip_value, not_empty, _max_length(_TEXT_MAX)]}


satudata_request_reject = satudata_request_cancel = satudata_request_reason


@validator_args
def satudata_request_dispose(not_empty, ignore_missing):
    return {"id": _id(), "organizations": [request_organizations], "note": _note(ignore_missing)}


@validator_args
def satudata_request_ask_recommendation(not_empty, ignore_missing):
    return {"id": _id(), "pembina": [ignore_missing, request_line, request_pembina],
            "note": _note(ignore_missing)}


@validator_args
def satudata_request_recommend(not_empty, ignore_missing, strip_value):
    """The recommendation (number, date, text), or ``not_needed`` with a reason."""
    return {"id": _id(),
            "not_needed": [ignore_missing, satudata_boolean],
            "number": [ignore_missing, request_line, strip_value, _max_length(_TITLE_MAX)],
            "date": [ignore_missing, request_date],
            "text": [ignore_missing, request_long_text, strip_value, _max_length(_TEXT_MAX)],
            "reason": [ignore_missing, request_long_text, strip_value, _max_length(_TEXT_MAX)],
            "__after": [_recommendation_complete]}


def _recommendation_complete(key, data, errors, context):
    """Once every field is well formed: a reason when not needed, else the
    number, date and text."""
    if any(errors.values()):
        return
    if data.get(("not_needed",)) is True:
        if _empty(data.get(("reason",))):
            errors[("reason",)].append(tk._("Say why no recommendation is needed"))
        return
    for field in ("number", "date", "text"):
        if _empty(data.get((field,))):
            errors[(field,)].append(tk._("Missing value"))


@validator_args
def satudata_request_set_format(not_empty):
    return {"id": _id(), "table_schema": [request_table_schema],
            "metadata_template": [request_metadata_template]}


@validator_args
def satudata_request_link_dataset(not_empty):
    return {"id": _id(), "dataset_id": _id()}


satudata_request_unlink_dataset = satudata_request_link_dataset


@validator_args
def satudata_request_comment_create(not_empty, strip_value):
    return {"id": _id(),
            "comment": [not_empty, request_long_text, strip_value, not_empty, _max_length(_TEXT_MAX)]}


@validator_args
def satudata_request_list(ignore_missing, convert_user_name_or_id_to_id):
    """``limit=`` and ``offset=`` (empty, as a bare query string gives them) mean the defaults."""
    return {
        "status": [ignore_missing, _statuses],
        "agency": [ignore_missing, request_line],
        "requester": [ignore_missing, request_line, convert_user_name_or_id_to_id],
        "overdue": [ignore_missing, satudata_boolean],
        "q": [ignore_missing, request_line, _max_length(_TITLE_MAX)],
        "limit": [_ignore_blank, _whole_number(1000)],
        "offset": [_ignore_blank, _whole_number(2 ** 31 - 1)],
        "sort": [ignore_missing, request_line, tk.get_validator("one_of")(["created", "due", "modified"])],
        "__after": [_agency_known],
    }


def _ignore_blank(key, data, errors, context):
    """Like ``ignore_empty``, but only for a missing value, None or "" (0 stays 0)."""
    if data.get(key) in (tk.missing, None, ""):
        data.pop(key, None)
        raise tk.StopOnError


def _whole_number(limit: int):
    """A whole number from 0 to ``limit`` (an int or its digits)."""
    def validator(value):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise Invalid(tk._("Must be a natural number"))
        if isinstance(value, str):
            if not re.fullmatch(r"\s*\d{1,20}\s*", value):
                raise Invalid(tk._("Must be a natural number"))
            value = int(value)
        if value < 0:
            raise Invalid(tk._("Must be a natural number"))
        if value > limit:
            raise Invalid(tk._("At most %(limit)s") % {"limit": limit})
        return value
    return validator
