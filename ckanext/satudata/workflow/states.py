"""The verification workflow (SOP steps 7-10) as one table.

draft -> submitted -> verified -> published, with rejected for revision.
``TABLE`` holds every transition as (from status, action, to status, who);
the auth functions (logic/auth/workflow.py), the actions
(logic/action/workflow.py), ``transitions.apply``, the workflow panel's
buttons and the transition view all read it. ``ACTIONS`` holds the words of
each action. The statuses and their labels are the ``workflow_status``
vocabulary (metadata/data/vocabularies.yaml).
"""
from __future__ import annotations

from typing import NamedTuple

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.msgid import N_
from ckanext.satudata.workflow import permissions

__all__ = ["Action", "TABLE", "ACTIONS", "STATUSES", "PPID", "WALIDATA",
           "UNDER_REVIEW", "CONFIRMED", "action", "can_transition", "editable", "target", "holds", "may", "status_label",
           "action_label"]

# who: the role rule a row names
PRODUCER = "producer"  # an editor or admin of the dataset's agency
PPID = "ppid"  # the PPID of the dataset's agency
WALIDATA = "walidata"  # the Walidata (portal-wide)


class Transition(NamedTuple):
    from_status: str
    action: str
    to_status: str
    who: str


TABLE: tuple[Transition, ...] = (
    Transition("draft", "submit", "submitted", PRODUCER),
    Transition("rejected", "submit", "submitted", PRODUCER),
    Transition("submitted", "verify", "verified", PPID),
    Transition("submitted", "reject", "rejected", PPID),
    Transition("verified", "reject", "rejected", PPID),
    Transition("verified", "reject", "rejected", WALIDATA),  # the Walidata returns only verified data
    Transition("verified", "publish", "published", WALIDATA),
    Transition("published", "unpublish", "verified", WALIDATA),
)


class Action(NamedTuple):
    name: str
    done: str  # past tense, in messages ("cannot be %(action)s")
    button: str  # the workflow panel's button
    refusal: str  # the auth function's refusal
    reason: bool  # needs a reason (a "reason" field, not a "note"; a red button)


ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("submit", N_("submitted"), N_("Submit for verification"),
           N_("Only the producing agency's editors can submit this dataset"), False),
    Action("verify", N_("verified"), N_("Verify"),
           N_("Only the PPID of the producing agency can verify this dataset"), False),
    Action("reject", N_("returned for revision"), N_("Return for revision"),
           N_("Only the agency's PPID, or the Walidata for a verified dataset, can return it for revision"), True),
    Action("publish", N_("published"), N_("Publish"), N_("Only the Walidata can publish datasets"), False),
    Action("unpublish", N_("unpublished"), N_("Unpublish"), N_("Only the Walidata can publish datasets"), True),
)}
assert list(ACTIONS) == list(dict.fromkeys(row.action for row in TABLE))

STATUSES = tuple(term["value"] for term in vocabularies.terms("workflow_status"))
assert {s for row in TABLE for s in (row.from_status, row.to_status)} <= set(STATUSES)

# Submitted to the PPID and not yet published: only a sysadmin edits the
# dataset, and it keeps its agency (its PPID is reviewing it).
UNDER_REVIEW = ("submitted", "verified")
# The PPID has confirmed the classification: public data loses its exemption fields.
CONFIRMED = ("verified", "published")


def action(name: str) -> Action:
    """The action's words; KeyError for an unknown one."""
    return ACTIONS[name]


def can_transition(action: str, status: str | None) -> bool:
    """Whether the graph has ``action`` from ``status`` (None is draft)."""
    return any(row.action == action and row.from_status == (status or "draft") for row in TABLE)


def editable(status: str | None) -> bool:
    """Whether the producer edits the dataset in its own steps: the statuses
    it submits from (draft, returned for revision)."""
    return can_transition("submit", status)


def target(action: str) -> str:
    """The status ``action`` leads to (one per action)."""
    return next(row.to_status for row in TABLE if row.action == action)


def holds(who: str, user, pkg: model.Package) -> bool:
    """Whether ``user`` is ``who`` for ``pkg`` (sysadmins are all of them)."""
    if who == PRODUCER:
        return permissions.is_producer(user, pkg)
    if who == PPID:
        return permissions.is_ppid_of(user, pkg.owner_org)
    if who == WALIDATA:
        return permissions.is_walidata(user)
    raise ValueError(who)


def may(user, action: str, pkg: model.Package) -> bool:
    """Whether ``user`` may make ``action`` on ``pkg``: they are the ``who`` of
    one of its rows. A role that makes the action from only some of the
    action's statuses is bound to those (the Walidata returns only a verified
    dataset); a role that makes it from all of them may ask whatever the
    status, and the graph answers (``can_transition``: a field error, not a
    refusal)."""
    rows = [row for row in TABLE if row.action == action]
    statuses = {row.from_status for row in rows}
    status = pkg.extras.get("sdi_status") or "draft"
    for who in dict.fromkeys(row.who for row in rows):
        own = {row.from_status for row in rows if row.who == who}
        if own != statuses and status not in own:
            continue
        if holds(who, user, pkg):
            return True
    return False


def status_label(status: str | None) -> str:
    """The status's label in the page's language (the vocabulary's)."""
    return vocabularies.label("workflow_status", status or "draft")


def action_label(name: str) -> str:
    """The action in the past tense, translated ("returned for revision")."""
    return tk._(ACTIONS[name].done) if name in ACTIONS else name
