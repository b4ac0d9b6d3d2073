"""A stored Frictionless error as a sentence an agency clerk can act on, in
the page's language: where (column and row), what is wrong, and, where it
helps, how to fix it ("Kolom jumlah baris 12: '1.180' bukan bilangan bulat —
tulis tanpa titik ribuan").

Reads the error dicts the engine stores (``type``, ``row``, ``column``,
``field``, ``cell``, ``note``, ``message``) and, for the hints, the Table
Schema the file was checked against; the stored report keeps frictionless'
own English. Also describes a Table Schema's columns for the format table and
the template (``columns``). Translation happens here, when a page is shown.
"""
from __future__ import annotations

import ast
import datetime as dt
import re
from typing import Any

import ckan.plugins.toolkit as tk
from markupsafe import Markup, escape

from ckanext.satudata.msgid import N_
from ckanext.satudata.validation import engine

__all__ = ["describe", "columns", "field_names", "type_label"]

_MAX_VALUE = 60  # characters of a cell quoted in a message
_MAX_ENUM = 12  # allowed values listed in a message

# Where an error is.
_AT_CELL = N_("Column %(column)s, row %(row)s")
_AT_ROW = N_("Row %(row)s")
_AT_ROW_POSITION = N_("Row %(row)s, column %(number)s")
_AT_HEADER = N_("Header row")
_AT_HEADER_POSITION = N_("Header row, column %(number)s")

# A column's type, as the format table and the messages name it.
_TYPE_LABELS = {
    "string": N_("text"),
    "integer": N_("whole number"),
    "number": N_("number"),
    "date": N_("date"),
    "datetime": N_("date and time"),
    "time": N_("time"),
    "year": N_("year"),
    "yearmonth": N_("year and month"),
    "boolean": N_("yes/no"),
    "any": N_("any value"),
    "object": N_("JSON object"),
    "array": N_("JSON list"),
    "geopoint": N_("geographic point"),
    "geojson": N_("GeoJSON"),
    "duration": N_("duration"),
}

# What frictionless expects of a cell of each type ("'x' is not ...").
_NOT_A = {
    "integer": N_("'%(value)s' is not a whole number"),
    "number": N_("'%(value)s' is not a number"),
    "date": N_("'%(value)s' is not a date in the format %(format)s"),
    "datetime": N_("'%(value)s' is not a date and time in the format %(format)s"),
    "time": N_("'%(value)s' is not a time in the format %(format)s"),
    "year": N_("'%(value)s' is not a four-digit year"),
    "yearmonth": N_("'%(value)s' is not a year and month in the format %(format)s"),
    "boolean": N_("'%(value)s' is not one of the yes/no values (%(values)s)"),
}
_NOT_OF_TYPE = N_("'%(value)s' is not a valid value of type %(type)s")

# Default formats of frictionless 5, and the day every example shows.
_DEFAULT_FORMATS = {"date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S", "time": "%H:%M:%S", "yearmonth": "%Y-%m"}
_EXAMPLE_DAY = dt.datetime(2024, 1, 31, 8, 30, 0)
_FORMAT_TOKENS = {"%Y": N_("YYYY"), "%y": N_("YY"), "%m": N_("MM"), "%d": N_("DD"),
                  "%H": N_("hh"), "%M": N_("mm"), "%S": N_("ss")}
_TRUE_VALUES = ["true", "True", "TRUE", "1"]
_FALSE_VALUES = ["false", "False", "FALSE", "0"]

# A constraint a cell does not meet.
_CONSTRAINTS = {
    "required": N_("the cell is empty, but this column must be filled in"),
    "pattern": N_("'%(value)s' does not match the pattern %(limit)s"),
    "enum": N_("'%(value)s' is not one of the allowed values: %(limit)s"),
    "minimum": N_("%(value)s is below the minimum of %(limit)s"),
    "maximum": N_("%(value)s is above the maximum of %(limit)s"),
    "exclusiveMinimum": N_("%(value)s must be greater than %(limit)s"),
    "exclusiveMaximum": N_("%(value)s must be less than %(limit)s"),
    "minLength": N_("'%(value)s' is shorter than %(limit)s characters"),
    "maxLength": N_("'%(value)s' is longer than %(limit)s characters"),
}
_OTHER_CONSTRAINT = N_("'%(value)s' does not meet the rule %(constraint)s = %(limit)s")

