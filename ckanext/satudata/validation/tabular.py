"""Validation engine for tabular resources (CSV, TSV, XLSX, XLS).

Runs inside a background job: it validates a local file against a Frictionless
Table Schema (frictionless 5) and returns a plain, JSON-serialisable report,
and it downloads remote resources safely (size/time limits, SSRF protection).

No CKAN imports, and frictionless is imported lazily so that importing this
module (e.g. for ``ERROR_TYPES`` in the web process) stays cheap.

Choices worth knowing:

* The header is row 1. Columns are matched to schema fields by name
  (``fieldsMatch: "equal"``) unless the schema sets ``fieldsMatch``; a header
  with duplicate/blank labels falls back to positional matching.
* Encoding: BOM, else UTF-8 checked over the whole file, else cp1252, else
  latin-1 (frictionless' chardet sniffing of the first 100 kB is not used).
* All errors are counted while the file streams; only ``max_errors`` are kept.
* XLSX is read in openpyxl's streaming mode: merged cells are not filled in
  (they appear as blank cells). Only the first sheet is validated.
* JSON is not supported (frictionless needs ijson, which is not installed).
* Memory is bounded except for ``unique``/``primaryKey`` checks, which keep
  the values seen so far (inherent to the check).
* Width: with ``max_columns``, a CSV/TSV whose header row is wider is refused
  (``too-many-columns``) by a scan of that row before frictionless reads it
  (frictionless' time and memory grow much faster than the width: 100,000
  columns in a 0.9 MB file took minutes and 600 MB); so is an XLSX header, or
  any later row, wider than that. The caller runs this engine under a time
  and memory limit; a ``MemoryError`` is the one exception it lets through.
"""
from __future__ import annotations

import codecs
import csv
import http.client
import io
import ipaddress
import json
import logging
import os
import re
import socket
import ssl
import threading
import time
import zipfile
from importlib import metadata as _metadata
from typing import Any, Iterable
from urllib.parse import quote, urljoin, urlsplit

from ckanext.satudata.msgid import N_

__all__ = [
    "ERROR_TYPES",
    "SUPPORTED_FORMATS",
    "FetchError",
    "check_table_schema",
    "fetch_remote",
    "validate_file",
]

log = logging.getLogger(__name__)

SUPPORTED_FORMATS = ("csv", "tsv", "xlsx", "xls")

# Frictionless error type -> short English title (translated by the UI).
ERROR_TYPES: dict[str, str] = {
    # cells
    "type-error": N_("Wrong type"),
    "constraint-error": N_("Constraint not met"),
    "unique-error": N_("Duplicate value"),
    "extra-cell": N_("Extra cell"),
    "missing-cell": N_("Missing cell"),
    "cell-error": N_("Cell error"),
    "truncated-value": N_("Possibly truncated value"),
    "forbidden-value": N_("Forbidden value"),
    "sequential-value": N_("Value out of sequence"),
    "ascii-value": N_("Non-ASCII characters"),
    # rows
    "blank-row": N_("Blank row"),
    "primary-key": N_("Duplicate or empty primary key"),
    "foreign-key": N_("Unknown reference"),
    "duplicate-row": N_("Duplicate row"),
    "row-constraint": N_("Row rule not met"),
    "row-error": N_("Row error"),
    # header
    "blank-header": N_("Blank header"),
    "blank-label": N_("Blank column name"),
    "duplicate-label": N_("Duplicate column name"),
    "extra-label": N_("Unexpected column"),
    "missing-label": N_("Missing column"),
    "incorrect-label": N_("Wrong column name"),
    "unmatched-header": N_("No matching columns"),
    "header-error": N_("Header error"),
    "label-error": N_("Column name error"),
    # table / file
    "field-count": N_("Wrong number of columns"),
    "row-count": N_("Wrong number of rows"),
    "hash-count": N_("Checksum mismatch"),
    "byte-count": N_("Size mismatch"),
    "table-dimensions": N_("Wrong table size"),
    "too-many-columns": N_("Too many columns"),
    "deviated-value": N_("Outlier value"),
    "deviated-cell": N_("Unusually large cell"),
    "required-value": N_("Required value absent"),
    "table-error": N_("Table error"),
    "file-error": N_("File error"),
    "data-error": N_("Data error"),
    # could not read the file at all
    "source-error": N_("Empty or unreadable file"),
    "encoding-error": N_("Unreadable text encoding"),
    "compression-error": N_("Unreadable compressed file"),
    "format-error": N_("Wrong or unsupported file format"),
    "scheme-error": N_("File could not be opened"),
    "resource-error": N_("File could not be processed"),
    "schema-error": N_("Invalid Table Schema"),
    "field-error": N_("Invalid schema field"),
    "metadata-error": N_("Invalid metadata"),
    "error": N_("Validation error"),
}

_FIELDS_MATCH = ("exact", "equal", "subset", "superset", "partial")
_DEFAULT_FIELDS_MATCH = "equal"  # match columns by name, any order
_BOUND_CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LENGTH_CONSTRAINTS = ("minLength", "maxLength")
_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_MAX_CELL_CHARS = 300
_MAX_MESSAGE_CHARS = 1000
_DELIMITERS = (",", ";", "\t", "|")
# Frictionless raises csv.field_size_limit to 2 GB on import, so one stray
# unclosed quote would make a whole file a single in-memory cell.
_CSV_FIELD_LIMIT = 10 * 1024 * 1024


# ---------------------------------------------------------------------------
# Table Schema checking
# ---------------------------------------------------------------------------


