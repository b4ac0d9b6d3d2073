""""Tugas saya" (issue 14, items 3 and 4): a queue per role, the same in
satudata_task_list and on the page, with each row's id, due date and overdue
state; a returned dataset says why, and its resubmission what was fixed."""
from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest

import ckan.model as model
import ckan.tests.helpers as helpers

from ckanext.satudata.model import DataRequest
from tests.datarequest.conftest import Requests, call
from tests.querycount import assert_flat, counting

_names = itertools.count()


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _token(user):
    return helpers.call_action("api_token_create", user=user["name"], name=_name("t"))["token"]


_SECTION = re.compile(r'<section class="satudata-task-queue[^"]*" data-section="([a-z_]+)" data-role="([a-z]+)"'
                      r'.*?</section>', re.S)


def _page(app, user) -> dict[str, list[str]]:
    """The page's sections (key -> the ids of its rows, in order), and its html under ``_html``."""
    html = app.get("/satudata/tugas", headers={"Authorization": _token(user)}, status=200).get_data(as_text=True)
    sections = {m.group(1): re.findall(r'<tr data-id="([^"]+)"', m.group(0)) for m in _SECTION.finditer(html)}
    overdue = dict(re.findall(r'<tr data-id="([^"]+)" data-overdue="(true|false)"', html))
    return {"sections": sections, "overdue": overdue, "html": html}


def _agree(app, user) -> dict:
    """The task list as ``user``, checked against their page: the same
    queues in the same order, the same ids, the same overdue flags."""
    tasks = call("satudata_task_list", user)
    page = _page(app, user)
    assert list(page["sections"]) == [q["key"] for q in tasks["queues"]]
    for queue in tasks["queues"]:
        ids = [row["id"] for row in tasks[queue["key"]]]
        assert page["sections"][queue["key"]] == ids, queue["key"]
        assert queue["count"] == len(ids)
        for row in tasks[queue["key"]]:
            assert page["overdue"][row["id"]] == ("true" if row["overdue"] else "false")
    return tasks


def _ids(rows):
    return [row["id"] for row in rows]


@pytest.fixture
def scene(portal):
    """Datasets of agency A in each workflow status, and requests at the
    steps the roles own: one sent to A with a submitted dataset linked to it,
    overdue at the PPID's step, one sent to B."""
    p = portal
    requests = Requests(p)
    s = type("Scene", (), {})()
    s.draft = p.dataset(name="ds-draft", title="Draf")
    s.returned = p.walk(p.dataset(name="ds-returned", title="Dikembalikan"), "submit")
    helpers.call_action("satudata_dataset_reject", {"user": p.ppid_a["name"]}, id=s.returned["id"],
                        reason="Satuan salah: pakai orang, bukan jiwa")
    s.submitted = p.walk(p.dataset(name="ds-submitted", title="Diajukan"), "submit")
    s.verified = p.walk(p.dataset(name="ds-verified", title="Terverifikasi"), "submit", "verify")
    s.new = requests.new(title="Permintaan baru")
    s.asked = requests.new(upto="awaiting_recommendation", title="Menunggu rekomendasi")
    s.sent = requests.new(upto="sent", title="Terkirim ke A")
    s.sent_b = requests.new(upto="sent", orgs=("agency-b",), title="Terkirim ke B")
    call("satudata_request_link_dataset", p.producer_a, id=s.sent["id"], dataset_id=s.submitted["id"])
    req = model.Session.get(DataRequest, s.sent["id"])
    assert req.step == 9  # every linked dataset is submitted: the PPID's step
    req.step_due = dt.datetime(2020, 1, 6, 2, 0)
    model.Session.commit()
    return s


