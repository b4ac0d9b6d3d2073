"""The update schedule (issue 13, item 6): each published dataset's next
update from its frekuensi and period, the late ones listed for the Walidata
and their agency only, and a weekly reminder to their producers."""
from __future__ import annotations

import datetime as dt

import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.metadata import schedule
from ckanext.satudata.model import utcnow
from ckanext.satudata.workflow import schedule as workflow_schedule
from tests.datarequest.conftest import call

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


@pytest.mark.parametrize("frequency,period_end,grace,due", [
    ("tahunan", "2024", 0, dt.date(2025, 12, 31)),
    ("tahunan", "2024", 90, dt.date(2026, 3, 31)),
    ("bulanan", "2024", 0, dt.date(2025, 1, 31)),
    ("triwulanan", 2024, 10, dt.date(2025, 4, 10)),
    ("semesteran", "2024", 0, dt.date(2025, 6, 30)),
    ("dua_tahunan", "2023", 0, dt.date(2025, 12, 31)),
    ("mingguan", "2024", 0, dt.date(2025, 1, 7)),
    ("harian", "2024", 0, dt.date(2025, 1, 1)),
    ("tidak_tetap", "2024", 0, None),
    ("tahunan", "", 0, None),
    ("tahunan", "dua ribu", 0, None),
    ("kadang", "2024", 0, None),
])
def test_the_next_update_is_one_period_after_the_period_ends_plus_the_grace(frequency, period_end, grace, due):
    assert schedule.next_update(frequency, period_end, grace) == due


@pytest.mark.ckan_config("ckanext.satudata.update_grace_days", "30")
def test_a_published_dataset_shows_its_next_update_a_draft_does_not(portal):
    draft = portal.dataset(name="jadwal-draf", sdi_period_start="2024", sdi_period_end="2024")
    assert "sdi_next_update" not in helpers.call_action("package_show", id=draft["id"])
    published = portal.walk(portal.dataset(name="jadwal-terbit", sdi_period_start="2024", sdi_period_end="2024"),
                            "submit", "verify", "publish")
    assert published["sdi_next_update"] == "2026-01-30"  # 31 December 2025 + 30 days
    found = helpers.call_action("package_search", q="name:jadwal-terbit")["results"][0]
    assert "sdi_next_update" not in found  # worked out on show, not stored in the index


def _published(portal, name, org=None, period_end="2020"):
    org = org or portal.org_a
    by = portal.producer_a if org is portal.org_a else portal.producer_b
    pkg = portal.dataset(name=name, org=org, by=by, sdi_period_start=period_end, sdi_period_end=period_end)
    actors = {"submit": by, "verify": portal.ppid_a if org is portal.org_a else portal.ppid_b,
              "publish": portal.walidata}
    for step in ("submit", "verify", "publish"):
        helpers.call_action(f"satudata_dataset_{step}", {"user": actors[step]["name"]}, id=pkg["id"])
    return pkg


def test_the_schedule_is_read_by_the_walidata_and_each_agency_of_its_own(portal, app):
    late_a = _published(portal, "terlambat-a")
    _published(portal, "tepat-a", period_end=str(utcnow().year))     # due next year: not late
    late_b = _published(portal, "terlambat-b", org=portal.org_b)
    everything = call("satudata_update_schedule_list", portal.walidata)
    assert [r["name"] for r in everything["results"]] == ["terlambat-a", "terlambat-b", "tepat-a"]
    assert everything["late_count"] == 2 and everything["results"][0]["late"] is True
    assert everything["results"][0]["organization"]["name"] == portal.org_a["name"]
    assert everything["results"][2]["late"] is False and everything["results"][2]["days_late"] == 0
    late = call("satudata_update_schedule_list", portal.walidata, late=True)
    assert {r["id"] for r in late["results"]} == {late_a["id"], late_b["id"]} and late["count"] == 2
    mine = call("satudata_update_schedule_list", portal.producer_a)
    assert [r["name"] for r in mine["results"]] == ["terlambat-a", "tepat-a"]
    assert [r["name"] for r in call("satudata_update_schedule_list", portal.ppid_b)["results"]] == ["terlambat-b"]
    assert call("satudata_update_schedule_list", portal.plain)["results"] == []
    with pytest.raises(tk.NotAuthorized):
        call("satudata_update_schedule_list", portal.producer_b, organization=portal.org_a["name"])
    with pytest.raises(tk.NotAuthorized):
        call("satudata_update_schedule_list", None)
    assert app.get("/api/3/action/satudata_update_schedule_list", status=403)
    error = app.get("/api/3/action/satudata_update_schedule_list", query_string={"limit": "x"},
                    headers={"Authorization": helpers.call_action(
                        "api_token_create", user=portal.walidata["name"], name="t")["token"]},
                    status=409).json["error"]
    assert "limit" in error
    with pytest.raises(tk.ValidationError):
        call("satudata_update_schedule_list", portal.walidata, organization="tidak-ada")


def test_remind_tells_a_late_datasets_producers_and_the_walidata_once_a_week(portal, inbox, cli):
    _published(portal, "terlambat-ingat")
    _published(portal, "tepat-ingat", period_end=str(utcnow().year))
    from ckanext.satudata.cli import satudata

    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 0, result.output
    assert "1 late-update reminders sent" in result.output
    to = sorted(m["to"][0] for m in inbox.messages)
    assert to == sorted([portal.producer_a["email"], portal.walidata["email"]])
    assert all("terlambat-ingat" in m["body"] or "Terlambat" in m["subject"] for m in inbox.messages)
    assert not any("tepat-ingat" in m["body"] for m in inbox.messages)
    inbox.messages.clear()
    assert "0 late-update reminders sent" in cli.invoke(satudata, ["remind"]).output  # same week: nothing twice
    assert inbox.messages == []
    sent, failed = workflow_schedule.remind_late(now=utcnow() + dt.timedelta(days=7))  # the next week: again
    assert failed == [] and [item["dataset"] for item in sent] == ["terlambat-ingat"]
