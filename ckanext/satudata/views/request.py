"""Data request pages (issue 6): list, form, "Permintaan saya", the Walidata's
inbox, the request page with its step forms, and an agency's requests.
Each page calls the satudata_request_* actions; auth decides who sees what."""
from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from ckanext.scheming.helpers import scheming_get_dataset_schema
from flask import Blueprint

from ckanext.satudata.metadata import labels, vocabularies
from ckanext.satudata.datarequest import dictize, steps, template_helpers
from ckanext.satudata.text import safe_ref
from ckanext.satudata.views import table_schema_form
from ckanext.satudata.workflow import roles
from ckanext.satudata.views.errors import error_message, flash_errors, form_errors, refuse

__all__ = ["satudata_request"]

satudata_request = Blueprint("satudata_request", __name__, url_prefix="/permintaan")

_PAGE_SIZE = 20

# url segment -> (action, posted fields passed on)
_STEP_FORMS = {
    "dispose": ("satudata_request_dispose", ("note",)),
    "ask_recommendation": ("satudata_request_ask_recommendation", ("pembina", "note")),
    "recommend": ("satudata_request_recommend", ("number", "date", "text", "not_needed", "reason")),
    "set_format": ("satudata_request_set_format", ("table_schema", "metadata_template")),
    "send": ("satudata_request_send", ("note",)),
    "link_dataset": ("satudata_request_link_dataset", ("dataset_id",)),
    "unlink_dataset": ("satudata_request_unlink_dataset", ("dataset_id",)),
    "receive": ("satudata_request_receive", ("note",)),
    "reject": ("satudata_request_reject", ("reason",)),
    "cancel": ("satudata_request_cancel", ("reason",)),
    "comment": ("satudata_request_comment_create", ("comment",)),
    "follow": ("satudata_request_follow", ()),
    "unfollow": ("satudata_request_unfollow", ()),
    "public": ("satudata_request_patch", ("is_public",)),
}


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name}


def _not_found():
    """A request the user may not see, an unknown one and a malformed id
    (a NUL in the URL) look the same."""
    return tk.abort(404, tk._("Data request not found"))


def _status_options() -> list[dict[str, str]]:
    return [{"value": "", "text": tk._("All statuses")}] + [
        {"value": s, "text": steps.status_label(s)} for s in steps.STATUSES]


def _area_level_options() -> list[dict[str, str]]:
    return [{"value": "", "text": tk._("Choose a level")}] + [
        {"value": t["value"], "text": vocabularies.label("presentation_level", t["value"])}
        for t in vocabularies.terms("presentation_level")]


def _list(filters: dict[str, Any]) -> dict[str, Any]:
    """satudata_request_list with paging; a bad filter gives an empty page and the message."""
    page = tk.h.get_page_number(tk.request.args)
    data = {k: v for k, v in filters.items() if v not in (None, "", False)}
    data.update(limit=_PAGE_SIZE, offset=(page - 1) * _PAGE_SIZE)
    try:
        result = tk.get_action("satudata_request_list")(_context(), data)
        error = None
    except tk.ValidationError as e:
        result, error = {"count": 0, "results": []}, error_message(e, template_helpers.field_label)
    args = {k: v for k, v in tk.request.args.items() if k != "page"}
    pager = Page(collection=result["results"], page=page, item_count=result["count"], items_per_page=_PAGE_SIZE,
                 url=lambda q=None, page=1: tk.h.url_for(tk.request.endpoint, page=page, **args,
                                                         **(tk.request.view_args or {})))
    pager.items = result["results"]
    return {"requests": result["results"], "count": result["count"], "page": pager, "filter_error": error}


def _organizations() -> list[dict[str, Any]]:
    orgs = tk.get_action("organization_list")({}, {"all_fields": True, "limit": 1000})
    return sorted(orgs, key=lambda o: (o.get("title") or o["name"]).lower())


@satudata_request.route("")
def index():
    """Every request the user may see, with filters."""
    args = tk.request.args
    filters = {"status": args.get("status", ""), "agency": args.get("agency", ""), "q": args.get("q", "").strip(),
               "overdue": args.get("overdue") == "true"}
    return tk.render("satudata/request/index.html", dict(
        _list(filters), filters=filters, status_options=_status_options(), organizations=_organizations(),
        may_file=tk.h.check_access("satudata_request_create")))


