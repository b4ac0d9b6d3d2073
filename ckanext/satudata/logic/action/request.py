"""Data request actions (SOP steps 1-11): the API contract of issue 6.

Each action checks auth, validates its input, changes the request under a row
lock, commits once, then queues the notices.
"""
from __future__ import annotations

import datetime as dt
import functools

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.types import Context, DataDict
from sqlalchemy import and_, false, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import transitions
from ckanext.satudata.datarequest import access, dictize, notices, progress, steps
from ckanext.satudata.logic import request_schema as rs
from ckanext.satudata.logic.schema import validate
from ckanext.satudata.text import text_problem
from ckanext.satudata.model import DataRequest, RequestAgency, RequestComment, RequestFollower, utcnow

# statuses before the request goes to the agencies (the Walidata prepares it)
_PREPARING = ("submitted", "dispositioned", "awaiting_recommendation", "recommended", "format_defined")
_FIELDS = ("title", "description", "purpose", "needed_by", "indicators", "area_level", "years")


def _user_id(context: Context) -> str | None:
    user = access.user_of(context.get("user"))
    return user.id if user else None


def _require_id(data_dict: DataDict, *more: str) -> None:
    """Ids are non-empty text the database can be asked about (no control
    character, no lone surrogate): anything else is a field error, checked
    before auth, never a 500."""
    errors = {}
    for key in ("id", *more):
        value = (data_dict or {}).get(key)
        if not isinstance(value, str) or not value.strip():
            errors[key] = [tk._("Missing value")]
        elif problem := text_problem(value):
            errors[key] = [problem]
    if errors:
        raise tk.ValidationError(errors)


def _existing(data_dict: DataDict) -> DataRequest:
    """The request named by ``id``; sysadmins pass the auth functions (which
    look it up for everyone else), so an unknown id is a 404 here too."""
    req = DataRequest.get(data_dict["id"])
    if req is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    return req


def _releasing_locks(action):
    """A refused action rolls back, releasing the request's row lock at once."""
    @functools.wraps(action)
    def wrapper(*args):
        try:
            return action(*args)
        except (tk.ValidationError, tk.ObjectNotFound, tk.NotAuthorized):
            model.Session.rollback()
            raise
    return wrapper


def _refuse(field: str, message: str):
    model.Session.rollback()
    raise tk.ValidationError({field: [message]})


def _expect_status(req: DataRequest, allowed: tuple[str, ...]) -> None:
    if req.status not in allowed:
        _refuse("status", tk._("Not possible while the request is %(status)s") % {
            "status": steps.status_label(req.status)})


def _commit(events) -> None:
    model.repo.commit()
    notices.enqueue(events)


def _show(req: DataRequest, context: Context) -> dict:
    return dictize.request_dict(req, context.get("user"))


def _throttle(user_id: str) -> None:
    """At most ckanext.satudata.requests_per_day requests per account in 24 hours."""
    limit = tk.config.get("ckanext.satudata.requests_per_day")
    # serialize one account's concurrent filings so the count cannot be raced
    model.Session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"satudata-req-{user_id}"})
    since = utcnow() - dt.timedelta(days=1)
    filed = model.Session.scalar(select(func.count()).select_from(DataRequest).where(
        DataRequest.requester_id == user_id, DataRequest.created >= since))
    if filed >= limit:
        _refuse("requester", tk._("One account may file at most %(limit)s data requests a day; "
                                  "try again tomorrow") % {"limit": limit})


# --------------------------------------------------------------- step 1

