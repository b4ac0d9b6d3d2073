"""Edges: malformed ids, unlinking, changing agencies after sending, deleted
datasets, followers who lose access, closed requests, filters on public
requests, past dates and reminder failures."""
import datetime as dt
import functools

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.model import DataRequest, NoticeLog, utcnow
from tests.conftest import at_once
from tests.datarequest.conftest import call

pytestmark = [pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues"),
              pytest.mark.ckan_config("ckanext.satudata.requests_per_day", "1000")]


@pytest.mark.parametrize("bad", [5, ["x"], {"a": 1}, "", "  "])
@pytest.mark.parametrize("action", ["satudata_request_show", "satudata_request_timeline",
                                    "satudata_request_comment_list", "satudata_request_follow",
                                    "satudata_request_patch", "satudata_request_link_dataset"])
def test_malformed_ids_are_field_errors(portal, action, bad):
    with pytest.raises(tk.ValidationError) as err:
        call(action, portal.walidata, id=bad, dataset_id="x")
    assert "id" in err.value.error_dict


def test_unknown_ids_and_huge_offsets(portal, requests):
    for action in ("satudata_request_show", "satudata_request_follow", "satudata_request_unfollow",
                   "satudata_request_timeline"):
        with pytest.raises(tk.ObjectNotFound):
            call(action, portal.walidata, id="no-such-request")
    req = requests.new(upto="sent")
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_link_dataset", portal.walidata, id=req["id"], dataset_id=["x"])
    assert list(err.value.error_dict) == ["dataset_id"]
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_list", portal.walidata, offset=10 ** 19)
    assert list(err.value.error_dict) == ["offset"]


def test_the_walidata_cannot_answer_for_the_pembina_with_a_truthy_word(portal, requests):
    req = requests.new(upto="awaiting_recommendation")
    with pytest.raises(tk.NotAuthorized):
        call("satudata_request_recommend", portal.walidata, id=req["id"], not_needed="on",
             number="1", date="2026-01-01", text="x")
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == "awaiting_recommendation"


def test_unlinking_clears_the_link_for_good_and_moves_the_request_on(portal, requests):
    req = requests.new(upto="sent")
    wrong = helpers.call_action("package_create", {"user": portal.producer_a["name"]},
                                **_metadata(portal, "salah", sdi_request_id=req["id"]))
    right = portal.walk(portal.dataset(name="benar"), "submit", "verify")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=right["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["step"] == 7  # "salah" has no resource
    shown = call("satudata_request_unlink_dataset", portal.producer_a, id=req["id"], dataset_id=wrong["id"])
    assert [d["name"] for d in shown["datasets"]] == ["benar"] and shown["step"] == 10
    assert "sdi_request_id" not in helpers.call_action("package_show", id=wrong["id"])
    helpers.call_action("package_patch", {"user": portal.producer_a["name"]}, id=wrong["id"], notes="diperbaiki")
    assert [d["name"] for d in call("satudata_request_show", portal.forum, id=req["id"])["datasets"]] == ["benar"]
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_unlink_dataset", portal.producer_a, id=req["id"], dataset_id=wrong["id"])
    assert list(err.value.error_dict) == ["dataset_id"]


def _metadata(portal, name, **extra):
    from tests.conftest import complete_metadata
    return complete_metadata(name=name, owner_org=portal.org_a["id"], **extra)


def test_dropping_a_silent_agency_after_sending_lets_the_request_finish(portal, requests):
    req = requests.new(upto="sent", orgs=("agency-a", "agency-b"))
    pkg = portal.walk(portal.dataset(name="ds-a"), "submit", "verify", "publish")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["step"] == 6  # waiting for agency B
    req = call("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a"],
               note="Dinas B tidak memiliki data ini")
    assert (req["status"], req["step"]) == ("delivered", 11)


def test_deleting_the_last_missing_dataset_completes_the_step(portal, requests):
    req = requests.new(upto="sent")
    done = portal.walk(portal.dataset(name="selesai"), "submit", "verify", "publish")
    draft = portal.dataset(name="draf")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=draft["id"])
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=done["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["step"] == 8
    helpers.call_action("package_delete", {"user": portal.producer_a["name"]}, id=draft["id"])
    assert call("satudata_request_show", portal.forum, id=req["id"])["status"] == "delivered"


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
def test_a_follower_who_loses_access_hears_no_more(portal, requests, inbox):
    req = requests.new(upto="format_defined", orgs=("agency-a", "agency-b"))
    call("satudata_request_follow", portal.producer_b, id=req["id"])
    call("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a"])
    jobs.Worker().work(burst=True)
    inbox.messages.clear()
    call("satudata_request_comment_create", portal.forum, id=req["id"], comment="Rahasia kecil")
    jobs.Worker().work(burst=True)
    assert portal.producer_b["email"] not in [m["to"][0] for m in inbox.messages]
    assert portal.walidata["email"] in [m["to"][0] for m in inbox.messages]


