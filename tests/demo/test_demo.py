"""`ckan satudata-demo load` (the satudata_demo plugin's data.load) on an empty portal: the datasets and requests it
promises, and a second run that changes nothing."""
import pytest

import ckan.model as model

from ckanext.satudata.demo import data as demo
from ckanext.satudata.model import DataRequest

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")


def test_demo_load_builds_the_sample_portal_and_reruns_cleanly():
    lines = list(demo.load())
    statuses = {r.title: r.status for r in model.Session.query(DataRequest)}
    assert statuses == {
        "Kasus gizi buruk balita per kecamatan": "delivered",
        "Angka partisipasi sekolah menurut kecamatan": "sent",
        "Jumlah tenaga kesehatan per puskesmas": "awaiting_recommendation",
        "Jumlah penduduk miskin per desa": "submitted",
    }
    sent = model.Session.query(DataRequest).filter_by(status="sent").one()
    assert sent.step == 10  # verified dataset linked: waiting for the Walidata to publish
    assert model.Package.get("jumlah-penduduk-per-kecamatan").extras["sdi_status"] == "published"
    again = list(demo.load())
    assert model.Session.query(DataRequest).count() == 4
    assert [line for line in again if line.startswith("request")] == [
        line for line in lines if line.startswith("request")]
