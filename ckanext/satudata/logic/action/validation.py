"""Validation actions, with ckanext-validation's names and meanings."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata import validation
from ckanext.satudata.logic import schema


def _resource_id(context: Context, data_dict: DataDict) -> str:
    data = schema.validate(data_dict, schema.satudata_resource_id, context)
    res = model.Resource.get(data["resource_id"])
    if res is None or res.state != "active":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return res.id


def resource_validation_run(context: Context, data_dict: DataDict) -> dict:
    """Queue (or, with ``async: false``, run now) the validation of a resource.

    :param resource_id: the resource
    :param async: run on the job queue (default true)
    :returns: the validation record
    """
    tk.check_access("resource_validation_run", context, data_dict)
    resource_id = _resource_id(context, data_dict)
    res = model.Resource.get(resource_id)
    if not validation.is_tabular(res):
        raise tk.ValidationError({"format": [tk._("Only tabular resources (%(formats)s) are validated") % {
            "formats": ", ".join(tk.config.get("ckanext.satudata.validation.formats"))}]})
    if tk.asbool(data_dict.get("async", True)):
        return validation.enqueue(resource_id).as_dict()
    return validation.run(resource_id)


@tk.side_effect_free
def resource_validation_show(context: Context, data_dict: DataDict) -> dict:
    """The latest validation of a resource: status, times and report.

    :param resource_id: the resource
    """
    tk.check_access("resource_validation_show", context, data_dict)
    resource_id = _resource_id(context, data_dict)
    row = validation.report_for(resource_id)
    if row is None:
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return row.as_dict()


def resource_validation_delete(context: Context, data_dict: DataDict) -> dict:
    """Delete the validation record of a resource.

    :param resource_id: the resource
    """
    tk.check_access("resource_validation_delete", context, data_dict)
    resource_id = _resource_id(context, data_dict)
    if not validation.delete(resource_id):
        raise tk.ObjectNotFound(tk._("No validation report exists for this resource"))
    return {"deleted": resource_id}