def test_a_rejected_request_no_longer_opens_restricted_data(portal, requests):
    req = requests.new(upto="sent")
    pkg = portal.walk(portal.dataset(name="terbatas"), "submit")
    call("satudata_dataset_verify", portal.ppid_a, id=pkg["id"], sdi_classification="terbatas",
         sdi_exemption_basis=["pasal17_a"], sdi_consequence_test="Uji konsekuensi")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    call("satudata_dataset_publish", portal.walidata, id=pkg["id"])
    assert call("package_show", portal.forum, id=pkg["id"])["name"] == "terbatas"
    call("satudata_request_reject", portal.walidata, id=req["id"], reason="Permintaan ganda")
    with pytest.raises(tk.ObjectNotFound):  # hidden as if it did not exist (issue 11, leak 8)
        call("package_show", portal.forum, id=pkg["id"])
    found = call("package_search", portal.forum, q="name:terbatas", include_private=True)
    assert found["count"] == 0


def test_filters_do_not_reveal_what_a_public_request_hides(portal, requests):
    req = requests.new(upto="sent", title="Jumlah koperasi aktif", description="rahasia-kata")
    call("satudata_request_patch", portal.walidata, id=req["id"], is_public=True)
    requests.new(upto="submitted", by=portal.forum2, title="Lain")

    def ids(user, **filters):
        return [r["id"] for r in call("satudata_request_list", user, **filters)["results"]]

    assert ids(None) == [req["id"]]
    assert ids(None, q="koperasi") == [req["id"]]
    for hidden in ({"q": "rahasia-kata"}, {"requester": portal.forum["name"]}, {"agency": "agency-a"},
                   {"overdue": True}):
        assert ids(None, **hidden) == [], hidden
    assert ids(portal.forum, q="rahasia-kata") == [req["id"]]  # the requester sees it whole
    assert ids(portal.walidata, requester=portal.forum2["name"]) != ids(portal.walidata,
                                                                      requester=portal.forum["name"])


def test_a_past_needed_by_date_does_not_block_other_edits(portal, requests):
    req = requests.new()
    row = model.Session.get(DataRequest, req["id"])
    row.needed_by = dt.date.today() - dt.timedelta(days=30)
    model.repo.commit()
    assert call("satudata_request_patch", portal.forum, id=req["id"], title="Judul baru")["title"] == "Judul baru"
    with pytest.raises(tk.ValidationError) as err:
        call("satudata_request_patch", portal.forum, id=req["id"],
             needed_by=(dt.date.today() - dt.timedelta(days=1)).isoformat())
    assert list(err.value.error_dict) == ["needed_by"]


def test_a_failed_reminder_is_retried_on_the_next_run(portal, requests, cli, inbox):
    from ckanext.satudata.cli import satudata

    req = requests.new()
    row = model.Session.get(DataRequest, req["id"])
    row.step_due = utcnow() - dt.timedelta(days=1)
    model.repo.commit()
    inbox.stop()  # the SMTP server is down
    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 1 and "1 reminders failed" in result.output
    assert model.Session.query(NoticeLog).filter(NoticeLog.key.startswith("remind:")).count() == 0
    inbox.start()
    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 0 and "1 reminders sent" in result.output
    assert [m["to"][0] for m in inbox.messages] == [portal.walidata["email"]]


# ------------------------------------------- two transactions at the same moment

def _at_once(calls, held):
    """Run each ``(action, user, input)`` at once, queued on the ``held`` rows."""
    return at_once([functools.partial(call, action, user, **data) for action, user, data in calls], held)