@_releasing_locks
def satudata_request_create(context: Context, data_dict: DataDict) -> dict:
    """File a data request (SOP step 1; a Forum Satu Data member).

    :param title: what data is needed
    :param description: details
    :param purpose: the use and legal basis
    :param needed_by: date (YYYY-MM-DD) the data is needed by (optional)
    :param indicators: indicators wanted (list or lines of text, optional)
    :param area_level: wilayah level: provinsi, kabupaten, kecamatan or desa (optional)
    :param years: years wanted, e.g. ``2020-2024`` (optional)
    """
    tk.check_access("satudata_request_create", context, data_dict)
    data = validate(data_dict, rs.satudata_request_create, context)
    user_id = _user_id(context)
    if data.get("is_public") and not permissions.is_walidata(context.get("user")):
        _refuse("is_public", tk._("Only the Walidata can make a request public"))
    if not permissions.is_walidata(context.get("user")):
        _throttle(user_id)
    now = utcnow()
    req = DataRequest(requester_id=user_id, status="submitted", created=now, modified=now, step_started=now,
                      is_public=bool(data.get("is_public")),
                      **{k: data[k] for k in _FIELDS if k in data})
    model.Session.add(req)
    model.Session.flush()
    event = progress.start(req, user_id)
    _commit([event])
    return _show(req, context)