# The same constraints, as the format table lists them.
_RULES = {
    "pattern": N_("pattern %(limit)s"),
    "enum": N_("one of: %(limit)s"),
    "minimum": N_("minimum %(limit)s"),
    "maximum": N_("maximum %(limit)s"),
    "exclusiveMinimum": N_("greater than %(limit)s"),
    "exclusiveMaximum": N_("less than %(limit)s"),
    "minLength": N_("at least %(limit)s characters"),
    "maxLength": N_("at most %(limit)s characters"),
}

# Hints: how to fix it.
_HINT_THOUSANDS = N_("write it without thousands separators")
_HINT_NO_DECIMALS = N_("a whole number has no decimal part")
_HINT_UNITS = N_("write only the number, without units or other text")
_HINT_PERCENT = N_("write it without the percent sign")
_HINT_DECIMAL_DOT = N_("use a dot as the decimal separator, e.g. 2.5")
_HINT_DECIMAL_COMMA = N_("use a comma as the decimal separator, e.g. 2,5")
_HINT_DATE_AS = N_("write it as %(suggestion)s")
_HINT_EXAMPLE = N_("for example %(example)s")
_HINT_YEAR = N_("write the year with four digits, e.g. 2024")
_HINT_BOOLEAN = N_("write %(true)s for yes and %(false)s for no")
_HINT_LEADING_ZERO = N_("Excel may have removed a leading zero: format the column as Text and type the code again")
_HINT_CASE = N_("write it exactly as '%(match)s' (upper and lower case differ)")
_HINT_SPACES = N_("remove the spaces before or after the value")
_HINT_FORMAT_TABLE = N_("see the column's description in the format table")
_HINT_DUPLICATE = N_("correct or delete the duplicate")
_HINT_DELETE_ROW = N_("delete the row")
_HINT_MISSING_CELL = N_("check the row for a missing separator or a line break inside a value")
_HINT_COMMA_SPLIT = N_("a comma inside a value (such as a decimal comma) splits it in two: "
                       "put the value in double quotes or use a dot for decimals")
_HINT_EXTRA_CELL = N_("delete the value, or add its column to the header row")
_HINT_TEMPLATE = N_("use the column names of the format table (download the template)")
_HINT_LABEL_CASE = N_("mind upper and lower case and spaces in column names")
_HINT_SAVE_AS = N_("save or export the table as CSV (UTF-8) or XLSX and upload it again")
_HINT_UTF8 = N_("save the file again as \"CSV UTF-8\"")
_HINT_COLUMNS = N_("keep only the columns of the format table")
_HINT_SCHEMA = N_("ask the Walidata to correct the request's format")
_HINT_RETRY = N_("try again later, or tell the Walidata if it happens again")

# What engine descriptions of a wrong file mean ("The file is not CSV but a PDF document.").
_FOUND = {
    "a PDF document": N_("a PDF document"),
    "a PNG image": N_("a PNG image"),
    "a JPEG image": N_("a JPEG image"),
    "a GIF image": N_("a GIF image"),
    "a gzip archive": N_("a gzip archive"),
    "a RAR archive": N_("a RAR archive"),
    "a 7-Zip archive": N_("a 7-Zip archive"),
    "an RTF document": N_("an RTF document"),
    "an HTML page": N_("an HTML page"),
    "binary data": N_("binary data"),
    "a damaged ZIP archive": N_("a damaged ZIP archive"),
    "an OpenDocument file (e.g. ODS)": N_("an OpenDocument file (e.g. ODS)"),
    "a Word document": N_("a Word document"),
    "a ZIP archive": N_("a ZIP archive"),
    "an XLSX workbook": N_("an XLSX workbook"),
    "a legacy Office (XLS) file": N_("a legacy Office (XLS) file"),
    "a text file": N_("a text file"),
}

