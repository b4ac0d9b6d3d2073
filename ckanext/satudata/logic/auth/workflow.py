"""Who may move a dataset through the workflow, and read its history and tasks."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.logic.auth.dataset_access import can_read_dataset, deny, is_producer, package_of
from ckanext.satudata.workflow import permissions

__all__ = ["satudata_dataset_submit", "satudata_dataset_verify", "satudata_dataset_reject", "satudata_dataset_publish", "satudata_dataset_unpublish", "satudata_dataset_compliance", "satudata_dataset_history", "satudata_dataset_history_actors", "satudata_task_list"]


@tk.auth_sysadmins_check
def satudata_dataset_submit(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = package_of(context, data_dict)
    if is_producer(context.get("user"), pkg):
        return {"success": True}
    return deny(tk._("Only the producing agency's editors can submit this dataset"))


@tk.auth_sysadmins_check
def satudata_dataset_verify(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = package_of(context, data_dict)
    if permissions.is_ppid_of(context.get("user"), pkg.owner_org):
        return {"success": True}
    return deny(tk._("Only the PPID of the producing agency can verify this dataset"))


@tk.auth_sysadmins_check
def satudata_dataset_reject(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = package_of(context, data_dict)
    user = context.get("user")
    if permissions.is_ppid_of(user, pkg.owner_org):
        return {"success": True}
    if pkg.extras.get("sdi_status") == "verified" and permissions.is_walidata(user):
        return {"success": True}
    return deny(tk._("Only the agency's PPID, or the Walidata for a verified dataset, can return it for revision"))


@tk.auth_sysadmins_check
def satudata_dataset_publish(context: Context, data_dict: DataDict) -> AuthResult:
    package_of(context, data_dict)
    if permissions.is_walidata(context.get("user")):
        return {"success": True}
    return deny(tk._("Only the Walidata can publish datasets"))


@tk.auth_sysadmins_check
def satudata_dataset_unpublish(context: Context, data_dict: DataDict) -> AuthResult:
    return satudata_dataset_publish(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.auth_sysadmins_check
def satudata_dataset_compliance(context: Context, data_dict: DataDict) -> AuthResult:
    return can_read_dataset(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.auth_sysadmins_check
def satudata_dataset_history(context: Context, data_dict: DataDict) -> AuthResult:
    return can_read_dataset(context, data_dict)


def satudata_dataset_history_actors(context: Context, data_dict: DataDict) -> AuthResult:
    """Who acted in a dataset's history, and their notes: logged-in readers
    when ``ckan.auth.public_user_details`` is true; otherwise the agency's
    members, its PPID and the Walidata. Never anonymous readers."""
    from ckan import authz
    pkg = package_of(context, data_dict)
    user = permissions.roles.user_object(context.get("user"))
    if user is None or user.state != "active":
        return deny(tk._("Not authorized to see who acted on this dataset"))
    if tk.config.get("ckan.auth.public_user_details") or permissions.is_walidata(user) \
            or permissions.is_ppid_of(user, pkg.owner_org) \
            or (pkg.owner_org and authz.users_role_for_group_or_org(pkg.owner_org, user.name)):
        return {"success": True}
    return deny(tk._("Not authorized to see who acted on this dataset"))


def satudata_task_list(context: Context, data_dict: DataDict) -> AuthResult:
    if permissions.roles.user_object(context.get("user")) is None:
        return deny(tk._("Log in to see your tasks"))
    return {"success": True}
