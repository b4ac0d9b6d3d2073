"""Who may call each satudata_request_* action (collected by logic/auth/__init__.py).

Sysadmins pass every check (CKAN's rule); the Walidata role does the
Walidata's steps; forum members file; the Pembina asked recommends; the target
agencies' producers link their datasets; the requester receives.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import roles
from ckanext.satudata.datarequest import access
from ckanext.satudata.logic.validators import satudata_boolean
from ckanext.satudata.text import safe_ref
from ckanext.satudata.model import DataRequest, RequestFollower

__all__ = [
    "satudata_request_create", "satudata_request_show", "satudata_request_list", "satudata_request_update",
    "satudata_request_patch", "satudata_request_dispose", "satudata_request_ask_recommendation",
    "satudata_request_recommend", "satudata_request_set_format", "satudata_request_send",
    "satudata_request_link_dataset", "satudata_request_unlink_dataset", "satudata_request_receive",
    "satudata_request_reject", "satudata_request_cancel", "satudata_request_timeline",
    "satudata_request_comment_create", "satudata_request_comment_list", "satudata_request_follow",
    "satudata_request_unfollow", "satudata_request_inbox",
]

_OK: AuthResult = {"success": True}


def _deny(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


def _request(data_dict: DataDict) -> DataRequest:
    ref = (data_dict or {}).get("id")
    req = DataRequest.get(ref) if safe_ref(ref) else None
    if req is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    return req


def _walidata_only(context: Context) -> AuthResult:
    if permissions.is_walidata(context.get("user")):
        return _OK
    return _deny(tk._("Only the Walidata can do this"))


def _can_see(context: Context, data_dict: DataDict) -> AuthResult:
    if access.can_see(context.get("user"), _request(data_dict)):
        return _OK
    return _deny(tk._("Not authorized to see this data request"))


def satudata_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    if roles.has_role(user, "forum") or permissions.is_walidata(user):
        return _OK
    return _deny(tk._("Only Forum Satu Data members can file data requests"))


@tk.auth_allow_anonymous_access
def satudata_request_show(context: Context, data_dict: DataDict) -> AuthResult:
    req = _request(data_dict)
    if access.can_see(context.get("user"), req) or access.can_see_public(req):
        return _OK
    return _deny(tk._("Not authorized to see this data request"))


@tk.auth_allow_anonymous_access
def satudata_request_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Everybody may list; the list holds only what each one may see."""
    return _OK


def satudata_request_update(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    req = _request(data_dict)
    if permissions.is_walidata(user):
        return _OK
    if access.is_requester(user, req) and req.status == "submitted":
        return _OK
    return _deny(tk._("The requester can edit a request only until the Walidata dispositions it"))


def satudata_request_patch(context: Context, data_dict: DataDict) -> AuthResult:
    return satudata_request_update(context, data_dict)


def satudata_request_dispose(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context)


def satudata_request_inbox(context: Context, data_dict: DataDict) -> AuthResult:
    """The request inbox (new, overdue, waiting for a recommendation) is the Walidata's."""
    return _walidata_only(context)


def satudata_request_ask_recommendation(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context)


def not_needed(data_dict: DataDict) -> bool:
    """``not_needed`` read exactly as the action's schema reads it (a value
    it refuses counts as false here; the schema then says what is wrong)."""
    try:
        return satudata_boolean((data_dict or {}).get("not_needed"))
    except tk.Invalid:
        return False


def satudata_request_recommend(context: Context, data_dict: DataDict) -> AuthResult:
    """The Pembina asked gives the recommendation; the Walidata may mark it not needed."""
    user = context.get("user")
    req = _request(data_dict)
    if not_needed(data_dict):
        return _walidata_only(context)
    if access.is_asked_pembina(user, req):
        return _OK
    return _deny(tk._("Only the Pembina Data asked for it can give the recommendation"))


def satudata_request_set_format(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context)


def satudata_request_send(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context)


def _dataset_link_auth(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    req = _request(data_dict)
    if permissions.is_walidata(user):
        return _OK
    dataset_id = (data_dict or {}).get("dataset_id")
    pkg = model.Package.get(dataset_id) if safe_ref(dataset_id) else None
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    obj = access.user_of(user)
    may_edit = bool(obj and pkg.owner_org
                    and authz.has_user_permission_for_group_or_org(pkg.owner_org, obj.name, "update_dataset"))
    if may_edit and access.is_target_producer(user, req):
        return _OK
    return _deny(tk._("Only the producers of the agencies the request was sent to, or the Walidata, "
                      "can link datasets to it"))


def satudata_request_link_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    return _dataset_link_auth(context, data_dict)


def satudata_request_unlink_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    return _dataset_link_auth(context, data_dict)


def satudata_request_receive(context: Context, data_dict: DataDict) -> AuthResult:
    """The requester confirms receipt (a sysadmin may, for them: CKAN lets sysadmins pass)."""
    if access.is_requester(context.get("user"), _request(data_dict)):
        return _OK
    return _deny(tk._("Only the requester can confirm receipt"))


def satudata_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    """Only the Walidata rejects; the requester withdraws with cancel."""
    return _walidata_only(context)


def satudata_request_cancel(context: Context, data_dict: DataDict) -> AuthResult:
    user = context.get("user")
    if permissions.is_walidata(user) or access.is_requester(user, _request(data_dict)):
        return _OK
    return _deny(tk._("Only the requester or the Walidata can cancel a request"))


@tk.auth_allow_anonymous_access
def satudata_request_timeline(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_see(context, data_dict)


def satudata_request_comment_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_see(context, data_dict)


def satudata_request_comment_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_see(context, data_dict)


def satudata_request_follow(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_see(context, data_dict)


def satudata_request_unfollow(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever sees the request, or follows it (one who lost sight of it may
    still stop following). To anyone else a hidden request is not found, as
    an unknown one is: no existence oracle."""
    user = access.user_of(context.get("user"))
    if user is None:
        return _deny(tk._("Log in first"))
    req = _request(data_dict)
    if access.can_see(user, req) or access.can_see_public(req) \
            or model.Session.get(RequestFollower, (req.id, user.id)) is not None:
        return _OK
    raise tk.ObjectNotFound(tk._("Data request not found"))
