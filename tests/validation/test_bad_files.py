"""Bad files through the real job queue and a real RQ worker: each gets a report, never a crash."""
import io
import json
import os
import time
from http.server import BaseHTTPRequestHandler

import openpyxl
import pytest

import ckan.tests.helpers as helpers
from ckan.lib import jobs, uploader
from werkzeug.datastructures import FileStorage

from tests.conftest import local_http_server, upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

SCHEMA = {"fields": [
    {"name": "kecamatan", "type": "string", "constraints": {"required": True}},
    {"name": "tahun", "type": "integer"},
    {"name": "jumlah", "type": "integer", "constraints": {"minimum": 0}},
]}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _validated(portal, content, *, name="data.csv", fmt="CSV", schema=SCHEMA, content_type="text/csv", url=""):
    """Create the resource (its validation is queued), run a real worker, return the report."""
    pkg = portal.dataset(name="ds", resource=False)
    data = {"package_id": pkg["id"], "name": name, "format": fmt, "url": url,
            "schema": json.dumps(schema) if schema else ""}
    if isinstance(content, FileStorage):
        data["upload"] = content
    elif content is not None:
        data["upload"] = upload(content, name, content_type)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, **data)
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    shown = helpers.call_action("resource_show", id=res["id"])
    row = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert shown["validation_status"] == row["status"]
    return row


def _errors(row):
    return {(e["type"], e["row"], e["field"]) for e in row["report"]["errors"]}


def test_windows_1252_file_is_decoded(portal):
    content = "kecamatan,tahun,jumlah\nCafé Jatinangor – Cikeruh,2024,120\nWado,2024,80\n".encode("cp1252")
    row = _validated(portal, content)
    assert row["status"] == "success", row["report"]["errors"]
    assert row["report"]["encoding"] == "cp1252" and row["report"]["row_count"] == 2


def test_utf8_bom_does_not_break_the_first_column(portal):
    row = _validated(portal, "\ufeffkecamatan,tahun,jumlah\nWado,2024,80\n".encode("utf-8"))
    assert row["status"] == "success", row["report"]["errors"]
    assert row["report"]["encoding"] == "utf-8-sig"
    assert row["report"]["stats"]["labels"][0] == "kecamatan"


def test_semicolon_delimiter_is_detected_and_checked(portal):
    row = _validated(portal, "kecamatan;tahun;jumlah\nWado;2024;80\nTomo;dua ribu;5\n")
    assert row["report"]["delimiter"] == ";"
    assert row["status"] == "failure"
    assert _errors(row) == {("type-error", 3, "tahun")}


def test_ragged_rows_are_reported_by_row(portal):
    row = _validated(portal, "kecamatan,tahun,jumlah\nWado,2024\nTomo,2024,5,99\n")
    assert row["status"] == "failure"
    assert ("missing-cell", 2, "jumlah") in _errors(row)
    assert any(e["type"] == "extra-cell" and e["row"] == 3 for e in row["report"]["errors"])


def test_xlsx_with_merged_cells(portal):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["kecamatan", "penduduk", None])
    sheet.append(["Jatinangor", 63000, 62000])
    sheet.append([None, 49500, 48500])
    sheet.merge_cells("B1:C1")
    sheet.merge_cells("A2:A3")
    buffer = io.BytesIO()
    book.save(buffer)
    row = _validated(portal, buffer.getvalue(), name="merged.xlsx", fmt="XLSX", schema=None,
                     content_type=XLSX_TYPE)
    assert row["status"] == "failure"
    assert row["report"]["format"] == "xlsx"
    assert [e["column"] for e in row["report"]["errors"] if e["type"] == "blank-label"] == [3]


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_url_that_404s_gets_an_error_report(portal, missing_url):
    row = _validated(portal, None, url=missing_url)
    assert row["status"] == "error" and row["report"] is None
    assert row["error"]["code"] == "http_error" and row["error"]["params"] == {"status": 404}
    assert "http_error" in row["error"]["message"] and "404" in row["error"]["message"]


def test_loopback_url_is_refused_by_default(portal, missing_url):
    row = _validated(portal, None, url=missing_url)
    assert row["status"] == "error"
    assert row["error"]["message"].startswith("blocked_address")


# ---------------------------------------------------------------- large files

BIG = 201 * 1024 * 1024  # over 200 MB
LIMIT = 100 * 1024 * 1024


