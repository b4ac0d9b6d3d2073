"""Validation actions, with ckanext-validation's names and meanings."""
from __future__ import annotations

from typing import Callable

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata import transaction
from ckanext.satudata.logic import schema, validation_schema
from ckanext.satudata.logic.action.core_lists import resource_not_found_for_outsiders
from ckanext.satudata.validation import job, record, report, service


def _input(context: Context, data_dict: DataDict, schema_fn: Callable[[], dict]) -> dict:
    """The action's input, checked against its schema before auth; an unknown
    or deleted resource is not found."""
    data = schema.validate(dict(data_dict or {}), schema_fn, context)
    res = record.resource(data["resource_id"])
    if res is None or res.state != "active":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    data["resource"] = res
    return data


@transaction.releasing_locks
def resource_validation_run(context: Context, data_dict: DataDict) -> dict:
    """Queue the validation of a resource; with ``async: false`` a sysadmin
    runs it now, inside the request (anyone else's is queued).

    :param resource_id: the resource
    :param async: run on the job queue (default true)
    :returns: the validation record
    """
    data = _input(context, data_dict, validation_schema.resource_validation_run)
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
            return job.run(res.id)  # inside this request (the job commits as it goes)
    return service.enqueue(res.id, context=context).as_dict()


@tk.side_effect_free
def resource_validation_show(context: Context, data_dict: DataDict) -> dict:
    """The latest validation of a resource: status, times and report.

    :param resource_id: the resource
    :returns: the record, its ``report`` as frictionless gave it, plus
        ``messages`` (each error of the report in the request's language,
        with its column, row and a hint) and ``error_message``
    """
    data = _input(context, data_dict, validation_schema.resource_validation_show)
    with resource_not_found_for_outsiders(context, data["resource"].id):  # as an unknown resource
        tk.check_access("resource_validation_show", context, {"resource_id": data["resource_id"]})
    row = service.report_for(data["resource"].id)
    if row is None:
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return report.with_messages(row.as_dict())  # plus each error in the request's language


@transaction.releasing_locks
def resource_validation_delete(context: Context, data_dict: DataDict) -> dict:
    """Delete the validation record of a resource.

    :param resource_id: the resource
    """
    data = _input(context, data_dict, validation_schema.resource_validation_delete)
    with resource_not_found_for_outsiders(context, data["resource"].id):  # as an unknown resource
        tk.check_access("resource_validation_delete", context, {"resource_id": data["resource_id"]})
    resource_id = data["resource"].id
    if not service.delete(resource_id, context=context):
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return {"deleted": resource_id}
