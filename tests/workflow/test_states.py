"""The workflow table (workflow/states.py) is the one copy of the transitions:
its statuses are the workflow_status vocabulary, every action has its words
and one target, and no other module or template lists the actions."""
import pathlib
import re

from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.workflow import states

PACKAGE = pathlib.Path(states.__file__).resolve().parents[1]


def test_the_statuses_are_the_vocabulary():
    assert set(states.STATUSES) == vocabularies.values("workflow_status")
    assert {s for row in states.TABLE for s in (row.from_status, row.to_status)} <= set(states.STATUSES)


def test_every_action_has_its_words_and_one_target():
    assert list(states.ACTIONS) == ["submit", "verify", "reject", "publish", "unpublish"]
    for name in states.ACTIONS:
        assert len({row.to_status for row in states.TABLE if row.action == name}) == 1
    assert [a.name for a in states.ACTIONS.values() if a.reason] == ["reject", "unpublish"]


def test_who_binds_only_a_role_that_acts_from_some_of_the_statuses():
    """The Walidata returns only verified data; the PPID may ask to return a
    dataset in any status (the graph answers with a field error)."""
    rows = [row for row in states.TABLE if row.action == "reject"]
    assert {row.from_status for row in rows if row.who == states.WALIDATA} == {"verified"}
    assert {row.from_status for row in rows if row.who == states.PPID} == {"submitted", "verified"}


def test_no_other_copy_of_the_action_list():
    """(A demo's walk, "submit", "verify", "publish", is a path, not the list.)"""
    listed = re.compile(r"""["']submit["']\s*,\s*["']verify["']\s*,\s*["']reject["']"""
                        r"""|["']reject["']\s*,\s*["']unpublish["']""")
    found = [str(path.relative_to(PACKAGE)) for pattern in ("**/*.py", "**/*.html")
             for path in PACKAGE.glob(pattern)
             if path.name != "states.py" and listed.search(path.read_text(encoding="utf-8"))]
    assert found == []
