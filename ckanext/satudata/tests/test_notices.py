"""Workflow notices by email, through the job queue, to a real local SMTP server."""
import pytest

import ckan.tests.helpers as helpers
from ckan.lib import jobs

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")


def _drain():
    jobs.Worker().work(burst=True)


def _to(inbox):
    return [(m["to"][0], m["subject"]) for m in inbox.messages]


def test_each_transition_tells_the_right_people(portal, inbox):
    pkg = portal.dataset(name="ds", title="Jumlah Penduduk")
    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    _drain()
    assert [to for to, _ in _to(inbox)] == [portal.ppid_a["email"]]
    assert "Jumlah Penduduk" in inbox.messages[0]["subject"]
    inbox.messages.clear()

    helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"],
                        reason="Satuan belum diisi dengan benar")
    _drain()
    assert [to for to, _ in _to(inbox)] == [portal.producer_a["email"]]
    assert "Satuan belum diisi dengan benar" in inbox.messages[0]["body"]
    inbox.messages.clear()

    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    helpers.call_action("satudata_dataset_verify", {"user": portal.ppid_a["name"]}, id=pkg["id"])
    _drain()
    assert sorted(to for to, _ in _to(inbox)) == sorted([portal.ppid_a["email"], portal.walidata["email"],
                                                         portal.producer_a["email"]])
    inbox.messages.clear()

    helpers.call_action("satudata_dataset_publish", {"user": portal.walidata["name"]}, id=pkg["id"])
    _drain()
    assert [to for to, _ in _to(inbox)] == [portal.producer_a["email"]]


def test_subjects_are_in_the_portal_language(portal, inbox):
    pkg = portal.dataset(name="ds", title="Angka Partisipasi Sekolah")
    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    _drain()
    assert inbox.messages[0]["subject"].startswith("Dataset diajukan")


@pytest.mark.ckan_config("ckanext.satudata.notify", "false")
def test_notices_can_be_switched_off(portal, inbox):
    pkg = portal.dataset(name="ds")
    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    _drain()
    assert inbox.messages == []