@tk.side_effect_free
def satudata_request_show(context: Context, data_dict: DataDict) -> dict:
    """A request: whole for those it concerns; title, status and public
    datasets only for others when the Walidata made it public.

    :param id: the request id
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_show", context, data_dict)
    req = _existing(data_dict)
    if access.can_see(context.get("user"), req):
        return _show(req, context)
    return dictize.public_dict(req)


def _list_query(user, data: dict):
    """The list's query (before paging) and its order, from validated ``data``
    (also what bench/bench_requests.py --explain plans)."""
    # Requests seen whole take every filter; public ones seen by others only the
    # filters on what they show (status, title), so no filter reveals the rest.
    full, public = [access.full_clause(user)], [DataRequest.is_public.is_(True)]
    if data.get("status"):
        for conditions in (full, public):
            conditions.append(DataRequest.status.in_(data["status"]))
    if data.get("agency"):
        org = model.Group.get(data["agency"])
        if org is None or not org.is_organization:
            raise tk.ValidationError({"agency": [tk._("Unknown agency: %(names)s") % {"names": data["agency"]}]})
        full.append(DataRequest.id.in_(
            select(RequestAgency.request_id).where(RequestAgency.organization_id == org.id)))
    if data.get("requester"):
        full.append(DataRequest.requester_id == data["requester"])
    if data.get("overdue"):
        full += [DataRequest.status.in_(steps.OPEN), DataRequest.step_due < utcnow()]
    if data.get("q"):
        like = "%" + data["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        title, description = (DataRequest.title.ilike(like, escape="\\"),
                              DataRequest.description.ilike(like, escape="\\"))
        full.append(or_(title, description))
        public.append(title)
    if data.get("agency") or data.get("requester") or data.get("overdue"):
        public.append(false())
    query = select(DataRequest).where(or_(and_(*full), and_(*public)))
    order = {"due": DataRequest.step_due.asc().nulls_last(), "modified": DataRequest.modified.desc(),
             "created": DataRequest.created.desc()}[data.get("sort") or "created"]
    return query, order


@tk.side_effect_free
def satudata_request_list(context: Context, data_dict: DataDict) -> dict:
    """Requests the user may see, newest first.

    :param status: one status or a list (``submitted``, ``dispositioned``,
        ``awaiting_recommendation``, ``recommended``, ``format_defined``,
        ``sent``, ``delivered``, ``received``, ``rejected``, ``cancelled``)
    :param agency: organization name or id the request was sent to
    :param requester: user name or id
    :param overdue: true for open requests whose current step is past due
    :param q: words in the title or description
    :param limit: page size (default 20, at most 1000); ``offset``
    :param sort: ``created`` (default, newest first), ``due`` (soonest first), ``modified``
    :returns: ``{"count": n, "results": [...]}``
    """
    tk.check_access("satudata_request_list", context, data_dict)
    data = validate(data_dict, rs.satudata_request_list, context)
    user = context.get("user")
    query, order = _list_query(user, data)
    count = model.Session.scalar(select(func.count()).select_from(query.subquery()))
    page = model.Session.scalars(query.order_by(order, DataRequest.id).limit(data.get("limit", 20))
                                 .offset(data.get("offset", 0))).all()
    return {"count": count, "results": dictize.list_rows(list(page), user)}


@_releasing_locks
def satudata_request_update(context: Context, data_dict: DataDict) -> dict:
    """Change a request's description (the requester until it is dispositioned;
    the Walidata while it is open). Same fields as create, plus ``is_public``
    (the Walidata only)."""
    _require_id(data_dict)
    tk.check_access("satudata_request_update", context, data_dict)
    data = validate(data_dict, rs.satudata_request_update, context)
    req = progress.lock(data["id"])
    if req.status not in steps.OPEN and not (
            permissions.is_walidata(context.get("user")) and _only_is_public(req, data)):
        _expect_status(req, steps.OPEN)  # a closed request: only the Walidata's is_public changes
    if not permissions.is_walidata(context.get("user")):
        if req.status != "submitted":
            model.Session.rollback()
            raise tk.NotAuthorized(tk._("The requester can edit a request only until the Walidata dispositions it"))
        if "is_public" in data and bool(data["is_public"]) != req.is_public:
            _refuse("is_public", tk._("Only the Walidata can make a request public"))
    if data.get("needed_by") and data["needed_by"] != req.needed_by and data["needed_by"] < dt.date.today():
        _refuse("needed_by", tk._("The date cannot be in the past"))
    changed = {}
    for key in _FIELDS:
        value = data.get(key)
        if getattr(req, key) != value:
            changed[key] = dictize.iso(value)
            setattr(req, key, value)
    if "is_public" in data and bool(data["is_public"]) != req.is_public:
        req.is_public = bool(data["is_public"])
        changed["is_public"] = req.is_public
    if changed:
        progress.record(req, "updated", _user_id(context), data={"changed": sorted(changed)})
    model.repo.commit()
    return _show(req, context)


def _only_is_public(req: DataRequest, data: dict) -> bool:
    """The input changes nothing but ``is_public``."""
    return all(getattr(req, key) == data.get(key) for key in _FIELDS)


@_releasing_locks
def satudata_request_patch(context: Context, data_dict: DataDict) -> dict:
    """Like update, changing only the fields given (merged with the stored
    ones under the request's row lock, so two patches at once keep both).
    The Walidata may change ``is_public`` alone in any status."""
    _require_id(data_dict)
    tk.check_access("satudata_request_patch", context, data_dict)
    req = progress.lock(data_dict["id"])  # held until update commits: same transaction
    current = {k: dictize.iso(getattr(req, k)) for k in _FIELDS if getattr(req, k) not in (None, "")}
    current["is_public"] = req.is_public
    current.update(data_dict)
    return tk.get_action("satudata_request_update")(context, current)


# ------------------------------------------------------ steps 2 to 5

@_releasing_locks
def satudata_request_dispose(context: Context, data_dict: DataDict) -> dict:
    """Disposition the request to the agencies that hold the data (step 2;
    the Walidata). Called again before sending, it replaces the agencies.

    :param id: the request id
    :param organizations: agency names or ids (list)
    :param note: optional
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_dispose", context, data_dict)
    data = validate(data_dict, rs.satudata_request_dispose, context)
    req = progress.lock(data["id"])
    _expect_status(req, _PREPARING + ("sent",))
    wanted = data["organizations"]
    current = {row.organization_id: row for row in model.Session.scalars(
        select(RequestAgency).where(RequestAgency.request_id == req.id)).all()}
    for org_id, row in current.items():
        if org_id not in wanted:
            model.Session.delete(row)
    sent = utcnow() if req.status == "sent" else None
    for org_id in wanted:
        if org_id not in current:
            model.Session.add(RequestAgency(request_id=req.id, organization_id=org_id, sent=sent))
    model.Session.flush()
    names = [model.Group.get(i).name for i in wanted]
    if req.status == "submitted":
        events = [progress.complete_step(req, 2, _user_id(context), data.get("note"), {"organizations": names})]
        req.status = "dispositioned"
    else:
        # agencies added after sending hear of it as the first ones did at step 5
        added = [model.Group.get(i).name for i in wanted if i not in current] if sent else []
        events = [progress.record(req, "redisposed", _user_id(context), data.get("note"),
                                  {"organizations": names, "added": added}, step=req.step)]
        # an agency dropped after sending may have been all the request waited for
        events += progress.advance(req, _user_id(context))
    _commit(events)
    return _show(req, context)


@_releasing_locks
def satudata_request_ask_recommendation(context: Context, data_dict: DataDict) -> dict:
    """Ask the Pembina Data for the statistical-activity recommendation (step 3;
    the Walidata).

    :param id: the request id
    :param pembina: the Pembina user asked (optional: any Pembina Data)
    :param note: optional
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_ask_recommendation", context, data_dict)
    data = validate(data_dict, rs.satudata_request_ask_recommendation, context)
    req = progress.lock(data["id"])
    _expect_status(req, ("dispositioned", "awaiting_recommendation"))
    req.pembina_id = data.get("pembina")
    req.recommendation = {"asked_at": utcnow().isoformat(), "asked_by": _user_id(context),
                          "note": data.get("note")}
    req.status = "awaiting_recommendation"
    event = progress.record(req, "ask_recommendation", _user_id(context), data.get("note"),
                            {"pembina": dictize._user_name(req.pembina_id)}, step=3)
    _commit([event])
    return _show(req, context)


@_releasing_locks
def satudata_request_recommend(context: Context, data_dict: DataDict) -> dict:
    """Give the statistical-activity recommendation (step 3; the Pembina asked),
    or mark it not needed with a reason (the Walidata, e.g. administrative data).

    :param id: the request id
    :param number: the recommendation number
    :param date: its date (YYYY-MM-DD)
    :param text: the recommendation
    :param not_needed: true to skip it (the Walidata), with ``reason``
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_recommend", context, data_dict)
    data = validate(data_dict, rs.satudata_request_recommend, context)
    if data.get("not_needed"):
        if not data.get("reason"):
            raise tk.ValidationError({"reason": [tk._("Say why no recommendation is needed")]})
    else:
        missing = {k: [tk._("Missing value")] for k in ("number", "date", "text") if not data.get(k)}
        if missing:
            raise tk.ValidationError(missing)
    req = progress.lock(data["id"])
    _expect_status(req, ("dispositioned", "awaiting_recommendation"))
    if not data.get("not_needed") and req.status != "awaiting_recommendation":
        _refuse("status", tk._("The Walidata has not asked for a recommendation"))
    record = dict(req.recommendation or {})
    if data.get("not_needed"):
        record.update(not_needed=True, reason=data["reason"])
        note = data["reason"]
    else:
        record.update(not_needed=False, number=data["number"], date=data["date"].isoformat(), text=data["text"])
        note = data["text"]
    record.update(given_by=_user_id(context), given_at=utcnow().isoformat())
    req.recommendation = record
    event = progress.complete_step(req, 3, _user_id(context), note,
                                   {k: record.get(k) for k in ("not_needed", "number", "date")})
    req.status = "recommended"
    _commit([event])
    return _show(req, context)


@_releasing_locks
def satudata_request_set_format(context: Context, data_dict: DataDict) -> dict:
    """Set the standard dataset format (step 4; the Walidata): a Frictionless
    Table Schema plus SDI metadata defaults for the datasets.

    :param id: the request id
    :param table_schema: Frictionless Table Schema (object or JSON text)
    :param metadata_template: SDI dataset fields and their default values (object, optional)
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_set_format", context, data_dict)
    data = validate(data_dict, rs.satudata_request_set_format, context)
    req = progress.lock(data["id"])
    _expect_status(req, ("recommended", "format_defined"))
    req.table_schema = data["table_schema"]
    req.metadata_template = data.get("metadata_template") or {}
    fields = [f.get("name") for f in data["table_schema"].get("fields", [])]
    if req.status == "recommended":
        event = progress.complete_step(req, 4, _user_id(context), None, {"fields": fields})
        req.status = "format_defined"
    else:
        event = progress.record(req, "format_updated", _user_id(context), data={"fields": fields}, step=req.step)
    _commit([event])
    return _show(req, context)


@_releasing_locks
def satudata_request_send(context: Context, data_dict: DataDict) -> dict:
    """Send the request with its format to the agencies (step 5; the Walidata).

    :param id: the request id
    :param note: optional
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_send", context, data_dict)
    data = validate(data_dict, rs.satudata_request_note, context)
    req = progress.lock(data["id"])
    _expect_status(req, ("format_defined",))
    now = utcnow()
    for row in model.Session.scalars(select(RequestAgency).where(RequestAgency.request_id == req.id)).all():
        row.sent = now
    event = progress.complete_step(req, 5, _user_id(context), data.get("note"),
                                   {"organizations": [g.name for g in progress.targets(req)]})
    req.status = "sent"
    _commit([event])
    return _show(req, context)


# ------------------------------------------------------ steps 6 to 10

def _dataset(dataset_id: str) -> model.Package:
    pkg = model.Package.get(dataset_id)
    if pkg is None or pkg.state != "active":
        _refuse("dataset_id", tk._("Dataset not found"))
    return pkg


def _reindex(pkg: model.Package) -> None:
    """A delivered dataset's readers change with its requests."""
    transitions.sync_activity_labels(pkg)
    search.rebuild(pkg.id)


@_releasing_locks
def satudata_request_link_dataset(context: Context, data_dict: DataDict) -> dict:
    """Link a dataset that fulfils the request (a producer of an agency the
    request was sent to, or the Walidata). Steps 6-10 then follow the
    dataset's progress by themselves.

    :param id: the request id
    :param dataset_id: dataset id or name
    """
    _require_id(data_dict, "dataset_id")
    tk.check_access("satudata_request_link_dataset", context, data_dict)
    data = validate(data_dict, rs.satudata_request_link_dataset, context)
    # the dataset row first, then the request: the order of the workflow
    # transitions, so a verify or publish at the same moment waits or is waited for
    pkg = transitions.lock_dataset(_dataset(data["dataset_id"]).id)
    req = progress.lock(data["id"])
    progress.check_linkable(req, pkg)
    events = [progress.link(req, pkg, _user_id(context))]
    events += progress.advance(req, _user_id(context))
    model.Session.flush()
    _reindex(pkg)
    _commit(events)
    progress.revalidate(pkg.id)
    return _show(req, context)


@_releasing_locks
def satudata_request_unlink_dataset(context: Context, data_dict: DataDict) -> dict:
    """Unlink a dataset from the request (while it is at the agencies).

    :param id: the request id
    :param dataset_id: dataset id or name
    """
    _require_id(data_dict, "dataset_id")
    tk.check_access("satudata_request_unlink_dataset", context, data_dict)
    data = validate(data_dict, rs.satudata_request_link_dataset, context)
    pkg = model.Package.get(data["dataset_id"])
    if pkg is None:
        _refuse("dataset_id", tk._("Dataset not found"))
    if pkg.state != "deleted":  # the dataset row first, then the request (see link)
        pkg = transitions.lock_dataset(pkg.id)
    req = progress.lock(data["id"])
    _expect_status(req, ("sent",))
    events = [progress.unlink(req, pkg, _user_id(context))]
    if pkg.extras.get("sdi_request_id") == req.id:
        del pkg.extras["sdi_request_id"]  # or the next edit of the dataset would link it again
    events += progress.advance(req, _user_id(context))
    model.Session.flush()
    _reindex(pkg)
    _commit(events)
    return _show(req, context)


# --------------------------------------------------- step 11 and closing

@_releasing_locks
def satudata_request_receive(context: Context, data_dict: DataDict) -> dict:
    """Confirm the data was received (step 11; the requester).

    :param id: the request id
    :param note: optional
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_receive", context, data_dict)
    data = validate(data_dict, rs.satudata_request_note, context)
    req = progress.lock(data["id"])
    if req.status != "delivered":
        _refuse("status", tk._("The data has not been delivered yet: it can be received once every linked "
                               "dataset is published"))
    event = progress.complete_step(req, 11, _user_id(context), data.get("note"))
    req.status, req.closed = "received", event.created
    _commit([event])
    return _show(req, context)


@_releasing_locks
def _close(context: Context, data_dict: DataDict, action: str, status: str) -> dict:
    _require_id(data_dict)
    tk.check_access(action, context, data_dict)
    data = validate(data_dict, rs.satudata_request_reason, context)
    # The linked datasets' rows first, then the request's, in the order
    # transitions and links take them (their activity rows are relabelled below).
    found = DataRequest.get(data["id"])
    for pkg_id in sorted(pkg.id for pkg in (progress.linked_packages(found) if found else [])):
        transitions.lock_dataset(pkg_id)
    req = progress.lock(data["id"])
    _expect_status(req, steps.OPEN)
    event = progress.close(req, status, _user_id(context), data["reason"])
    model.Session.flush()
    for pkg in progress.linked_packages(req):  # a closed request no longer opens restricted data
        _reindex(pkg)
    _commit([event])
    return _show(req, context)


def satudata_request_reject(context: Context, data_dict: DataDict) -> dict:
    """Reject an open request (the Walidata), with a reason.

    :param id: the request id
    :param reason: required
    """
    return _close(context, data_dict, "satudata_request_reject", "rejected")


def satudata_request_cancel(context: Context, data_dict: DataDict) -> dict:
    """Withdraw an open request (the requester or the Walidata), with a reason.

    :param id: the request id
    :param reason: required
    """
    return _close(context, data_dict, "satudata_request_cancel", "cancelled")


@tk.side_effect_free
def satudata_request_timeline(context: Context, data_dict: DataDict) -> dict:
    """Every step (actor, done at, due at, overdue or not) and every event.

    :param id: the request id
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_timeline", context, data_dict)
    return dictize.timeline(_existing(data_dict))


# ------------------------------------------------ comments and following

@_releasing_locks
def satudata_request_comment_create(context: Context, data_dict: DataDict) -> dict:
    """Comment on a request (requester, Walidata, Pembina asked, target agencies).

    :param id: the request id
    :param comment: the text
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_comment_create", context, data_dict)
    data = validate(data_dict, rs.satudata_request_comment_create, context)
    req = progress.lock(data["id"])
    comment = RequestComment(request_id=req.id, user_id=_user_id(context), comment=data["comment"])
    model.Session.add(comment)
    model.Session.flush()
    event = progress.record(req, "comment", _user_id(context), data["comment"], {"comment_id": comment.id},
                            step=req.step)
    _commit([event])
    return dictize.comment_dict(comment)


@tk.side_effect_free
def satudata_request_comment_list(context: Context, data_dict: DataDict) -> list[dict]:
    """The request's comments, oldest first.

    :param id: the request id
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_comment_list", context, data_dict)
    _existing(data_dict)
    rows = model.Session.scalars(select(RequestComment).where(RequestComment.request_id == data_dict["id"])
                                 .order_by(RequestComment.created)).all()
    return dictize.comment_dicts(list(rows))


@_releasing_locks
def satudata_request_follow(context: Context, data_dict: DataDict) -> dict:
    """Follow a request to get its notices by email (following it again changes nothing).

    :param id: the request id
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_follow", context, data_dict)
    _existing(data_dict)
    # following twice (or two clicks at once) is following: no error, one row
    model.Session.execute(insert(RequestFollower).values(request_id=data_dict["id"], user_id=_user_id(context),
                                                         created=utcnow()).on_conflict_do_nothing())
    model.repo.commit()
    return {"id": data_dict["id"], "following": True}


@_releasing_locks
def satudata_request_unfollow(context: Context, data_dict: DataDict) -> dict:
    """Stop following a request (not following it changes nothing). A
    request the user neither sees nor follows is not found, as an unknown one.

    :param id: the request id
    """
    _require_id(data_dict)
    tk.check_access("satudata_request_unfollow", context, data_dict)
    _existing(data_dict)
    row = model.Session.get(RequestFollower, (data_dict["id"], _user_id(context)))
    if row is not None:  # not following is already what was asked
        model.Session.delete(row)
        model.repo.commit()
    return {"id": data_dict["id"], "following": False}
