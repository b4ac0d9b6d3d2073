"""What the data request pages ask of templates: the forms a user may use now
and the "create dataset for this request" link. Auth decides; this module
only adds the statuses in which each action is possible at all."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata.datarequest import steps

__all__ = ["ACTION_STATUSES", "allowed_actions", "may_edit", "may_see_agency_requests",
           "request_title", "may_unlink", "producer_org_ids", "new_dataset_url", "field_label", "event_label"]

# action -> statuses in which it can succeed (mirrors logic/action/request.py)
ACTION_STATUSES = {
    "dispose": ("submitted", "dispositioned", "awaiting_recommendation", "recommended", "format_defined", "sent"),
    "ask_recommendation": ("dispositioned", "awaiting_recommendation"),
    "recommend": ("awaiting_recommendation",),
    "not_needed": ("dispositioned", "awaiting_recommendation"),
    "set_format": ("recommended", "format_defined"),
    "send": ("format_defined",),
    "link_dataset": ("sent",),
    "unlink_dataset": ("sent",),
    "receive": ("delivered",),
    "reject": steps.OPEN,
    "cancel": steps.OPEN,
    "comment_create": steps.STATUSES,
    "update": steps.OPEN,
    "set_public": steps.STATUSES,  # the Walidata's is_public, closed requests too
}


def _may(action: str, data: dict[str, Any]) -> bool:
    try:
        tk.check_access(f"satudata_request_{action}", {"user": tk.current_user.name}, data)
        return True
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False


def producer_org_ids(req: dict[str, Any]) -> list[str]:
    """The request's target agencies in which the current user may create datasets."""
    return [org["id"] for org in req.get("organizations") or []
            if tk.h.check_access("package_create", {"owner_org": org["id"]})]


def allowed_actions(req: dict[str, Any]) -> set[str]:
    """The forms of the request page the current user may use now."""
    if req.get("limited") or not tk.current_user.is_authenticated:
        return set()
    status = req["status"]
    allowed = set()
    for action, statuses in ACTION_STATUSES.items():
        if status not in statuses or action in ("not_needed", "link_dataset", "unlink_dataset", "set_public"):
            continue
        if _may(action, {"id": req["id"]}):
            allowed.add(action)
    if status in ACTION_STATUSES["not_needed"] and _may("recommend", {"id": req["id"], "not_needed": True}):
        allowed.add("not_needed")
    if status in ACTION_STATUSES["link_dataset"] and (
            _may("dispose", {"id": req["id"]}) or producer_org_ids(req)):
        allowed.add("link_dataset")
    if _may("inbox", {}) and _may("patch", {"id": req["id"]}):  # is_public is the Walidata's
        allowed.add("set_public")
    allowed.add("unfollow" if req.get("am_following") else "follow")
    return allowed


def may_edit(req: dict[str, Any]) -> bool:
    """The edit form: auth (requester while submitted, Walidata), while the request is open."""
    return (not req.get("limited") and req["status"] in ACTION_STATUSES["update"]
            and _may("update", {"id": req["id"]}))


def may_see_agency_requests(org_id: str) -> bool:
    """The agency's members (sysadmins too) get the link to its requests."""
    from ckan import authz

    user = tk.current_user.name if tk.current_user.is_authenticated else None
    return bool(user and authz.has_user_permission_for_group_or_org(org_id, user, "read"))


def request_title(request_id: str | None) -> str | None:
    """The title of a request the current user may see (None otherwise)."""
    if not request_id:
        return None
    try:
        req = tk.get_action("satudata_request_show")({"user": tk.current_user.name}, {"id": request_id})
    except (tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
        return None
    return req.get("title")


def may_unlink(req: dict[str, Any], dataset_id: str) -> bool:
    return req["status"] in ACTION_STATUSES["unlink_dataset"] and _may(
        "unlink_dataset", {"id": req["id"], "dataset_id": dataset_id})


def new_dataset_url(req: dict[str, Any], org_id: str) -> str:
    """/dataset/new for the agency, carrying the request id and pre-filled from
    the request's metadata template (CKAN's new-dataset form reads query args)."""
    args = {key: value for key, value in (req.get("metadata_template") or {}).items()
            if key not in ("owner_org", "sdi_request_id", "id", "name")}
    return tk.h.url_for("dataset.new", owner_org=org_id, sdi_request_id=req["id"], **args)


def field_label(field: str) -> str:
    """The label of an input of the request forms (for error messages)."""
    labels = {
        "title": tk._("Title"), "description": tk._("Description"), "purpose": tk._("Purpose and legal basis"),
        "needed_by": tk._("Needed by"), "indicators": tk._("Indicators"), "area_level": tk._("Area level"),
        "years": tk._("Years"), "organizations": tk._("Agencies"), "pembina": tk._("Pembina Data"),
        "number": tk._("Recommendation number"), "date": tk._("Recommendation date"),
        "text": tk._("Recommendation"), "reason": tk._("Reason"), "table_schema": tk._("Table Schema"),
        "metadata_template": tk._("Metadata template"), "dataset_id": tk._("Dataset"),
        "comment": tk._("Comment"), "note": tk._("Note"), "status": tk._("Status"), "id": tk._("Data request"),
        "requester": tk._("Requester"),
    }
    return labels.get(field, field)


def event_label(event: dict[str, Any]) -> str:
    """What a timeline event says, for the request's history."""
    if event.get("kind") == "step" and event.get("step"):
        return steps.step_label(event["step"])
    labels = {
        "ask_recommendation": tk._("Recommendation asked"), "redisposed": tk._("Agencies changed"),
        "format_updated": tk._("Format changed"), "updated": tk._("Request edited"),
        "link": tk._("Dataset linked"), "unlink": tk._("Dataset unlinked"), "comment": tk._("Comment"),
        "rejected": tk._("Rejected"), "cancelled": tk._("Cancelled"),
    }
    return labels.get(event.get("kind"), event.get("kind") or "")
