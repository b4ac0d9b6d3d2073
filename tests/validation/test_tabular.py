"""Tests of the tabular validation engine (no CKAN needed).

Run: .venv/bin/python -m pytest -p no:ckan -p no:ckan_fixtures -o addopts='' \
     tests/validation/test_tabular.py -q
All data files are generated in tmp_path.
"""
from __future__ import annotations

import copy
import json
import os
import socket
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest

from ckanext.satudata.validation import tabular
from ckanext.satudata.validation.tabular import (
    ERROR_TYPES,
    FetchError,
    check_table_schema,
    fetch_remote,
    validate_file,
)

@pytest.fixture(autouse=True)
def _satudata_plugins():
    """The engine needs no CKAN: override the package conftest's autouse
    plugin fixture so this module also runs with ``-p no:ckan``."""


SCHEMA = {
    "fields": [
        {"name": "kode_wilayah", "type": "string",
         "constraints": {"required": True, "pattern": "3211[0-9]{3}"}},
        {"name": "nama_kecamatan", "type": "string", "constraints": {"required": True}},
        {"name": "tahun", "type": "integer", "constraints": {"minimum": 2000, "maximum": 2100}},
        {"name": "jumlah_penduduk", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "laki_laki", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "perempuan", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "status_data", "type": "string",
         "constraints": {"enum": ["sementara", "tetap"]}},
    ],
    "primaryKey": ["kode_wilayah", "tahun"],
}
HEADER = "kode_wilayah,nama_kecamatan,tahun,jumlah_penduduk,laki_laki,perempuan,status_data"
ROWS = [
    "3211010,Jatinangor,2023,125000,63000,62000,tetap",
    "3211020,Cimanggung,2023,98000,49500,48500,tetap",
    "3211030,Tanjungsari,2023,87000,43000,44000,sementara",
]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def csv_text(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def check(report):
    """Every report must be plain JSON with the documented shape."""
    json.dumps(report)
    assert set(report) == {
        "valid", "status", "format", "encoding", "delimiter", "row_count",
        "error_count", "errors", "fatal", "stats", "frictionless_version",
    }
    assert report["status"] in ("success", "failure", "error")
    assert report["valid"] is (report["status"] == "success")
    assert (report["fatal"] is not None) is (report["status"] == "error")
    for error in report["errors"]:
        assert set(error) == {"type", "row", "column", "field", "cell", "message", "note"}
        assert error["message"]
    return report


def types_of(report):
    return [error["type"] for error in report["errors"]]


def only(report, type_):
    found = [error for error in report["errors"] if error["type"] == type_]
    assert found, f"no {type_} in {report['errors']}"
    return found


def test_module_import_is_light():
    """No CKAN and no frictionless import just to load the module."""
    import subprocess
    import sys

    code = ("import sys, ckanext.satudata.validation.tabular as t; "
            "assert t.ERROR_TYPES; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ckan', 'frictionless')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_error_types_cover_frictionless_data_errors():
    import inspect

    from frictionless import errors

    for cls in vars(errors).values():
        if inspect.isclass(cls) and issubclass(cls, (errors.DataError, errors.ResourceError)):
            assert ERROR_TYPES.get(cls.type), cls.type


# --------------------------------------------------------------------------
# validate_file: schema conformance
# --------------------------------------------------------------------------


def test_valid_csv_against_schema(tmp_path):
    report = check(validate_file(write(tmp_path, "ok.csv", csv_text(*ROWS)), table_schema=SCHEMA))
    assert report["status"] == "success"
    assert report["valid"] is True
    assert report["errors"] == [] and report["error_count"] == 0
    assert report["row_count"] == 3
    assert report["format"] == "csv"
    assert report["encoding"] == "utf-8"
    assert report["delimiter"] == ","
    assert report["stats"]["fields"] == 7
    assert report["stats"]["labels"] == HEADER.split(",")
    assert report["stats"]["sha256"]
    assert report["frictionless_version"].startswith("5.")


def test_schema_given_as_json_text(tmp_path):
    path = write(tmp_path, "ok.csv", csv_text(*ROWS))
    assert check(validate_file(path, table_schema=json.dumps(SCHEMA)))["status"] == "success"


def test_type_error(tmp_path):
    path = write(tmp_path, "t.csv", csv_text(ROWS[0], "3211020,Cimanggung,2023,banyak,1,2,tetap"))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert report["status"] == "failure" and report["valid"] is False
    (error,) = only(report, "type-error")
    assert (error["row"], error["column"], error["field"], error["cell"]) == (
        3, 4, "jumlah_penduduk", "banyak")
    assert ERROR_TYPES["type-error"] == "Wrong type"


def test_constraint_minimum(tmp_path):
    path = write(tmp_path, "m.csv", csv_text("3211010,Jatinangor,2023,-5,1,2,tetap"))
    report = check(validate_file(path, table_schema=SCHEMA))
    (error,) = only(report, "constraint-error")
    assert (error["row"], error["field"], error["cell"]) == (2, "jumlah_penduduk", "-5")
    assert "minimum" in error["note"]


def test_required_missing(tmp_path):
    path = write(tmp_path, "r.csv", csv_text("3211010,,2023,5,1,2,tetap"))
    report = check(validate_file(path, table_schema=SCHEMA))
    (error,) = only(report, "constraint-error")
    assert (error["row"], error["column"], error["field"]) == (2, 2, "nama_kecamatan")
    assert "required" in error["note"]


def test_unique(tmp_path):
    schema = copy.deepcopy(SCHEMA)
    schema["fields"][1]["constraints"]["unique"] = True
    schema.pop("primaryKey")
    path = write(tmp_path, "u.csv", csv_text(ROWS[0], ROWS[1], "3211040,Jatinangor,2023,1,1,0,tetap"))
    report = check(validate_file(path, table_schema=schema))
    assert types_of(report) == ["unique-error"]
    error = report["errors"][0]
    assert (error["row"], error["field"], error["cell"]) == (4, "nama_kecamatan", "Jatinangor")


def test_primary_key_duplicate(tmp_path):
    path = write(tmp_path, "pk.csv", csv_text(ROWS[0], ROWS[0]))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert types_of(report) == ["primary-key"]
    assert report["errors"][0]["row"] == 3


def test_enum(tmp_path):
    path = write(tmp_path, "e.csv", csv_text("3211010,Jatinangor,2023,5,3,2,final"))
    (error,) = only(check(validate_file(path, table_schema=SCHEMA)), "constraint-error")
    assert (error["field"], error["cell"]) == ("status_data", "final")
    assert "enum" in error["note"]


def test_pattern(tmp_path):
    path = write(tmp_path, "p.csv", csv_text("32.11.010,Jatinangor,2023,5,3,2,tetap"))
    (error,) = only(check(validate_file(path, table_schema=SCHEMA)), "constraint-error")
    assert (error["field"], error["cell"], error["column"]) == ("kode_wilayah", "32.11.010", 1)
    assert "pattern" in error["note"]


def test_missing_column(tmp_path):
    header = HEADER.replace(",status_data", "")
    path = write(tmp_path, "mc.csv", csv_text("3211010,Jatinangor,2023,5,3,2", header=header))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert report["status"] == "failure"
    assert types_of(report) == ["missing-label"]
    assert report["errors"][0]["field"] == "status_data"


def test_extra_column(tmp_path):
    path = write(tmp_path, "ec.csv", csv_text(ROWS[0] + ",x", header=HEADER + ",keterangan"))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert types_of(report) == ["extra-label"]
    assert (report["errors"][0]["column"], report["errors"][0]["cell"]) == (8, "keterangan")


def test_columns_are_matched_by_name(tmp_path):
    names = HEADER.split(",")
    header = ",".join([names[1], names[0], *names[2:]])
    path = write(tmp_path, "o.csv", csv_text("Jatinangor,3211010,2023,5,3,2,tetap", header=header))
    assert check(validate_file(path, table_schema=SCHEMA))["status"] == "success"


def test_schema_can_ask_for_positional_matching(tmp_path):
    schema = dict(SCHEMA, fieldsMatch="exact")
    names = HEADER.split(",")
    header = ",".join([names[1], names[0], *names[2:]])
    path = write(tmp_path, "o.csv", csv_text("Jatinangor,3211010,2023,5,3,2,tetap", header=header))
    assert "incorrect-label" in types_of(check(validate_file(path, table_schema=schema)))


def test_invalid_schema_gives_error_status(tmp_path):
    path = write(tmp_path, "ok.csv", csv_text(*ROWS))
    report = check(validate_file(path, table_schema={"fields": [{"name": "a", "type": "nope"}]}))
    assert report["status"] == "error"
    assert report["errors"][0]["type"] == "schema-error"
    assert "fields[0].type" in report["fatal"]


# --------------------------------------------------------------------------
# validate_file: structure without a schema
# --------------------------------------------------------------------------


def test_structure_only_without_schema_does_not_infer_types(tmp_path):
    rows = [f"{i},{i * 2}" for i in range(150)] + ["n/a,-"]
    report = check(validate_file(write(tmp_path, "s.csv", csv_text(*rows, header="a,b"))))
    assert report["status"] == "success"
    assert report["row_count"] == 151


def test_blank_header_label(tmp_path):
    report = check(validate_file(write(tmp_path, "b.csv", "a,,c\n1,2,3\n")))
    assert report["status"] == "failure"
    (error,) = only(report, "blank-label")
    assert (error["row"], error["column"]) == (1, 2)


def test_completely_blank_header_row(tmp_path):
    report = check(validate_file(write(tmp_path, "bh.csv", "\n1,2,3\n4,5,6\n")))
    assert report["status"] == "failure"
    assert types_of(report) == ["blank-header"]
    assert report["row_count"] == 2


def test_blank_header_with_schema(tmp_path):
    report = check(validate_file(write(tmp_path, "bs.csv", ",,,,,,\n" + ROWS[0] + "\n"),
                                 table_schema=SCHEMA))
    assert report["status"] == "failure"
    assert "blank-label" in types_of(report)


def test_duplicate_header(tmp_path):
    report = check(validate_file(write(tmp_path, "d.csv", "tahun,nama,tahun\n1,2,3\n")))
    (error,) = only(report, "duplicate-label")
    assert (error["column"], error["cell"]) == (3, "tahun")


def test_ragged_rows(tmp_path):
    text = "a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n"
    report = check(validate_file(write(tmp_path, "rag.csv", text)))
    assert report["status"] == "failure"
    assert report["error_count"] == 2
    missing, = only(report, "missing-cell")
    extra, = only(report, "extra-cell")
    assert (missing["row"], missing["column"], missing["field"]) == (3, 3, "c")
    assert (extra["row"], extra["column"], extra["cell"]) == (4, 4, "9")
    assert report["row_count"] == 4


def test_blank_row(tmp_path):
    report = check(validate_file(write(tmp_path, "br.csv", "a,b\n1,2\n,\n3,4\n")))
    (error,) = only(report, "blank-row")
    assert error["row"] == 3


# --------------------------------------------------------------------------
# validate_file: awkward files
# --------------------------------------------------------------------------


def test_empty_file(tmp_path):
    report = check(validate_file(write(tmp_path, "empty.csv", b""), table_schema=SCHEMA))
    assert report["status"] == "error"
    assert "empty" in report["fatal"]
    assert report["errors"][0]["type"] == "source-error"


def test_header_only_file_is_valid_without_rows(tmp_path):
    report = check(validate_file(write(tmp_path, "h.csv", HEADER + "\n"), table_schema=SCHEMA))
    assert report["status"] == "success" and report["row_count"] == 0


def test_windows_1252_is_decoded(tmp_path):
    text = csv_text("3211010,Jatinangor – Cikeruh,2023,5,3,2,tetap",
                    "3211020,Cimanggung “Sawahdadap” Café,2023,5,3,2,tetap")
    path = write(tmp_path, "cp.csv", text, encoding="cp1252")
    report = check(validate_file(path, table_schema=SCHEMA))
    assert report["encoding"] == "cp1252"
    assert report["status"] == "success"
    schema = copy.deepcopy(SCHEMA)
    schema["fields"][1]["constraints"]["enum"] = ["Jatinangor – Cikeruh"]
    (error,) = only(check(validate_file(path, table_schema=schema)), "constraint-error")
    assert error["cell"] == "Cimanggung “Sawahdadap” Café"  # decoded, not mojibake


def test_cp1252_byte_after_a_long_ascii_prefix(tmp_path):
    rows = [f"32110{i % 90 + 10},Kecamatan {i},2023,5,3,2,tetap" for i in range(6000)]
    rows[-1] = "3211099,Situraja Timur é,2023,5,3,2,tetap"
    path = write(tmp_path, "late.csv", csv_text(*rows), encoding="cp1252")
    assert os.path.getsize(path) > 200_000  # past frictionless' 100 kB buffer
    schema = dict(SCHEMA, primaryKey=[])
    report = check(validate_file(path, table_schema=schema))
    assert report["encoding"] == "cp1252"
    assert report["status"] == "success"


def test_utf8_bom_not_in_first_header(tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeff" + csv_text(*ROWS))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert report["encoding"] == "utf-8-sig"
    assert report["stats"]["labels"][0] == "kode_wilayah"
    assert report["status"] == "success"


def test_semicolon_delimited_export(tmp_path):
    schema = copy.deepcopy(SCHEMA)
    schema["fields"].append({"name": "rasio", "type": "string"})
    text = "\n".join([
        HEADER.replace(",", ";") + ";rasio",
        "3211010;Jatinangor, Kota;2023;125000;63000;62000;tetap;1,02",
        "3211020;Cimanggung;2023;98000;49500;48500;tetap;0,98",
    ]) + "\n"
    report = check(validate_file(write(tmp_path, "semi.csv", text), table_schema=schema))
    assert report["delimiter"] == ";"
    assert report["status"] == "success", report["errors"]
    assert report["row_count"] == 2


def test_tsv(tmp_path):
    path = write(tmp_path, "t.tsv", csv_text(*ROWS).replace(",", "\t"))
    report = check(validate_file(path, table_schema=SCHEMA))
    assert (report["format"], report["delimiter"], report["status"]) == ("tsv", "\t", "success")


def test_xlsx_against_schema(tmp_path):
    path = tmp_path / "ok.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER.split(","))
    sheet.append(["3211010", "Jatinangor", 2023, 125000, 63000, 62000, "tetap"])
    sheet.append(["3211020", "Cimanggung", 2023, "banyak", 1, 2, "tetap"])
    book.save(path)
    report = check(validate_file(str(path), table_schema=SCHEMA))
    assert (report["format"], report["encoding"], report["delimiter"]) == ("xlsx", None, None)
    assert report["row_count"] == 2
    assert types_of(report) == ["type-error"]
    assert report["errors"][0]["row"] == 3


def test_xlsx_with_merged_cells(tmp_path):
    path = tmp_path / "merged.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["kecamatan", "penduduk", None])
    sheet.append(["Jatinangor", 63000, 62000])
    sheet.append([None, 49500, 48500])
    sheet.merge_cells("B1:C1")  # two-level header, typical of government sheets
    sheet.merge_cells("A2:A3")
    book.save(path)
    report = check(validate_file(str(path)))
    assert report["status"] == "failure"
    assert report["row_count"] == 2
    (error,) = only(report, "blank-label")
    assert error["column"] == 3


def test_xlsx_uploaded_as_xls_is_read_as_xlsx(tmp_path):
    path = tmp_path / "wrong.xls"
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.active.append([1, 2])
    book.save(path)
    report = check(validate_file(str(path)))
    assert (report["status"], report["format"]) == ("success", "xlsx")
    assert report["stats"]["warnings"]


def test_xls(tmp_path):
    import xlwt  # installed with frictionless[excel]
    path = str(tmp_path / "old.xls")
    book = xlwt.Workbook()
    sheet = book.add_sheet("data")
    for r, row in enumerate([["a", "b"], [1, 2], [3, "x"]]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(path)
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"}]}
    report = check(validate_file(path, table_schema=schema))
    assert report["format"] == "xls"
    assert [(e["type"], e["row"], e["column"]) for e in report["errors"]] == [("type-error", 3, 2)]


def test_binary_junk_named_csv(tmp_path):
    junk = bytes((i * 7919 + 13) % 256 for i in range(20_000))
    report = check(validate_file(write(tmp_path, "junk.csv", junk), table_schema=SCHEMA))
    assert report["status"] == "error"
    assert report["errors"][0]["type"] == "format-error"
    assert "binary" in report["fatal"]


def test_xlsx_content_named_csv(tmp_path):
    path = tmp_path / "actually.csv"
    openpyxl.Workbook().save(path)
    report = check(validate_file(str(path)))
    assert report["status"] == "error"
    assert "XLSX" in report["fatal"]


def test_html_page_named_csv(tmp_path):
    path = write(tmp_path, "login.csv", "<!DOCTYPE html><html><body>Login</body></html>")
    report = check(validate_file(path))
    assert report["status"] == "error" and "HTML" in report["fatal"]


def test_text_declared_as_xlsx(tmp_path):
    report = check(validate_file(write(tmp_path, "data", csv_text(*ROWS)), fmt="xlsx"))
    assert report["status"] == "error"
    assert "text file" in report["fatal"]


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "broken.xlsx"
    openpyxl.Workbook().save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    report = check(validate_file(str(path)))
    assert report["status"] == "error"


@pytest.mark.parametrize("name", ["$data.csv", "%data%.csv", "~data.csv", "a:b.csv"])
def test_odd_file_names(tmp_path, name):
    report = check(validate_file(write(tmp_path, name, csv_text(*ROWS)), table_schema=SCHEMA))
    assert report["status"] == "success"
    assert report["row_count"] == 3


def test_format_from_content_when_no_extension(tmp_path):
    report = check(validate_file(write(tmp_path, "upload", csv_text(*ROWS)), table_schema=SCHEMA))
    assert (report["format"], report["status"]) == ("csv", "success")


def test_fmt_accepts_mimetype_and_rejects_unknown(tmp_path):
    path = write(tmp_path, "upload", csv_text(*ROWS))
    assert check(validate_file(path, fmt="text/csv"))["status"] == "success"
    report = check(validate_file(path, fmt="PDF"))
    assert report["status"] == "error" and "not supported" in report["fatal"]


def test_missing_file(tmp_path):
    report = check(validate_file(str(tmp_path / "nope.csv")))
    assert report["status"] == "error"


def test_unclosed_quote_does_not_swallow_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular, "_CSV_FIELD_LIMIT", 50_000)
    rows = ['3211010,"Jatinangor,2023,1,1,0,tetap'] + ROWS * 5000
    report = check(validate_file(write(tmp_path, "q.csv", csv_text(*rows)), table_schema=SCHEMA))
    assert report["status"] == "error"
    assert "field larger than field limit" in report["fatal"]


def test_max_errors_caps_list_but_counts_everything(tmp_path):
    rows = [f"32110{i % 90 + 10},K{i},2023,x,1,2,tetap" for i in range(2500)]
    schema = dict(SCHEMA, primaryKey=[])
    path = write(tmp_path, "many.csv", csv_text(*rows))
    report = check(validate_file(path, table_schema=schema, max_errors=10))
    assert len(report["errors"]) == 10
    assert report["error_count"] == 2500
    assert report["stats"]["error_types"] == {"type-error": 2500}
    assert report["stats"]["errors_truncated"] is True
    assert [e["row"] for e in report["errors"]] == list(range(2, 12))
    full = validate_file(path, table_schema=schema, max_errors=None)
    assert len(full["errors"]) == 2500 and full["stats"]["errors_truncated"] is False


def test_large_file_is_streamed(tmp_path):
    """~20 MB CSV: Python allocations stay far below the file size."""
    schema = {"fields": [
        {"name": "id", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "kode_wilayah", "type": "string", "constraints": {"pattern": "3211[0-9]{3}"}},
        {"name": "keterangan", "type": "string"},
    ]}
    path = tmp_path / "big.csv"
    note = "Data penduduk hasil registrasi Disdukcapil Kabupaten Sumedang " * 12
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,kode_wilayah,keterangan\n")
        for i in range(26_000):
            out.write(f"{i},3211{i % 1000:03d},{note}\n")
    size = path.stat().st_size
    assert size > 19_000_000
    validate_file(write(tmp_path, "warm.csv", "id\n1\n"))  # imports happen outside the trace
    tracemalloc.start()
    try:
        report = validate_file(str(path), table_schema=schema)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report["status"] == "success" and report["row_count"] == 26_000
    assert peak < 10_000_000, f"peak {peak} bytes for a {size} byte file"


# --------------------------------------------------------------------------
# check_table_schema
# --------------------------------------------------------------------------


def test_check_schema_valid():
    assert check_table_schema(SCHEMA) == {}
    assert check_table_schema(json.dumps(SCHEMA)) == {}
    assert check_table_schema({"fields": [{"name": "a"}], "primaryKey": "a"}) == {}


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]", "42", None, 5, b"\xff\xfe", ["fields"]])
def test_check_schema_not_an_object(bad):
    problems = check_table_schema(bad)
    assert list(problems) == ["schema"]
    assert problems["schema"][0]


def test_check_schema_unknown_type():
    problems = check_table_schema({"fields": [{"name": "a"}, {"name": "b", "type": "integr"}]})
    assert list(problems) == ["fields[1].type"]
    assert "integr" in problems["fields[1].type"][0]


def test_check_schema_duplicate_names():
    problems = check_table_schema({"fields": [{"name": "a"}, {"name": "b"}, {"name": "a"}]})
    assert list(problems) == ["fields[2].name"]
    assert "Duplicate" in problems["fields[2].name"][0]


@pytest.mark.parametrize("schema", [{"fields": []}, {}, {"fields": "a,b"}])
def test_check_schema_empty_or_missing_fields(schema):
    assert list(check_table_schema(schema)) == ["fields"]


@pytest.mark.parametrize("pk", [["b"], "b", [1], {"a": 1}])
def test_check_schema_bad_primary_key(pk):
    problems = check_table_schema({"fields": [{"name": "a"}], "primaryKey": pk})
    assert list(problems) == ["primaryKey"]


@pytest.mark.parametrize("field, location", [
    ({"name": "a", "type": "integer", "constraints": {"minimum": "x"}}, "fields[0].constraints.minimum"),
    ({"name": "a", "type": "integer", "constraints": {"pattern": "[0-9]+"}}, "fields[0].constraints.pattern"),
    ({"name": "a", "type": "string", "constraints": {"pattern": "[a-"}}, "fields[0].constraints.pattern"),
    ({"name": "a", "type": "string", "constraints": {"enum": "x"}}, "fields[0].constraints.enum"),
    ({"name": "a", "type": "integer", "constraints": {"enum": [1, "dua"]}}, "fields[0].constraints.enum"),
    ({"name": "a", "type": "string", "constraints": {"required": "yes"}}, "fields[0].constraints.required"),
    ({"name": "a", "type": "string", "constraints": {"minLength": -1}}, "fields[0].constraints.minLength"),
    ({"name": "a", "type": "integer", "constraints": {"minimum": 5, "maximum": 1}}, "fields[0].constraints"),
    ({"name": "a", "type": "string", "format": "weird"}, "fields[0].format"),
    ({"name": "", "type": "string"}, "fields[0].name"),
    ({"type": "string"}, "fields[0].name"),
    ("a", "fields[0]"),
])
def test_check_schema_bad_field(field, location):
    problems = check_table_schema({"fields": [field]})
    assert location in problems, problems


def test_check_schema_bad_foreign_key():
    problems = check_table_schema({
        "fields": [{"name": "a"}],
        "foreignKeys": [{"fields": ["z"], "reference": {"resource": "other", "fields": ["a"]}}],
    })
    assert "foreignKeys[0].fields" in problems
    assert "foreignKeys[0].reference.resource" in problems


# --------------------------------------------------------------------------
# fetch_remote
# --------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    target = ""  # where /to-target redirects

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def do_GET(self):
        path = self.path
        if path == "/data.csv":
            body = csv_text(*ROWS).encode()
            self._send(200, body, [("Content-Type", "text/csv"), ("Content-Length", str(len(body)))])
        elif path == "/announced-big":
            self._send(200, b"x" * 100, [("Content-Length", "10000000")])
        elif path == "/streamed-big":  # HTTP/1.0, no Content-Length
            self._send(200)
            for _ in range(40):
                self.wfile.write(b"y" * 8192)
        elif path == "/slow":
            time.sleep(3)
            try:
                self._send(200, b"late", [("Content-Length", "4")])
            except OSError:
                pass  # the client gave up, as expected
        elif path == "/drip":
            self._send(200)
            try:
                for _ in range(30):
                    self.wfile.write(b"z")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
        elif path == "/data%20kecamatan.csv?tahun=2023&q=a%20b":
            self._send(200, b"ok", [("Content-Length", "2")])
        elif path == "/redirect":
            self._send(302, headers=[("Location", "/data.csv")])
        elif path == "/loop":
            self._send(302, headers=[("Location", "/loop")])
        elif path == "/to-target":
            self._send(301, headers=[("Location", self.target)])
        else:
            self._send(404, b"not found", [("Content-Length", "9")])


def _serve(host):
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, handler


@pytest.fixture
def http_server():
    srv, handler = _serve("127.0.0.1")
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    srv.handler = handler
    yield srv
    srv.shutdown()
    srv.server_close()


def fetch(url, dest, **kwargs):
    options = {"max_bytes": 1_000_000, "timeout": 5, "allow_private": True}
    options.update(kwargs)
    return fetch_remote(url, str(dest), **options)


def test_fetch_ok_then_validate(http_server, tmp_path):
    dest = tmp_path / "d.csv"
    result = fetch(http_server.base + "/data.csv", dest)
    assert result["path"] == str(dest)
    assert result["bytes"] == dest.stat().st_size == len(csv_text(*ROWS).encode())
    assert result["content_type"] == "text/csv"
    assert check(validate_file(str(dest), table_schema=SCHEMA))["status"] == "success"


def test_fetch_follows_redirect(http_server, tmp_path):
    result = fetch(http_server.base + "/redirect", tmp_path / "d.csv")
    assert result["bytes"] > 0 and result["url"].endswith("/data.csv")


def test_fetch_quotes_unsafe_characters(http_server, tmp_path):
    result = fetch(http_server.base + "/data kecamatan.csv?tahun=2023&q=a%20b", tmp_path / "d")
    assert result["bytes"] == 2


def test_fetch_404(http_server, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/missing", tmp_path / "d")
    assert (info.value.code, info.value.status) == ("http_error", 404)


@pytest.mark.parametrize("path,max_bytes", [("/announced-big", 1000), ("/streamed-big", 100_000)],
                         ids=["by-content-length", "while-streaming"])
def test_fetch_too_large(http_server, tmp_path, path, max_bytes):
    dest = tmp_path / "d"
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + path, dest, max_bytes=max_bytes)
    assert info.value.code == "too_large"
    assert not dest.exists()


def test_fetch_timeout_slow_server(http_server, tmp_path):
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/slow", tmp_path / "d", timeout=0.5)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 2


def test_fetch_total_time_limit_on_trickling_body(http_server, tmp_path):
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/drip", tmp_path / "d", timeout=1)
    assert info.value.code == "timeout"
    assert time.monotonic() - started < 2.5


def test_fetch_too_many_redirects(http_server, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch(http_server.base + "/loop", tmp_path / "d")
    assert info.value.code == "too_many_redirects"


def test_fetch_loopback_refused_without_allow_private(http_server, tmp_path):
    port = http_server.server_address[1]
    for url in (http_server.base + "/data.csv", f"http://localhost:{port}/data.csv",
                f"http://[::ffff:127.0.0.1]:{port}/data.csv"):
        with pytest.raises(FetchError) as info:
            fetch(url, tmp_path / "d", allow_private=False)
        assert info.value.code == "blocked_address", url
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.csv",
                                 "gopher://127.0.0.1/", "javascript:alert(1)"])
def test_fetch_bad_scheme(url, tmp_path):
    with pytest.raises(FetchError) as info:
        fetch_remote(url, str(tmp_path / "d"), max_bytes=10, timeout=1)
    assert info.value.code == "bad_scheme"


def test_fetch_any_private_address_in_dns_answer_is_refused(monkeypatch, tmp_path):
    def fake_getaddrinfo(host, port, *args, **kwargs):
        assert host == "data.example.go.id"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(FetchError) as info:
        fetch_remote("http://data.example.go.id/x.csv", str(tmp_path / "d"),
                     max_bytes=10, timeout=2)
    assert info.value.code == "blocked_address"
    assert "10.1.2.3" in info.value.message


def test_fetch_redirect_hop_to_loopback_is_refused(http_server, tmp_path, monkeypatch):
    """Hop 1 (127.0.0.2, treated as public here) may not redirect to 127.0.0.1."""
    outer, outer_handler = _serve("127.0.0.2")  # all of 127.0.0.0/8 is loopback on Linux
    try:
        outer_handler.target = http_server.base + "/data.csv"
        real = tabular._blocked_reason
        monkeypatch.setattr(tabular, "_blocked_reason",
                            lambda ip: None if ip == "127.0.0.2" else real(ip))
        outer_url = f"http://127.0.0.2:{outer.server_address[1]}"
        # the first hop alone is fetchable under this policy...
        assert fetch(outer_url + "/data.csv", tmp_path / "a", allow_private=False)["bytes"] > 0
        # ...but its redirect to 127.0.0.1 is re-checked and refused
        with pytest.raises(FetchError) as info:
            fetch(outer_url + "/to-target", tmp_path / "b", allow_private=False)
        assert info.value.code == "blocked_address"
        assert not (tmp_path / "b").exists()
    finally:
        outer.shutdown()
        outer.server_close()


def test_fetch_https_verifies_the_certificate(tmp_path):
    """TLS still checks the certificate although we connect to a pinned IP."""
    import ssl
    import subprocess

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    srv, _ = _serve("127.0.0.1")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    try:
        with pytest.raises(FetchError) as info:
            fetch(f"https://localhost:{srv.server_address[1]}/data.csv", tmp_path / "d")
        assert info.value.code == "connection_error"
        assert "CERTIFICATE_VERIFY_FAILED" in info.value.message
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
    "fc00::1", "ff02::1", "::ffff:10.0.0.1", "::ffff:127.0.0.1", "2002:7f00:1::1",
    "64:ff9b::a00:1", "fe80::1%eth0", "fec0::1", "feff::1",
])
def test_blocked_addresses(address):
    assert tabular._blocked_reason(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "103.10.20.30", "2001:4860:4860::8888"])
