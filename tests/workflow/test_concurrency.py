"""Two transitions of one dataset at the same moment, on the real PostgreSQL.

Each thread has its own database session (``model.Session`` is thread-local).
A third connection holds the dataset row locked until both threads are waiting
for it, so the two transactions really overlap; then exactly one may win.
"""
from __future__ import annotations

import functools

import pytest
from sqlalchemy import func, select, text

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata.workflow import states
from ckanext.satudata.model import DatasetEvent
from tests.conftest import at_once

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# transition -> (steps before it, the actor's attribute on the portal, extra input)
RACES = {
    "submit": ((), "producer_a", {}),
    "verify": (("submit",), "ppid_a", {}),
    "reject": (("submit",), "ppid_a", {"reason": "Satuan belum benar"}),
    "publish": (("submit", "verify"), "walidata", {}),
}


def _race(user: str, calls: list[tuple[str, dict]], row_id: str, meanwhile=None) -> list:
    """Run each ``(action, input)`` of ``calls`` in its own thread; the threads
    start together and queue on the dataset's row lock before any may proceed.
    ``action`` is a workflow action (``verify``) or a core one (``package_patch``).
    ``meanwhile(conn)`` runs in the lock holder's transaction before it commits."""
    def bound(action, data):
        name = action if action.startswith("package_") else f"satudata_dataset_{action}"
        return functools.partial(helpers.call_action, name, {"user": user, "ignore_auth": False}, **data)
    return at_once([bound(action, data) for action, data in calls], [("package", row_id)], meanwhile)


def _history(pkg_id: str) -> list[str]:
    return [e["action"] for e in helpers.call_action("satudata_dataset_history", id=pkg_id)]


def _events(pkg_id: str, action: str) -> int:
    return model.Session.scalar(
        select(func.count()).select_from(DatasetEvent)
        .where(DatasetEvent.package_id == pkg_id, DatasetEvent.action == action))


@pytest.mark.parametrize("action", sorted(RACES))
def test_same_transition_twice_at_once_one_wins(portal, action):
    before, actor, extra = RACES[action]
    pkg = portal.walk(portal.dataset(name="ds"), *before)
    model.Session.remove()

    data = {"id": pkg["id"], **extra}
    outcomes = _race(getattr(portal, actor)["name"], [(action, data), (action, data)], pkg["id"])

    wins = [o for o in outcomes if isinstance(o, dict)]
    conflicts = [o for o in outcomes if isinstance(o, tk.ValidationError)]
    assert len(wins) == 1 and len(conflicts) == 1, outcomes
    message = " ".join(conflicts[0].error_dict["sdi_status"])
    assert wins[0]["sdi_status"] in ("submitted", "verified", "rejected", "published")
    assert states.status_label(wins[0]["sdi_status"]) in message
    assert _events(pkg["id"], action) == 1
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == wins[0]["sdi_status"]
    assert _history(pkg["id"]) == ["create", *before, action]


def test_verify_and_reject_at_once_serialise(portal):
    """verify and reject race on a submitted dataset: the second one sees the
    first one's result (a verified dataset may be returned; a returned one
    cannot be verified)."""
    pkg = portal.walk(portal.dataset(name="ds"), "submit")
    model.Session.remove()

    verify, reject = _race(portal.ppid_a["name"],
                           [("verify", {"id": pkg["id"]}), ("reject", {"id": pkg["id"], "reason": "Data belum lengkap"})],
                           pkg["id"])

    assert isinstance(reject, dict), reject
    assert helpers.call_action("package_show", id=pkg["id"])["sdi_status"] == "rejected"
    if isinstance(verify, dict):
        assert _history(pkg["id"]) == ["create", "submit", "verify", "reject"]
    else:
        assert isinstance(verify, tk.ValidationError), verify
        assert states.status_label("rejected") in " ".join(verify.error_dict["sdi_status"])
        assert _history(pkg["id"]) == ["create", "submit", "reject"]


def test_edit_and_submit_at_once_serialise(portal):
    """A producer's edit and their submit race on a draft: the edit lands
    before the submit (and is what the PPID reviews) or is refused because the
    dataset is under review. Never an edit of a submitted dataset, never a
    status the history does not explain."""
    pkg = portal.dataset(name="ds")
    model.Session.remove()

    patch, submit = _race(portal.producer_a["name"],
                          [("package_patch", {"id": pkg["id"], "notes": "Diubah saat diajukan"}),
                           ("submit", {"id": pkg["id"]})], pkg["id"])

    assert isinstance(submit, dict), submit
    shown = helpers.call_action("package_show", id=pkg["id"])
    assert shown["sdi_status"] == "submitted" and shown["private"] is True
    assert _history(pkg["id"]) == ["create", "submit"]
    if isinstance(patch, dict):  # the edit went first; the submit saw it
        assert shown["notes"] == "Diubah saat diajukan"
    else:
        assert isinstance(patch, tk.NotAuthorized), patch
        assert shown["notes"] == pkg["notes"]


def test_walidata_reject_is_checked_again_under_the_lock(portal):
    """The Walidata returns only verified datasets. While the Walidata's
    reject waits for the row, another transaction takes the dataset back to
    submitted: under the lock the reject is refused and changes nothing."""
    pkg = portal.walk(portal.dataset(name="ds"), "submit", "verify")
    model.Session.remove()

    def back_to_submitted(conn):
        conn.execute(text("UPDATE package SET extras = jsonb_set(extras, '{sdi_status}', '\"submitted\"')"
                          " WHERE id = :id"), {"id": pkg["id"]})

    (reject,) = _race(portal.walidata["name"], [("reject", {"id": pkg["id"], "reason": "Belum sesuai"})],
                      pkg["id"], meanwhile=back_to_submitted)

    assert isinstance(reject, tk.NotAuthorized), reject
    model.Session.remove()
    assert model.Package.get(pkg["id"]).extras["sdi_status"] == "submitted"
    assert _events(pkg["id"], "reject") == 0
    # the lock was released: the PPID may return it now
    helpers.call_action("satudata_dataset_reject", {"user": portal.ppid_a["name"]}, id=pkg["id"], reason="Ulang")
