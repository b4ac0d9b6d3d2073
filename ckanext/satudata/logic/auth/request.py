"""Who may call each satudata_request_* action (collected by logic/auth/__init__.py).

Sysadmins pass every check (CKAN's rule). Who makes each move of a request is
the ``who`` of its row in datarequest/steps.py (the Walidata's steps, forum
members file, the Pembina asked recommends, the target agencies' producers
link their datasets, the requester receives), read through ``access.may``.
These functions decide permission only, on input the actions validated
first; called on their own (templates), an id they cannot look up names
nothing: not found, never a field error.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.satudata.datarequest import access, steps
from ckanext.satudata.model import DataRequest, RequestFollower
from ckanext.satudata.text import safe_ref

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
    req = access.find((data_dict or {}).get("id"))
    if req is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    return req


def _dataset(data_dict: DataDict) -> model.Package:
    ref = (data_dict or {}).get("dataset_id")
    pkg = model.Package.get(ref) if safe_ref(ref) else None
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def _decide(context: Context, data_dict: DataDict, action: str, refusal: str,
            req: DataRequest | None = None) -> AuthResult:
    """The ``who`` of ``action`` in steps.MOVES. The roles that need no request
    and may make the move in every status are tried first: an action only they
    may make never looks the request up (to everybody else an unknown id and a
    hidden request are refused alike). The request is looked up (unknown: not
    found) only for a role that depends on it."""
    user = context.get("user")
    if any(access.holds(user, role) for role in steps.who(action) if role not in access.NEEDS_REQUEST):
        return _OK
    needs_request = any(role in access.NEEDS_REQUEST for move in steps.MOVES if move.action == action
                        for role in move.who)
    if req is None and not needs_request:
        return _deny(refusal)
    req = req or _request(data_dict)
    if access.may(user, action, req, dataset=lambda: _dataset(data_dict)):
        return _OK
    return _deny(refusal)


def _walidata_only(context: Context, data_dict: DataDict, action: str) -> AuthResult:
    return _decide(context, data_dict, action, tk._("Only the Walidata can do this"))


def _can_see(context: Context, data_dict: DataDict) -> AuthResult:
    if access.can_see(context.get("user"), _request(data_dict)):
        return _OK
    return _deny(tk._("Not authorized to see this data request"))


def satudata_request_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _decide(context, data_dict, "create", tk._("Only Forum Satu Data members can file data requests"))


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
    return _decide(context, data_dict, "update",
                   tk._("The requester can edit a request only until the Walidata dispositions it"))


def satudata_request_patch(context: Context, data_dict: DataDict) -> AuthResult:
    return satudata_request_update(context, data_dict)


def satudata_request_dispose(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context, data_dict, "dispose")


def satudata_request_inbox(context: Context, data_dict: DataDict) -> AuthResult:
    """The request inbox (new, overdue, waiting for a recommendation) is the
    Walidata's: whoever may disposition new requests."""
    return _walidata_only(context, data_dict, "dispose")


def satudata_request_ask_recommendation(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context, data_dict, "ask_recommendation")


def satudata_request_recommend(context: Context, data_dict: DataDict) -> AuthResult:
    """The Pembina asked gives the recommendation; the Walidata may mark it
    not needed (``not_needed`` true, as the action's schema made it)."""
    req = _request(data_dict)
    if (data_dict or {}).get("not_needed") is True:
        return _decide(context, data_dict, "not_needed", tk._("Only the Walidata can do this"), req)
    return _decide(context, data_dict, "recommend",
                   tk._("Only the Pembina Data asked for it can give the recommendation"), req)


def satudata_request_set_format(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context, data_dict, "set_format")


def satudata_request_send(context: Context, data_dict: DataDict) -> AuthResult:
    return _walidata_only(context, data_dict, "send")


def _dataset_link_auth(context: Context, data_dict: DataDict, action: str) -> AuthResult:
    return _decide(context, data_dict, action,
                   tk._("Only the producers of the agencies the request was sent to, or the Walidata, "
                        "can link datasets to it"), _request(data_dict))


def satudata_request_link_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    return _dataset_link_auth(context, data_dict, "link_dataset")


def satudata_request_unlink_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    return _dataset_link_auth(context, data_dict, "unlink_dataset")


def satudata_request_receive(context: Context, data_dict: DataDict) -> AuthResult:
    """The requester confirms receipt (a sysadmin may, for them: CKAN lets sysadmins pass)."""
    return _decide(context, data_dict, "receive", tk._("Only the requester can confirm receipt"))


def satudata_request_reject(context: Context, data_dict: DataDict) -> AuthResult:
    """Only the Walidata rejects; the requester withdraws with cancel."""
    return _walidata_only(context, data_dict, "reject")


def satudata_request_cancel(context: Context, data_dict: DataDict) -> AuthResult:
    return _decide(context, data_dict, "cancel", tk._("Only the requester or the Walidata can cancel a request"))


@tk.auth_allow_anonymous_access
def satudata_request_timeline(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_see(context, data_dict)


def satudata_request_comment_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _decide(context, data_dict, "comment_create", tk._("Not authorized to see this data request"))


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
