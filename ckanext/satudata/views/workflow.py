"""Dataset workflow pages: transition buttons and "Tugas saya"."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.common import config_declaration
from ckan.config.declaration import Key
from flask import Blueprint

from ckanext.satudata.metadata import labels
from ckanext.satudata.msgid import N_
from ckanext.satudata.text import safe_ref
from ckanext.satudata.views import errors
from ckanext.satudata.workflow import states

__all__ = ["satudata"]

satudata = Blueprint("satudata", __name__)

# The PPID's fields of the verify form: labelled as schemas/dataset.yaml labels them.
_VERIFY_FIELDS = ("sdi_classification", "sdi_exemption_basis", "sdi_consequence_test")
# The panel's own words: its note box and its status line.
_PANEL_LABELS = {"sdi_status": N_("Workflow status"), "reason": N_("Note or reason"), "note": N_("Note or reason")}


@satudata.route("/dataset/<id>/satudata/transition", methods=["POST"])
def transition(id: str):
    """Apply the transition a workflow button asked for, then back to the dataset."""
    action = tk.request.form.get("action")
    if action not in states.ACTIONS:
        return tk.abort(400, tk._("Unknown workflow action"))
    if not safe_ref(id):  # a NUL in the URL: no such dataset
        return tk.abort(404, tk._("Dataset not found"))
    note = tk.request.form.get("note", "").strip()
    data = {"id": id}
    if states.action(action).reason:
        data["reason"] = note
    elif note:
        data["note"] = note
    if action == "verify":
        data.update(_verify_fields())
    try:
        tk.get_action(f"satudata_dataset_{action}")({}, data)
        tk.h.flash_success(tk._("Done: the dataset is now %(status)s") % {
            "status": states.status_label(states.target(action))})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("You are not allowed to do this"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.ValidationError as e:
        errors.flash_errors(e, _label)
    return tk.redirect_to("dataset.read", id=id)


def _verify_fields() -> dict:
    """The PPID's classification, exemption basis and consequence test, as posted."""
    form = tk.request.form
    data = {}
    for field in _VERIFY_FIELDS:
        if field == "sdi_exemption_basis":  # checkboxes: one value per letter
            value = [item for item in form.getlist(field) if item]
        else:
            value = form.get(field, "").strip()
        if value:
            data[field] = value
    return data


def _label(field: str) -> str:
    """A field's label in the page's error summary (others, such as the
    compliance principles of a refused submission, keep their key)."""
    if field in _PANEL_LABELS:
        return tk._(_PANEL_LABELS[field])
    return labels.field_label(field) if field in _VERIFY_FIELDS else field


@satudata.route("/satudata/tugas")
def tasks():
    """"Tugas saya": the current user's queues, those of satudata_task_list."""
    try:
        result = tk.get_action("satudata_task_list")({}, {})
    except tk.NotAuthorized:
        return errors.refuse(tk._("Log in to see your tasks"))
    return tk.render("satudata/tasks.html", {"tasks": result})


_LANDING_KEY = "ckan.auth.route_after_login"


def land_on_tasks(config) -> None:
    """Login lands on "Tugas saya" (``satudata.tasks``), not on CKAN's
    dashboard, unless the site set ``ckan.auth.route_after_login`` to a
    route of its own (anything but core's declared default)."""
    core_default = config_declaration[Key.from_string(_LANDING_KEY)].default
    if config.get(_LANDING_KEY) in (None, "", core_default):
        config[_LANDING_KEY] = "satudata.tasks"
