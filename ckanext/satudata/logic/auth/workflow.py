"""Who may move a dataset through the workflow, and read its history and tasks."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.logic.auth.dataset_access import can_read_dataset, deny, package_of
from ckanext.satudata.workflow import permissions, states

__all__ = ["satudata_dataset_submit", "satudata_dataset_verify", "satudata_dataset_reject", "satudata_dataset_publish", "satudata_dataset_unpublish", "satudata_dataset_compliance", "satudata_dataset_history", "satudata_dataset_history_actors", "satudata_task_list"]


def _transition(context: Context, data_dict: DataDict, action: str) -> AuthResult:
    """The ``who`` of the workflow table (workflow/states.py) for ``action``."""
    pkg = package_of(context, data_dict)
    if states.may(context.get("user"), action, pkg):
        return {"success": True}
    return deny(tk._(states.action(action).refusal))


@tk.auth_sysadmins_check
def satudata_dataset_submit(context: Context, data_dict: DataDict) -> AuthResult:
    return _transition(context, data_dict, "submit")


@tk.auth_sysadmins_check
def satudata_dataset_verify(context: Context, data_dict: DataDict) -> AuthResult:
    return _transition(context, data_dict, "verify")


@tk.auth_sysadmins_check
def satudata_dataset_reject(context: Context, data_dict: DataDict) -> AuthResult:
    return _transition(context, data_dict, "reject")


@tk.auth_sysadmins_check
def satudata_dataset_publish(context: Context, data_dict: DataDict) -> AuthResult:
    return _transition(context, data_dict, "publish")


@tk.auth_sysadmins_check
def satudata_dataset_unpublish(context: Context, data_dict: DataDict) -> AuthResult:
    return _transition(context, data_dict, "unpublish")


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