@pytest.mark.parametrize("transition, walk, step", [("verify", ("submit",), 10), ("publish", ("submit", "verify"), 11)])
def test_linking_while_the_dataset_moves_misses_no_step(portal, requests, transition, walk, step):
    """A producer links a dataset while its PPID verifies it (or the Walidata
    publishes it): whichever commits first, the request ends up past both."""
    req = requests.new(upto="sent")
    pkg = portal.walk(portal.dataset(name="ds"), *walk)
    actor = {"verify": portal.ppid_a, "publish": portal.walidata}[transition]
    link, moved = _at_once([
        ("satudata_request_link_dataset", portal.producer_a, {"id": req["id"], "dataset_id": pkg["id"]}),
        (f"satudata_dataset_{transition}", actor, {"id": pkg["id"]}),
    ], held=[("package", pkg["id"]), ("satudata_request", req["id"])])
    assert isinstance(link, dict) and isinstance(moved, dict), (link, moved)
    shown = call("satudata_request_show", portal.forum, id=req["id"])
    assert shown["step"] == step, shown
    assert shown["status"] == ("delivered" if step == 11 else "sent")
    done = call("satudata_request_timeline", portal.walidata, id=req["id"])["steps"]
    assert [s["done_by"] for s in done[5:step - 1]] == (
        ["producer-a", "producer-a", "producer-a", "ppid-a", "walidata"][:step - 6])


def test_two_patches_at_once_keep_both_fields(portal, requests):
    req = requests.new()
    title, description = _at_once([
        ("satudata_request_patch", portal.forum, {"id": req["id"], "title": "Judul baru"}),
        ("satudata_request_patch", portal.walidata, {"id": req["id"], "description": "Uraian baru"}),
    ], held=[("satudata_request", req["id"])])
    assert isinstance(title, dict) and isinstance(description, dict), (title, description)
    shown = call("satudata_request_show", portal.walidata, id=req["id"])
    assert (shown["title"], shown["description"]) == ("Judul baru", "Uraian baru")


def test_a_datasets_requests_are_locked_in_id_order(portal, requests):
    from ckanext.satudata.datarequest import progress

    pkg = portal.dataset(name="bersama")
    ids = []
    for n in range(4):
        req = requests.new(upto="sent", title=f"Permintaan {n}")
        call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
        ids.append(req["id"])
    assert progress.requests_of_dataset(pkg["id"]) == sorted(ids)


# ------------------------------------------------------- who did steps 6-10

def test_automatic_steps_credit_each_datasets_own_actor(portal, requests):
    """Linking datasets someone else submitted, verified and published credits
    those people, each dataset's own, not whoever linked last."""
    req = requests.new(upto="sent", orgs=("agency-a", "agency-b"))
    ds_a = portal.walk(portal.dataset(name="ds-a"), "submit", "verify", "publish")
    ds_b = portal.dataset(org=portal.org_b, by=portal.producer_b, name="ds-b")
    call("satudata_dataset_submit", portal.producer_b, id=ds_b["id"])
    call("satudata_dataset_verify", portal.ppid_b, id=ds_b["id"])
    call("satudata_dataset_publish", portal.walidata, id=ds_b["id"])
    call("satudata_request_link_dataset", portal.walidata, id=req["id"], dataset_id=ds_a["id"])
    call("satudata_request_link_dataset", portal.producer_b, id=req["id"], dataset_id=ds_b["id"])

    timeline = call("satudata_request_timeline", portal.forum, id=req["id"])
    assert timeline["status"] == "delivered"
    done = {s["step"]: s for s in timeline["steps"]}
    assert [done[n]["done_by"] for n in range(6, 11)] == [
        "walidata, producer-b", "producer-a, producer-b", "producer-a, producer-b", "ppid-a, ppid-b", "walidata"]
    assert done[9]["done_by_datasets"] == [{"dataset": "ds-a", "user": "ppid-a"}, {"dataset": "ds-b", "user": "ppid-b"}]
    assert done[10]["done_by_datasets"] == [{"dataset": "ds-a", "user": "walidata"},
                                            {"dataset": "ds-b", "user": "walidata"}]
    step9 = [e for e in timeline["events"] if e["kind"] == "step" and e["step"] == 9]
    assert [e["actor"] for e in step9] == ["ppid-b"]  # the dataset verified last
    assert [a["user"] for a in step9[0]["data"]["actors"]] == ["ppid-a", "ppid-b"]


# ------------------------------------------------------------------- notices

