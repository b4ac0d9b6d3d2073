"""The Walidata's Table Schema form (SOP step 4): a table of columns, one row
per field (name, title, type, required, unique, pattern, enum, minimum,
maximum, description), or the raw JSON as an advanced option.

Rows are posted as ``fields__<n>__<column>``; ``fields__<n>__source`` is the
index of the stored field the row was drawn from. A column the user left as
it was drawn keeps the stored value exactly (its type, or its absence), and
whatever the table does not show (``format``, ``primaryKey``, other
constraints...) is kept from the stored schema, so a schema saved unchanged is
stored identical.
"""
from __future__ import annotations

import copy
import json
import re
from typing import Any, Mapping

import ckan.plugins.toolkit as tk

from ckanext.satudata.logic.request_schema import problem_text
from ckanext.satudata.validation import table_schema

__all__ = ["COLUMNS", "BLANK_ROWS", "type_options", "rows_from_schema", "rows_from_form", "mode", "schema_from_form"]

COLUMNS = ("name", "title", "type", "required", "unique", "pattern", "enum", "minimum", "maximum", "description")
BLANK_ROWS = 2  # empty rows after the stored ones, for a browser without JavaScript
_CONSTRAINTS = ("required", "unique", "pattern", "enum", "minimum", "maximum")
_ROW_KEY = re.compile(r"^fields__(\d{1,4})__(\w+)$")
_NUMERIC = ("integer", "number", "year")


def type_options(current: str = "") -> list[dict[str, str]]:
    """The field types for the type select (frictionless' own names as values)."""
    options = [
        ("string", tk._("Text")), ("integer", tk._("Whole number")), ("number", tk._("Number")),
        ("boolean", tk._("Yes/no")), ("date", tk._("Date")), ("datetime", tk._("Date and time")),
        ("time", tk._("Time")), ("year", tk._("Year")), ("yearmonth", tk._("Year and month")),
        ("duration", tk._("Duration")), ("geopoint", tk._("Geographic point")), ("geojson", tk._("GeoJSON")),
        ("object", tk._("JSON object")), ("array", tk._("JSON list")), ("list", tk._("List of values")),
        ("any", tk._("Any value")),
    ]
    out = [{"value": "", "text": tk._("(not set: text)")}] + [{"value": v, "text": f"{t} ({v})"} for v, t in options]
    if current and current not in {o["value"] for o in out}:
        out.append({"value": current, "text": current})  # a stored type the list does not know stays chosen
    return out


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _row(field: Any) -> dict[str, str]:
    """A stored field as the table shows it."""
    field = field if isinstance(field, dict) else {}
    constraints = field.get("constraints") if isinstance(field.get("constraints"), dict) else {}
    enum = constraints.get("enum")
    return {
        "name": _text(field.get("name")), "title": _text(field.get("title")),
        "type": field["type"] if isinstance(field.get("type"), str) else "",
        "required": "true" if constraints.get("required") is True else "",
        "unique": "true" if constraints.get("unique") is True else "",
        "pattern": _text(constraints.get("pattern")),
        "enum": ", ".join(_text(v) for v in enum) if isinstance(enum, list) else _text(enum),
        "minimum": _text(constraints.get("minimum")), "maximum": _text(constraints.get("maximum")),
        "description": _text(field.get("description")),
    }


_EMPTY = {column: "" for column in COLUMNS}


def rows_from_schema(schema: Any) -> list[dict[str, str]]:
    """The rows of the stored schema, then blank ones."""
    fields = schema.get("fields") if isinstance(schema, dict) else None
    rows = [dict(_row(f), source=str(i)) for i, f in enumerate(fields if isinstance(fields, list) else [])]
    if not rows:  # a first format starts with a typed column
        rows.append(dict(_EMPTY, type="string", source=""))
    return rows + [dict(_EMPTY, type="string", source="") for _ in range(BLANK_ROWS)]


def rows_from_form(form: Mapping[str, str]) -> list[dict[str, str]]:
    """The posted rows, in their order (blank ones too: the form comes back as posted)."""
    rows: dict[int, dict[str, str]] = {}
    for key in form:
        match = _ROW_KEY.match(key)
        if match and (match.group(2) in COLUMNS or match.group(2) == "source"):
            rows.setdefault(int(match.group(1)), dict(_EMPTY, source=""))[match.group(2)] = form.get(key, "").strip()
    return [rows[i] for i in sorted(rows)]


def mode(form: Mapping[str, str]) -> str:
    """``json`` when the raw JSON was chosen (or posted alone, as API-like clients do), else ``columns``."""
    chosen = form.get("table_schema_mode")
    if chosen in ("json", "columns"):
        return chosen
    return "json" if form.get("table_schema", "").strip() and not rows_from_form(form) else "columns"


