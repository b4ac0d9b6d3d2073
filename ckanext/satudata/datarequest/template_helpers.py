"""What the data request pages ask of templates: the forms a user may use now
and the "create dataset for this request" link. The request's status says
which moves are possible at all (steps.MOVES), auth who may make them."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz

from ckanext.satudata.datarequest import steps

__all__ = ["allowed_actions", "may_edit", "may_see_agency_requests", "is_open", "takes_datasets",
           "request_title", "may_unlink", "producer_org_ids", "new_dataset_url", "field_label", "event_label"]

# forms shown by an auth check of their own (below), not their action's
_OWN_CHECK = ("create", "deliver", "not_needed", "link_dataset", "unlink_dataset", "set_public")


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
    for action in steps.ACTIONS:
        if action not in _OWN_CHECK and steps.allows(action, status) and _may(action, {"id": req["id"]}):
            allowed.add(action)
    if steps.allows("not_needed", status) and _may("recommend", {"id": req["id"], "not_needed": True}):
        allowed.add("not_needed")
    if steps.allows("link_dataset", status) and (
            _may("dispose", {"id": req["id"]}) or producer_org_ids(req)):
        allowed.add("link_dataset")
    if steps.allows("set_public", status) and _may("inbox", {}) and _may("patch", {"id": req["id"]}):
        allowed.add("set_public")  # is_public is the Walidata's
    allowed.add("unfollow" if req.get("am_following") else "follow")
    return allowed


def may_edit(req: dict[str, Any]) -> bool:
    """The edit form: auth (requester while submitted, Walidata), while the request is open."""
    return (not req.get("limited") and steps.allows("update", req["status"])
            and _may("update", {"id": req["id"]}))


def may_see_agency_requests(org_id: str) -> bool:
    """The agency's members (sysadmins too) get the link to its requests."""
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
    return steps.allows("unlink_dataset", req["status"]) and _may(
        "unlink_dataset", {"id": req["id"], "dataset_id": dataset_id})


def is_open(status: str) -> bool:
    """The request still has a current step (not received, rejected or cancelled)."""
    return status in steps.OPEN


def takes_datasets(status: str) -> bool:
    """Datasets may be created for and linked to the request now."""
    return steps.allows("link_dataset", status)


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
