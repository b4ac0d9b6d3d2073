"""Who may grant, revoke and list SDI roles."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.workflow import permissions

__all__ = ["satudata_role_grant", "satudata_role_revoke", "satudata_role_list"]


def _sysadmin_only(context: Context) -> AuthResult:
    if permissions.is_sysadmin(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": tk._("Only a sysadmin can manage SDI roles")}


def satudata_role_grant(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context)


def satudata_role_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context)


def satudata_role_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins and the Walidata see every grant; a user sees their own."""
    user = context.get("user")
    if permissions.is_walidata(user):
        return {"success": True}
    own = permissions.roles.user_object(user)
    asked = (data_dict or {}).get("user")
    if own and asked and asked in (own.id, own.name):
        return {"success": True}
    return {"success": False, "msg": tk._("Not authorized to list SDI roles")}
