"""The verification workflow actions (SOP steps 7-10)."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context, DataDict
from sqlalchemy import select

from ckanext.satudata import transaction
from ckanext.satudata.datarequest import tasks as request_tasks
from ckanext.satudata.logic import schema
from ckanext.satudata.logic.action import core_lists
from ckanext.satudata.metadata import compliance, vocabularies
from ckanext.satudata.model import DatasetEvent
from ckanext.satudata.workflow import notices, states, transitions



def _show(pkg_id: str) -> dict:
    return tk.get_action("package_show")({"ignore_auth": True, "use_cache": False}, {"id": pkg_id})


def _not_found_for_outsiders(context: Context, data: dict, anonymous_refused_first: bool = False):
    """The actions answer an outsider for a hidden dataset as for an unknown
    one (the auth functions keep refusing: h.check_access in the templates
    must not meet a 404). The transitions' auth functions refuse anonymous
    callers before looking (``anonymous_refused_first``). ``data`` is the
    validated input: its ``id`` is a dataset id or name."""
    return core_lists.dataset_not_found_for_outsiders(context, data["id"],
                                                      anonymous_refused_first=anonymous_refused_first)


def _result(pkg: model.Package, event) -> dict:
    return {"id": pkg.id, "name": pkg.name, "sdi_status": pkg.extras.get("sdi_status"),
            "private": pkg.private, "event": event.as_dict()}


@tk.side_effect_free
def satudata_dataset_compliance(context: Context, data_dict: DataDict) -> dict:
    """The Kepatuhan SDI checklist of a dataset.

    :param id: dataset id or name
    :returns: ``{"passed": bool, "principles": [{"principle", "label", "passed", "reasons"}]}``
    """
    data = schema.validate(data_dict, schema.satudata_dataset_id, context)
    with _not_found_for_outsiders(context, data):
        tk.check_access("satudata_dataset_compliance", context, data)
    return compliance.check(_show(data["id"]))


def satudata_dataset_submit(context: Context, data_dict: DataDict) -> dict:
    """Submit a draft or returned dataset for PPID verification (producer).

    Refused, naming what fails, when the SDI compliance check fails.

    :param id: dataset id or name
    :param note: what was fixed, for a dataset returned for revision, or
        any note to the PPID (optional); shown to the PPID on the dataset
        page and in their task list
    """
    data = schema.validate(data_dict, schema.satudata_dataset_submit, context)
    with _not_found_for_outsiders(context, data, anonymous_refused_first=True):
        tk.check_access("satudata_dataset_submit", context, data)
    pkg = transitions.lock_dataset(data["id"])
    pkg_dict = _show(pkg.id)
    errors = compliance.field_errors(pkg_dict)
    result = compliance.check(pkg_dict)
    for principle in result["principles"]:
        if not principle["passed"] and principle["principle"] != "metadata":
            errors.setdefault(principle["principle"], []).extend(principle["reasons"])
    if errors and states.editable(pkg.extras.get("sdi_status")):
        transaction.refuse(errors)
    event = transitions.apply(context, pkg, "submit", data.get("note"))
    notices.dataset_event(event.id)
    return _result(pkg, event)


def satudata_dataset_verify(context: Context, data_dict: DataDict) -> dict:
    """Verify a submitted dataset (the agency's PPID).

    The PPID confirms the information classification; a non-public one needs
    its legal basis and consequence test.

    :param id: dataset id or name
    :param note: verification note (optional)
    :param sdi_classification: the confirmed classification (optional)
    :param sdi_exemption_basis: Pasal 17 UU KIP letters, for non-public data
    :param sdi_consequence_test: the consequence test (text or link), for non-public data
    """
    data = schema.validate(data_dict, schema.satudata_dataset_verify, context)
    with _not_found_for_outsiders(context, data, anonymous_refused_first=True):
        tk.check_access("satudata_dataset_verify", context, data)
    pkg = transitions.lock_dataset(data["id"])
    changes = {}
    for key in ("sdi_classification", "sdi_exemption_basis", "sdi_consequence_test"):
        if data.get(key) not in (None, ""):
            changes[key] = data[key]
    classification = changes.get("sdi_classification") or pkg.extras.get("sdi_classification") or "data_umum"
    term = vocabularies.term("classification", classification) or {}
    if not term.get("public"):
        basis = changes.get("sdi_exemption_basis") or pkg.extras.get("sdi_exemption_basis")
        test = changes.get("sdi_consequence_test") or pkg.extras.get("sdi_consequence_test")
        errors = {}
        if not basis or basis == "[]":
            errors["sdi_exemption_basis"] = [tk._("Non-public data needs its legal basis (Pasal 17 UU KIP) before it is verified")]
        if not test:
            errors["sdi_consequence_test"] = [tk._("Non-public data needs the PPID's consequence test before it is verified")]
        if errors:
            transaction.refuse(errors)
    event = transitions.apply(context, pkg, "verify", data.get("note"), changes=changes)
    notices.dataset_event(event.id)
    return _result(pkg, event)


def satudata_dataset_reject(context: Context, data_dict: DataDict) -> dict:
    """Return a submitted or verified dataset for revision, with a reason.

    :param id: dataset id or name
    :param reason: why it is returned (required)
    """
    data = schema.validate(data_dict, schema.satudata_dataset_reason, context)
    with _not_found_for_outsiders(context, data, anonymous_refused_first=True):
        tk.check_access("satudata_dataset_reject", context, data)
    pkg = transitions.lock_dataset(data["id"])
    event = transitions.apply(context, pkg, "reject", data["reason"])
    notices.dataset_event(event.id)
    return _result(pkg, event)


def satudata_dataset_publish(context: Context, data_dict: DataDict) -> dict:
    """Publish a verified dataset (the Walidata). Public data becomes public;
    restricted or exempted data is delivered to its agencies and requesters.

    :param id: dataset id or name
    :param note: optional
    """
    data = schema.validate(data_dict, schema.satudata_dataset_note, context)
    with _not_found_for_outsiders(context, data, anonymous_refused_first=True):
        tk.check_access("satudata_dataset_publish", context, data)
    pkg = transitions.lock_dataset(data["id"])
    event = transitions.apply(context, pkg, "publish", data.get("note"))
    notices.dataset_event(event.id)
    return _result(pkg, event)


def satudata_dataset_unpublish(context: Context, data_dict: DataDict) -> dict:
    """Take a published dataset back to verified (the Walidata), with a reason.

    :param id: dataset id or name
    :param reason: required
    """
    data = schema.validate(data_dict, schema.satudata_dataset_reason, context)
    with _not_found_for_outsiders(context, data, anonymous_refused_first=True):
        tk.check_access("satudata_dataset_unpublish", context, data)
    pkg = transitions.lock_dataset(data["id"])
    event = transitions.apply(context, pkg, "unpublish", data["reason"])
    return _result(pkg, event)


_PRIVATE_EVENT_FIELDS = ("user_id", "note", "data")


@tk.side_effect_free
def satudata_dataset_history(context: Context, data_dict: DataDict) -> list[dict]:
    """Every transition of a dataset, oldest first: from, to, action, when and,
    for readers who may see them, who and their note.

    Anonymous readers, and (when ``ckan.auth.public_user_details`` is false)
    logged-in readers who are neither members of the agency, its PPID nor the
    Walidata, get no ``user_id``, ``user_name``, ``user_display_name``, ``note``
    or ``data``: review notes can carry internal remarks.

    :param id: dataset id or name
    """
    data = schema.validate(data_dict, schema.satudata_dataset_id, context)
    with _not_found_for_outsiders(context, data):
        tk.check_access("satudata_dataset_history", context, data)
    pkg = model.Package.get(data["id"])
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    events = model.Session.scalars(
        select(DatasetEvent).where(DatasetEvent.package_id == pkg.id).order_by(DatasetEvent.created)
    ).all()
    out = []
    if not authz.is_authorized_boolean("satudata_dataset_history_actors", context, {"id": pkg.id}):
        for event in events:
            row = event.as_dict()
            for key in _PRIVATE_EVENT_FIELDS:
                row.pop(key, None)
            out.append(row)
        return out
    actor_ids = {event.user_id for event in events if event.user_id}
    actors = {user.id: user for user in model.Session.scalars(
        select(model.User).where(model.User.id.in_(actor_ids)))} if actor_ids else {}
    for event in events:
        row = event.as_dict()
        user = actors.get(event.user_id)
        row["user_name"] = user.name if user else None
        row["user_display_name"] = user.display_name if user else None
        out.append(row)
    return out


@tk.side_effect_free
def satudata_task_list(context: Context, data_dict: DataDict) -> dict:
    """The current user's work ("Tugas saya"): a queue per role they hold,
    the same the page shows.

    Dataset queues (rows: ``id``, ``name``, ``title``, ``organization``,
    ``sdi_status``, ``resources``, ``validation`` and ``validation_status``,
    ``requests`` it fulfils, ``due``, ``overdue``; ``returned``: the reason,
    when and by whom it was returned; ``resubmitted``: the producer's note of
    what was fixed): ``drafts`` and ``to_revise`` (the agency's producers),
    ``to_verify`` (its PPID), ``to_publish`` (the Walidata).

    Request queues (rows: ``id``, ``title``, ``status``, ``step``,
    ``step_label``, ``waiting_on``, ``step_due``, ``overdue``,
    ``organizations``): ``walidata_requests`` (steps 2-5 and 10),
    ``recommendations`` (the Pembina asked), ``agency_requests`` (sent to the
    producer's agencies), ``my_requests`` and ``delivered`` (with their
    ``datasets``; the requester).

    :returns: every queue by key (empty when it is not the user's) and
        ``queues``: ``[{"key", "role", "kind", "count"}]``, the user's queues
        in the page's order
    """
    tk.check_access("satudata_task_list", context, data_dict)
    return request_tasks.for_user(context.get("user"))