def test_public_addresses(address):
    assert tabular._blocked_reason(address) is None


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "0x7f.1", "0x7f000001", "127.1"])
def test_fetch_refuses_numeric_forms_of_loopback(http_server, tmp_path, host):
    """Decimal, octal and hex spellings of 127.0.0.1 resolve to loopback and are refused."""
    port = http_server.server_address[1]
    with pytest.raises(FetchError) as info:
        fetch(f"http://{host}:{port}/data.csv", tmp_path / "d", allow_private=False)
    assert info.value.code == "blocked_address"
    assert "127.0.0.1" in info.value.message
    assert not (tmp_path / "d").exists()


def _zip_bomb(path, member_bytes):
    """A real XLSX whose first sheet is padded with whitespace that deflates ~1000:1."""
    import zipfile as zf
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.save(path)
    with zf.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * member_bytes, 1)
    assert padded != sheet
    members["xl/worksheets/sheet1.xml"] = padded
    with zf.ZipFile(path, "w", zf.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)


def test_xlsx_zip_bomb_ratio_is_refused_before_openpyxl(tmp_path):
    path = tmp_path / "bomb.xlsx"
    _zip_bomb(path, 40 * 1024 * 1024)
    assert path.stat().st_size < 200_000
    report = validate_file(str(path), fmt="xlsx")
    assert report["status"] == "error"
    (error,) = report["errors"]
    assert error["type"] == "format-error"
    assert "compressed" in error["message"] and "zip bomb" in error["message"]


def test_xlsx_unpacked_size_limit(tmp_path):
    path = tmp_path / "big.xlsx"
    _zip_bomb(path, 2 * 1024 * 1024)  # under the ratio threshold (small member)
    report = validate_file(str(path), fmt="xlsx", max_unzipped_bytes=1024 * 1024)
    assert report["status"] == "error"
    assert report["errors"][0]["type"] == "format-error"
    assert "would unpack to" in report["errors"][0]["message"]
    # the same workbook under a normal limit is read (whitespace in XML is harmless)
    assert validate_file(str(path), fmt="xlsx")["status"] == "success"
