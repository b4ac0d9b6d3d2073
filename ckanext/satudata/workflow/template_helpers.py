"""What the workflow panel shows, from the workflow table (states.py); the
satudata_* helpers of helpers.py delegate here. Auth decides, not the template."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata.workflow import states, tasks

__all__ = ["allowed_transitions", "transition_label", "history", "review_notice"]

# the actions that move a dataset forward (no reason): whoever may make one
# of them (its producers, its PPID, the Walidata) reads why it was returned
_FORWARD = tuple(name for name, action in states.ACTIONS.items() if not action.reason)


def allowed_transitions(pkg: dict[str, Any]) -> list[states.Action]:
    """The actions (``states.Action``: name, words, ``reason``) the current
    user may make on ``pkg`` now, in the table's order."""
    return [action for name, action in states.ACTIONS.items()
            if states.can_transition(name, pkg.get("sdi_status"))
            and tk.h.check_access(f"satudata_dataset_{name}", {"id": pkg["id"]})]


def transition_label(name: str) -> str:
    """The button's words for the action ``name``."""
    return tk._(states.ACTIONS[name].button) if name in states.ACTIONS else name


def history(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The dataset's transitions as the current user may see them; none when
    they may not."""
    try:
        return tk.get_action("satudata_dataset_history")({}, {"id": pkg["id"]})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return []


def review_notice(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """What the top of a dataset's page tells those who take part in its
    review: for a dataset returned for revision, the reason (``kind``
    ``returned``: ``reason``, ``at``, ``by``, and ``may_resubmit``); for one
    submitted again after a return, the producer's note of what was fixed
    and the reason it answers (``kind`` ``resubmitted``: ``note``,
    ``reason``, ``at``, ``by``). None for others, and for any other status."""
    status = pkg.get("sdi_status")
    if status not in (states.target("reject"), states.target("submit")) or not pkg.get("id"):
        return None
    if not any(tk.h.check_access(f"satudata_dataset_{name}", {"id": pkg["id"]}) for name in _FORWARD):
        return None
    row = {"id": pkg["id"], "sdi_status": status}
    tasks.add_review_notes([row])
    if row["returned"]:
        return dict(row["returned"], kind="returned",
                    may_resubmit=tk.h.check_access("satudata_dataset_submit", {"id": pkg["id"]}))
    if row["resubmitted"]:
        return dict(row["resubmitted"], kind="resubmitted")
    return None
