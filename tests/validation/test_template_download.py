"""The blank CSV/XLSX template of a resource's Table Schema (its own, or its
request's) and of a request's format; who may download it; and the format
table with its links on the resource page."""
import csv
import io
import json
import re

import openpyxl
import pytest
from werkzeug.http import parse_options_header

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.validation import engine
from tests.conftest import complete_metadata, upload
from tests.datarequest.conftest import Requests
from tests.validation.tables import write

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

SCHEMA = {"fields": [
    {"name": "kode_desa", "type": "string", "title": "Kode desa",
     "constraints": {"required": True, "unique": True, "pattern": "3211[0-9]{6}"}},
    {"name": "tahun", "type": "integer", "constraints": {"minimum": 2000}},
    {"name": "jumlah", "type": "integer", "description": "Jumlah penduduk akhir tahun",
     "constraints": {"minimum": 0}},
]}
NAMES = ["kode_desa", "tahun", "jumlah"]
CSV = "kode_desa,tahun,jumlah\n3211010001,2024,1180\n"


def _token(user):
    return helpers.call_action("api_token_create", user=user["name"], name="t")["token"]


def _dataset_with_csv(portal, name, schema=SCHEMA, **overrides):
    pkg = portal.dataset(name=name, resource=False, **overrides)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="penduduk.csv", format="CSV", upload=upload(CSV, "penduduk.csv"), url="",
                              **({"schema": json.dumps(schema)} if schema else {}))
    return pkg, res


def _url(pkg, res, fmt):
    return f"/dataset/{pkg['name']}/resource/{res['id']}/template.{fmt}"


