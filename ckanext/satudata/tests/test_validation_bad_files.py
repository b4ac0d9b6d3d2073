"""Bad files through the real job queue and a real RQ worker: each gets a report, never a crash."""
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openpyxl
import pytest

import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.tests.conftest import upload

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
    if content is not None:
        data["upload"] = upload(content, name, content_type)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, **data)
    assert helpers.call_action("resource_show", id=res["id"])["validation_status"] == "pending"
    jobs.Worker().work(burst=True)
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


class _NotFound(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(404)
        self.send_header("Content-Length", "9")
        self.end_headers()
        self.wfile.write(b"not found")


@pytest.fixture
def missing_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hilang.csv"
    server.shutdown()
    server.server_close()


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_url_that_404s_gets_an_error_report(portal, missing_url):
    row = _validated(portal, None, url=missing_url)
    assert row["status"] == "error" and row["report"] is None
    assert "http_error" in row["error"]["message"] and "404" in row["error"]["message"]


def test_loopback_url_is_refused_by_default(portal, missing_url):
    row = _validated(portal, None, url=missing_url)
    assert row["status"] == "error"
    assert row["error"]["message"].startswith("blocked_address")