def check_table_schema(schema: Any) -> dict[str, list[str]]:
    """Check that ``schema`` (dict or JSON text) is a usable Table Schema.

    Returns ``{}`` when valid, otherwise ``{location: [message, ...]}`` where
    location is ``schema``, ``fields``, ``fields[2].type``, ``primaryKey``...
    Never raises.
    """
    problems: dict[str, list[str]] = {}
    try:
        descriptor, error = _parse_schema(schema)
        if error:
            _add(problems, "schema", error)
            return problems
        _check_schema_shape(descriptor, problems)
        if not problems:
            _check_with_frictionless(descriptor, problems)
    except Exception as exc:  # defensive: a checker must not crash the caller
        log.exception("Table Schema check failed")
        _add(problems, "schema", f"The Table Schema could not be checked: {exc}")
    return problems


def _add(problems: dict[str, list[str]], location: str, message: str) -> None:
    messages = problems.setdefault(location, [])
    if message not in messages:
        messages.append(message)


def _parse_schema(schema: Any) -> tuple[dict, str | None]:
    if isinstance(schema, (bytes, bytearray)):
        try:
            schema = schema.decode("utf-8")
        except UnicodeDecodeError:
            return {}, "The Table Schema is not UTF-8 text."
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as exc:
            return {}, f"The Table Schema is not valid JSON: {exc}"
    if not isinstance(schema, dict):
        return {}, "The Table Schema must be a JSON object."
    return schema, None


def _field_class(type_: str):
    from frictionless import FrictionlessException, system

    try:
        return system.select_field_class(type_)
    except FrictionlessException:
        return None


def _check_schema_shape(descriptor: dict, problems: dict[str, list[str]]) -> None:
    fields = descriptor.get("fields")
    if fields is None:
        _add(problems, "fields", "The schema has no \"fields\" list.")
        return
    if not isinstance(fields, list):
        _add(problems, "fields", "\"fields\" must be a list.")
        return
    if not fields:
        _add(problems, "fields", "The schema must declare at least one field.")
        return

    seen: dict[str, int] = {}
    for index, field in enumerate(fields):
        where = f"fields[{index}]"
        if not isinstance(field, dict):
            _add(problems, where, "A field must be an object.")
            continue
        name = field.get("name")
        if not isinstance(name, str) or not name.strip():
            _add(problems, f"{where}.name", "The field name must be a non-empty string.")
        elif name in seen:
            _add(
                problems,
                f"{where}.name",
                f'Duplicate field name "{name}" (also used by fields[{seen[name]}]).',
            )
        else:
            seen[name] = index
        _check_field(field, where, problems)

    names = set(seen)
    primary_key = descriptor.get("primaryKey")
    if primary_key is not None:
        keys = [primary_key] if isinstance(primary_key, str) else primary_key
        if not isinstance(keys, list) or not all(
            isinstance(key, str) for key in keys
        ):
            _add(problems, "primaryKey", "primaryKey must be a field name or a list of field names.")
        else:
            for key in keys:
                if key not in names:
                    _add(problems, "primaryKey", f'primaryKey refers to an unknown field "{key}".')

    foreign_keys = descriptor.get("foreignKeys")
    if foreign_keys is not None:
        if not isinstance(foreign_keys, list):
            _add(problems, "foreignKeys", "foreignKeys must be a list.")
        else:
            for index, fk in enumerate(foreign_keys):
                _check_foreign_key(fk, f"foreignKeys[{index}]", names, problems)

    missing_values = descriptor.get("missingValues")
    if missing_values is not None and (
        not isinstance(missing_values, list)
        or not all(isinstance(value, str) for value in missing_values)
    ):
        _add(problems, "missingValues", "missingValues must be a list of strings.")

    fields_match = descriptor.get("fieldsMatch")
    if fields_match is not None and fields_match not in _FIELDS_MATCH:
        _add(problems, "fieldsMatch", f"fieldsMatch must be one of: {', '.join(_FIELDS_MATCH)}.")


def _check_foreign_key(fk: Any, where: str, names: set[str], problems: dict) -> None:
    if not isinstance(fk, dict):
        _add(problems, where, "A foreign key must be an object.")
        return
    fields = fk.get("fields")
    fields = [fields] if isinstance(fields, str) else fields
    reference = fk.get("reference")
    if not isinstance(fields, list) or not fields or not isinstance(reference, dict):
        _add(problems, where, "A foreign key needs \"fields\" and a \"reference\" object.")
        return
    for name in fields:
        if name not in names:
            _add(problems, f"{where}.fields", f'Unknown field "{name}".')
    if reference.get("resource", "") not in ("", None):
        # A single file is validated: only self-references can be checked.
        _add(
            problems,
            f"{where}.reference.resource",
            "Only foreign keys to the same table (resource \"\") are supported.",
        )
    ref_fields = reference.get("fields")
    ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields
    if not isinstance(ref_fields, list) or len(ref_fields) != len(fields):
        _add(problems, f"{where}.reference.fields", "Must list as many fields as \"fields\".")
    else:
        for name in ref_fields:
            if name not in names:
                _add(problems, f"{where}.reference.fields", f'Unknown field "{name}".')


