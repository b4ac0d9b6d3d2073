"""The SOP's 11 steps of a data request and the moves between its statuses.

Two tables, the only ones: ``STEP_TABLE`` (each step's number, actor and
label; for the steps that advance by themselves, the dataset transition and
statuses that do them) and ``MOVES``, the request's state machine: rows of
(from status, action, to status, who, the step it completes). The actions
(logic/action/request.py) refuse a move without a row, the auth functions
(logic/auth/request.py) let only its ``who`` make it (evaluated by
``access.may``), and the pages (template_helpers.py) show the forms of the
moves the request's status has.

A request's ``step`` is the step waiting to be done; its ``status`` says where
it stands for people (inbox filters). Times per step: ``due.py``, read by step
number.
"""
from __future__ import annotations

from typing import NamedTuple

import ckan.plugins.toolkit as tk

from ckanext.satudata.msgid import N_

__all__ = ["Step", "STEP_TABLE", "STEPS", "ACTORS", "FIRST_AUTOMATIC", "LAST_AUTOMATIC",
           "STATUSES", "OPEN", "CLOSED", "STEP_OF_STATUS",
           "Move", "MOVES", "ACTIONS", "row", "allows", "target", "statuses", "who", "expect",
           "waiting_on", "step_label", "status_label", "actor_label"]


class Step(NamedTuple):
    number: int
    actor: str  # an SDI role; "producer" is the target agency's editor or admin
    label: str  # a msgid
    transition: str | None = None  # steps 8-10: the dataset workflow transition that does it
    done_states: tuple[str, ...] = ()  # steps 8-10: the dataset statuses that count as done


# the SOP's table (docs: /work/shared/SOP.md, seed/sop-pengumpulan-data-sdi-sumedang.txt)
STEP_TABLE: tuple[Step, ...] = (
    Step(1, "forum", N_("Data need filed")),
    Step(2, "walidata", N_("Disposition to agencies")),
    Step(3, "pembina", N_("Statistical activity recommendation")),
    Step(4, "walidata", N_("Standard dataset format")),
    Step(5, "walidata", N_("Request sent to agencies")),
    Step(6, "producer", N_("Data collected")),  # every target agency linked a dataset
    Step(7, "producer", N_("Data entered in the portal")),  # every linked dataset has a resource
    Step(8, "producer", N_("Metadata filled in"), "submit", ("submitted", "verified", "published")),
    Step(9, "ppid", N_("Verified by the PPID"), "verify", ("verified", "published")),
    Step(10, "walidata", N_("Forwarded and published"), "publish", ("published",)),
    Step(11, "forum", N_("Data received")),
)
_BY_NUMBER = {s.number: s for s in STEP_TABLE}

STEPS = tuple(_BY_NUMBER)
ACTORS = {s.number: s.actor for s in STEP_TABLE}
STEP_LABELS = {s.number: s.label for s in STEP_TABLE}

# Steps 6-10 advance by themselves from the linked datasets' state.
FIRST_AUTOMATIC, LAST_AUTOMATIC = 6, 10

STATUSES = ("submitted", "dispositioned", "awaiting_recommendation", "recommended", "format_defined", "sent",
            "delivered", "received", "rejected", "cancelled")
CLOSED = ("received", "rejected", "cancelled")
OPEN = tuple(s for s in STATUSES if s not in CLOSED)

# status -> the step it waits for (sent covers 6-10)
STEP_OF_STATUS = {"submitted": 2, "dispositioned": 3, "awaiting_recommendation": 3, "recommended": 4,
                  "format_defined": 5, "delivered": 11}

STATUS_LABELS = {
    "submitted": N_("New"),
    "dispositioned": N_("Dispositioned"),
    "awaiting_recommendation": N_("Waiting for recommendation"),
    "recommended": N_("Recommendation given"),
    "format_defined": N_("Format defined"),
    "sent": N_("At the agencies"),
    "delivered": N_("Delivered"),
    "received": N_("Received"),
    "rejected": N_("Rejected"),
    "cancelled": N_("Cancelled"),
}

ACTOR_LABELS = {
    "forum": N_("Forum member"),
    "walidata": N_("Walidata"),
    "pembina": N_("Pembina Data"),
    "producer": N_("Data producer"),
    "ppid": N_("PPID"),
}


# ------------------------------------------------------------ the moves

SAME = "="  # a move that leaves the status as it is


class Move(NamedTuple):
    source: str | None  # the status it starts from (None: the request does not exist yet)
    action: str  # satudata_request_<action>; not_needed and set_public are forms of recommend and patch
    target: str  # the status it leads to, or SAME
    who: tuple[str, ...]  # roles, as access.may reads them
    step: int | None = None  # the SOP step it completes


