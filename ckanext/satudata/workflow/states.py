"""The verification workflow's states and transitions (SOP steps 7-10).

draft -> submitted -> verified -> published, with rejected for revision.
Who may make each transition is decided in logic/auth.py; this module only
knows the graph.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["STATUSES", "TRANSITIONS", "can_transition", "status_label", "action_label"]

STATUSES = ("draft", "submitted", "rejected", "verified", "published")

# action -> (allowed from-states, to-state)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (("draft", "rejected"), "submitted"),
    "verify": (("submitted",), "verified"),
    "reject": (("submitted", "verified"), "rejected"),
    "publish": (("verified",), "published"),
    "unpublish": (("published",), "verified"),
}

def can_transition(action: str, status: str | None) -> bool:
    allowed, _target = TRANSITIONS[action]
    return (status or "draft") in allowed


def status_label(status: str | None) -> str:
    labels = {
        "draft": tk._("Draft"),
        "submitted": tk._("Submitted"),
        "rejected": tk._("Returned for revision"),
        "verified": tk._("Verified by PPID"),
        "published": tk._("Published"),
    }
    return labels.get(status or "draft", status or "")


def action_label(action: str) -> str:
    labels = {
        "submit": tk._("submitted"),
        "verify": tk._("verified"),
        "reject": tk._("returned for revision"),
        "publish": tk._("published"),
        "unpublish": tk._("unpublished"),
    }
    return labels.get(action, action)