def _check_field(field: dict, where: str, problems: dict) -> None:
    type_ = field.get("type", "string")
    if not isinstance(type_, str):
        _add(problems, f"{where}.type", "The field type must be a string.")
        return
    Class = _field_class(type_)
    if Class is None:
        _add(problems, f"{where}.type", f'Unknown field type "{type_}".')
        return
    constraints = field.get("constraints", {})
    if constraints is None:
        constraints = {}
    if not isinstance(constraints, dict):
        _add(problems, f"{where}.constraints", "constraints must be an object.")
        return

    supported = set(Class.supported_constraints) | {"unique"}
    reader = None
    for name, value in constraints.items():
        loc = f"{where}.constraints.{name}"
        if name not in supported:
            _add(problems, loc, f'Constraint "{name}" is not supported for type "{type_}".')
        elif name in ("required", "unique"):
            if not isinstance(value, bool):
                _add(problems, loc, f'"{name}" must be true or false.')
        elif name in _LENGTH_CONSTRAINTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                _add(problems, loc, f'"{name}" must be a non-negative integer.')
        elif name == "pattern":
            if not isinstance(value, str):
                _add(problems, loc, "pattern must be a string.")
            else:
                try:
                    re.compile(value)
                except re.error as exc:
                    _add(problems, loc, f"Invalid regular expression: {exc}.")
        elif name in _BOUND_CONSTRAINTS or name == "enum":
            reader = reader or _value_reader(Class, field)
            if reader is None:
                continue  # the field itself is invalid; reported by frictionless
            values = value if name == "enum" else [value]
            if name == "enum" and (not isinstance(value, list) or not value):
                _add(problems, loc, "enum must be a non-empty list.")
                continue
            for item in values:
                if _read_value(reader, item) is None:
                    _add(problems, loc, f'Value {item!r} is not a valid "{type_}".')

    low, high = constraints.get("minLength"), constraints.get("maxLength")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        _add(problems, f"{where}.constraints", "minLength is greater than maxLength.")
    if "minimum" in constraints and "maximum" in constraints and reader is not None:
        low = _read_value(reader, constraints["minimum"])
        high = _read_value(reader, constraints["maximum"])
        try:
            if low is not None and high is not None and low > high:
                _add(problems, f"{where}.constraints", "minimum is greater than maximum.")
        except TypeError:
            pass


def _value_reader(Class, field: dict):
    """Frictionless' own value parser for the field, used to check constraint values."""
    try:
        descriptor = {k: v for k, v in field.items() if k != "constraints"}
        descriptor.setdefault("name", "field")
        return Class.from_descriptor(descriptor).create_value_reader()
    except Exception:
        return None


def _read_value(reader, value: Any) -> Any:
    try:
        return reader(value)
    except Exception:
        return None


_PROPERTY_RE = re.compile(r"^(?P<msg>.*) at property '(?P<path>[^']+)'$")


def _check_with_frictionless(descriptor: dict, problems: dict) -> None:
    """Run frictionless' own JSON-Schema based checks as a backstop."""
    from frictionless import FrictionlessException, Schema

    for index, field in enumerate(descriptor["fields"]):
        Class = _field_class(field.get("type", "string"))
        try:
            field_errors = list(Class.metadata_validate(field))
        except FrictionlessException as exc:
            field_errors = [exc.error]
        for error in field_errors:
            location, message = f"fields[{index}]", error.note or error.message
            match = _PROPERTY_RE.match(message)
            if match:
                location += "." + match["path"].replace("/", ".")
                message = match["msg"]
            _add(problems, location, message)
    if problems:
        return
    try:
        Schema.from_descriptor(_normalise_schema(descriptor))
    except FrictionlessException as exc:
        reasons = exc.reasons or [exc.error]
        for reason in reasons:
            _add(problems, "schema", reason.note or reason.message)
    except Exception as exc:
        _add(problems, "schema", str(exc))


def _normalise_schema(descriptor: dict) -> dict:
    """Copy of the descriptor in the form frictionless 5 accepts."""
    result = json.loads(json.dumps(descriptor))
    if isinstance(result.get("primaryKey"), str):
        result["primaryKey"] = [result["primaryKey"]]
    for fk in result.get("foreignKeys") or []:
        if isinstance(fk.get("fields"), str):
            fk["fields"] = [fk["fields"]]
        ref = fk.get("reference") or {}
        if isinstance(ref.get("fields"), str):
            ref["fields"] = [ref["fields"]]
    return result


# ---------------------------------------------------------------------------
# File validation
# ---------------------------------------------------------------------------


class _Fatal(Exception):
    """The file cannot be validated at all (becomes status "error")."""

    def __init__(self, type_: str, message: str):
        super().__init__(message)
        self.type = type_
        self.message = message


class _Collector:
    """Counts every error but keeps only the first ``limit`` in memory."""

    def __init__(self, limit: int | None):
        self.limit = limit
        self.count = 0
        self.items: list[dict] = []
        self.by_type: dict[str, int] = {}

    def add(self, error: Any) -> None:
        self.count += 1
        type_ = getattr(error, "type", "error")
        self.by_type[type_] = self.by_type.get(type_, 0) + 1
        if self.limit is None or len(self.items) < self.limit:
            self.items.append(_error_to_dict(error))


