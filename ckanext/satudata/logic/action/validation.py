"""Validation actions, with ckanext-validation's names and meanings."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata.validation import job, record, service
from ckanext.satudata.logic import schema
from ckanext.satudata.logic.action.core_lists import resource_not_found_for_outsiders
from ckanext.satudata.logic.validators import satudata_boolean
from ckanext.satudata.text import text_problem


def _id_string(value):
    if not isinstance(value, str):
        raise tk.Invalid(tk._("Must be a string"))
    problem = text_problem(value)
    if problem:
        raise tk.Invalid(problem)
    return value


def _async(value):
    """``async`` is true unless given: strictly true or false."""
    if value is tk.missing or value is None or value == "":
        return True
    return satudata_boolean(value)


def _input(context: Context, data_dict: DataDict, with_async: bool = False) -> dict:
    """Checked before auth, so the auth functions only ever see a string id."""
    rules = {"resource_id": [tk.get_validator("not_empty"), _id_string]}
    if with_async:
        rules["async"] = [_async]
    data = schema.validate(dict(data_dict or {}), lambda: rules, context)
    res = record.resource(data["resource_id"])
    if res is None or res.state != "active":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    data["resource"] = res
    return data


def resource_validation_run(context: Context, data_dict: DataDict) -> dict:
    """Queue the validation of a resource; with ``async: false`` a sysadmin
    runs it now, inside the request (anyone else's is queued).

    :param resource_id: the resource
    :param async: run on the job queue (default true)
    :returns: the validation record
    """
    data = _input(context, data_dict, with_async=True)
    with resource_not_found_for_outsiders(context, data["resource"].id):  # as an unknown resource
        tk.check_access("resource_validation_run", context, {"resource_id": data["resource_id"]})
    res = data["resource"]
    if not service.is_tabular(res):
        raise tk.ValidationError({"format": [tk._("Only tabular resources (%(formats)s) are validated") % {
            "formats": ", ".join(tk.config.get("ckanext.satudata.validation.formats"))}]})
    if not data.get("async", True):
        try:
            tk.check_access("resource_validation_run_sync", context, {"resource_id": res.id})
        except tk.NotAuthorized:
            pass  # queued instead
        else:
            return job.run(res.id)  # inside this request
    return service.enqueue(res.id).as_dict()


@tk.side_effect_free
def resource_validation_show(context: Context, data_dict: DataDict) -> dict:
    """The latest validation of a resource: status, times and report.

    :param resource_id: the resource
    """
    data = _input(context, data_dict)
    with resource_not_found_for_outsiders(context, data["resource"].id):  # as an unknown resource
        tk.check_access("resource_validation_show", context, {"resource_id": data["resource_id"]})
    row = service.report_for(data["resource"].id)
    if row is None:
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return row.as_dict()


def resource_validation_delete(context: Context, data_dict: DataDict) -> dict:
    """Delete the validation record of a resource.

    :param resource_id: the resource
    """
    data = _input(context, data_dict)
    with resource_not_found_for_outsiders(context, data["resource"].id):  # as an unknown resource
        tk.check_access("resource_validation_delete", context, {"resource_id": data["resource_id"]})
    resource_id = data["resource"].id
    if not service.delete(resource_id):
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return {"deleted": resource_id}