def _blank(row: dict[str, str]) -> bool:
    return not row.get("source") and all(not row[c] or (c == "type" and row[c] == "string") for c in COLUMNS)


def _number(text: str, type_: str) -> Any:
    if type_ in ("integer", "year"):
        if not re.fullmatch(r"[+-]?\d+", text):
            raise ValueError
        return int(text)
    if type_ == "number":
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
            raise ValueError
        number = float(text)
        return int(number) if number.is_integer() and re.fullmatch(r"[+-]?\d+", text) else number
    if type_ == "boolean":
        if text.lower() not in ("true", "false"):
            raise ValueError
        return text.lower() == "true"
    return text


def _field(row: dict[str, str], stored: dict[str, Any] | None, errors: dict[str, list[str]], n: int) -> dict:
    """The field of a row: the stored one with the columns the user changed applied."""
    field = copy.deepcopy(stored) if stored else {}
    before = _row(stored) if stored else dict(_EMPTY)
    constraints = field.get("constraints") if isinstance(field.get("constraints"), dict) else None
    touched = False
    type_ = row["type"] or (field.get("type") if isinstance(field.get("type"), str) else "") or "string"
    for column in COLUMNS:
        value = row[column]
        if value == before[column]:
            continue  # as drawn: the stored value (or its absence) stays
        if column in _CONSTRAINTS:
            touched = True
            if constraints is None:
                constraints = field["constraints"] = {}
            if not value:
                constraints.pop(column, None)
            elif column in ("required", "unique"):
                constraints[column] = True
            elif column == "pattern":
                constraints[column] = value
            elif column == "enum":
                try:
                    constraints[column] = [_number(v.strip(), type_) for v in value.split(",") if v.strip()]
                except ValueError:
                    errors[f"fields__{n}__enum"] = [tk._("Each value must be a %(type)s") % {
                        "type": _type_label(type_)}]
            else:
                try:
                    constraints[column] = _number(value, type_)
                except ValueError:
                    errors[f"fields__{n}__{column}"] = [tk._("Must be a %(type)s") % {"type": _type_label(type_)}]
        elif value:
            field[column] = value
        else:
            field.pop(column, None)
    if touched and not constraints:
        field.pop("constraints", None)  # the last constraint was cleared
    return field


def _type_label(type_: str) -> str:
    return {"integer": tk._("whole number"), "year": tk._("whole number"), "number": tk._("number"),
            "boolean": tk._("true or false")}.get(type_, type_)


_LOCATION = re.compile(r"^fields\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?")


def schema_from_form(form: Mapping[str, str], stored: Any) -> tuple[dict | None, dict[str, list[str]]]:
    """The Table Schema the column table describes, merged with the ``stored``
    one, and the errors of each cell (``fields__<n>__<column>``), of a row
    (``fields__<n>``) or of the whole table (``table_schema``)."""
    stored = stored if isinstance(stored, dict) else {}
    stored_fields = stored.get("fields") if isinstance(stored.get("fields"), list) else []
    errors: dict[str, list[str]] = {}
    fields, row_of = [], []
    for n, row in enumerate(rows_from_form(form)):
        if _blank(row):
            continue
        source = int(row["source"]) if row["source"].isdigit() and int(row["source"]) < len(stored_fields) else None
        original = stored_fields[source] if source is not None else None
        if not row["name"]:
            if original is not None and all(not row[c] for c in COLUMNS if c != "type"):
                continue  # a stored column cleared: removed
            errors[f"fields__{n}__name"] = [tk._("Give the column a name")]
        fields.append(_field(row, original if isinstance(original, dict) else None, errors, n))
        row_of.append(n)
    if not fields:
        errors.setdefault("table_schema", []).append(tk._("Add at least one column"))
    if errors:
        return None, errors
    schema = dict(stored) if stored else {}
    schema["fields"] = fields
    for where, messages in table_schema.check_table_schema(schema).items():
        match = _LOCATION.match(where)
        text = [problem_text(m) for m in messages]
        if not match:
            errors.setdefault("table_schema", []).extend(f"{where}: {t}" for t in text)
            continue
        n = row_of[int(match.group(1))]
        column = (match.group(3) or "maximum") if match.group(2) == "constraints" else match.group(2)
        if column in COLUMNS:  # "fields[0].constraints" alone: minimum greater than maximum
            errors.setdefault(f"fields__{n}__{column}", []).extend(text)
        else:  # what the table does not show (format, minLength...): the row, with its place
            place = where.split(".", 1)[1] + ": " if "." in where else ""
            errors.setdefault(f"fields__{n}", []).extend(place + t for t in text)
    return (None, errors) if errors else (schema, {})