def validate_file(
    path: str | os.PathLike,
    *,
    fmt: str | None = None,
    table_schema: Any = None,
    max_errors: int | None = 1000,
    max_unzipped_bytes: int = 1024 * 1024 * 1024,
    max_columns: int | None = None,
) -> dict:
    """Validate a local tabular file and return a normalised report.

    ``fmt`` is the declared format (``csv``, ``tsv``, ``xlsx``, ``xls``; a
    mimetype or ``.ext`` is accepted); when ``None`` it comes from the file
    extension or, failing that, from the content. Without ``table_schema``
    only the structure is checked (header, ragged and blank rows).

    ``max_errors`` caps the *listed* errors; ``error_count`` and
    ``stats.error_types`` always count every error in the file, because the
    whole file is streamed even after the cap (frictionless' own
    ``limit_errors`` would stop reading instead). ``None`` lists all errors.

    ``row`` in errors is the physical row number in the file (the header is
    row 1), ``column`` the 1-based column position. Never raises.

    An XLSX whose members would unpack to more than ``max_unzipped_bytes``, or
    whose large members are compressed more than ``_MAX_ZIP_RATIO`` times, is
    refused with a format error before openpyxl opens it (zip bomb).

    A table wider than ``max_columns`` (header or any row) is refused with a
    ``too-many-columns`` error; a CSV/TSV header before frictionless opens it.
    ``MemoryError`` (a memory cap set by the caller) is raised, not reported.
    """
    started = time.monotonic()
    collector = _Collector(None if max_errors is None else max(0, int(max_errors)))
    report: dict[str, Any] = {
        "valid": False,
        "status": "error",
        "format": None,
        "encoding": None,
        "delimiter": None,
        "row_count": 0,
        "error_count": 0,
        "errors": [],
        "fatal": None,
        "stats": {
            "bytes": None,
            "fields": None,
            "labels": [],
            "sha256": None,
            "seconds": 0.0,
            "error_types": {},
            "errors_truncated": False,
            "max_errors": max_errors,
            "warnings": [],
        },
        "frictionless_version": _frictionless_version(),
    }
    fatal: _Fatal | None = None
    try:
        _validate_into(report, collector, os.fspath(path), fmt, table_schema, max_unzipped_bytes, max_columns)
    except _Fatal as exc:
        fatal = exc
    except MemoryError:
        raise  # the caller's memory cap: it reports that, not a broken file
    except Exception as exc:  # never let a bad file crash the job
        log.exception("Unexpected failure validating %s", path)
        fatal = _Fatal("error", f"Unexpected error while validating: {type(exc).__name__}: {exc}")

    errors = collector.items
    error_count = collector.count
    by_type = dict(collector.by_type)
    if fatal:
        report["fatal"] = fatal.message
        errors = errors + [_plain_error(fatal.type, fatal.message)]
        error_count += 1
        by_type[fatal.type] = by_type.get(fatal.type, 0) + 1
    report["errors"] = errors
    report["error_count"] = error_count
    report["stats"]["error_types"] = by_type
    report["stats"]["errors_truncated"] = collector.count > len(collector.items)
    report["status"] = "error" if fatal else ("failure" if error_count else "success")
    report["valid"] = report["status"] == "success"
    report["stats"]["seconds"] = round(time.monotonic() - started, 3)
    return report


def _frictionless_version() -> str | None:
    try:
        return _metadata.version("frictionless")
    except _metadata.PackageNotFoundError:
        return None


def _validate_into(report: dict, collector: _Collector, path: str, fmt: str | None,
                   table_schema: Any, max_unzipped_bytes: int, max_columns: int | None = None) -> None:
    descriptor = None
    if table_schema is not None:
        problems = check_table_schema(table_schema)
        if problems:
            details = "; ".join(
                f"{loc}: {msg}" for loc, msgs in problems.items() for msg in msgs
            )
            raise _Fatal("schema-error", f"The Table Schema is not valid: {details}")
        descriptor = _normalise_schema(_parse_schema(table_schema)[0])
        descriptor.setdefault("fieldsMatch", _DEFAULT_FIELDS_MATCH)

    # An explicit format wins, then the extension; with neither (CKAN's
    # upload storage has no extensions) the content decides.
    given = fmt or os.path.splitext(path)[1]
    declared = _normalise_format(given)
    if given and declared is None:
        raise _Fatal(
            "format-error",
            f'The format "{given}" is not supported (supported: {", ".join(SUPPORTED_FORMATS)}).',
        )
    report["format"] = declared
    try:
        size = os.path.getsize(path)
    except OSError:
        raise _Fatal("source-error", "The file does not exist or cannot be read.") from None
    if not os.path.isfile(path):
        raise _Fatal("source-error", "The path is not a regular file.")
    report["stats"]["bytes"] = size
    if size == 0:
        raise _Fatal("source-error", "The file is empty (0 bytes).")

    with open(path, "rb") as fh:
        head = fh.read(_HEAD_BYTES)
    kind, description = _sniff_kind(path, head)
    actual = _resolve_format(declared, kind, description, report)
    report["format"] = actual
    if actual == "xlsx":
        _check_unzipped_size(path, max_unzipped_bytes)

    if actual in ("csv", "tsv"):
        encoding = _detect_encoding(path, head)
        report["encoding"] = encoding
        if actual == "tsv":
            delimiter = "\t"
        else:
            names = [f.get("name") for f in descriptor["fields"]] if descriptor else []
            delimiter = _sniff_delimiter(head, encoding, names)
        report["delimiter"] = delimiter
        if max_columns:
            _check_header_width(path, encoding, delimiter, max_columns)
    else:
        encoding = delimiter = None

    _run_frictionless(report, collector, path, actual, encoding, delimiter, descriptor, max_columns)


def _too_wide(max_columns: int, where: str) -> _Fatal:
    return _Fatal("too-many-columns", f"{where} has more than {max_columns} columns, "
                                      f"the most the validator reads.")


