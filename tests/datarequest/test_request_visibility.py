"""Who sees a request, in show and list; public requests show little; delivered
non-public data reaches its requester and nobody else; comments and following."""
import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.model import DataRequest
from tests.conftest import upload
from tests.datarequest.conftest import call

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")


def _ids(user, **filters):
    return {r["id"] for r in call("satudata_request_list", user, **filters)["results"]}


def _restricted(portal):
    """A verified dataset the PPID classified as terbatas (restricted)."""
    pkg = portal.walk(portal.dataset(name="terbatas"), "submit")
    call("satudata_dataset_verify", portal.ppid_a, id=pkg["id"], sdi_classification="terbatas",
         sdi_exemption_basis=["pasal17_a"], sdi_consequence_test="Uji konsekuensi")
    return pkg


def test_list_holds_only_what_each_role_may_see(portal, requests):
    mine = requests.new(upto="sent")
    other = requests.new(upto="submitted", by=portal.forum2)
    to_b = requests.new(upto="dispositioned", by=portal.forum2, orgs=("agency-b",))
    everything = {mine["id"], other["id"], to_b["id"]}
    assert _ids(portal.walidata) == everything and _ids(portal.sysadmin) == everything
    assert _ids(portal.forum) == {mine["id"]}
    assert _ids(portal.forum2) == {other["id"], to_b["id"]}
    assert _ids(portal.producer_a) == _ids(portal.ppid_a) == {mine["id"]}
    assert _ids(portal.producer_b) == _ids(portal.ppid_b) == {to_b["id"]}
    assert _ids(portal.pembina) == {mine["id"]}  # asked for a recommendation on it
    assert _ids(portal.plain) == _ids(None) == set()
    for user in (portal.plain, None, portal.forum2, portal.producer_b):
        with pytest.raises(tk.NotAuthorized):
            call("satudata_request_show", user, id=mine["id"])


def test_list_filters_and_paging(portal, requests):
    first = requests.new(upto="sent", title="Angka kematian ibu")
    second = requests.new(upto="submitted", title="Jumlah sekolah dasar")
    requests.new(upto="dispositioned", title="Luas panen padi", orgs=("agency-b",))
    assert _ids(portal.walidata, status="submitted") == {second["id"]}
    assert _ids(portal.walidata, status=["sent", "submitted"]) == {first["id"], second["id"]}
    assert _ids(portal.walidata, agency="agency-a") == {first["id"]}
    assert _ids(portal.walidata, q="SEKOLAH") == {second["id"]}
    assert _ids(portal.walidata, requester=portal.forum["name"]) == _ids(portal.walidata)
    page = call("satudata_request_list", portal.walidata, limit=2, offset=2)
    assert (page["count"], len(page["results"])) == (3, 1)
    model.Session.get(DataRequest, first["id"]).step_due = model.Session.get(DataRequest, first["id"]).created
    model.repo.commit()
    overdue = call("satudata_request_list", portal.walidata, overdue=True)
    assert [r["id"] for r in overdue["results"]] == [first["id"]] and overdue["results"][0]["overdue"] is True
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_list", portal.walidata, status="nope", agency="nope", limit=5000)
    assert set(err.value.error_dict) == {"status", "limit"}
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_list", portal.walidata, agency="nope")
    assert list(err.value.error_dict) == ["agency"]


def test_a_public_request_shows_only_title_status_and_public_datasets(portal, requests):
    req = requests.new(upto="sent", orgs=("agency-a",))
    open_data = portal.walk(portal.dataset(name="terbuka"), "submit", "verify", "publish")
    restricted = _restricted(portal)
    for pkg in (restricted, open_data):  # a published one alone would deliver the request at once
        call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    with pytest.raises(tk.NotAuthorized):
        call("satudata_request_show", None, id=req["id"])
    with pytest.raises(tk.NotAuthorized):  # the requester no longer edits a sent request
        call("satudata_request_patch", portal.forum, id=req["id"], is_public=True)
    call("satudata_request_patch", portal.walidata, id=req["id"], is_public=True)
    shown = call("satudata_request_show", None, id=req["id"])
    assert set(shown) == {"id", "title", "status", "status_label", "is_public", "limited", "datasets"}
    assert [d["name"] for d in shown["datasets"]] == ["terbuka"]
    assert _ids(None) == {req["id"]}
    assert call("satudata_request_list", portal.plain)["results"][0]["limited"] is True
    for action in ("satudata_request_timeline", "satudata_request_comment_list", "satudata_request_follow"):
        with pytest.raises(tk.NotAuthorized):
            call(action, portal.plain, id=req["id"])