@pytest.fixture
def big_csv(tmp_path):
    """A real 201 MiB CSV, written in 8 MiB chunks, removed afterwards."""
    path = tmp_path / "besar.csv"
    line = b"Jatinangor,2024,120\n"
    chunk = line * (8 * 1024 * 1024 // len(line))
    with open(path, "wb") as out:
        out.write(b"kecamatan,tahun,jumlah\n")
        written = 0
        while written < BIG:
            out.write(chunk)
            written += len(chunk)
    yield path
    path.unlink()


class _Stream(BaseHTTPRequestHandler):
    """Serves ``path`` with no Content-Length: only counting the bytes stops it."""

    path_to_serve = None
    sent = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            with open(type(self).path_to_serve, "rb") as fh:
                while chunk := fh.read(1024 * 1024):
                    self.wfile.write(chunk)
                    type(self).sent += len(chunk)
        except OSError:
            pass  # the validator hung up at the limit


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
@pytest.mark.ckan_config("ckanext.satudata.validation.max_bytes", LIMIT)
def test_a_201_mb_download_is_stopped_at_max_bytes(portal, big_csv):
    handler = type("Handler", (_Stream,), {"path_to_serve": big_csv, "sent": 0})
    with local_http_server(handler) as server:
        started = time.monotonic()
        row = _validated(portal, None, url=server.base + "/besar.csv")
        assert time.monotonic() - started < 30
    assert row["status"] == "error" and row["report"] is None
    assert row["error"]["code"] == "too_large" and row["error"]["params"] == {"max_bytes": LIMIT}
    assert handler.sent < BIG  # the download stopped, it was not read to the end


@pytest.mark.ckan_config("ckanext.satudata.validation.max_bytes", LIMIT)
@pytest.mark.ckan_config("ckan.max_resource_size", 300)
def test_a_201_mb_upload_is_refused_at_max_bytes(portal, big_csv):
    with open(big_csv, "rb") as fh:
        data = FileStorage(fh, filename="besar.csv", content_type="text/csv")
        started = time.monotonic()
        row = _validated(portal, data, name="besar.csv")
    stored = uploader.get_resource_uploader({"url_type": "upload"}).get_path(row["resource_id"])
    try:
        assert os.path.getsize(stored) == os.path.getsize(big_csv)  # the upload itself was accepted
        assert time.monotonic() - started < 30
    finally:
        os.remove(stored)
    assert row["status"] == "error" and row["report"] is None
    assert row["error"]["code"] == "too_large" and "more than the 104857600 allowed" in row["error"]["message"]


# ----------------------------------------------------------- schema as a URL

class _Schemas(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = json.dumps(SCHEMA).encode() if self.path == "/schema.json" else b"missing"
        self.send_response(200 if self.path == "/schema.json" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def schema_server():
    with local_http_server(_Schemas) as server:
        yield server.base


def _with_schema_url(portal, content, schema_url):
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", url="", upload=upload(content, "data.csv"),
                              schema=schema_url)
    assert res["schema"] == schema_url  # kept as given, as ckanext-validation does
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    return helpers.call_action("resource_validation_show", resource_id=res["id"])


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_schema_given_as_a_url_is_downloaded_and_applied(portal, schema_server):
    row = _with_schema_url(portal, "kecamatan,tahun,jumlah\nWado,dua ribu,-1\n", schema_server + "/schema.json")
    assert row["status"] == "failure"
    assert _errors(row) == {("type-error", 2, "tahun"), ("constraint-error", 2, "jumlah")}


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_schema_url_that_404s_gets_an_error_report(portal, schema_server):
    row = _with_schema_url(portal, "kecamatan,tahun,jumlah\nWado,2024,1\n", schema_server + "/hilang.json")
    assert row["status"] == "error" and row["report"] is None
    assert row["error"]["code"] == "schema_download"
    assert row["error"]["params"] == {"reason": "http_error", "status": 404}


def test_schema_url_on_loopback_is_refused_by_default(portal, schema_server):
    row = _with_schema_url(portal, "kecamatan,tahun,jumlah\nWado,2024,1\n", schema_server + "/schema.json")
    assert row["status"] == "error" and row["error"]["params"]["reason"] == "blocked_address"


# ------------------------------------------------------- unexpected failures

def test_a_failure_outside_the_engine_gives_an_error_report_not_a_stuck_row(portal):
    """The stored upload is replaced by a symlink: CKAN's get_path raises (not an
    unreadable-file case the code expects); the row must end as error, not running."""
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", url="", upload=upload("a,b\n1,2\n", "data.csv"))
    stored = uploader.get_resource_uploader({"url_type": "upload"}).get_path(res["id"])
    os.rename(stored, stored + ".real")
    os.symlink(stored + ".real", stored)
    try:
        jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    finally:
        os.remove(stored)
        os.remove(stored + ".real")
    row = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert row["status"] == "error" and row["finished"]
    assert row["error"]["code"] == "unexpected" and "ValidationError" in row["error"]["message"]
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "error"