def test_each_role_has_its_queues_the_same_in_the_api_and_on_the_page(portal, scene, app):
    p, s = portal, scene

    walidata = _agree(app, p.walidata)
    assert [q["key"] for q in walidata["queues"]] == ["walidata_requests", "to_publish"]
    assert _ids(walidata["walidata_requests"]) == [s.new["id"], s.asked["id"]]  # steps 2 and 3
    assert [r["waiting_on"] for r in walidata["walidata_requests"]] == ["walidata", "pembina"]
    assert _ids(walidata["to_publish"]) == [s.verified["id"]]

    pembina = _agree(app, p.pembina)
    assert [q["key"] for q in pembina["queues"]] == ["recommendations"]
    assert _ids(pembina["recommendations"]) == [s.asked["id"]]
    assert pembina["recommendations"][0]["step_due"]

    producer = _agree(app, p.producer_a)
    assert [q["key"] for q in producer["queues"]] == ["agency_requests", "to_revise", "drafts"]
    assert _ids(producer["agency_requests"]) == [s.sent["id"]]
    assert [o["title"] for o in producer["agency_requests"][0]["my_organizations"]] == ["Agency A"]
    assert _ids(producer["to_revise"]) == [s.returned["id"]]
    returned = producer["to_revise"][0]["returned"]
    assert (returned["reason"], returned["by"]) == ("Satuan salah: pakai orang, bukan jiwa", p.ppid_a["fullname"])
    assert _ids(producer["drafts"]) == [s.draft["id"]]
    assert "Satuan salah: pakai orang, bukan jiwa" in _page(app, p.producer_a)["html"]
    assert _ids(_agree(app, p.producer_b)["agency_requests"]) == [s.sent_b["id"]]

    ppid = _agree(app, p.ppid_a)
    assert [q["key"] for q in ppid["queues"]] == ["to_verify"]
    row = ppid["to_verify"][0]
    assert row["id"] == s.submitted["id"] and row["requests"] == [{"id": s.sent["id"], "title": "Terkirim ke A"}]
    assert (row["due"], row["overdue"]) == ("2020-01-06T02:00:00", True)
    assert [r["name"] for r in row["resources"]] == ["data.json"]
    assert row["validation"] == [] and row["validation_status"] is None  # JSON is not tabular
    assert _page(app, p.ppid_a)["overdue"][s.submitted["id"]] == "true"
    assert _agree(app, p.ppid_b)["to_verify"] == []

    forum = _agree(app, p.forum)
    assert [q["key"] for q in forum["queues"]] == ["delivered", "my_requests"]
    assert set(_ids(forum["my_requests"])) == {s.new["id"], s.asked["id"], s.sent["id"], s.sent_b["id"]}
    overdue = {r["id"]: r["overdue"] for r in forum["my_requests"]}
    assert overdue[s.sent["id"]] is True and overdue[s.new["id"]] is False

    plain = _agree(app, p.plain)
    assert plain["queues"] == [] and all(plain[k] == [] for k in ("drafts", "to_verify", "my_requests"))
    assert 'id="satudata-no-tasks"' in _page(app, p.plain)["html"]


def test_rows_link_to_where_the_work_is_done(portal, scene, app):
    html = _page(app, portal.walidata)["html"]
    assert f'href="/permintaan/{scene.new["id"]}"' in html and 'href="/dataset/ds-verified"' in html
    html = _page(app, portal.producer_a)["html"]
    assert f'href="/permintaan/{scene.sent["id"]}"' in html and 'href="/dataset/ds-returned"' in html


