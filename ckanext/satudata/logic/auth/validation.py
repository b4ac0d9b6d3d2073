"""Who may run, read and delete a resource's validation: permission only (the
actions have checked their input before; an unknown or hidden resource is
not found, as for the actions)."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.logic.auth.dataset_access import deny
from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow.permissions import is_producer

__all__ = ["resource_validation_run", "resource_validation_run_sync", "resource_validation_show", "resource_validation_delete",
           "satudata_validation_template"]


def _resource_package(data_dict: DataDict):
    """The active dataset of an active resource, looked up by resource id only."""
    ref = (data_dict or {}).get("resource_id") or (data_dict or {}).get("id")
    res = model.Session.get(model.Resource, ref) if isinstance(ref, str) and ref else None
    pkg = res.package if res is not None and res.state == "active" else None
    if pkg is None or pkg.state != "active":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return pkg


def resource_validation_run(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _resource_package(data_dict)
    if is_producer(context.get("user"), pkg) or permissions.is_ppid_of(context.get("user"), pkg.owner_org) \
            or permissions.is_walidata(context.get("user")):
        return {"success": True}
    return deny(tk._("Not authorized to validate this resource"))


def resource_validation_run_sync(context: Context, data_dict: DataDict) -> AuthResult:
    """``async: false`` runs the validation inside the web request: sysadmins
    only (resource_validation_run queues everyone else's)."""
    _resource_package(data_dict)
    if permissions.is_sysadmin(context.get("user")):
        return {"success": True}
    return deny(tk._("Only a sysadmin can run a validation inside the request"))


def _may_read(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _resource_package(data_dict)
    try:
        tk.check_access("package_show", {"user": context.get("user"), "package": pkg}, {"id": pkg.id})
    except tk.NotAuthorized:
        return deny(tk._("Not authorized to read this dataset"))
    return {"success": True}


@tk.auth_allow_anonymous_access
def resource_validation_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may read the dataset (package_show's rule, SDI readers included)."""
    return _may_read(context, data_dict)


@tk.auth_allow_anonymous_access
def satudata_validation_template(context: Context, data_dict: DataDict) -> AuthResult:
    """The blank CSV/XLSX template of a resource's Table Schema
    (``resource_id``): whoever may read its dataset, as for its report."""
    return _may_read(context, data_dict)


def resource_validation_delete(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _resource_package(data_dict)
    if is_producer(context.get("user"), pkg):
        return {"success": True}
    return deny(tk._("Not authorized to delete this validation report"))
