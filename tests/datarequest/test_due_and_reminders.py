"""SOP time standards on the working-day calendar, and `ckan satudata remind`."""
import datetime as dt
import email
import email.header

import pytest
from aiosmtpd.controller import Controller

import ckan.model as model
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from ckanext.satudata.datarequest import due, reminders
from ckanext.satudata.model import DataRequest, utcnow
from tests.conftest import smtp_port
from tests.datarequest.conftest import call


def _wib(y, m, d, hour=9):
    """A Jakarta (UTC+7) wall-clock time as naive UTC."""
    return dt.datetime(y, m, d, hour) - dt.timedelta(hours=7)


def test_durations_parse_and_refuse_nonsense():
    assert vars(due.parse("P5DB")) == vars(due.Duration(days=5, business=True))
    assert vars(due.parse("p1m")) == vars(due.Duration(months=1))
    for bad in ("", "P", "5D", "P1MB", "PXD", "P1D2"):
        with pytest.raises(ValueError):
            due.parse(bad)


def test_working_days_skip_weekends_and_indonesian_holidays():
    # Thu 24 Dec 2026 + 5 working days: 25 Dec (Christmas) and the weekend and
    # 1 Jan (New Year) are skipped -> 28, 29, 30, 31 Dec, 4 Jan.
    assert due.add(_wib(2026, 12, 24), due.parse("P5DB")) == _wib(2027, 1, 4)
    assert due.add(_wib(2026, 8, 14), due.parse("P1DB")) == _wib(2026, 8, 18)  # Fri -> weekend -> 17 Aug -> Tue
    assert not due.is_working_day(dt.date(2026, 8, 17)) and due.is_working_day(dt.date(2026, 8, 18))
    # calendar durations count every day, months by the calendar
    assert due.add(_wib(2026, 1, 31), due.parse("P1M")) == _wib(2026, 2, 28)
    assert due.add(_wib(2026, 12, 24), due.parse("P7D")) == _wib(2026, 12, 31)


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.satudata.due.step2", "P2DB")
def test_each_step_due_date_is_configurable(portal, requests):
    req = requests.new()
    created = dt.datetime.fromisoformat(req["created"])
    assert dt.datetime.fromisoformat(req["step_due"]) == due.add(created, due.parse("P2DB"))


def _overdue(req_id, days=1):
    row = model.Session.get(DataRequest, req_id)
    row.step_due = utcnow() - dt.timedelta(days=days)
    model.repo.commit()


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_remind_tells_the_step_owner_once_a_day(portal, requests, inbox, cli):
    new = requests.new()                                       # step 2: the Walidata
    asked = requests.new(upto="awaiting_recommendation")       # step 3: the Pembina asked
    at_agency = requests.new(upto="sent")                      # step 6: the agency's producers
    on_time = requests.new()
    for req in (new, asked, at_agency):
        _overdue(req["id"])
    from ckanext.satudata.cli import satudata

    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 0, result.output
    assert "3 reminders sent" in result.output
    to = sorted(m["to"][0] for m in inbox.messages)
    assert to == sorted([portal.walidata["email"], portal.pembina["email"], portal.producer_a["email"]])
    subjects = {m["to"][0]: m["subject"] for m in inbox.messages}
    assert "langkah 3 melewati tenggat" in subjects[portal.pembina["email"]]
    assert on_time["id"] not in "".join(m["body"] for m in inbox.messages)

    inbox.messages.clear()
    assert "0 reminders sent" in cli.invoke(satudata, ["remind"]).output  # same day: nothing twice
    assert inbox.messages == []
    tomorrow = utcnow() + dt.timedelta(days=1)
    assert len(reminders.remind(now=tomorrow)) == 3                     # the next day: again


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_overdue_steps_show_in_the_timeline(portal, requests):
    req = requests.new(upto="dispositioned")
    _overdue(req["id"], days=3)
    current = call("satudata_request_timeline", portal.walidata, id=req["id"])["steps"][2]
    assert (current["state"], current["overdue"]) == ("current", True)
    call("satudata_request_recommend", portal.walidata, id=req["id"], not_needed=True, reason="Data administrasi")
    done = call("satudata_request_timeline", portal.walidata, id=req["id"])["steps"][2]
    assert (done["state"], done["overdue"]) == ("done", True)  # done late stays marked late
    assert helpers.call_action("satudata_request_list", overdue=True)["count"] == 0


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_remind_tells_the_owners_of_steps_9_10_and_11(portal, requests, inbox, cli):
    from ckanext.satudata.cli import satudata

    at = {}
    for step, walk in ((9, ("submit",)), (10, ("submit", "verify")), (11, ("submit", "verify", "publish"))):
        req = requests.new(upto="sent", title=f"Permintaan langkah {step}")
        pkg = portal.walk(portal.dataset(name=f"ds-{step}"), *walk)
        req = call("satudata_request_link_dataset", portal.producer_a, id=req["id"], dataset_id=pkg["id"])
        assert req["step"] == step
        _overdue(req["id"])
        at[step] = req
    assert call("satudata_request_show", portal.forum, id=at[11]["id"])["status"] == "delivered"

    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 0, result.output
    assert "3 reminders sent" in result.output
    # ds-11, published with a period ending in 2024, is also late for its update (workflow/schedule.py)
    assert "1 late-update reminders sent" in result.output
    mail = sorted((m["to"][0], m["subject"]) for m in inbox.messages if m["subject"].startswith("[Permintaan Data]"))
    assert mail == sorted([
        (portal.ppid_a["email"], "[Permintaan Data] Permintaan langkah 9: langkah 9 melewati tenggat "
                                 "(Diverifikasi oleh PPID)"),
        (portal.walidata["email"], "[Permintaan Data] Permintaan langkah 10: langkah 10 melewati tenggat "
                                   "(Diteruskan dan dipublikasikan)"),
        (portal.forum["email"], "[Permintaan Data] Permintaan langkah 11: langkah 11 melewati tenggat "
                                "(Data diterima)"),
    ])