def _subjects(inbox):
    jobs.Worker().work(burst=True)
    names = {u.email: u.name for u in model.Session.query(model.User)}
    out = sorted((names[m["to"][0]], m["subject"]) for m in inbox.messages)
    inbox.messages.clear()
    return out


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
def test_a_title_with_a_newline_does_not_break_the_notices(portal, requests, inbox):
    req = requests.new()
    row = model.Session.get(DataRequest, req["id"])
    row.title = "Jumlah penduduk\nper kecamatan\r\n\tBcc: orang@lain.test"
    model.repo.commit()
    assert [to for to, _subject in _subjects(inbox)] == ["walidata"]  # step 1, sent with the new title
    call("satudata_request_comment_create", portal.forum, id=req["id"], comment="Mohon\ndipercepat")
    assert _subjects(inbox) == [
        ("walidata", "[Permintaan Data] Jumlah penduduk per kecamatan Bcc: orang@lain.test: Komentar baru")]


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
def test_agencies_added_after_sending_are_told(portal, requests, inbox, app):
    req = requests.new(upto="sent")
    _subjects(inbox)
    token = helpers.call_action("api_token_create", user=portal.walidata["name"], name="t")["token"]
    page = app.get(f"/permintaan/{req['id']}", headers={"Authorization": token}).get_data(as_text=True)
    assert 'data-form="dispose"' in page  # the form shows while sent, as the action allows
    call("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-a", "agency-b"])
    assert _subjects(inbox) == [
        ("producer-b", "[Permintaan Data] Jumlah penduduk per kecamatan: Permintaan dikirim ke perangkat daerah Anda")]
    call("satudata_request_dispose", portal.walidata, id=req["id"], organizations=["agency-b"])
    assert _subjects(inbox) == []  # dropping one tells nobody


# --------------------------------------------------- is_public after closing

@pytest.mark.parametrize("close", ["received", "rejected", "cancelled"])
def test_the_walidata_sets_is_public_of_a_closed_request(portal, requests, close, app):
    req = requests.new(upto="sent")
    if close == "received":
        pkg = portal.walk(portal.dataset(name="ds"), "submit", "verify", "publish")
        call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
        call("satudata_request_receive", portal.forum, id=req["id"])
    else:
        action = {"rejected": "satudata_request_reject", "cancelled": "satudata_request_cancel"}[close]
        call(action, portal.walidata, id=req["id"], reason="Tidak diperlukan lagi")
    assert call("satudata_request_show", portal.walidata, id=req["id"])["status"] == close
    token = helpers.call_action("api_token_create", user=portal.walidata["name"], name="t")["token"]
    page = app.get(f"/permintaan/{req['id']}", headers={"Authorization": token}).get_data(as_text=True)
    assert 'data-action="make_public"' in page

    shown = call("satudata_request_patch", portal.walidata, id=req["id"], is_public=True)
    assert (shown["is_public"], shown["status"]) == (True, close)
    assert call("satudata_request_list", None)["count"] == 1
    assert call("satudata_request_patch", portal.walidata, id=req["id"], is_public=False)["is_public"] is False
    with pytest.raises(tk.ValidationError) as err:  # anything else stays closed
        call("satudata_request_patch", portal.walidata, id=req["id"], is_public=True, title="Judul lain")
    assert list(err.value.error_dict) == ["status"]
    with pytest.raises(tk.NotAuthorized):
        call("satudata_request_patch", portal.forum, id=req["id"], is_public=True)
    assert call("satudata_request_show", portal.walidata, id=req["id"])["is_public"] is False


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
@pytest.mark.parametrize("close", ["satudata_request_reject", "satudata_request_cancel"])
def test_a_closed_requests_requester_gets_no_link_to_restricted_data(portal, requests, inbox, close):
    req = requests.new(upto="sent")
    pkg = portal.walk(portal.dataset(name="terbatas"), "submit")
    call("satudata_dataset_verify", portal.ppid_a, id=pkg["id"], sdi_classification="terbatas",
         sdi_exemption_basis=["pasal17_a"], sdi_consequence_test="Uji konsekuensi")
    call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
    call(close, portal.walidata, id=req["id"], reason="Permintaan ganda")
    _subjects(inbox)
    call("satudata_dataset_publish", portal.walidata, id=pkg["id"])
    jobs.Worker().work(burst=True)
    assert portal.producer_a["email"] in [to for m in inbox.messages for to in m["to"]]  # the notice went out
    assert portal.forum["email"] not in [to for m in inbox.messages for to in m["to"]]
    assert "/dataset/terbatas" not in "".join(m["body"] for m in inbox.messages
                                              if portal.forum["email"] in m["to"])