@satudata_request.route("/saya")
def mine():
    """"Permintaan saya": the current user's requests."""
    if not tk.current_user.is_authenticated:
        return refuse(tk._("Log in to see your data requests"))
    return tk.render("satudata/request/mine.html", dict(
        _list({"requester": tk.current_user.name}),
        may_file=tk.h.check_access("satudata_request_create")))


@satudata_request.route("/kotak-masuk")
def inbox():
    """The Walidata's inbox: new, overdue, waiting for a recommendation."""
    try:
        tk.check_access("satudata_request_inbox", _context(), {})
    except tk.NotAuthorized:
        return refuse(tk._("Only the Walidata has a data request inbox"))
    listing = tk.get_action("satudata_request_list")
    sections = []
    for key, title, filters in (
            ("new", tk._("New requests"), {"status": "submitted"}),
            ("overdue", tk._("Overdue"), {"overdue": True, "sort": "due"}),
            ("awaiting_recommendation", tk._("Waiting for recommendation"), {"status": "awaiting_recommendation"})):
        result = listing(_context(), dict(filters, limit=100))
        sections.append({"key": key, "title": title, "requests": result["results"], "count": result["count"]})
    return tk.render("satudata/request/inbox.html", {"sections": sections})


@satudata_request.route("/baru", methods=["GET", "POST"])
def new():
    """The Forum member's form (SOP step 1)."""
    try:
        tk.check_access("satudata_request_create", _context(), {})
    except tk.NotAuthorized:
        return refuse(tk._("Only Forum Satu Data members can file data requests"))
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        data = _posted_fields()
        try:
            req = tk.get_action("satudata_request_create")(
                _context(), {k: v for k, v in data.items() if v})
        except tk.ValidationError as e:
            errors = form_errors(e)
        else:
            tk.h.flash_success(tk._("Your data request has been filed; the Walidata will follow it up"))
            return tk.redirect_to("satudata_request.read", id=req["id"])
    return tk.render("satudata/request/new.html", _form_vars(data, errors))


def _posted_fields() -> dict[str, str]:
    return {k: tk.request.form.get(k, "").strip() for k in dictize.FIELDS}


