"""One data request walks all 11 SOP steps with the demo's role users, through
the action API, with real SMTP (aiosmtpd) and a real job worker.

The walk starts at a known moment (the clock ticks on from Thursday 24
December 2026, 09:00 in Jakarta) so every due date is known in advance,
counted by hand on the calendar below."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

import ckan.tests.helpers as helpers
from ckan.lib import jobs

from ckanext.satudata.demo import data as demo
from tests.conftest import complete_metadata, upload

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index", "clean_queues")

TABLE_SCHEMA = {"fields": [
    {"name": "kecamatan", "type": "string"},
    {"name": "tahun", "type": "integer"},
    {"name": "jumlah", "type": "integer"},
]}
STEP = "[Permintaan Data] Jumlah penduduk per kecamatan: Langkah %s selesai: %s"
JAKARTA = ZoneInfo("Asia/Jakarta")
START = "2026-12-24 02:00:00"  # UTC: Thursday 24 December 2026, 09:00 WIB
# Every step is done within the same minute, so each is due its time standard
# (test.ini keeps the defaults) after 24 December, 09:00 WIB:
#   P7D -> Thu 31 Dec; P1M -> Sun 24 Jan 2027; P2M -> Wed 24 Feb 2027;
#   P5DB (step 9): Fri 25 Dec is Christmas, 26-27 the weekend, then 28, 29,
#   30, 31 Dec, Fri 1 Jan is New Year, 2-3 the weekend, Mon 4 Jan 2027;
#   P1DB (steps 10, 11): Christmas and the weekend -> Mon 28 Dec 2026.
DUE = {1: dt.date(2026, 12, 24), 2: dt.date(2026, 12, 31), 3: dt.date(2027, 1, 24), 4: dt.date(2027, 1, 24),
       5: dt.date(2027, 1, 24), 6: dt.date(2026, 12, 31), 7: dt.date(2027, 2, 24), 8: dt.date(2027, 1, 24),
       9: dt.date(2027, 1, 4), 10: dt.date(2026, 12, 28), 11: dt.date(2026, 12, 28)}
CSV = "kecamatan,tahun,jumlah\nJatinangor,2024,120\nTanjungsari,2024,98\n"


def _call(action, user, **data):
    return helpers.call_action(action, {"user": user, "ignore_auth": False}, **data)


def _drain():
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)


def _mail(inbox):
    """(recipient user name, subject) of what arrived, then forget it."""
    out = sorted((m["to"][0].split("@")[0], m["subject"]) for m in inbox.messages)
    inbox.messages.clear()
    return out


def _parse(value):
    return dt.datetime.fromisoformat(value)


@pytest.fixture
def people():
    list(demo.load_people())


def _local(value):
    return _parse(value).replace(tzinfo=dt.timezone.utc).astimezone(JAKARTA)


@pytest.mark.ckan_config("ckanext.satudata.notify", "true")
@freeze_time(START, tick=True)
def test_a_request_walks_all_eleven_steps(people, inbox):
    # step 1: the Forum member files the need
    req = _call("satudata_request_create", "forum", title="Jumlah penduduk per kecamatan",
                description="Jumlah penduduk per kecamatan untuk RPJMD.", purpose="Perencanaan (Perbup 48/2021)",
                needed_by=(dt.date.today() + dt.timedelta(days=90)).isoformat(),
                indicators=["Jumlah penduduk"], area_level="kecamatan", years="2022-2024")
    assert (req["status"], req["step"], req["requester"]) == ("submitted", 2, "forum")
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["walidata"]

    # step 2: the Walidata dispositions it to Disdukcapil
    req = _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"],
                note="Sesuai Arsitektur Data")
    assert (req["status"], req["step"]) == ("dispositioned", 3)
    assert [o["name"] for o in req["organizations"]] == ["disdukcapil"]
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["forum"]

    # step 3: asked, then the Pembina (BPS) recommends
    _call("satudata_request_ask_recommendation", "walidata", id=req["id"], pembina="pembina")
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["forum", "pembina"]
    req = _call("satudata_request_recommend", "pembina", id=req["id"], number="B-123/32110/VS.300/2026",
                date="2026-11-20", text="Gunakan data administrasi kependudukan (SIAK).")
    assert (req["status"], req["step"]) == ("recommended", 4)
    assert req["recommendation"]["number"] == "B-123/32110/VS.300/2026"
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["forum", "walidata"]

    # step 4: the standard dataset format
    req = _call("satudata_request_set_format", "walidata", id=req["id"], table_schema=TABLE_SCHEMA,
                metadata_template={"sdi_unit": "orang", "sdi_frequency": "tahunan"})
    assert (req["status"], req["step"], req["table_schema"]) == ("format_defined", 5, TABLE_SCHEMA)

    # step 5: sent to the agency
    req = _call("satudata_request_send", "walidata", id=req["id"])
    assert (req["status"], req["step"]) == ("sent", 6)
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["forum", "forum", "produsen-disdukcapil"]

    # steps 6-8: the producer creates the dataset for the request (linked by the hook)
    pkg = _call("package_create", "produsen-disdukcapil", **complete_metadata(
        name="penduduk-kecamatan", owner_org="disdukcapil", sdi_request_id=req["id"]))
    req = _call("satudata_request_show", "forum", id=req["id"])
    assert [d["name"] for d in req["datasets"]] == ["penduduk-kecamatan"]
    assert req["step"] == 7  # step 6 (data collected) is done with the dataset
    res = _call("resource_create", "produsen-disdukcapil", package_id=pkg["id"], name="penduduk.csv",
                format="CSV", upload=upload(CSV, "penduduk.csv"), url="")
    assert _call("satudata_request_show", "forum", id=req["id"])["step"] == 8
    _drain()  # validation of the CSV and the notices so far
    assert helpers.call_action("resource_validation_show", resource_id=res["id"])["status"] == "success"
    assert _mail(inbox) == [("forum", STEP % (6, "Data dikumpulkan")),
                            ("forum", STEP % (7, "Data dimasukkan ke portal"))]
    _call("satudata_dataset_submit", "produsen-disdukcapil", id=pkg["id"])
    assert _call("satudata_request_show", "forum", id=req["id"])["step"] == 9
    _drain()
    assert [(to, subject) for to, subject in _mail(inbox) if subject.startswith("[")] == [
        ("forum", STEP % (8, "Metadata dilengkapi"))]

    # step 9: the agency's PPID verifies; step 10: the Walidata publishes
    _call("satudata_dataset_verify", "ppid-disdukcapil", id=pkg["id"])
    req = _call("satudata_request_show", "forum", id=req["id"])
    assert (req["status"], req["step"]) == ("sent", 10)
    _drain()
    mail = _mail(inbox)
    assert [m for m in mail if m[1].startswith("[")] == [("forum", STEP % (9, "Diverifikasi oleh PPID"))]
    assert sorted(to for to, _ in mail) == ["forum", "produsen-disdukcapil", "walidata"]
    _call("satudata_dataset_publish", "walidata", id=pkg["id"])
    req = _call("satudata_request_show", "forum", id=req["id"])
    assert (req["status"], req["step"]) == ("delivered", 11)
    _drain()
    mail = _mail(inbox)
    assert [m for m in mail if m[1].startswith("[")] == [("forum", STEP % (10, "Diteruskan dan dipublikasikan"))]
    assert sorted(to for to, _ in mail) == ["forum", "forum", "produsen-disdukcapil"]  # + the dataset notice

    # step 11: the Forum member receives the data
    req = _call("satudata_request_receive", "forum", id=req["id"], note="Diterima, terima kasih.")
    assert (req["status"], req["closed"] is not None) == ("received", True)
    _drain()
    assert [to for to, _ in _mail(inbox)] == ["walidata"]

    # the timeline: each step's actor, done time and due date from the one before
    timeline = _call("satudata_request_timeline", "forum", id=req["id"])
    steps = timeline["steps"]
    assert [s["state"] for s in steps] == ["done"] * 11
    assert [s["done_by"] for s in steps] == [
        "forum", "walidata", "pembina", "walidata", "walidata", "produsen-disdukcapil", "produsen-disdukcapil",
        "produsen-disdukcapil", "ppid-disdukcapil", "walidata", "forum"]
    assert steps[8]["done_by_datasets"] == [{"dataset": "penduduk-kecamatan", "user": "ppid-disdukcapil"}]
    assert steps[0]["due_at"] == steps[0]["done_at"]
    assert {s["step"]: (_local(s["due_at"]).date(), _local(s["due_at"]).hour) for s in steps} == {
        step: (day, 9) for step, day in DUE.items()}
    for step in steps:
        assert (_local(step["done_at"]).date(), step["overdue"]) == (dt.date(2026, 12, 24), False), step
    assert all(_parse(a["done_at"]) <= _parse(b["done_at"]) for a, b in zip(steps, steps[1:]))
