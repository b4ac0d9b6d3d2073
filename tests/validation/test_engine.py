"""Tests of the validation engine, validate_file (no CKAN needed).

Run: .venv/bin/python -m pytest -p no:ckan -p no:ckan_fixtures -o addopts='' \
     tests/validation/test_engine.py -q
All data files are generated in tmp_path.
"""
from __future__ import annotations

import copy
import inspect
import json
import os
import subprocess
import sys
import tracemalloc
import zipfile

import openpyxl
import pytest
from frictionless import errors

from ckanext.satudata.validation import engine
from ckanext.satudata.validation.engine import ERROR_TYPES, validate_file
from tests.validation.tables import HEADER, ROWS, SCHEMA, check, csv_text, only, types_of, write


@pytest.fixture(autouse=True)
def _satudata_plugins():
    """No CKAN needed: override the package conftest's autouse plugin fixture
    so this module also runs with ``-p no:ckan``."""


@pytest.mark.parametrize("module, name", [("engine", "ERROR_TYPES"), ("table_schema", "check_table_schema"),
                                          ("fetch", "fetch_remote")])
def test_module_import_is_light(module, name):
    """No CKAN and no frictionless import just to load the module."""
    code = (f"import sys, ckanext.satudata.validation.{module} as m; "
            f"assert m.{name}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ckan', 'frictionless')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_error_types_cover_frictionless_data_errors():
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
    monkeypatch.setattr(engine, "_CSV_FIELD_LIMIT", 50_000)
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


def _zip_bomb(path, member_bytes):
    """A real XLSX whose first sheet is padded with whitespace that deflates ~1000:1."""
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.save(path)
    with zipfile.ZipFile(path) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"]
    padded = sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * member_bytes, 1)
    assert padded != sheet
    members["xl/worksheets/sheet1.xml"] = padded
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
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
