"""Data request actions (SOP steps 1-11): the API contract of issue 6.

Each action validates its input (logic/request_schema.py), checks auth, takes
the request's row lock, makes the move its row in datarequest/steps.py allows
from the request's status, and ends the transaction one way
(ckanext.satudata.transaction): commit unless ``defer_commit``, then queue
the notices; a refusal rolls back, releasing the locks.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.types import Context, DataDict
from sqlalchemy import and_, false, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert

from ckanext.satudata import transaction
from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import transitions
from ckanext.satudata.datarequest import access, dictize, notices, progress, steps
from ckanext.satudata.logic import request_schema as rs
from ckanext.satudata.model import DataRequest, RequestAgency, RequestComment, RequestEvent, RequestFollower, utcnow
from ckanext.satudata.transaction import refuse, releasing_locks


def _user_id(context: Context) -> str | None:
    user = access.user_of(context.get("user"))
    return user.id if user else None


def _checked(action: str, context: Context, data_dict: DataDict) -> dict:
    """The input validated against the action's schema (same name), then the
    action's auth function on the validated input. A malformed id is a field
    error at once (nothing can be looked up by it); otherwise whoever may not
    call the action hears that first, and the others what is wrong with the
    input."""
    data, errors = rs.check(data_dict, getattr(rs, action), context)
    refs = {key: value for key, value in errors.items() if key in rs.REFS}
    if refs:
        raise tk.ValidationError(refs)
    tk.check_access(action, context, data)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _existing(data: dict) -> DataRequest:
    """The request named by ``id``; sysadmins pass the auth functions (which
    look it up for everyone else), so an unknown id is a 404 here too."""
    req = DataRequest.get(data["id"])
    if req is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    return req


def _commit(context: Context, events: Iterable[RequestEvent | None] = (),
            then: Callable[[], None] | None = None) -> None:
    """Flush (the answer reads what was written, deferred or not), commit
    unless ``defer_commit``, and once committed queue the events' notices and
    run ``then``."""
    def after() -> None:
        notices.enqueue(events)
        if then is not None:
            then()
    model.Session.flush()
    transaction.commit(context, then=after)


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
        refuse({"requester": [tk._("One account may file at most %(limit)s data requests a day; "
                                   "try again tomorrow") % {"limit": limit}]})


# --------------------------------------------------------------- step 1

@releasing_locks
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
    data = _checked("satudata_request_create", context, data_dict)
    user = context.get("user")
    user_id = _user_id(context)
    if data.get("is_public") and not access.may(user, "set_public"):
        refuse({"is_public": [tk._("Only the Walidata can make a request public")]})
    if not permissions.is_walidata(user):  # the Walidata files on behalf of others without a limit
        _throttle(user_id)
    now = utcnow()
    req = DataRequest(requester_id=user_id, status=steps.target("create", None), created=now, modified=now,
                      step_started=now, is_public=bool(data.get("is_public")),
                      **{k: data[k] for k in dictize.FIELDS if k in data})
    model.Session.add(req)
    model.Session.flush()
    event = progress.start(req, user_id)
    _commit(context, [event])
    return _show(req, context)


@tk.side_effect_free
def satudata_request_show(context: Context, data_dict: DataDict) -> dict:
    """A request: whole for those it concerns; title, status and public
    datasets only for others when the Walidata made it public.

    :param id: the request id
    """
    req = _existing(_checked("satudata_request_show", context, data_dict))
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
    if data.get("agency"):  # an organization id (the schema resolved the name)
        full.append(DataRequest.id.in_(
            select(RequestAgency.request_id).where(RequestAgency.organization_id == data["agency"])))
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
    data = _checked("satudata_request_list", context, data_dict)
    user = context.get("user")
    query, order = _list_query(user, data)
    count = model.Session.scalar(select(func.count()).select_from(query.subquery()))
    page = model.Session.scalars(query.order_by(order, DataRequest.id).limit(data.get("limit", 20))
                                 .offset(data.get("offset", 0))).all()
    return {"count": count, "results": dictize.list_rows(list(page), user)}


@releasing_locks
def satudata_request_update(context: Context, data_dict: DataDict) -> dict:
    """Change a request's description (the requester until it is dispositioned;
    the Walidata while it is open). Same fields as create, plus ``is_public``
    (the Walidata only, closed requests too)."""
    data = _checked("satudata_request_update", context, data_dict)
    user = context.get("user")
    req = progress.lock(data["id"])
    may_set_public = access.may(user, "set_public", req)
    if not steps.allows("update", req.status) and not (
            may_set_public and steps.allows("set_public", req.status) and _only_is_public(req, data)):
        steps.expect("update", req.status)
    if not access.may(user, "update", req):  # again under the row lock: the status may have moved on
        raise tk.NotAuthorized(tk._("The requester can edit a request only until the Walidata dispositions it"))
    if not may_set_public and "is_public" in data and bool(data["is_public"]) != req.is_public:
        refuse({"is_public": [tk._("Only the Walidata can make a request public")]})
    if data.get("needed_by") and data["needed_by"] != req.needed_by and data["needed_by"] < dt.date.today():
        refuse({"needed_by": [tk._("The date cannot be in the past")]})
    changed = {}
    for key in dictize.FIELDS:
        value = data.get(key)
        if getattr(req, key) != value:
            changed[key] = dictize.iso(value)
            setattr(req, key, value)
    if "is_public" in data and bool(data["is_public"]) != req.is_public:
        req.is_public = bool(data["is_public"])
        changed["is_public"] = req.is_public
    if changed:
        progress.record(req, "updated", _user_id(context), data={"changed": sorted(changed)})
    _commit(context)
    return _show(req, context)


def _only_is_public(req: DataRequest, data: dict) -> bool:
    """The input changes nothing but ``is_public``."""
    return all(getattr(req, key) == data.get(key) for key in dictize.FIELDS)


@releasing_locks
def satudata_request_patch(context: Context, data_dict: DataDict) -> dict:
    """Like update, changing only the fields given (merged with the stored
    ones under the request's row lock, so two patches at once keep both).
    The Walidata may change ``is_public`` alone in any status."""
    data = _checked("satudata_request_patch", context, data_dict)
    req = progress.lock(data["id"])  # held until update commits: same transaction
    current = {k: dictize.iso(getattr(req, k)) for k in dictize.FIELDS if getattr(req, k) not in (None, "")}
    current["is_public"] = req.is_public
    current.update(data_dict)
    return tk.get_action("satudata_request_update")(context, current)


# ------------------------------------------------------ steps 2 to 5

@releasing_locks
def satudata_request_dispose(context: Context, data_dict: DataDict) -> dict:
    """Disposition the request to the agencies that hold the data (step 2;
    the Walidata). Called again before sending, it replaces the agencies.

    :param id: the request id
    :param organizations: agency names or ids (list)
    :param note: optional
    """
    data = _checked("satudata_request_dispose", context, data_dict)
    req = progress.lock(data["id"])
    move = steps.expect("dispose", req.status)
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
    if move.step:  # the first disposition
        events = [progress.complete_step(req, move.step, _user_id(context), data.get("note"),
                                         {"organizations": names})]
        req.status = steps.target("dispose", req.status)
    else:
        # agencies added after sending hear of it as the first ones did at step 5
        added = [model.Group.get(i).name for i in wanted if i not in current] if sent else []
        events = [progress.record(req, "redisposed", _user_id(context), data.get("note"),
                                  {"organizations": names, "added": added}, step=req.step)]
        # an agency dropped after sending may have been all the request waited for
        events += progress.advance(req, _user_id(context))
    _commit(context, events)
    return _show(req, context)


@releasing_locks
def satudata_request_ask_recommendation(context: Context, data_dict: DataDict) -> dict:
    """Ask the Pembina Data for the statistical-activity recommendation (step 3;
    the Walidata).

    :param id: the request id
    :param pembina: the Pembina user asked (optional: any Pembina Data)
    :param note: optional
    """
    data = _checked("satudata_request_ask_recommendation", context, data_dict)
    req = progress.lock(data["id"])
    steps.expect("ask_recommendation", req.status)
    req.pembina_id = data.get("pembina")
    req.recommendation = {"asked_at": utcnow().isoformat(), "asked_by": _user_id(context),
                          "note": data.get("note")}
    req.status = steps.target("ask_recommendation", req.status)
    pembina = model.User.get(req.pembina_id) if req.pembina_id else None
    event = progress.record(req, "ask_recommendation", _user_id(context), data.get("note"),
                            {"pembina": pembina.name if pembina else None}, step=req.step)
    _commit(context, [event])
    return _show(req, context)


@releasing_locks
def satudata_request_recommend(context: Context, data_dict: DataDict) -> dict:
    """Give the statistical-activity recommendation (step 3; the Pembina asked),
    or mark it not needed with a reason (the Walidata, e.g. administrative data).

    :param id: the request id
    :param number: the recommendation number
    :param date: its date (YYYY-MM-DD)
    :param text: the recommendation
    :param not_needed: true to skip it (the Walidata), with ``reason``
    """
    data = _checked("satudata_request_recommend", context, data_dict)
    action = "not_needed" if data.get("not_needed") else "recommend"
    req = progress.lock(data["id"])
    if action == "recommend" and not steps.allows(action, req.status) \
            and steps.allows("ask_recommendation", req.status):
        refuse({"status": [tk._("The Walidata has not asked for a recommendation")]})
    move = steps.expect(action, req.status)
    record = dict(req.recommendation or {})
    if data.get("not_needed"):
        record.update(not_needed=True, reason=data["reason"])
        note = data["reason"]
    else:
        record.update(not_needed=False, number=data["number"], date=data["date"].isoformat(), text=data["text"])
        note = data["text"]
    record.update(given_by=_user_id(context), given_at=utcnow().isoformat())
    req.recommendation = record
    event = progress.complete_step(req, move.step, _user_id(context), note,
                                   {k: record.get(k) for k in ("not_needed", "number", "date")})
    req.status = steps.target(action, req.status)
    _commit(context, [event])
    return _show(req, context)


@releasing_locks
def satudata_request_set_format(context: Context, data_dict: DataDict) -> dict:
    """Set the standard dataset format (step 4; the Walidata): a Frictionless
    Table Schema plus SDI metadata defaults for the datasets.

    :param id: the request id
    :param table_schema: Frictionless Table Schema (object or JSON text)
    :param metadata_template: SDI dataset fields and their default values (object, optional)
    """
    data = _checked("satudata_request_set_format", context, data_dict)
    req = progress.lock(data["id"])
    move = steps.expect("set_format", req.status)
    req.table_schema = data["table_schema"]
    req.metadata_template = data.get("metadata_template") or {}
    fields = [f.get("name") for f in data["table_schema"].get("fields", [])]
    if move.step:  # the first format
        event = progress.complete_step(req, move.step, _user_id(context), None, {"fields": fields})
    else:
        event = progress.record(req, "format_updated", _user_id(context), data={"fields": fields}, step=req.step)
    req.status = steps.target("set_format", req.status)
    _commit(context, [event])
    return _show(req, context)


@releasing_locks
def satudata_request_send(context: Context, data_dict: DataDict) -> dict:
    """Send the request with its format to the agencies (step 5; the Walidata).

    :param id: the request id
    :param note: optional
    """
    data = _checked("satudata_request_send", context, data_dict)
    req = progress.lock(data["id"])
    move = steps.expect("send", req.status)
    now = utcnow()
    for row in model.Session.scalars(select(RequestAgency).where(RequestAgency.request_id == req.id)).all():
        row.sent = now
    event = progress.complete_step(req, move.step, _user_id(context), data.get("note"),
                                   {"organizations": [g.name for g in progress.targets(req)]})
    req.status = steps.target("send", req.status)
    _commit(context, [event])
    return _show(req, context)


# ------------------------------------------------------ steps 6 to 10

def _dataset(dataset_id: str) -> model.Package:
    pkg = model.Package.get(dataset_id)
    if pkg is None or pkg.state != "active":
        refuse({"dataset_id": [tk._("Dataset not found")]})
    return pkg


def _reindex(pkg: model.Package) -> None:
    """A delivered dataset's readers change with its requests."""
    transitions.sync_activity_labels(pkg)
    search.rebuild(pkg.id)


@releasing_locks
def satudata_request_link_dataset(context: Context, data_dict: DataDict) -> dict:
    """Link a dataset that fulfils the request (a producer of an agency the
    request was sent to, or the Walidata). Steps 6-10 then follow the
    dataset's progress by themselves.

    :param id: the request id
    :param dataset_id: dataset id or name
    """
    data = _checked("satudata_request_link_dataset", context, data_dict)
    # the dataset row first, then the request: the order of the workflow
    # transitions, so a verify or publish at the same moment waits or is waited for
    pkg = transitions.lock_dataset(_dataset(data["dataset_id"]).id)
    req = progress.lock(data["id"])
    progress.check_linkable(req, pkg)
    events = [progress.link(req, pkg, _user_id(context))]
    events += progress.advance(req, _user_id(context))
    model.Session.flush()
    _reindex(pkg)
    pkg_id = pkg.id
    _commit(context, events, then=lambda: progress.revalidate(pkg_id))
    return _show(req, context)


@releasing_locks
def satudata_request_unlink_dataset(context: Context, data_dict: DataDict) -> dict:
    """Unlink a dataset from the request (while it is at the agencies).

    :param id: the request id
    :param dataset_id: dataset id or name
    """
    data = _checked("satudata_request_unlink_dataset", context, data_dict)
    pkg = model.Package.get(data["dataset_id"])
    if pkg is None:
        refuse({"dataset_id": [tk._("Dataset not found")]})
    if pkg.state != "deleted":  # the dataset row first, then the request (see link)
        pkg = transitions.lock_dataset(pkg.id)
    req = progress.lock(data["id"])
    steps.expect("unlink_dataset", req.status)
    events = [progress.unlink(req, pkg, _user_id(context))]
    if pkg.extras.get("sdi_request_id") == req.id:
        del pkg.extras["sdi_request_id"]  # or the next edit of the dataset would link it again
    events += progress.advance(req, _user_id(context))
    model.Session.flush()
    _reindex(pkg)
    _commit(context, events)
    return _show(req, context)


# --------------------------------------------------- step 11 and closing

@releasing_locks
def satudata_request_receive(context: Context, data_dict: DataDict) -> dict:
    """Confirm the data was received (step 11; the requester).

    :param id: the request id
    :param note: optional
    """
    data = _checked("satudata_request_receive", context, data_dict)
    req = progress.lock(data["id"])
    move = steps.row("receive", req.status)
    if move is None:
        refuse({"status": [tk._("The data has not been delivered yet: it can be received once every linked "
                                "dataset is published")]})
    event = progress.complete_step(req, move.step, _user_id(context), data.get("note"))
    req.status, req.closed = steps.target("receive", req.status), event.created
    _commit(context, [event])
    return _show(req, context)


@releasing_locks
def _close(context: Context, data_dict: DataDict, action: str) -> dict:
    """Reject or cancel (``action``): the request closes with the reason."""
    data = _checked(f"satudata_request_{action}", context, data_dict)
    # The linked datasets' rows first, then the request's, in the order
    # transitions and links take them (their activity rows are relabelled below).
    found = DataRequest.get(data["id"])
    for pkg_id in sorted(pkg.id for pkg in (progress.linked_packages(found) if found else [])):
        transitions.lock_dataset(pkg_id)
    req = progress.lock(data["id"])
    steps.expect(action, req.status)
    event = progress.close(req, steps.target(action, req.status), _user_id(context), data["reason"])
    model.Session.flush()
    for pkg in progress.linked_packages(req):  # a closed request no longer opens restricted data
        _reindex(pkg)
    _commit(context, [event])
    return _show(req, context)


def satudata_request_reject(context: Context, data_dict: DataDict) -> dict:
    """Reject an open request (the Walidata), with a reason.

    :param id: the request id
    :param reason: required
    """
    return _close(context, data_dict, "reject")


def satudata_request_cancel(context: Context, data_dict: DataDict) -> dict:
    """Withdraw an open request (the requester or the Walidata), with a reason.

    :param id: the request id
    :param reason: required
    """
    return _close(context, data_dict, "cancel")


@tk.side_effect_free
def satudata_request_timeline(context: Context, data_dict: DataDict) -> dict:
    """Every step (actor, done at, due at, overdue or not) and every event.

    :param id: the request id
    """
    return dictize.timeline(_existing(_checked("satudata_request_timeline", context, data_dict)))


# ------------------------------------------------ comments and following

@releasing_locks
def satudata_request_comment_create(context: Context, data_dict: DataDict) -> dict:
    """Comment on a request (requester, Walidata, Pembina asked, target agencies).

    :param id: the request id
    :param comment: the text
    """
    data = _checked("satudata_request_comment_create", context, data_dict)
    req = progress.lock(data["id"])
    steps.expect("comment_create", req.status)
    comment = RequestComment(request_id=req.id, user_id=_user_id(context), comment=data["comment"])
    model.Session.add(comment)
    model.Session.flush()
    event = progress.record(req, "comment", _user_id(context), data["comment"], {"comment_id": comment.id},
                            step=req.step)
    _commit(context, [event])
    return dictize.comment_dict(comment)


@tk.side_effect_free
def satudata_request_comment_list(context: Context, data_dict: DataDict) -> list[dict]:
    """The request's comments, oldest first.

    :param id: the request id
    """
    req = _existing(_checked("satudata_request_comment_list", context, data_dict))
    rows = model.Session.scalars(select(RequestComment).where(RequestComment.request_id == req.id)
                                 .order_by(RequestComment.created)).all()
    return dictize.comment_dicts(list(rows))


@releasing_locks
def satudata_request_follow(context: Context, data_dict: DataDict) -> dict:
    """Follow a request to get its notices by email (following it again changes nothing).

    :param id: the request id
    """
    req = _existing(_checked("satudata_request_follow", context, data_dict))
    # following twice (or two clicks at once) is following: no error, one row
    model.Session.execute(insert(RequestFollower).values(request_id=req.id, user_id=_user_id(context),
                                                         created=utcnow()).on_conflict_do_nothing())
    _commit(context)
    return {"id": data_dict["id"], "following": True}


@releasing_locks
def satudata_request_unfollow(context: Context, data_dict: DataDict) -> dict:
    """Stop following a request (not following it changes nothing). A
    request the user neither sees nor follows is not found, as an unknown one.

    :param id: the request id
    """
    req = _existing(_checked("satudata_request_unfollow", context, data_dict))
    row = model.Session.get(RequestFollower, (req.id, _user_id(context)))
    if row is not None:  # not following is already what was asked
        model.Session.delete(row)
        _commit(context)
    return {"id": data_dict["id"], "following": False}
