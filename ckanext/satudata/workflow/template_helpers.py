"""What the workflow panel shows, from the workflow table (states.py); the
satudata_* helpers of helpers.py delegate here. Auth decides, not the template."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata.workflow import states

__all__ = ["allowed_transitions", "transition_label", "history"]


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