def test_the_csv_and_xlsx_templates_have_the_header_row(portal, app):
    pkg, res = _dataset_with_csv(portal, "template-header")
    headers = {"Authorization": _token(portal.producer_a)}
    response = app.get(_url(pkg, res, "csv"), headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert parse_options_header(response.headers["Content-Disposition"]) == (
        "attachment", {"filename": "penduduk-template.csv"})
    assert list(csv.reader(io.StringIO(response.get_data(as_text=True)))) == [NAMES]

    response = app.get(_url(pkg, res, "xlsx"), headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    data, info = book.worksheets
    assert [[c.value for c in row] for row in data.iter_rows()] == [NAMES]  # the header row only
    assert data.column_dimensions["A"].number_format == "@"  # codes keep their leading zeros
    rows = [[c.value for c in row] for row in info.iter_rows()]
    assert rows[0] == ["Kolom", "Judul", "Tipe", "Wajib", "Aturan", "Deskripsi"]
    assert rows[1] == ["kode_desa", "Kode desa", "teks", "Ya", "pola 3211[0-9]{6}; unik", None]
    assert rows[3] == ["jumlah", None, "bilangan bulat", "Tidak", "minimum 0", "Jumlah penduduk akhir tahun"]

    english = openpyxl.load_workbook(io.BytesIO(app.get("/en" + _url(pkg, res, "xlsx"), headers=headers).data))
    assert [c.value for c in english.worksheets[1][1]] == ["Column", "Title", "Type", "Required", "Rules", "Description"]
    assert [c.value for c in english.worksheets[1][2]][2:5] == ["text", "Yes", "pattern 3211[0-9]{6}; unique"]


def test_a_filled_in_template_passes_validation(portal, app, tmp_path):
    pkg, res = _dataset_with_csv(portal, "template-filled")
    headers = {"Authorization": _token(portal.producer_a)}
    book = openpyxl.load_workbook(io.BytesIO(app.get(_url(pkg, res, "xlsx"), headers=headers).data))
    book.worksheets[0].append(["3211010001", 2024, 1180])
    path = tmp_path / "isian.xlsx"
    book.save(path)
    report = engine.validate_file(str(path), table_schema=SCHEMA)
    assert (report["status"], report["row_count"], report["errors"]) == ("success", 1, [])
    filled = app.get(_url(pkg, res, "csv"), headers=headers).get_data(as_text=True) + "3211010002,2024,98\n"
    assert engine.validate_file(write(tmp_path, "isian.csv", filled), table_schema=SCHEMA)["status"] == "success"


def test_an_outsider_gets_404_on_a_dataset_that_is_not_public(portal, app):
    pkg, res = _dataset_with_csv(portal, "template-draft")  # a draft: its agency's people only
    for fmt in ("csv", "xlsx"):
        app.get(_url(pkg, res, fmt), status=404)  # anonymous
        app.get(_url(pkg, res, fmt), headers={"Authorization": _token(portal.producer_b)}, status=404)
        app.get(_url(pkg, res, fmt), headers={"Authorization": _token(portal.plain)}, status=404)
    assert app.get(_url(pkg, res, "csv"), headers={"Authorization": _token(portal.ppid_a)}).status_code == 200
    context = {"user": portal.producer_b["name"], "model": model}
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth("satudata_validation_template", context, resource_id=res["id"])
    assert helpers.call_auth("satudata_validation_template", {"user": portal.ppid_a["name"], "model": model},
                             resource_id=res["id"])
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    portal.walk(pkg, "submit", "verify", "publish")
    assert app.get(_url(pkg, res, "csv")).get_data(as_text=True) == "kode_desa,tahun,jumlah\r\n"  # now public


def test_wrong_addresses_are_not_found(portal, app):
    pkg, res = _dataset_with_csv(portal, "template-wrong")
    other = portal.dataset(name="template-other", resource=False)
    _, plain = _dataset_with_csv(portal, "template-no-schema", schema=None)
    headers = {"Authorization": _token(portal.producer_a)}
    app.get(_url(pkg, res, "ods"), headers=headers, status=404)
    app.get(_url(other, res, "csv"), headers=headers, status=404)  # the resource of another dataset
    app.get(f"/dataset/{pkg['name']}/resource/nope/template.csv", headers=headers, status=404)
    app.get(f"/dataset/{pkg['name']}/resource/{plain['id']}/template.csv", headers=headers, status=404)
    app.get(f"/dataset/a%00b/resource/{res['id']}/template.csv", headers=headers, status=404)
    app.get(f"/dataset/{pkg['name']}/resource/a%00b/template.xlsx", headers=headers, status=404)
    app.get("/permintaan/a%00b/template.csv", headers=headers, status=404)
    app.get("/permintaan/no-such-request/template.xlsx", headers=headers, status=404)


def test_a_resource_without_its_own_schema_gets_its_request_format(portal, app):
    req = Requests(portal).new(upto="sent")
    pkg = helpers.call_action("package_create", {"user": portal.producer_a["name"]}, **complete_metadata(
        name="template-request", owner_org=portal.org_a["id"], sdi_request_id=req["id"]))
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", upload=upload("kecamatan,jumlah\nWado,1\n"), url="")
    headers = {"Authorization": _token(portal.producer_a)}
    assert app.get(_url(pkg, res, "csv"), headers=headers).get_data(as_text=True) == "kecamatan,jumlah\r\n"
    # the request's own template: whoever may see the request
    url = f"/permintaan/{req['id']}/template.csv"
    for user in (portal.walidata, portal.forum, portal.producer_a):
        assert app.get(url, headers={"Authorization": _token(user)}).get_data(as_text=True) == "kecamatan,jumlah\r\n"
    app.get(url, status=404)  # anonymous: the request is not public
    app.get(url, headers={"Authorization": _token(portal.producer_b)}, status=404)
    book = openpyxl.load_workbook(io.BytesIO(app.get(f"/permintaan/{req['id']}/template.xlsx",
                                                     headers={"Authorization": _token(portal.forum)}).data))
    assert [c.value for c in book.worksheets[0][1]] == ["kecamatan", "jumlah"]
    early = Requests(portal).new(upto="recommended")  # no format yet
    app.get(f"/permintaan/{early['id']}/template.csv", headers={"Authorization": _token(portal.walidata)},
            status=404)
    # the request page links its templates (and a request without a format links none)
    page = app.get(f"/permintaan/{req['id']}", headers={"Authorization": _token(portal.forum)}).get_data(as_text=True)
    assert f'href="/permintaan/{req["id"]}/template.csv"' in page and f'href="/permintaan/{req["id"]}/template.xlsx"' in page
    early_page = app.get(f"/permintaan/{early['id']}", headers={"Authorization": _token(portal.walidata)}).get_data(
        as_text=True)
    assert "/template.csv" not in early_page


def test_the_resource_page_shows_the_format_table_and_the_template_links(portal, app):
    pkg, res = _dataset_with_csv(portal, "template-page")
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    headers = {"Authorization": _token(portal.producer_a)}
    for prefix, texts in (("", ["Format dataset", "Unduh templat", "pola 3211[0-9]{6}", "unik", "minimum 2000",
                                "bilangan bulat", "Jumlah penduduk akhir tahun"]),
                          ("/en", ["Dataset format", "Download the template", "pattern 3211[0-9]{6}", "unique",
                                   "minimum 2000", "whole number"])):
        page = app.get(f"{prefix}/dataset/{pkg['name']}/resource/{res['id']}", headers=headers).get_data(as_text=True)
        section = page[page.index('id="satudata-validation-format"'):]
        for text in texts:
            assert text in section, (prefix, text)
        assert re.findall(r'<tr data-column="([^"]+)">', section) == NAMES
        links = dict(re.findall(r'href="([^"]+)" data-template="(csv|xlsx)"', section))
        assert set(links.values()) == {"csv", "xlsx"}
        for link in links:
            assert app.get(link, headers=headers).status_code == 200

