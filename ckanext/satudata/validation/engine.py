"""The validation engine for tabular files (CSV, TSV, XLSX, XLS).

Runs inside the validation job's child process: it validates a local file
against a Frictionless Table Schema (frictionless 5) and returns a plain,
JSON-serialisable report (the error dicts, counts and statistics).

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
import io
import logging
import os
import re
import time
import zipfile
from importlib import metadata as _metadata
from typing import Any

from ckanext.satudata.msgid import N_
from ckanext.satudata.validation.table_schema import check_table_schema, frictionless_descriptor

__all__ = ["ERROR_TYPES", "validate_file"]

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

_DEFAULT_FIELDS_MATCH = "equal"  # match columns by name, any order
_HEAD_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_MAX_CELL_CHARS = 300
_MAX_MESSAGE_CHARS = 1000
_DELIMITERS = (",", ";", "\t", "|")
# Frictionless raises csv.field_size_limit to 2 GB on import, so one stray
# unclosed quote would make a whole file a single in-memory cell.
_CSV_FIELD_LIMIT = 10 * 1024 * 1024


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
        descriptor = frictionless_descriptor(table_schema)
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
    from frictionless import FrictionlessException  # lazily: the module loads without frictionless

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
    from frictionless import Detector, Dialect, Resource, Schema, helpers  # lazily: the module loads without frictionless
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
    from frictionless import Checklist, FrictionlessException, errors  # lazily: the module loads without frictionless

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