_NOTE_TYPE = re.compile(r'type is "([^"/]+)/(.*)"$')
_NOTE_CONSTRAINT = re.compile(r'constraint "([^"]+)" is "(.*)"$', re.S)
_POSITION = re.compile(r'position "?(\d+)"?')
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([.,' ]\d{3})+([.,]\d+)?$")
_DECIMAL = re.compile(r"^[+-]?\d*[.,]\d+$")
_UNITS = re.compile(r"^[+-]?\d[\d.,]*\s*[^\d\s.,%]+.*$|^[^\d\s+-]+\s*[+-]?\d[\d.,]*$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def type_label(type_: str | None) -> str:
    """A field type as people say it ("whole number", "date (YYYY-MM-DD)")."""
    type_ = type_ or "string"
    return tk._(_TYPE_LABELS[type_]) if type_ in _TYPE_LABELS else type_


def _format_label(fmt: str) -> str:
    """A strptime format with translated tokens: "%d/%m/%Y" -> "DD/MM/YYYY" ("HH/BB/TTTT")."""
    return re.sub(r"%[YymdHMS]", lambda m: tk._(_FORMAT_TOKENS[m.group()]), fmt)


def _format_of(type_: str, fmt: str | None) -> str | None:
    """The strptime format of a temporal field (None for ``any`` or unknown ones)."""
    if not fmt or fmt == "default":
        return _DEFAULT_FORMATS.get(type_)
    return fmt if "%" in fmt else None


def _example(type_: str, fmt: str | None) -> str | None:
    strptime = _format_of(type_, fmt)
    try:
        return _EXAMPLE_DAY.strftime(strptime) if strptime else None
    except ValueError:
        return None


def _clip(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "\u2026"


def _listing(values: list[Any]) -> str:
    shown = ", ".join(str(v) for v in values[:_MAX_ENUM])
    return shown + (", \u2026" if len(values) > _MAX_ENUM else "")


def _fields(schema: dict | None) -> dict[str, dict]:
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        return {}
    return {f["name"]: f for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)}


class _Sentence:
    """One message with its parts: plain text, and HTML with the column name emphasised."""

    def __init__(self, where: tuple[str, dict] | None, what: tuple[str, dict] | None,
                 hint: tuple[str, dict] | None = None):
        self.where, self.what, self.hint = where, what, hint

    @staticmethod
    def _fill(part: tuple[str, dict] | None, html: bool) -> str:
        if part is None:
            return ""
        msgid, params = part
        text = tk._(msgid)
        if not params:
            return str(escape(text)) if html else text
        if html:
            params = {k: (Markup("<strong>%s</strong>") % v if k == "column" else escape(v))
                      for k, v in params.items()}
            return str(Markup(escape(text)) % params)
        return text % params

    def render(self) -> dict[str, Any]:
        out = {}
        for html in (False, True):
            where, what, hint = (self._fill(p, html) for p in (self.where, self.what, self.hint))
            text = f"{where}: {what}" if where and what else (where or what)
            if not (where and what) and text:
                text = text[0].upper() + text[1:]
            if hint:
                hint = Markup('<span class="satudata-validation-hint">%s</span>') % Markup(hint) if html else hint
                text = f"{text} \u2014 {hint}"
            out["html" if html else "message"] = Markup(text) if html else text
        out["hint"] = self._fill(self.hint, False) or None
        return out


def describe(error: dict[str, Any], schema: dict | None = None, delimiter: str | None = None) -> dict[str, Any]:
    """The error in the page's language: ``message`` (plain text, with its
    column and row), ``html`` (the same, the column name emphasised),
    ``hint`` (how to fix it, or None) and ``label`` (the error type's title).
    ``schema`` is the Table Schema the file was checked against (for the
    hints); ``delimiter`` the one the file was read with."""
    error = error or {}
    type_ = error.get("type") or "error"
    label = tk._(engine.ERROR_TYPES.get(type_, engine.ERROR_TYPES["error"]))
    try:
        sentence = _sentence(type_, error, schema, delimiter)
        out = sentence.render() if sentence is not None else None
    except (KeyError, TypeError, ValueError):  # an odd stored error: its title and location only
        out = None
    if out is None:
        out = _Sentence(_where_cell(error), ("%(problem)s", {"problem": label})).render()
    out["label"] = label
    return out


def _where_cell(error: dict[str, Any]) -> tuple[str, dict] | None:
    row, name, number = error.get("row"), error.get("field"), error.get("column")
    if row == 1 and error.get("type") in _HEADER_TYPES:
        return (_AT_HEADER_POSITION, {"number": number}) if number else (_AT_HEADER, {})
    if row is not None and name:
        return _AT_CELL, {"column": name, "row": row}
    if row is not None and number:
        return _AT_ROW_POSITION, {"row": row, "number": number}
    if row is not None:
        return _AT_ROW, {"row": row}
    return None


_HEADER_TYPES = ("blank-label", "duplicate-label", "incorrect-label", "missing-label", "extra-label",
                 "blank-header", "label-error", "header-error", "unmatched-header")


def _sentence(type_: str, error: dict[str, Any], schema: dict | None, delimiter: str | None) -> _Sentence | None:
    handler = _HANDLERS.get(type_)
    return handler(error, _fields(schema).get(error.get("field") or ""), schema, delimiter) if handler else None


def _type_error(error, field, schema, delimiter) -> _Sentence:
    value = str(error.get("cell") if error.get("cell") is not None else "")
    match = _NOTE_TYPE.match(error.get("note") or "")
    field = field or {}  # the note says what was checked; the schema may have changed since
    type_ = (match.group(1) if match else None) or field.get("type") or "any"
    fmt = match.group(2) if match else field.get("format")
    params: dict[str, Any] = {"value": _clip(value)}
    hint = None
    if type_ in ("integer", "number"):
        hint = _number_hint(value, type_, field)
    elif type_ in ("date", "datetime", "time", "yearmonth"):
        strptime = _format_of(type_, fmt)
        params["format"] = _format_label(strptime) if strptime else fmt
        hint = _date_hint(value, type_, fmt)
    elif type_ == "year":
        hint = (_HINT_YEAR, {})
    elif type_ == "boolean":
        trues, falses = field.get("trueValues") or _TRUE_VALUES, field.get("falseValues") or _FALSE_VALUES
        params["values"] = _listing(list(dict.fromkeys(str(v).casefold() for v in trues + falses)))
        hint = (_HINT_BOOLEAN, {"true": trues[0], "false": falses[0]})
    if type_ in _NOT_A and ("%(format)s" not in _NOT_A[type_] or params.get("format")):
        what = (_NOT_A[type_], params)
    else:
        what = (_NOT_OF_TYPE, {"value": params["value"], "type": type_label(type_)})
    return _Sentence(_where_cell(error), what, hint)


def _number_hint(value: str, type_: str, field: dict) -> tuple[str, dict] | None:
    """Thousands separators, decimal commas or dots, percent signs, units."""
    text = value.strip()
    decimal_char = field.get("decimalChar") or "."
    if "%" in text:
        return _HINT_PERCENT, {}
    if type_ == "integer":
        if _THOUSANDS.match(text):
            return _HINT_THOUSANDS, {}
        if _DECIMAL.match(text):
            return _HINT_NO_DECIMALS, {}
    elif re.match(r"^[+-]?[\d.,' ]+$", text):
        if ("." in text and "," in text) or text.count(".") > 1 or text.count(",") > 1 or " " in text:
            return _HINT_THOUSANDS, {}
        if _DECIMAL.match(text):
            return (_HINT_DECIMAL_DOT, {}) if decimal_char == "." else (_HINT_DECIMAL_COMMA, {})
    if _UNITS.match(text):
        return _HINT_UNITS, {}
    return None


def _date_hint(value: str, type_: str, fmt: str | None) -> tuple[str, dict] | None:
    strptime = _format_of(type_, fmt)
    match = _DAY_FIRST.match(value.strip())
    if match and type_ == "date" and strptime:
        day, month, year = (int(g) for g in match.groups())
        try:
            return _HINT_DATE_AS, {"suggestion": dt.date(year, month, day).strftime(strptime)}
        except ValueError:
            pass
    example = _example(type_, fmt)
    return (_HINT_EXAMPLE, {"example": example}) if example else None


def _constraint_error(error, field, schema, delimiter) -> _Sentence | None:
    value = error.get("cell")
    value = "" if value is None else str(value)
    match = _NOTE_CONSTRAINT.match(error.get("note") or "")
    name, limit = (match.group(1), match.group(2)) if match else ("?", "?")
    constraints = (field or {}).get("constraints") or {}
    if not match and len(constraints) == 1:  # no note: the field's one rule
        name, limit = next(iter(constraints.items()))
    elif not match:
        return None  # which rule is unknown: the error's title
    hint = None
    if name == "enum":
        allowed = _literal_list(limit) if isinstance(limit, str) else limit
        if not isinstance(allowed, list):
            allowed = constraints.get("enum") if isinstance(constraints.get("enum"), list) else None
        limit = _listing(allowed) if allowed is not None else limit
        hint = _enum_hint(value, allowed or [])
    elif name == "pattern":
        hint = _pattern_hint(value, str(limit))
    elif name == "minLength" and value.strip().isdigit():
        hint = (_HINT_LEADING_ZERO, {})
    params = {"value": _clip(value), "limit": limit if name == "enum" else _clip(limit)}
    if name in _CONSTRAINTS:
        what = (_CONSTRAINTS[name], params if name != "required" else {})
    else:
        what = (_OTHER_CONSTRAINT, dict(params, constraint=name))
    return _Sentence(_where_cell(error), what, hint)


def _literal_list(text: Any) -> list | None:
    try:
        value = ast.literal_eval(str(text))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, list) else None


def _enum_hint(value: str, allowed: list) -> tuple[str, dict] | None:
    for candidate in allowed:
        text = str(candidate)
        if value.strip() == text and value != text:
            return _HINT_SPACES, {}
        if value.strip().casefold() == text.casefold():
            return _HINT_CASE, {"match": text}
    return None


def _pattern_hint(value: str, pattern: str) -> tuple[str, dict]:
    try:
        if value.isdigit() and re.fullmatch(pattern, "0" + value):
            return _HINT_LEADING_ZERO, {}
        if value != value.strip() and re.fullmatch(pattern, value.strip()):
            return _HINT_SPACES, {}
    except re.error:
        pass
    return _HINT_FORMAT_TABLE, {}


def _other_row(note: str | None) -> int | None:
    match = _POSITION.search(note or "")
    return int(match.group(1)) if match else None


def _unique_error(error, field, schema, delimiter) -> _Sentence:
    other = _other_row(error.get("note"))
    value = _clip(error.get("cell"))
    if other:
        what = (N_("'%(value)s' already appears in row %(other)s, but values in this column must be unique"),
                {"value": value, "other": other})
    else:
        what = (N_("'%(value)s' appears more than once, but values in this column must be unique"), {"value": value})
    return _Sentence(_where_cell(error), what, (_HINT_DUPLICATE, {}))


def _primary_key(error, field, schema, delimiter) -> _Sentence:
    keys = (schema or {}).get("primaryKey") or []
    keys = ", ".join([keys] if isinstance(keys, str) else [str(k) for k in keys]) or "?"
    other = _other_row(error.get("note"))
    if other:
        what = (N_("the key columns (%(columns)s) have the same values as in row %(other)s"),
                {"columns": keys, "other": other})
        hint = (_HINT_DUPLICATE, {})
    else:
        what = (N_("the key columns (%(columns)s) are empty"), {"columns": keys})
        hint = None
    return _Sentence(_where_cell(error), what, hint)


def _missing_cell(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(_where_cell(error), (N_("the cell is missing (the row has fewer values than the header row)"), {}),
                     (_HINT_MISSING_CELL, {}))


def _extra_cell(error, field, schema, delimiter) -> _Sentence:
    hint = _HINT_COMMA_SPLIT if delimiter == "," else _HINT_EXTRA_CELL  # a spreadsheet has no delimiter
    return _Sentence(_where_cell(error), (N_("an extra value '%(value)s' after the last column"),
                                          {"value": _clip(error.get("cell"))}), (hint, {}))


def _blank_row(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(_where_cell(error), (N_("the row is blank"), {}), (_HINT_DELETE_ROW, {}))


def _duplicate_row(error, field, schema, delimiter) -> _Sentence:
    other = _other_row(error.get("note"))
    what = (N_("the row is the same as row %(other)s"), {"other": other}) if other \
        else (N_("the row appears more than once"), {})
    return _Sentence(_where_cell(error), what, (_HINT_DELETE_ROW, {}))


def _blank_label(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(_where_cell(error), (N_("the column has no name"), {}), (_HINT_TEMPLATE, {}))


def _duplicate_label(error, field, schema, delimiter) -> _Sentence:
    other = _other_row(error.get("note"))
    params = {"label": _clip(error.get("cell")), "other": other}
    what = (N_("the column name '%(label)s' is used twice (also in column %(other)s)"), params) if other \
        else (N_("the column name '%(label)s' is used twice"), params)
    return _Sentence(_where_cell(error), what, (_HINT_TEMPLATE, {}))


def _incorrect_label(error, field, schema, delimiter) -> _Sentence:
    label, name = str(error.get("cell") or ""), str(error.get("field") or "")
    hint = _HINT_LABEL_CASE if label.strip().casefold() == name.casefold() else _HINT_TEMPLATE
    return _Sentence(_where_cell(error), (N_("the column is named '%(label)s', but the format expects %(column)s here"),
                                          {"label": _clip(label), "column": name}), (hint, {}))


def _missing_label(error, field, schema, delimiter) -> _Sentence:
    return _Sentence((_AT_HEADER, {}), (N_("the column %(column)s of the format is missing"),
                                        {"column": error.get("field") or "?"}), (_HINT_TEMPLATE, {}))


def _extra_label(error, field, schema, delimiter) -> _Sentence:
    label = _clip(error.get("cell"))
    if not label.strip():  # values under no heading (a spreadsheet's stray column)
        return _Sentence(_where_cell(error), (N_("the column has no name and is not in the format"), {}),
                         (N_("delete the values of this column, or name it as in the format table"), {}))
    return _Sentence(_where_cell(error), (N_("the column '%(label)s' is not in the format"),
                                          {"label": label}), (_HINT_TEMPLATE, {}))


def _blank_header(error, field, schema, delimiter) -> _Sentence:
    return _Sentence((_AT_HEADER, {}), (N_("the first row is empty, but it must hold the column names"), {}),
                     (_HINT_TEMPLATE, {}))


_FILE_NOT = re.compile(r"^The file is not (?:(\w+) )?but (.+)\.$")
_DECLARED_TEXT = re.compile(r"^The file was declared as (\w+) but is a text file")
_DECLARED = re.compile(r"^The file was declared as (\w+) but is (.+)\.$")
_UNSUPPORTED = re.compile(r'^The format "(.*)" is not supported')
_READ_AS = re.compile(r"^The file could not be read as (\w+)")
_READING_STOPPED = re.compile(r"^Reading stopped after (\d+) data rows")
_MORE_THAN = re.compile(r"has more than (\d+) columns")


def _found(description: str) -> str:
    return tk._(_FOUND[description]) if description in _FOUND else description


def _format_error(error, field, schema, delimiter) -> _Sentence:
    text = error.get("message") or ""
    hint = (_HINT_SAVE_AS, {})
    if match := _UNSUPPORTED.match(text):
        return _Sentence(None, (N_("The format %(format)s is not supported: upload CSV, TSV, XLSX or XLS"),
                                {"format": match.group(1)}), None)
    if match := _DECLARED_TEXT.match(text):
        return _Sentence(None, (N_("The file was declared as %(format)s but is a text file (perhaps CSV): "
                                   "correct the resource's format"), {"format": match.group(1)}), None)
    if match := _DECLARED.match(text):
        return _Sentence(None, (N_("The file was declared as %(format)s but is %(found)s"),
                                {"format": match.group(1), "found": _found(match.group(2))}), hint)
    if match := _FILE_NOT.match(text):
        if match.group(1):
            return _Sentence(None, (N_("The file is not %(format)s but %(found)s"),
                                    {"format": match.group(1), "found": _found(match.group(2))}), hint)
        return _Sentence(None, (N_("The file is not a table but %(found)s"), {"found": _found(match.group(2))}), hint)
    if "zip bomb" in text or "damaged ZIP" in text:
        return _Sentence(None, (N_("The XLSX file is damaged or unpacks to too much data"), {}), hint)
    if match := _READ_AS.match(text):
        return _Sentence(None, (N_("The file could not be read as %(format)s"), {"format": match.group(1)}), hint)
    return _Sentence(None, (N_("The file is not in a format the validator reads"), {}), hint)


def _source_error(error, field, schema, delimiter) -> _Sentence:
    text = error.get("message") or ""
    if text.startswith("The file is empty"):
        return _Sentence(None, (N_("The file is empty (0 bytes)."), {}), None)
    if text.startswith("The file contains no table"):
        return _Sentence(None, (N_("The file contains no table (no header and no rows)"), {}), (_HINT_TEMPLATE, {}))
    if match := _READING_STOPPED.search(text):
        return _Sentence(None, (N_("Reading stopped after %(rows)s data rows: the rest of the file could not be read"),
                                {"rows": match.group(1)}), (_HINT_SAVE_AS, {}))
    return _Sentence(None, (N_("The file could not be read"), {}), (_HINT_SAVE_AS, {}))


def _encoding_error(error, field, schema, delimiter) -> _Sentence:
    rows = _READING_STOPPED.search(error.get("message") or "")
    if rows:
        what = (N_("Reading stopped after %(rows)s data rows: the characters of the file could not be read "
                   "in its text encoding"), {"rows": rows.group(1)})
    else:
        what = (N_("The characters of the file could not be read in its text encoding"), {})
    return _Sentence(None, what, (_HINT_UTF8, {}))


def _too_many_columns(error, field, schema, delimiter) -> _Sentence:
    match = _MORE_THAN.search(error.get("message") or "")
    limit = match.group(1) if match else "?"
    return _Sentence(_where_cell(error), (N_("The table has more than %(limit)s columns, the most the validator reads"),
                                          {"limit": limit}), (_HINT_COLUMNS, {}))


def _schema_error(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(None, (N_("The request's Table Schema is not valid, so the file could not be checked"), {}),
                     (_HINT_SCHEMA, {}))


def _unreadable(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(None, (N_("The file could not be opened"), {}), (_HINT_SAVE_AS, {}))


def _unexpected(error, field, schema, delimiter) -> _Sentence:
    return _Sentence(None, (N_("An unexpected error stopped the validation"), {}), (_HINT_RETRY, {}))


_HANDLERS = {
    "type-error": _type_error,
    "constraint-error": _constraint_error,
    "unique-error": _unique_error,
    "primary-key": _primary_key,
    "missing-cell": _missing_cell,
    "extra-cell": _extra_cell,
    "blank-row": _blank_row,
    "duplicate-row": _duplicate_row,
    "blank-label": _blank_label,
    "duplicate-label": _duplicate_label,
    "incorrect-label": _incorrect_label,
    "missing-label": _missing_label,
    "extra-label": _extra_label,
    "blank-header": _blank_header,
    "format-error": _format_error,
    "source-error": _source_error,
    "encoding-error": _encoding_error,
    "too-many-columns": _too_many_columns,
    "schema-error": _schema_error,
    "scheme-error": _unreadable,
    "compression-error": _unreadable,
    "resource-error": _unreadable,
    "error": _unexpected,
}


def field_names(schema: Any) -> list[str]:
    """The column names of a Table Schema, in order (the template's header row)."""
    return list(_fields(schema)) if isinstance(schema, dict) else []


def columns(schema: Any) -> list[dict[str, Any]]:
    """The columns of a Table Schema as the format table shows them: name,
    title, description, type label, required, unique and the other rules in words."""
    out = []
    primary = (schema or {}).get("primaryKey") if isinstance(schema, dict) else None
    primary = [primary] if isinstance(primary, str) else (primary or [])
    for name, field in _fields(schema).items():
        type_ = field.get("type") or "string"
        constraints = field.get("constraints") if isinstance(field.get("constraints"), dict) else {}
        label = type_label(type_)
        strptime = _format_of(type_, field.get("format"))
        if strptime and type_ != "year":
            label = f"{label} ({_format_label(strptime)})"
        rules = []
        for key, value in constraints.items():
            if key in _RULES:
                shown = _listing(value) if isinstance(value, list) else value
                rules.append(tk._(_RULES[key]) % {"limit": shown})
        if type_ == "number" and field.get("decimalChar") not in (None, "."):
            rules.append(tk._("decimal separator %(char)s") % {"char": field["decimalChar"]})
        if type_ == "boolean":
            trues, falses = field.get("trueValues") or _TRUE_VALUES, field.get("falseValues") or _FALSE_VALUES
            rules.append(tk._(_HINT_BOOLEAN) % {"true": trues[0], "false": falses[0]})
        out.append({
            "name": name, "title": field.get("title") or "", "description": field.get("description") or "",
            "type": type_, "type_label": label, "example": _example(type_, field.get("format")),
            "required": bool(constraints.get("required")) or name in primary,
            "unique": bool(constraints.get("unique")), "key": name in primary, "rules": rules,
        })
    return out
