"""``ckan satudata role grant|revoke|list`` through CKAN's CLI runner on the test database."""
import pytest

import ckan.model as model
import ckan.tests.helpers as helpers
from ckan.cli.cli import ckan

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _run(cli, *args):
    result = cli.invoke(ckan, ["satudata", "role", *args])
    model.Session.remove()
    return result


def _active(**filters):
    return [(g["user_name"], g["role"], g.get("organization_name"), g.get("institution"))
            for g in helpers.call_action("satudata_role_list", **filters)]


def test_grant_list_revoke(portal, cli):
    result = _run(cli, "grant", "plain-user", "ppid", "--organization", "agency-b")
    assert result.exit_code == 0, result.output
    assert "granted ppid to plain-user for agency-b" in result.output
    assert _active(user="plain-user") == [("plain-user", "ppid", "agency-b", None)]

    result = _run(cli, "grant", "producer-b", "pembina", "--institution", "BIG")
    assert result.exit_code == 0, result.output
    assert _active(user="producer-b") == [("producer-b", "pembina", None, "BIG")]

    result = _run(cli, "list", "--role", "ppid")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    assert sorted(row[:3] for row in rows) == [["plain-user", "ppid", "agency-b"], ["ppid-a", "ppid", "agency-a"],
                                                ["ppid-b", "ppid", "agency-b"]]
    result = _run(cli, "list", "--user", "producer-b")
    assert [line.split("\t")[:4] for line in result.output.splitlines()] == [["producer-b", "pembina", "-", "BIG"]]

    result = _run(cli, "revoke", "plain-user", "ppid", "-o", "agency-b")
    assert result.exit_code == 0, result.output
    assert "revoked ppid from plain-user" in result.output
    assert _active(user="plain-user") == []


def test_granting_twice_keeps_one_grant(portal, cli):
    assert _run(cli, "grant", "plain-user", "forum").exit_code == 0
    assert _run(cli, "grant", "plain-user", "forum").exit_code == 0
    assert _active(user="plain-user") == [("plain-user", "forum", None, None)]


@pytest.mark.parametrize("args, says", [
    (("grant", "plain-user", "ppid"), "organization"),
    (("grant", "plain-user", "walidata", "-o", "agency-a"), "organization"),
    (("grant", "plain-user", "forum", "--institution", "BPS"), "institution"),
    (("grant", "plain-user", "pembina"), "institution: The Pembina Data role needs its institution"),
    (("grant", "no-such-user", "forum"), "user"),
    (("grant", "plain-user", "ppid", "-o", "no-such-agency"), "organization"),
    (("revoke", "plain-user", "walidata"), ""),
    (("revoke", "no-such-user", "walidata"), "user"),
    (("list", "--user", "no-such-user"), "user"),
])
def test_bad_input_is_a_clean_error(portal, cli, args, says):
    result = _run(cli, *args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: "), result.output
    assert says in result.output
    assert "Traceback" not in result.output and result.exception.__class__.__name__ == "SystemExit"
    assert _active(user="plain-user") == []


@pytest.mark.parametrize("args", [("grant", "plain-user", "bupati"), ("list", "--role", "bupati"), ("grant", "plain-user")])
def test_unknown_role_or_missing_argument_is_a_usage_error(portal, cli, args):
    result = _run(cli, *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert _active(user="plain-user") == []
