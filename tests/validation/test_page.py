"""The validation report on the resource page and the badges on the review panel."""
import json
import re

import pytest

import ckan.tests.helpers as helpers
from ckan.lib import jobs

from tests.conftest import upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

SCHEMA = {"fields": [
    {"name": "kecamatan", "type": "string", "constraints": {"required": True}},
    {"name": "tahun", "type": "integer"},
    {"name": "jumlah", "type": "integer", "constraints": {"minimum": 0}},
]}
INVALID = "kecamatan,tahun,jumlah\nJatinangor,dua ribu,120\nWado,2024,80\n"
VALID = "kecamatan,tahun,jumlah\nJatinangor,2024,120\nWado,2024,80\n"


def _token(user):
    return helpers.call_action("api_token_create", user=user["name"], name="t")["token"]


def _validated_resource(portal, content, name="ds"):
    pkg = portal.dataset(name=name, resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="penduduk.csv", format="CSV", upload=upload(content, "penduduk.csv"), url="",
                              schema=json.dumps(SCHEMA))
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    return pkg, res


def _error_rows(page):
    """(row, column, problem, message) of each error in the report table."""
    return re.findall(r'<tr data-error-type="[^"]+">\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>\s*'
                      r'<td>([^<]*)</td>\s*<td class="satudata-validation-message">(.*?)</td>', page, re.S)


def test_resource_page_shows_the_report_in_indonesian_and_english(portal, app):
    pkg, res = _validated_resource(portal, INVALID)
    headers = {"Authorization": _token(portal.producer_a)}
    page = app.get(f"/dataset/ds/resource/{res['id']}", headers=headers).get_data(as_text=True)
    assert 'id="satudata-validation"' in page
    assert re.search(r'data-status="failure">\s*Tidak valid</span>', page)
    assert "Divalidasi pada" in page
    (row, column, problem, message), = _error_rows(page)
    assert (row, column, problem) == ("2", "tahun", "Tipe data salah")
    assert message == "Kolom <strong>tahun</strong> baris 2: &#39;dua ribu&#39; bukan bilangan bulat"
    page = app.get(f"/en/dataset/ds/resource/{res['id']}", headers=headers).get_data(as_text=True)
    assert re.search(r'data-status="failure">\s*Not valid</span>', page)
    assert _error_rows(page)[0] == ("2", "tahun", "Wrong type",
                                    "Column <strong>tahun</strong>, row 2: &#39;dua ribu&#39; is not a whole number")


def test_a_long_error_list_is_capped_with_a_count_of_the_rest(portal, app):
    rows = "".join(f"Desa {i},tahun {i},{i}\n" for i in range(150))
    _, res = _validated_resource(portal, "kecamatan,tahun,jumlah\n" + rows)
    page = app.get(f"/dataset/ds/resource/{res['id']}",
                   headers={"Authorization": _token(portal.producer_a)}).get_data(as_text=True)
    assert len(_error_rows(page)) == 100
    assert "Galat ditemukan: 150" in page
    assert "50 galat lainnya tidak ditampilkan." in page


def test_pending_and_non_tabular_resources(portal, app):
    pkg = portal.dataset(name="ds")  # with a JSON resource: no report
    json_res = pkg["resources"][0]
    csv_res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                                  name="baru.csv", format="CSV", upload=upload(VALID, "baru.csv"), url="")
    headers = {"Authorization": _token(portal.producer_a)}
    page = app.get(f"/dataset/ds/resource/{csv_res['id']}", headers=headers).get_data(as_text=True)
    assert re.search(r'data-status="pending">\s*Menunggu validasi</span>', page)
    page = app.get(f"/dataset/ds/resource/{json_res['id']}", headers=headers).get_data(as_text=True)
    assert "satudata-validation" not in page


def test_only_who_may_see_the_dataset_sees_the_report(portal, app):
    pkg, res = _validated_resource(portal, INVALID)  # a draft: not public
    url = f"/dataset/ds/resource/{res['id']}"
    page = app.get(url, status=404).get_data(as_text=True)
    assert "satudata-validation" not in page and "dua ribu" not in page
    page = app.get(url, headers={"Authorization": _token(portal.producer_b)}, status=404).get_data(as_text=True)
    assert "dua ribu" not in page
    app.get(f"/api/3/action/resource_validation_show?resource_id={res['id']}", status=404)  # hidden = unknown
    assert "dua ribu" in app.get(url, headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)


def test_published_dataset_shows_its_report_to_anyone(portal, app):
    pkg, res = _validated_resource(portal, VALID)
    portal.walk(pkg, "submit", "verify", "publish")
    page = app.get(f"/dataset/ds/resource/{res['id']}").get_data(as_text=True)
    assert re.search(r'data-status="success">\s*Valid</span>', page)


def test_review_panel_shows_each_tabular_resource_badge_linking_to_its_report(portal, app):
    pkg, res = _validated_resource(portal, VALID)
    portal.walk(pkg, "submit")
    page = app.get("/dataset/ds", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    link = f'href="/dataset/ds/resource/{res["id"]}#satudata-validation">penduduk.csv</a>'
    assert link in page
    assert re.search(r'data-validation-status="success">\s*Valid</span>', page)


def _problem(page):
    found = re.findall(r'<p class="satudata-validation-problem">([^<]*)</p>', page)
    assert len(found) == 1, page[-3000:]
    return found[0].strip()


def _pages(app, portal, res):
    headers = {"Authorization": _token(portal.producer_a)}
    return [app.get(f"{prefix}/dataset/ds/resource/{res['id']}", headers=headers).get_data(as_text=True)
            for prefix in ("", "/en")]


@pytest.mark.ckan_config("ckanext.satudata.validation.allow_private_urls", True)
def test_a_url_that_404s_is_explained_in_indonesian_and_english(portal, app, missing_url):
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="hilang.csv", format="CSV", url=missing_url)
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    indonesian, english = _pages(app, portal, res)
    assert re.search(r'data-status="error">\s*Galat', indonesian)
    assert _problem(indonesian) == "Berkas tidak dapat diunduh: server menjawab HTTP 404."
    assert _problem(english) == "The file could not be downloaded: the server answered HTTP 404."
    assert "http_error" not in indonesian and "Not Found" not in indonesian


def test_an_empty_file_is_explained_in_indonesian_and_english(portal, app):
    _, res = _validated_resource(portal, "")
    indonesian, english = _pages(app, portal, res)
    assert _problem(indonesian) == "Berkas kosong (0 bita)."
    assert _problem(english) == "The file is empty (0 bytes)."
    assert "satudata-validation-errors" not in indonesian