# who: walidata (the role; sysadmins too), forum (Forum members), requester,
# asked_pembina (the Pembina asked, or any Pembina when none was named),
# target_producer (an editor of the dataset's agency, producer of an agency the
# request was sent to), reader (whoever sees the whole request), nobody
# (moves the datasets make by themselves).
_WALIDATA = ("walidata",)
_PREPARING = ("dispositioned", "awaiting_recommendation", "recommended", "format_defined")


def _rows(sources, action, target, who, step=None) -> tuple[Move, ...]:
    return tuple(Move(source, action, target, who, step) for source in sources)


MOVES: tuple[Move, ...] = (
    Move(None, "create", "submitted", ("forum", "walidata"), 1),
    # step 2; called again before and after sending, it replaces the agencies
    Move("submitted", "dispose", "dispositioned", _WALIDATA, 2),
    *_rows(_PREPARING + ("sent",), "dispose", SAME, _WALIDATA),
    # step 3: asked (again), given by the Pembina asked, or skipped by the Walidata
    *_rows(("dispositioned", "awaiting_recommendation"), "ask_recommendation", "awaiting_recommendation",
           _WALIDATA),
    Move("awaiting_recommendation", "recommend", "recommended", ("asked_pembina",), 3),
    *_rows(("dispositioned", "awaiting_recommendation"), "not_needed", "recommended", _WALIDATA, 3),
    # step 4, the format changed again until it is sent
    Move("recommended", "set_format", "format_defined", _WALIDATA, 4),
    Move("format_defined", "set_format", SAME, _WALIDATA),
    Move("format_defined", "send", "sent", _WALIDATA, 5),
    # steps 6-10: the datasets linked; the last one published delivers
    Move("sent", "link_dataset", SAME, ("walidata", "target_producer")),
    Move("sent", "unlink_dataset", SAME, ("walidata", "target_producer")),
    Move("sent", "deliver", "delivered", (), 10),
    Move("delivered", "receive", "received", ("requester",), 11),
    *_rows(OPEN, "reject", "rejected", _WALIDATA),
    *_rows(OPEN, "cancel", "cancelled", ("requester", "walidata")),
    # editing: the requester until the Walidata dispositions it, the Walidata while it is open;
    # is_public alone is the Walidata's, closed requests too
    Move("submitted", "update", SAME, ("requester", "walidata")),
    *_rows(OPEN[1:], "update", SAME, _WALIDATA),
    *_rows(STATUSES, "set_public", SAME, _WALIDATA),
    *_rows(STATUSES, "comment_create", SAME, ("reader",)),
)
_TABLE = {(m.source, m.action): m for m in MOVES}
ACTIONS = tuple(dict.fromkeys(m.action for m in MOVES))


def row(action: str, status: str | None) -> Move | None:
    """The move ``action`` makes from ``status``, or None: not possible then."""
    return _TABLE.get((status, action))


def allows(action: str, status: str | None) -> bool:
    return (status, action) in _TABLE


def target(action: str, status: str | None) -> str | None:
    """The status ``action`` leads to from ``status`` (None: not possible)."""
    move = _TABLE.get((status, action))
    if move is None:
        return None
    return status if move.target == SAME else move.target


def statuses(action: str) -> tuple[str, ...]:
    """The statuses ``action`` is possible in."""
    return tuple(m.source for m in MOVES if m.action == action)


def who(action: str, status: str | None = None) -> tuple[str, ...]:
    """Who may ``action`` in ``status``; for a status it is not possible in
    (or none given), those who may in every status it is possible in (the
    action then refuses the status itself)."""
    move = _TABLE.get((status, action))
    if move is not None:
        return move.who
    rows = [m.who for m in MOVES if m.action == action]
    return tuple(r for r in rows[0] if all(r in other for other in rows[1:])) if rows else ()


def expect(action: str, status: str | None) -> Move:
    """The row of ``action`` from ``status``, or the field error saying the
    status does not allow it (raised inside the action: its releasing_locks
    rolls back)."""
    move = _TABLE.get((status, action))
    if move is None:
        raise tk.ValidationError({"status": [tk._("Not possible while the request is %(status)s") % {
            "status": status_label(status)}]})
    return move


def waiting_on(status: str, step: int) -> str:
    """The role a request in ``status`` waits for at ``step``: the step's
    actor, except that the Pembina's step waits for the Walidata until the
    recommendation can be given (it has not been asked yet)."""
    actor = ACTORS.get(step, "walidata")
    if actor == "pembina" and not allows("recommend", status):
        return "walidata"
    return actor


def step_label(step: int, gettext=None) -> str:
    return (gettext or tk._)(STEP_LABELS[step]) if step in STEP_LABELS else str(step)


def status_label(status: str | None, gettext=None) -> str:
    return (gettext or tk._)(STATUS_LABELS[status]) if status in STATUS_LABELS else (status or "")


def actor_label(role: str, gettext=None) -> str:
    return (gettext or tk._)(ACTOR_LABELS[role]) if role in ACTOR_LABELS else role
