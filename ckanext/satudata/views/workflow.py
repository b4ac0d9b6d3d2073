"""Dataset workflow pages: transition buttons and "Tugas saya"."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from flask import Blueprint

from ckanext.satudata.text import safe_ref

__all__ = ["satudata"]

satudata = Blueprint("satudata", __name__)

_TRANSITIONS = ("submit", "verify", "reject", "publish", "unpublish")


@satudata.route("/dataset/<id>/satudata/transition", methods=["POST"])
def transition(id: str):
    """Apply the transition a workflow button asked for, then back to the dataset."""
    action = tk.request.form.get("action")
    if action not in _TRANSITIONS:
        return tk.abort(400, tk._("Unknown workflow action"))
    if not safe_ref(id):  # a NUL in the URL: no such dataset
        return tk.abort(404, tk._("Dataset not found"))
    note = tk.request.form.get("note", "").strip()
    data = {"id": id}
    if action in ("reject", "unpublish"):
        data["reason"] = note
    elif note:
        data["note"] = note
    if action == "verify":
        data.update(_verify_fields())
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
        tk.h.flash_error(_error_messages(e))
    return tk.redirect_to("dataset.read", id=id)


def _verify_fields() -> dict:
    """The PPID's classification, exemption basis and consequence test, as posted."""
    form = tk.request.form
    data = {}
    classification = form.get("sdi_classification", "").strip()
    if classification:
        data["sdi_classification"] = classification
    basis = [value for value in form.getlist("sdi_exemption_basis") if value]
    if basis:
        data["sdi_exemption_basis"] = basis
    test = form.get("sdi_consequence_test", "").strip()
    if test:
        data["sdi_consequence_test"] = test
    return data


def _field_labels() -> dict[str, str]:
    return {"sdi_classification": tk._("Information classification"),
            "sdi_exemption_basis": tk._("Legal basis of the exemption"),
            "sdi_consequence_test": tk._("Consequence test"),
            "sdi_status": tk._("Workflow status"), "reason": tk._("Note or reason"), "note": tk._("Note or reason")}


def _error_messages(error: tk.ValidationError) -> str:
    """Field errors as one message, each under the field's label."""
    labels = _field_labels()
    parts = []
    for field, errors in (error.error_dict or {}).items():
        text = "; ".join(str(e) for e in errors) if isinstance(errors, list) else str(errors)
        parts.append(f"{labels.get(field, field)}: {text}")
    return " · ".join(parts) or str(error)


@satudata.route("/satudata/tugas")
def tasks():
    """"Tugas saya": the current user's queue."""
    try:
        result = tk.get_action("satudata_task_list")({}, {})
    except tk.NotAuthorized:
        return tk.abort(401 if not tk.current_user.is_authenticated else 403, tk._("Log in to see your tasks"))
    return tk.render("satudata/tasks.html", {"tasks": result})