def _form_vars(data: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    return {"data": data, "errors": errors, "area_level_options": _area_level_options(),
            "error_summary": {template_helpers.field_label(k): "; ".join(v) for k, v in errors.items()}}


@satudata_request.route("/<id>/ubah", methods=["GET", "POST"])
def edit(id: str):
    """The request's own fields: the requester until it is dispositioned, the Walidata while it is open."""
    try:
        req = tk.get_action("satudata_request_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):  # a malformed id is not found either
        return _not_found()
    if not template_helpers.may_edit(req):
        return refuse(tk._("You may not edit this data request"))
    errors: dict[str, list[str]] = {}
    if tk.request.method == "POST":
        data = _posted_fields()
        try:
            tk.get_action("satudata_request_update")(
                _context(), dict({k: v for k, v in data.items() if v}, id=req["id"]))
        except tk.NotAuthorized:
            return refuse(tk._("You may not edit this data request"))
        except tk.ObjectNotFound:
            return _not_found()
        except tk.ValidationError as e:
            errors = form_errors(e)
        else:
            tk.h.flash_success(tk._("The data request was saved"))
            return tk.redirect_to("satudata_request.read", id=req["id"])
    else:
        data = {k: req.get(k) or "" for k in dictize.FIELDS}
        data["indicators"] = "\n".join(req.get("indicators") or [])
    return tk.render("satudata/request/edit.html", dict(_form_vars(data, errors), req=req))


@satudata_request.route("/instansi/<org>")
def agency(org: str):
    """The requests sent to an agency, with "create a dataset for this request"."""
    try:
        if not safe_ref(org):  # core's organization_show would take a NUL to the database
            raise tk.ObjectNotFound()
        organization = tk.get_action("organization_show")(_context(), {"id": org, "include_datasets": False})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):
        return tk.abort(404, tk._("Agency not found"))
    listing = _list({"agency": organization["id"]})
    show = tk.get_action("satudata_request_show")
    # full dicts for the format and the metadata template of each row (one page)
    requests = [show(_context(), {"id": row["id"]}) if not row.get("limited") else row
                for row in listing["requests"]]
    return tk.render("satudata/request/agency.html", dict(
        listing, requests=requests, organization=organization,
        member=template_helpers.may_see_agency_requests(organization["id"]),
        may_create=tk.h.check_access("package_create", {"owner_org": organization["id"]})))


@satudata_request.route("/<id>")
def read(id: str):
    """The request page; a request the user may not see is not found."""
    req = _show(id)
    if req is None:
        return _not_found()
    return _render_read(req)


def _show(id: str) -> dict[str, Any] | None:
    try:
        return tk.get_action("satudata_request_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized, tk.ValidationError):  # a malformed id is not found either
        return None


def _render_read(req: dict[str, Any], failed: dict[str, Any] | None = None):
    """The request page; ``failed`` is the form that came back with errors:
    ``{"form", "data", "errors", "unplaced"}`` (its input kept, each error by its field)."""
    extra: dict[str, Any] = {"req": req, "failed": failed or {}}
    if not req.get("limited"):
        id = req["id"]
        extra["timeline"] = tk.get_action("satudata_request_timeline")(_context(), {"id": id})
        for event in extra["timeline"]["events"]:
            event["label"] = template_helpers.event_label(event)
        extra["comments"] = tk.get_action("satudata_request_comment_list")(_context(), {"id": id})
        extra["actions"] = actions = tk.h.satudata_request_actions(req)
        extra["template_rows"] = _template_rows(req.get("metadata_template") or {})
        if "dispose" in actions:
            extra["organizations"] = _organizations()
        if "ask_recommendation" in actions:
            extra["pembina_options"] = _pembina_options()
        if "set_format" in actions:
            data = (failed or {}).get("data") if (failed or {}).get("form") == "set_format" else None
            extra["format_form"] = _format_form(req, data)
    return tk.render("satudata/request/read.html", extra)


def _template_rows(template: dict[str, Any]) -> list[dict[str, str]]:
    """The metadata template as the dataset form labels it: field labels, vocabulary terms by their labels."""
    fields = {f["field_name"]: f for f in (scheming_get_dataset_schema("dataset") or {}).get("dataset_fields", [])}
    rows = []
    for key, value in template.items():
        vocabulary = fields.get(key, {}).get("sdi_vocabulary")
        values = value if isinstance(value, list) else [value]
        shown = [vocabularies.label(vocabulary, v) if vocabulary and isinstance(v, str) else str(v) for v in values]
        rows.append({"field": key, "label": labels.field_label(key), "value": ", ".join(shown)})
    return rows


def _pembina_options() -> list[dict[str, str]]:
    """The Pembina Data to ask, by name (the Walidata may list the grants)."""
    try:
        grants = tk.get_action("satudata_role_list")(_context(), {"role": "pembina"})
    except tk.NotAuthorized:
        grants = []
    users = roles.users_by_id(g["user_id"] for g in grants)
    options = {}
    for grant in grants:
        user = users.get(grant["user_id"])
        if user is not None and user.state == "active" and user.name not in options:
            label = user.display_name
            if grant.get("institution"):
                label = f"{label} ({grant['institution']})"
            options[user.name] = label
    return [{"value": "", "text": tk._("Any Pembina Data")}] + sorted(
        ({"value": name, "text": label} for name, label in options.items()), key=lambda o: o["text"].lower())


def _format_form(req: dict[str, Any], posted: dict[str, Any] | None) -> dict[str, Any]:
    """The Table Schema form: the column table and the raw JSON, as stored or as posted."""
    stored = req.get("table_schema")
    if posted is not None:
        rows = table_schema_form.rows_from_form(posted)
        return {"mode": table_schema_form.mode(posted), "rows": rows or table_schema_form.rows_from_schema(None),
                "json": posted.get("table_schema", ""), "metadata_template": posted.get("metadata_template", ""),
                "type_options": table_schema_form.type_options}
    return {"mode": "columns", "type_options": table_schema_form.type_options,
            "rows": table_schema_form.rows_from_schema(stored),
            "json": json.dumps(stored, indent=2, ensure_ascii=False) if stored else "",
            "metadata_template": json.dumps(req["metadata_template"], indent=2, ensure_ascii=False)
            if req.get("metadata_template") else ""}


# the form of the page a step's errors go back to; buttons without inputs answer with a message
_FORM_OF = {"comment": "comment_create"}
_BUTTONS = ("public", "follow", "unfollow", "unlink_dataset")


@satudata_request.route("/<id>/<step>", methods=["POST"])
def act(id: str, step: str):
    """One form of the request page: call its action, then back to the page
    with a message; a refused input comes back in its form, errors by the fields."""
    if step not in _STEP_FORMS:
        return tk.abort(404, tk._("Unknown data request action"))
    if not safe_ref(id):
        return _not_found()
    action, fields = _STEP_FORMS[step]
    form = tk.request.form
    data: dict[str, Any] = {"id": id}
    data.update({k: form[k].strip() for k in fields if form.get(k, "").strip()})
    if step == "dispose":
        data["organizations"] = [o for o in form.getlist("organizations") if o]
    try:
        if step == "set_format" and table_schema_form.mode(form) == "columns":
            req = _show(id)
            if req is None:
                return _not_found()
            schema, errors = table_schema_form.schema_from_form(form, req.get("table_schema"))
            if errors:
                raise tk.ValidationError(errors)
            data["table_schema"] = schema
        result = tk.get_action(action)(_context(), data)
    except tk.NotAuthorized:
        return refuse(tk._("You are not allowed to do this"))
    except tk.ObjectNotFound:
        return _not_found()
    except tk.ValidationError as e:
        return _failed(id, step, e)
    tk.h.flash_success(_done_message(step, result))
    return tk.redirect_to("satudata_request.read", id=id, _anchor="content")


def _failed(id: str, step: str, error: tk.ValidationError):
    """The page again with the form as posted and its errors beside the fields;
    a form the user does not have (errors only auth explains) gets the message."""
    req = _show(id)
    form_key = _FORM_OF.get(step, step)
    if step == "recommend" and tk.request.form.get("not_needed"):
        form_key = "not_needed"
    if (step in _BUTTONS or req is None or req.get("limited")
            or form_key not in tk.h.satudata_request_actions(req)):
        flash_errors(error, template_helpers.field_label)
        return tk.redirect_to("satudata_request.read", id=id)
    errors = form_errors(error)
    shown = set(_STEP_FORMS[step][1]) | {"organizations"} if step == "dispose" else set(_STEP_FORMS[step][1])
    if step == "set_format":
        shown |= {k for k in errors if k.startswith("fields__")}
    data = {k: v for k, v in tk.request.form.items() if k != "_csrf_token"}
    data["organizations"] = tk.request.form.getlist("organizations")
    failed = {"form": form_key, "data": data, "errors": errors,
              "unplaced": {template_helpers.field_label(k): "; ".join(v) for k, v in errors.items() if k not in shown}}
    return _render_read(req, failed)


def _done_message(step: str, result: dict) -> str:
    if step == "public":  # what was saved, not the posted word
        return (tk._("The request is now public") if result.get("is_public")
                else tk._("The request is no longer public"))
    return {
        "dispose": tk._("The request was dispositioned to the agencies"),
        "ask_recommendation": tk._("The Pembina Data was asked for a recommendation"),
        "recommend": tk._("The recommendation was recorded"),
        "set_format": tk._("The dataset format was saved"),
        "send": tk._("The request was sent to the agencies"),
        "link_dataset": tk._("The dataset was linked to the request"),
        "unlink_dataset": tk._("The dataset was unlinked from the request"),
        "receive": tk._("Receipt of the data was confirmed"),
        "reject": tk._("The request was rejected"),
        "cancel": tk._("The request was cancelled"),
        "comment": tk._("Your comment was added"),
        "follow": tk._("You are following this request"),
        "unfollow": tk._("You no longer follow this request"),
    }[step]
