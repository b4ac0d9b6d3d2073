"""The foundation: the plugin loads on real PostgreSQL, Solr and Redis."""
import pytest

import ckan.tests.helpers as helpers
from ckan.lib import jobs, search

pytestmark = pytest.mark.usefixtures("clean_db")


def test_status_show_reports_the_plugin():
    status = helpers.call_action("status_show")
    assert "satudata" in status["extensions"]
    assert status["ckan_version"] == "2.12.0"


def test_search_backend_is_a_real_solr_with_ckans_schema():
    conn = search.make_connection()
    assert conn.ping()
    assert search.is_available()


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_package_create_then_search_finds_it_through_solr(portal):
    pkg = portal.dataset(title="Angka Partisipasi Sekolah", name="aps-sumedang")
    result = helpers.call_action("package_search", {"user": portal.sysadmin["name"]},
                                 q="Partisipasi", include_private=True)
    assert [d["name"] for d in result["results"]] == ["aps-sumedang"]
    assert pkg["sdi_status"] == "draft"


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_page_lists_a_published_dataset(portal, app):
    pkg = portal.walk(portal.dataset(name="jumlah-penduduk"), "submit", "verify", "publish")
    assert pkg["sdi_status"] == "published" and pkg["private"] is False
    page = app.get("/dataset/")
    assert page.status_code == 200
    assert "/dataset/jumlah-penduduk" in page.get_data(as_text=True)


def test_job_queue_is_redis():
    queue = jobs.get_queue()
    assert queue.connection.ping()