def test_delivered_restricted_data_reaches_the_requester_only(portal, requests):
    req = requests.new(upto="sent")
    pkg = _restricted(portal)
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    with pytest.raises(tk.ObjectNotFound):  # hidden as if it did not exist (issue 11, leak 8)
        call("package_show", portal.forum, id=pkg["id"])
    call("satudata_dataset_publish", portal.walidata, id=pkg["id"])
    assert call("package_show", portal.forum, id=pkg["id"])["private"] is True
    assert [p["name"] for p in call("package_search", portal.forum, q="name:terbatas",
                                    include_private=True)["results"]] == ["terbatas"]
    for user in (portal.forum2, portal.plain, None):
        with pytest.raises(tk.ObjectNotFound):
            call("package_show", user, id=pkg["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["status"] == "delivered"


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
def test_comments_and_followers_get_notices(portal, requests, inbox):
    req = requests.new(upto="sent")
    jobs.Worker().work(burst=True)
    inbox.messages.clear()
    call("satudata_request_follow", portal.ppid_a, id=req["id"])
    # following again is harmless (no IntegrityError, one row, one notice)
    assert call("satudata_request_follow", portal.ppid_a, id=req["id"]) == {"id": req["id"], "following": True}
    assert call("satudata_request_show", portal.ppid_a, id=req["id"])["num_followers"] == 1
    comment = call("satudata_request_comment_create", portal.producer_a, id=req["id"],
                   comment="Data tahun 2024 baru tersedia bulan depan.")
    assert comment["user"] == "producer-a"
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_comment_create", portal.forum, id=req["id"], comment="   ")
    assert list(err.value.error_dict) == ["comment"]
    assert [c["comment"] for c in call("satudata_request_comment_list", portal.forum, id=req["id"])] == [
        "Data tahun 2024 baru tersedia bulan depan."]
    jobs.Worker().work(burst=True)
    assert sorted(m["to"][0] for m in inbox.messages) == sorted(
        u["email"] for u in (portal.forum, portal.ppid_a, portal.walidata))
    assert "Data tahun 2024" in inbox.messages[0]["body"]
    call("satudata_request_unfollow", portal.ppid_a, id=req["id"])
    inbox.messages.clear()
    call("satudata_request_comment_create", portal.walidata, id=req["id"], comment="Baik.")
    jobs.Worker().work(burst=True)
    assert [m["to"][0] for m in inbox.messages] == [portal.forum["email"]]


def test_linked_resources_are_checked_against_the_request_schema(portal, requests):
    req = requests.new(upto="sent")  # schema: kecamatan (string), jumlah (integer)
    pkg = portal.dataset(name="ds", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", url="",
                              upload=upload("kecamatan,jumlah\nJatinangor,banyak\n", "data.csv"))
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    model.Session.remove()
    assert helpers.call_action("resource_validation_show", resource_id=res["id"])["status"] == "success"
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    model.Session.remove()
    report = helpers.call_action("resource_validation_show", resource_id=res["id"])
    assert report["status"] == "failure"


def test_following_twice_over_http_is_not_an_error(portal, requests, app):
    req = requests.new(upto="sent")
    token = helpers.call_action("api_token_create", user=portal.producer_a["name"], name="t")["token"]
    for _ in range(2):
        res = app.post("/api/3/action/satudata_request_follow", json={"id": req["id"]},
                       headers={"Authorization": token}, status=200)
        assert res.json["result"]["following"] is True
    assert call("satudata_request_show", portal.walidata, id=req["id"])["num_followers"] == 1
    app.post("/api/3/action/satudata_request_unfollow", json={"id": req["id"]},
             headers={"Authorization": token}, status=200)
    assert call("satudata_request_show", portal.walidata, id=req["id"])["num_followers"] == 0


def test_search_words_are_matched_literally(portal, requests):
    underscore = requests.new(title="Klasifikasi data_umum per dinas")
    percent = requests.new(title="Persentase 100% rumah layak huni")
    backslash = requests.new(title="Jalur C:\\data\\jalan")
    plain = requests.new(title="Data umum lainnya", description="dataXumum tanpa garis bawah")
    assert _ids(portal.walidata, q="data_umum") == {underscore["id"]}
    assert _ids(portal.walidata, q="DATA_UMUM") == {underscore["id"]}  # still case-insensitive
    assert _ids(portal.walidata, q="100%") == {percent["id"]}
    assert _ids(portal.walidata, q="0% r") == {percent["id"]}
    assert _ids(portal.walidata, q="%") == {percent["id"]}
    assert _ids(portal.walidata, q="_") == {underscore["id"]}
    assert _ids(portal.walidata, q="C:\\data") == {backslash["id"]}
    assert _ids(portal.walidata, q="\\") == {backslash["id"]}
    assert _ids(portal.walidata, q="umum") == {underscore["id"], plain["id"]}
    # public requests match on their title, with the same escaping
    helpers.call_action("satudata_request_patch", {"user": portal.walidata["name"]}, id=percent["id"],
                        is_public=True)
    assert _ids(None, q="100%") == {percent["id"]} and _ids(None, q="%") == {percent["id"]}
    assert _ids(None, q="data_umum") == set()
