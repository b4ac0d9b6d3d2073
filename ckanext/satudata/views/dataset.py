"""Dataset workflow pages: transition buttons and "Tugas saya"."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint

__all__ = ["satudata"]

satudata = Blueprint("satudata", __name__)

_TRANSITIONS = ("submit", "verify", "reject", "publish", "unpublish")


@satudata.route("/dataset/<id>/satudata/transition", methods=["POST"])
def transition(id: str):
    """Apply the transition a workflow button asked for, then back to the dataset."""
    action = tk.request.form.get("action")
    if action not in _TRANSITIONS:
        return tk.abort(400, tk._("Unknown workflow action"))
    note = tk.request.form.get("note", "").strip()
    data = {"id": id}
    if action in ("reject", "unpublish"):
        data["reason"] = note
    elif note:
        data["note"] = note
    try:
        tk.get_action(f"satudata_dataset_{action}")({}, data)
        tk.h.flash_success(tk._("Done: the dataset is now %(status)s") % {
            "status": tk.h.satudata_status_label({"submit": "submitted", "verify": "verified", "reject": "rejected",
                                                  "publish": "published", "unpublish": "verified"}[action])})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("You are not allowed to do this"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.ValidationError as e:
        messages = "; ".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in e.error_dict.items())
        tk.h.flash_error(messages)
    return tk.redirect_to("dataset.read", id=id)


@satudata.route("/satudata/tugas")
def tasks():
    """"Tugas saya": the current user's queue."""
    try:
        result = tk.get_action("satudata_task_list")({}, {})
    except tk.NotAuthorized:
        return tk.abort(401 if not tk.current_user.is_authenticated else 403, tk._("Log in to see your tasks"))
    return tk.render("satudata/tasks.html", {"tasks": result})