class _RefusingInbox:
    """An SMTP server that answers 550 for the addresses in ``refused``."""

    def __init__(self, refused):
        self.refused, self.messages = set(refused), []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content)
        subject = str(email.header.make_header(email.header.decode_header(msg["Subject"])))
        self.messages.append({"to": list(envelope.rcpt_tos), "subject": subject.replace("\r\n", "")})
        return "250 OK"


@pytest.fixture
def refusing_smtp():
    """aiosmtpd on test.ini's smtp.server, refusing what the test says."""
    handler = _RefusingInbox(())
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port())
    controller.start()
    yield handler
    controller.stop()


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_refused_recipient_alone_is_retried(portal, requests, refusing_smtp, cli):
    """Two producers own step 6; the server refuses the second: the next run
    mails only that one, and the run after nobody."""
    from ckanext.satudata.cli import satudata

    second = factories.User(name="producer-a2")
    helpers.call_action("organization_member_create", id=portal.org_a["id"], username="producer-a2", role="editor")
    req = requests.new(upto="sent")
    _overdue(req["id"])
    refusing_smtp.refused.add(second["email"])

    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 1 and "1 reminders failed" in result.output, result.output
    assert [m["to"] for m in refusing_smtp.messages] == [[portal.producer_a["email"]]]

    refusing_smtp.refused.clear()
    refusing_smtp.messages.clear()
    result = cli.invoke(satudata, ["remind"])
    assert result.exit_code == 0 and "1 reminders sent" in result.output, result.output
    assert [m["to"] for m in refusing_smtp.messages] == [[second["email"]]]

    refusing_smtp.messages.clear()
    assert "0 reminders sent" in cli.invoke(satudata, ["remind"]).output
    assert refusing_smtp.messages == []


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_title_with_a_newline_still_reminds(portal, requests, inbox):
    req = requests.new()
    row = model.Session.get(DataRequest, req["id"])
    row.title = "Jumlah penduduk\nper kecamatan\r\n  2024"
    row.step_due = utcnow() - dt.timedelta(days=1)
    model.repo.commit()
    assert reminders.remind() == [{"request": req["id"], "step": 2, "to": [portal.walidata["name"]]}]
    assert [m["subject"] for m in inbox.messages] == [
        "[Permintaan Data] Jumlah penduduk per kecamatan 2024: langkah 2 melewati tenggat "
        "(Disposisi ke perangkat daerah)"]
