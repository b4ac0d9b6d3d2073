"""Who may read the update schedule: the Walidata (every agency) and an
agency's members and PPID (their agency's)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.logic.auth.dataset_access import deny
from ckanext.satudata.workflow import permissions, roles

__all__ = ["satudata_update_schedule_list"]


def satudata_update_schedule_list(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    if permissions.is_walidata(user):
        return {"success": True}
    org = (data_dict or {}).get("organization")
    obj = roles.user_object(user)
    if obj is None:
        return deny(tk._("Only the Walidata and the agencies read the update schedule"))
    if org is None:
        return {"success": True}  # the action lists the caller's own agencies only
    if authz.has_user_permission_for_group_or_org(org, obj.name, "read") or permissions.is_ppid_of(obj, org):
        return {"success": True}
    return deny(tk._("Only the Walidata and the agency's own staff read its update schedule"))