def test_the_page_and_its_words_in_english(portal, scene, app):
    html = app.get("/en/satudata/tugas", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    assert "Waiting for my verification (PPID)" in html and "Overdue" in html
    html = app.get("/satudata/tugas", headers={"Authorization": _token(portal.ppid_a)}).get_data(as_text=True)
    assert "Tugas saya" in html and "Terlambat" in html


def test_anonymous_callers_have_no_task_list(app):
    app.get("/satudata/tugas", status=401)
    with pytest.raises(Exception):
        call("satudata_task_list", None)


def test_delivered_requests_list_only_the_datasets_the_requester_may_read(portal, app):
    p = portal
    req = Requests(p).new(upto="sent", title="Data terkirim")
    made = {}
    for name, title in (("ds-public", "Terbuka"), ("ds-shared", "Terbatas"), ("ds-secret", "Rahasia")):
        made[name] = p.dataset(name=name, title=title)
        call("satudata_request_link_dataset", p.producer_a, id=req["id"], dataset_id=made[name]["id"])
    for name, classification in (("ds-public", "data_umum"), ("ds-shared", "terbatas"),
                                 ("ds-secret", "dikecualikan")):
        pkg = p.walk(made[name], "submit")
        verify = {"sdi_classification": classification}
        if classification != "data_umum":
            verify.update(sdi_exemption_basis=["pasal17_h"], sdi_consequence_test="Uji konsekuensi 1/2026")
        call("satudata_dataset_verify", p.ppid_a, id=pkg["id"], **verify)
        call("satudata_dataset_publish", p.walidata, id=pkg["id"])
    assert call("satudata_request_show", p.forum, id=req["id"])["status"] == "delivered"
    forum = _agree(app, p.forum)
    assert _ids(forum["delivered"]) == [req["id"]] and forum["my_requests"] == []
    assert forum["delivered"][0]["datasets"] == [
        {"id": made["ds-public"]["id"], "name": "ds-public", "title": "Terbuka"},
        {"id": made["ds-shared"]["id"], "name": "ds-shared", "title": "Terbatas"}]
    html = _page(app, p.forum)["html"]
    assert 'href="/dataset/ds-public"' in html and 'href="/dataset/ds-shared"' in html
    assert "ds-secret" not in html and "Rahasia" not in html


# ------------------------------------------------------- returned and resubmitted

def test_a_returned_dataset_says_why_and_its_resubmission_what_was_fixed(portal, app):
    p = portal
    pkg = p.walk(p.dataset(name="ds-fix", title="Perlu perbaikan"), "submit")
    helpers.call_action("satudata_dataset_reject", {"user": p.ppid_a["name"]}, id=pkg["id"], reason="Periode keliru")
    page = app.get("/dataset/ds-fix", headers={"Authorization": _token(p.producer_a)}).get_data(as_text=True)
    notice = page[page.index('id="satudata-review-notice"'):page.index('id="satudata-workflow"')]
    assert 'data-kind="returned"' in notice and "Periode keliru" in notice
    assert 'name="note"' in notice and 'value="submit"' in notice  # the resubmit form with its note
    page = app.get("/dataset/ds-fix", headers={"Authorization": _token(p.ppid_a)}).get_data(as_text=True)
    assert "Periode keliru" in page and "satudata-resubmit-form" not in page  # the PPID reads, does not resubmit

    # the producer resubmits through the banner's form, with a note
    app.post("/dataset/ds-fix/satudata/transition", headers={"Authorization": _token(p.producer_a)},
             data={"action": "submit", "note": "  Periode diubah menjadi 2022-2024  "}, follow_redirects=True)
    assert helpers.call_action("package_show", id="ds-fix")["sdi_status"] == "submitted"
    history = helpers.call_action("satudata_dataset_history", id="ds-fix")
    assert (history[-1]["action"], history[-1]["note"]) == ("submit", "Periode diubah menjadi 2022-2024")

    row = call("satudata_task_list", p.ppid_a)["to_verify"][0]
    assert row["resubmitted"]["note"] == "Periode diubah menjadi 2022-2024"
    assert row["resubmitted"]["reason"] == "Periode keliru"
    page = app.get("/dataset/ds-fix", headers={"Authorization": _token(p.ppid_a)}).get_data(as_text=True)
    notice = page[page.index('id="satudata-review-notice"'):page.index('id="satudata-workflow"')]
    assert 'data-kind="resubmitted"' in notice and "Periode diubah menjadi 2022-2024" in notice
    assert "Periode keliru" in notice
    tasks_page = _page(app, p.ppid_a)["html"]
    assert "Periode diubah menjadi 2022-2024" in tasks_page
    # someone outside the review (another agency's PPID) is not told: the dataset is not theirs to read
    app.get("/dataset/ds-fix", headers={"Authorization": _token(p.ppid_b)}, status=404)


def test_the_submit_note_is_optional_and_checked(portal):
    p = portal
    pkg = p.walk(p.dataset(name="ds-note"), "submit")
    helpers.call_action("satudata_dataset_reject", {"user": p.ppid_a["name"]}, id=pkg["id"], reason="Lengkapi")
    with pytest.raises(Exception) as error:
        call("satudata_dataset_submit", p.producer_a, id=pkg["id"], note="a\x00b")
    assert "note" in getattr(error.value, "error_dict", {})
    call("satudata_dataset_submit", p.producer_a, id=pkg["id"], note="   ")
    history = helpers.call_action("satudata_dataset_history", id="ds-note")
    assert (history[-1]["action"], history[-1]["note"]) == ("submit", None)
    row = call("satudata_task_list", p.ppid_a)["to_verify"][0]
    assert row["resubmitted"] == {"note": None, "reason": "Lengkapi", "at": history[-1]["created"],
                                  "by": p.producer_a["fullname"]}


def test_a_draft_has_no_review_notice(portal, app):
    portal.dataset(name="ds-plain")
    page = app.get("/dataset/ds-plain", headers={"Authorization": _token(portal.producer_a)}).get_data(as_text=True)
    assert "satudata-review-notice" not in page


# ------------------------------------------------------- login lands on the tasks

@pytest.mark.parametrize("prefix", ["", "/en"])
def test_login_lands_on_my_tasks(portal, app, prefix):
    user = helpers.call_action("user_create", name=_name("lander"), email=f"{_name('l')}@example.org",
                               password="Sumedang#2026")
    resp = app.post(f"{prefix}/user/login", data={"login": user["name"], "password": "Sumedang#2026"},
                    follow_redirects=False)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert resp.headers["Location"].endswith(f"{prefix}/satudata/tugas")


@pytest.mark.ckan_config("ckan.auth.route_after_login", "dataset.search")
def test_a_site_that_chose_its_landing_keeps_it(portal, app):
    user = helpers.call_action("user_create", name=_name("lander"), email=f"{_name('l')}@example.org",
                               password="Sumedang#2026")
    resp = app.post("/user/login", data={"login": user["name"], "password": "Sumedang#2026"},
                    follow_redirects=False)
    assert resp.headers["Location"].endswith("/dataset/")


# ------------------------------------------------------- no query per row

@pytest.mark.ckan_config("ckanext.satudata.requests_per_day", "1000")
def test_task_list_and_page_queries_do_not_grow_with_their_rows(portal, app):
    """Every role's list (and the Walidata's page) runs as many statements
    with three times the rows in every queue."""
    p = portal
    requests = Requests(p)

    def grow(count):
        for _ in range(count):
            requests.new(title=_name("Permintaan"))
            requests.new(upto="awaiting_recommendation", title=_name("Rekomendasi"))
            req = requests.new(upto="sent", title=_name("Terkirim"))
            pkg = p.walk(p.dataset(name=_name("qc-ds")), "submit")
            call("satudata_request_link_dataset", p.producer_a, id=req["id"], dataset_id=pkg["id"])
            p.walk(p.dataset(name=_name("qc-ver")), "submit", "verify")
            back = p.walk(p.dataset(name=_name("qc-back")), "submit")
            helpers.call_action("satudata_dataset_reject", {"user": p.ppid_a["name"]}, id=back["id"], reason="x")
            p.dataset(name=_name("qc-draft"))
        done = Requests(p).new(upto="sent", title=_name("Dikirim"))
        pkg = p.dataset(name=_name("qc-done"))
        call("satudata_request_link_dataset", p.producer_a, id=done["id"], dataset_id=pkg["id"])
        p.walk(pkg, "submit", "verify", "publish")  # delivered, with its dataset

    users = (p.walidata, p.pembina, p.producer_a, p.ppid_a, p.forum, p.sysadmin)
    headers = {"Authorization": _token(p.walidata)}

    def measures():
        out = [lambda user=user: sum(q["count"] for q in call("satudata_task_list", user)["queues"])
               for user in users]
        return out

    grow(1)
    before = []
    for measure in measures():
        measure()  # warm what CKAN caches once
        with counting() as statements:
            rows = measure()
        before.append((len(statements), rows))
    grow(2)
    for (count, rows), measure, who in zip(before, measures(), [u["name"] for u in users]):
        with counting() as statements:
            more = measure()
        assert more > rows, who
        assert len(statements) <= count, (who, count, len(statements))

    def measure_page():
        page = app.get("/satudata/tugas", headers=headers, status=200).get_data(as_text=True)
        return page.count("<tr data-id=")
    assert_flat(measure_page, lambda: grow(1), measure_page)