def _check_header_width(path: str, encoding: str, delimiter: str, max_columns: int) -> None:
    """Count the columns of the first record (quotes respected, the record may
    span lines) without holding it in memory; stop at ``max_columns + 1``."""
    specials = re.compile("[" + re.escape(delimiter) + '"\r\n]')
    columns, quoted = 1, False
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                return
            pos = 0
            while True:
                if quoted:
                    end = chunk.find('"', pos)
                    if end < 0:
                        break
                    quoted, pos = False, end + 1
                    continue
                found = specials.search(chunk, pos)
                if found is None:
                    break
                char, pos = found.group(), found.end()
                if char == '"':
                    quoted = True
                elif char in "\r\n":
                    return
                else:
                    columns += 1
                    if columns > max_columns:
                        raise _too_wide(max_columns, "The header row")


_FORMAT_ALIASES = {
    "csv": "csv",
    "text/csv": "csv",
    "application/csv": "csv",
    "tsv": "tsv",
    "tab": "tsv",
    "text/tab-separated-values": "tsv",
    "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "xls": "xls",
    "application/vnd.ms-excel": "xls",
}


def _normalise_format(value: str | None) -> str | None:
    if not value:
        return None
    return _FORMAT_ALIASES.get(value.strip().lower().lstrip("."))


_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE,
         codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13)) + b"\x7f"


