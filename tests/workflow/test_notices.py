"""Workflow notices by email, through the job queue, to a real local SMTP server."""
import pytest

import ckan.tests.factories as factories
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


def _published(inbox, title):
    return sorted(to for to, subject in _to(inbox) if subject == f"Dataset diterbitkan: {title}")


def _linked_request(portal, by, dataset):
    from tests.datarequest.conftest import Requests
    req = Requests(portal).new("sent", by=by)
    helpers.call_action("satudata_request_link_dataset", {"user": portal.producer_a["name"], "ignore_auth": False},
                        id=req["id"], dataset_id=dataset["id"])
    return req


def test_publish_tells_the_requesters_of_linked_requests_but_not_cancelled_ones(portal, inbox):
    other = factories.User(name="forum-2", email="forum-2@example.org")
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user="forum-2", role="forum")
    pkg = portal.dataset(name="ds", title="Jumlah Penduduk")
    _linked_request(portal, portal.forum, pkg)
    cancelled = _linked_request(portal, other, pkg)
    helpers.call_action("satudata_request_cancel", {"user": other["name"], "ignore_auth": False},
                        id=cancelled["id"], reason="Sudah tidak diperlukan")
    portal.walk(pkg, "submit", "verify")
    _drain()
    inbox.messages.clear()

    portal.walk(pkg, "publish")
    _drain()
    assert _published(inbox, "Jumlah Penduduk") == sorted([portal.producer_a["email"], portal.forum["email"]])
    assert other["email"] not in [to for to, _ in _to(inbox)]


def test_a_sysadmin_submitter_is_not_the_producer_the_agency_editors_are(portal, inbox):
    admin = factories.User(name="agency-admin", email="agency-admin@example.org")
    helpers.call_action("organization_member_create", id=portal.org_a["id"], username=admin["name"], role="admin")
    pkg = portal.dataset(name="ds", title="Jumlah Penduduk", by=portal.sysadmin)
    helpers.call_action("satudata_dataset_submit", {"user": portal.sysadmin["name"]}, id=pkg["id"])
    helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"], reason="Lengkapi")
    _drain()
    returned = sorted(to for to, subject in _to(inbox) if subject.startswith("Dataset dikembalikan"))
    assert returned == sorted([admin["email"], portal.producer_a["email"]])
    assert portal.sysadmin["email"] not in returned
    inbox.messages.clear()

    helpers.call_action("satudata_dataset_submit", {"user": portal.producer_a["name"]}, id=pkg["id"])
    helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"], reason="Lagi")
    _drain()
    assert sorted(to for to, subject in _to(inbox) if subject.startswith("Dataset dikembalikan")) == [
        portal.producer_a["email"]]


def test_an_agency_without_editors_tells_the_creator(portal, inbox):
    org = factories.Organization(name="agency-c")
    pkg = portal.dataset(org=org, name="ds", title="Data C", by=portal.sysadmin)
    helpers.call_action("satudata_role_grant", {"user": portal.sysadmin["name"]}, user="ppid-b", role="ppid",
                        organization="agency-c")
    helpers.call_action("satudata_dataset_submit", {"user": portal.sysadmin["name"]}, id=pkg["id"])
    helpers.call_action("satudata_dataset_reject", {"user": "ppid-b"}, id=pkg["id"], reason="Lengkapi")
    _drain()
    assert [to for to, subject in _to(inbox) if subject.startswith("Dataset dikembalikan")] == [
        portal.sysadmin["email"]]