def _sniff_kind(path: str, head: bytes) -> tuple[str, str]:
    """Classify the content: ("text"|"xlsx"|"xls"|"other", description)."""
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return "other", "a damaged ZIP archive"
        if "xl/workbook.xml" in names:
            return "xlsx", "an XLSX workbook"
        if "content.xml" in names and "mimetype" in names:
            return "other", "an OpenDocument file (e.g. ODS)"
        if any(name.startswith("word/") for name in names):
            return "other", "a Word document"
        return "other", "a ZIP archive"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls", "a legacy Office (XLS) file"
    for magic, description in _MAGIC:
        if head.startswith(magic):
            return "other", description
    if head.startswith(_BOMS):
        return "text", "a text file"
    lowered = head[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "other", "an HTML page"
    if b"\x00" in head:
        return "other", "binary data"
    controls = sum(head.count(bytes([b])) for b in _CONTROL_BYTES)
    if head and controls / len(head) > 0.05:
        return "other", "binary data"
    return "text", "a text file"


_MAX_ZIP_RATIO = 100  # XLSX sheets compress 5-20 times; a bomb thousands of times
_ZIP_RATIO_FROM = 16 * 1024 * 1024  # small members may be compressed any amount


def _check_unzipped_size(path: str, limit: int) -> None:
    """Refuse an XLSX that would unpack to too much (the declared sizes bound
    what zipfile decompresses, so summing them is enough)."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise _Fatal("format-error", "The file is a damaged ZIP archive.") from None
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise _Fatal("format-error", f"The XLSX workbook would unpack to {total} bytes, "
                                     f"more than the {limit} allowed (possibly a zip bomb).")
    for info in infos:
        if info.file_size > _ZIP_RATIO_FROM and info.file_size > _MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise _Fatal("format-error", f'The XLSX member "{_clip(info.filename, 100)}" is compressed '
                                         f"{info.file_size // max(info.compress_size, 1)} times "
                                         f"(more than {_MAX_ZIP_RATIO}; possibly a zip bomb).")


def _resolve_format(declared: str | None, kind: str, description: str, report: dict) -> str:
    if kind == "other":
        what = f"{declared.upper()} " if declared else "a table "
        raise _Fatal("format-error", f"The file is not {what}but {description}.")
    if declared in (None, "csv", "tsv"):
        if kind != "text":
            if declared is None:
                return kind
            raise _Fatal(
                "format-error",
                f"The file was declared as {declared.upper()} but is {description}.",
            )
        return declared or "csv"
    # declared xlsx/xls
    if kind == "text":
        raise _Fatal(
            "format-error",
            f"The file was declared as {declared.upper()} but is a text file "
            "(perhaps CSV); correct the resource format.",
        )
    if kind != declared:
        # Excel flavours are confused all the time; read what the file really is.
        report["stats"]["warnings"].append(
            f"The file was declared as {declared.upper()} but is {description}; "
            f"it was read as {kind.upper()}."
        )
    return kind


def _detect_encoding(path: str, head: bytes) -> str:
    """BOM first, then UTF-8 over the *whole* file, then cp1252, then latin-1.

    The full streaming scan is cheap compared with validation and avoids the
    classic failure where the first 100 KB are ASCII and a cp1252 byte
    appears later. chardet (what frictionless uses) guesses wrongly on short
    cp1252 files (e.g. mac-roman).
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for candidate in ("utf-8", "cp1252"):
        if _decodes(path, candidate):
            return candidate
    return "latin-1"


def _decodes(path: str, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(_CHUNK)
            try:
                if not chunk:
                    decoder.decode(b"", final=True)
                    return True
                if not chunk.isascii():
                    decoder.decode(chunk)
            except UnicodeDecodeError:
                return False


def _sniff_delimiter(head: bytes, encoding: str, names: list[str]) -> str:
    """Pick the delimiter giving the most consistent column count.

    A delimiter whose header row contains the schema's field names wins
    outright; this keeps ``;`` files with decimal commas ("2,5") right.
    """
    text = head.decode(encoding, errors="replace")
    if len(head) == _HEAD_BYTES and "\n" in text:
        text = text[: text.rfind("\n")]  # drop a truncated last line
    text = text.lstrip("\ufeff")
    wanted = {name.strip().lower() for name in names if isinstance(name, str)}
    best, best_score = ",", None
    for delimiter in _DELIMITERS:
        try:
            rows = [row for _, row in zip(range(200), csv.reader(io.StringIO(text), delimiter=delimiter))]
        except csv.Error:
            continue
        rows = [row for row in rows if any(cell.strip() for cell in row)]
        if not rows:
            continue
        widths = [len(row) for row in rows]
        mode = max(set(widths), key=widths.count)
        consistency = widths.count(mode) / len(widths)
        matched = len(wanted & {cell.strip().lower() for cell in rows[0]})
        score = (matched, mode > 1, round(consistency, 2), mode)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _open_and_stream(report: dict, collector: _Collector, path: str, fmt: str,
                     encoding: str | None, delimiter: str | None,
                     descriptor: dict | None, max_columns: int | None = None) -> None:
    from frictionless import FrictionlessException

    attempts = [descriptor]
    if descriptor is not None and descriptor.get("fieldsMatch") == _DEFAULT_FIELDS_MATCH:
        # Matching by name refuses headers with duplicate/blank labels; fall
        # back to positional matching so those get reported as label errors.
        attempts.append(dict(descriptor, fieldsMatch="exact"))

    for number, attempt in enumerate(attempts):
        last = number + 1 == len(attempts)
        resource, fh = _make_resource(path, fmt, encoding, delimiter, attempt)
        try:
            resource.open()
            break
        except FrictionlessException as exc:
            _close(resource, fh)
            _reraise_memory(exc)
            if not last:
                continue
            error = exc.error
            raise _Fatal(error.type, _clip(error.message, _MAX_MESSAGE_CHARS)) from None
        except MemoryError:
            _close(resource, fh)
            raise
        except Exception as exc:
            _close(resource, fh)
            if not last:
                continue
            raise _Fatal(
                "format-error", f"The file could not be read as {fmt.upper()}: {exc}"
            ) from None
    try:
        _stream_rows(report, collector, resource, max_columns)
    finally:
        _close(resource, fh)


def _reraise_memory(exc: BaseException) -> None:
    """Frictionless turns a MemoryError into a source error: raise it again."""
    seen = exc
    while seen is not None:
        if isinstance(seen, MemoryError):
            raise MemoryError() from exc
        seen = seen.__cause__ or seen.__context__


def _close(resource, fh) -> None:
    resource.close()
    if fh is not None:
        fh.close()


def _run_frictionless(*args) -> None:
    previous = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        _open_and_stream(*args)
    finally:
        csv.field_size_limit(previous)


_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*$")


def _make_resource(path: str, fmt: str, encoding: str | None, delimiter: str | None,
                   descriptor: dict | None):
    """Return (resource, file object to close or None)."""
    from frictionless import Detector, Dialect, Resource, Schema, helpers
    from frictionless.formats import CsvControl, ExcelControl

    if fmt in ("csv", "tsv"):
        control = CsvControl(delimiter=delimiter or ",")
        options: dict[str, Any] = {"format": "csv", "encoding": encoding}
    else:
        # Default ExcelControl streams (read-only); merged cells are not
        # filled, so they show up as blank cells rather than costing memory.
        control = ExcelControl(sheet=1)
        options = {"format": fmt}
    if descriptor is not None:
        options["schema"] = Schema.from_descriptor(descriptor)
    else:
        # Without a schema, only structure is checked: never infer types
        # from a sample (that would flag later rows as type errors).
        options["detector"] = Detector(field_type="any")
    # The header is always row 1: frictionless would otherwise pick the first
    # row whose width is near the sample average, silently skipping a title
    # row, a blank first line or a short header.
    dialect = Dialect(header_rows=[1], controls=[control])
    # Frictionless refuses absolute paths unless the process-wide "trusted"
    # flag is set. A plain file name plus basepath is accepted and is the
    # fastest source; other names ("$x.csv", "a:b.csv" looks like a URL) go
    # through a file object instead (a Python-level wrapper, ~5-10% slower).
    directory, name = os.path.split(os.path.abspath(path))
    is_safe = getattr(helpers, "is_safe_path", None)
    if _PLAIN_NAME.match(name) and is_safe is not None and is_safe(name):
        return Resource(name, basepath=directory, dialect=dialect, **options), None
    fh = open(path, "rb")
    return Resource(fh, dialect=dialect, **options), fh


def _stream_rows(report: dict, collector: _Collector, resource, max_columns: int | None = None) -> None:
    from frictionless import Checklist, FrictionlessException, errors

    labels = list(resource.labels or [])
    if max_columns and len(labels) > max_columns:
        raise _too_wide(max_columns, "The header row")
    report["stats"]["labels"] = [_clip(str(label), _MAX_CELL_CHARS) for label in labels]
    report["stats"]["fields"] = len(resource.schema.fields)
    if not labels and not resource.fragment:
        raise _Fatal("source-error", "The file contains no table (no header and no rows).")

    # Frictionless' baseline check, driven here so we can keep counting
    # errors after ``max_errors`` without keeping them in memory.
    checks = Checklist().connect(resource)
    for check in checks:
        for error in check.validate_start():
            if error.type != "source-error":
                collector.add(error)
    if not labels:
        # Frictionless reports nothing useful for an empty first row (rows
        # even come out as "blank-row"): report the header and only count rows.
        collector.add(errors.BlankHeaderError(note="", labels=[], row_numbers=[1]))
        checks = []
    rows = resource.row_stream
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                break
            if max_columns and len(row.cells) > max_columns:
                raise _too_wide(max_columns, f"Row {row.row_number}")
            for check in checks:
                for error in check.validate_row(row):
                    collector.add(error)
    except FrictionlessException as exc:
        _reraise_memory(exc)
        raise _Fatal(exc.error.type, _reading_stopped(resource, exc.error.message)) from None
    except (_Fatal, MemoryError):
        raise
    except Exception as exc:
        raise _Fatal("source-error", _reading_stopped(resource, f"{type(exc).__name__}: {exc}")) from None
    finally:
        report["row_count"] = resource.stats.rows or 0
    for check in checks:
        for error in check.validate_end():
            collector.add(error)
    report["stats"]["sha256"] = resource.stats.sha256


def _reading_stopped(resource, message: str) -> str:
    rows = resource.stats.rows or 0
    return _clip(f"Reading stopped after {rows} data rows: {message}", _MAX_MESSAGE_CHARS)


_LABEL_ONLY = ("blank-label", "duplicate-label", "extra-label")


def _error_to_dict(error: Any) -> dict:
    type_ = getattr(error, "type", "error")
    field = getattr(error, "field_name", None) or None
    if type_ in _LABEL_ONLY:
        field = None  # frictionless invents names like "field2" / "a2" here
    if hasattr(error, "cell"):
        cell = error.cell
    elif type_ != "missing-label":
        cell = getattr(error, "label", None)
    else:
        cell = None
    row = getattr(error, "row_number", None)
    if row is None and getattr(error, "row_numbers", None):
        row = error.row_numbers[0]  # header errors: the header row
    return {
        "type": type_,
        "row": row,
        "column": getattr(error, "field_number", None),
        "field": field,
        "cell": _jsonable_cell(cell),
        "message": _clip(getattr(error, "message", "") or "", _MAX_MESSAGE_CHARS),
        "note": _clip(getattr(error, "note", "") or "", _MAX_MESSAGE_CHARS),
    }


def _plain_error(type_: str, message: str) -> dict:
    return {"type": type_, "row": None, "column": None, "field": None,
            "cell": None, "message": message, "note": ""}


def _jsonable_cell(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return _clip(str(value), _MAX_CELL_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ---------------------------------------------------------------------------
# Safe download
# ---------------------------------------------------------------------------


class FetchError(Exception):
    """A download was refused or failed.

    ``code`` is one of: bad_url, bad_scheme, blocked_address, dns_error,
    connection_error, timeout, too_large, http_error (``status`` set),
    too_many_redirects, io_error. ``str(error)`` is the message alone.
    """

    def __init__(self, code: str, message: str, *, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


_MAX_REDIRECTS = 5
_REDIRECTS = (301, 302, 303, 307, 308)
_USER_AGENT = "ckanext-satudata-validator/1.0"
_URL_SAFE = "/%:@!$&'()*+,;=-._~"  # keep existing escapes and reserved characters


def fetch_remote(url: str, dest_path: str | os.PathLike, *, max_bytes: int,
                 timeout: float, allow_private: bool = False) -> dict:
    """Download an http(s) URL to ``dest_path``; return path, bytes, content_type.

    Every hop (redirects are followed manually, at most 5) is resolved once,
    all its addresses must be public, and the connection goes to one of
    those exact addresses (the peer address is checked again after
    connecting), so DNS rebinding cannot redirect it. ``timeout`` bounds the
    whole download. Proxy environment variables are deliberately ignored.
    ``allow_private`` disables the address checks (tests only).
    Raises ``FetchError``; a partial file is removed.
    """
    dest_path = os.fspath(dest_path)
    deadline = time.monotonic() + timeout
    current = url
    for _hop in range(_MAX_REDIRECTS + 1):
        connection, response = _request(current, deadline, allow_private)
        try:
            status = response.status
            if status in _REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise FetchError("http_error", f"HTTP {status} without Location", status=status)
                current = urljoin(current, location.strip())
                continue
            if not 200 <= status < 300:
                raise FetchError(
                    "http_error", f"HTTP {status} {response.reason}".strip(), status=status
                )
            size = _save_body(response, connection, dest_path, max_bytes, deadline)
            return {
                "path": dest_path,
                "bytes": size,
                "content_type": response.getheader("Content-Type"),
                "url": current,
            }
        finally:
            response.close()
            connection.close()
    raise FetchError("too_many_redirects", f"More than {_MAX_REDIRECTS} redirects.")


class _Watchdog:
    """Shuts the socket down at the deadline.

    Socket timeouts only bound each single read; a server trickling its
    headers or body byte by byte would otherwise exceed the total limit.
    """

    def __init__(self, connection: http.client.HTTPConnection, deadline: float):
        self._connection = connection
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        sock = self._connection.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cancel(self) -> None:
        self._timer.cancel()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FetchError("timeout", "The download took too long.")
    return left


def _request(url: str, deadline: float, allow_private: bool):
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError("bad_url", f"Invalid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError("bad_scheme", f'Only http and https URLs are allowed, not "{scheme}".')
    host = parts.hostname
    if not host:
        raise FetchError("bad_url", "The URL has no host.")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise FetchError("bad_url", f'Invalid host name "{host}".') from None
    port = port or (443 if scheme == "https" else 80)
    addresses = _resolve(host, port, deadline, allow_private)

    options = {"addresses": addresses, "allow_private": allow_private,
               "timeout": _remaining(deadline)}
    if scheme == "https":
        connection = _PinnedHTTPSConnection(host, port, context=ssl.create_default_context(), **options)
    else:
        connection = _PinnedHTTPConnection(host, port, **options)
    connection.watchdog = _Watchdog(connection, deadline)
    target = quote(parts.path or "/", safe=_URL_SAFE)
    if parts.query:
        target += "?" + quote(parts.query, safe=_URL_SAFE + "?")
    try:
        connection.putrequest("GET", target, skip_accept_encoding=True)
        connection.putheader("Accept-Encoding", "identity")
        connection.putheader("User-Agent", _USER_AGENT)
        connection.putheader("Accept", "*/*")
        connection.endheaders()
        return connection, connection.getresponse()
    except FetchError:
        connection.close()
        raise
    except http.client.InvalidURL as exc:
        connection.close()
        raise FetchError("bad_url", f"Invalid URL: {exc}") from None
    except Exception as exc:
        connection.close()
        raise _network_error(exc, deadline) from None


def _network_error(exc: BaseException, deadline: float) -> FetchError:
    if isinstance(exc, (socket.timeout, TimeoutError)) or time.monotonic() >= deadline:
        return FetchError("timeout", "The server did not answer in time.")
    if isinstance(exc, ssl.SSLError):
        return FetchError("connection_error", f"TLS error: {exc}")
    return FetchError("connection_error", f"Connection failed: {exc}")


def _resolve(host: str, port: int, deadline: float, allow_private: bool) -> list[str]:
    """Resolve ``host`` once (bounded by the deadline) and vet every address."""
    result: dict[str, Any] = {}

    def lookup() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except Exception as exc:  # noqa: BLE001 - reported below
            result["error"] = exc

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(_remaining(deadline))
    if worker.is_alive():
        raise FetchError("timeout", f'Resolving "{host}" took too long.')
    if "error" in result:
        raise FetchError("dns_error", f'Cannot resolve "{host}": {result["error"]}')
    addresses: list[str] = []
    for family, _type, _proto, _name, sockaddr in result["infos"]:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(sockaddr[0])
    if not addresses:
        raise FetchError("dns_error", f'"{host}" has no usable address.')
    if not allow_private:
        for address in addresses:
            reason = _blocked_reason(address)
            if reason:
                raise FetchError(
                    "blocked_address", f'"{host}" resolves to a {reason} address ({address}).'
                )
    return addresses


def _blocked_reason(address: str) -> str | None:
    """Why an address must not be fetched from, or None if it is public."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "invalid"
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(ip.packed[-4:])
        if embedded is not None:
            ip = embedded
    for attribute, label in (
        ("is_loopback", "loopback"),
        ("is_unspecified", "unspecified"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
        ("is_site_local", "site-local"),  # fec0::/10: deprecated, yet is_global in Python 3.11
    ):
        if getattr(ip, attribute, False):
            return label
    if not ip.is_global:
        return "non-public"
    return None


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _connect_pinned(addresses: Iterable[str], port: int, timeout: float,
                    allow_private: bool) -> socket.socket:
    last: BaseException | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            last = exc
            continue
        peer = sock.getpeername()[0]
        if not allow_private and _blocked_reason(peer):
            sock.close()
            raise FetchError("blocked_address", f"Connected to a non-public address ({peer}).")
        return sock
    raise last or OSError("no address to connect to")


class _Pinned:
    """Connects to pre-resolved, vetted addresses; the Host header, TLS SNI
    and certificate checks still use the URL's host name."""

    watchdog: _Watchdog | None = None

    def _pinned_socket(self) -> socket.socket:
        return _connect_pinned(self._addresses, self.port, self.timeout, self._allow_private)

    def close(self):
        if self.watchdog is not None:
            self.watchdog.cancel()
        super().close()


class _PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    def __init__(self, host, port, *, addresses, allow_private, timeout):
        super().__init__(host, port, timeout=timeout)
        self._addresses = addresses
        self._allow_private = allow_private

    def connect(self):
        self.sock = self._pinned_socket()


class _PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    def __init__(self, host, port, *, addresses, allow_private, timeout, context):
        super().__init__(host, port, timeout=timeout, context=context)
        self._addresses = addresses
        self._allow_private = allow_private

    def connect(self):
        sock = self._pinned_socket()
        try:
            self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _save_body(response, connection, dest_path: str, max_bytes: int, deadline: float) -> int:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise FetchError(
            "too_large", f"The file is {int(length)} bytes, more than the {max_bytes} allowed."
        )
    size = 0
    try:
        with open(dest_path, "wb") as out:
            while True:
                if connection.sock is not None:
                    connection.sock.settimeout(_remaining(deadline))
                else:
                    _remaining(deadline)
                chunk = response.read1(64 * 1024)  # returns what one read gives
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError("too_large", f"The file is larger than {max_bytes} bytes.")
                out.write(chunk)
    except FetchError:
        _remove(dest_path)
        raise
    except OSError as exc:
        _remove(dest_path)
        if getattr(exc, "filename", None) == dest_path:
            raise FetchError("io_error", f"Cannot write the file: {exc}") from None
        raise _network_error(exc, deadline) from None
    except (http.client.HTTPException, ValueError) as exc:
        _remove(dest_path)
        if time.monotonic() >= deadline:
            raise FetchError("timeout", "The download took too long.") from None
        raise FetchError("connection_error", f"The download was interrupted: {exc!r}") from None
    return size


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
