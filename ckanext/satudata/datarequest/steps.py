"""The SOP's 11 steps of a data request and the request's statuses.

A request's ``step`` is the step waiting to be done; its ``status`` says where
it stands for people (inbox filters). Who may act is decided in
logic/request_auth.py; this module only knows the order.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.satudata.msgid import N_

__all__ = ["STEPS", "ACTORS", "STATUSES", "OPEN", "CLOSED", "STEP_OF_STATUS", "step_label", "status_label",
           "actor_label", "STEP_LABELS", "STATUS_LABELS", "ACTOR_LABELS", "FIRST_AUTOMATIC", "LAST_AUTOMATIC"]

STEPS = tuple(range(1, 12))

# step -> who does it (an SDI role; "producer" is the target agency's editor/admin)
ACTORS = {1: "forum", 2: "walidata", 3: "pembina", 4: "walidata", 5: "walidata", 6: "producer",
          7: "producer", 8: "producer", 9: "ppid", 10: "walidata", 11: "forum"}

# Steps 6-10 advance by themselves from the linked datasets' state.
FIRST_AUTOMATIC, LAST_AUTOMATIC = 6, 10

STATUSES = ("submitted", "dispositioned", "awaiting_recommendation", "recommended", "format_defined", "sent",
            "delivered", "received", "rejected", "cancelled")
CLOSED = ("received", "rejected", "cancelled")
OPEN = tuple(s for s in STATUSES if s not in CLOSED)

# status -> the step it waits for (sent covers 6-10)
STEP_OF_STATUS = {"submitted": 2, "dispositioned": 3, "awaiting_recommendation": 3, "recommended": 4,
                  "format_defined": 5, "delivered": 11}


STEP_LABELS = {
    1: N_("Data need filed"),
    2: N_("Disposition to agencies"),
    3: N_("Statistical activity recommendation"),
    4: N_("Standard dataset format"),
    5: N_("Request sent to agencies"),
    6: N_("Data collected"),
    7: N_("Data entered in the portal"),
    8: N_("Metadata filled in"),
    9: N_("Verified by the PPID"),
    10: N_("Forwarded and published"),
    11: N_("Data received"),
}

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


def step_label(step: int, gettext=None) -> str:
    return (gettext or tk._)(STEP_LABELS[step]) if step in STEP_LABELS else str(step)


def status_label(status: str | None, gettext=None) -> str:
    return (gettext or tk._)(STATUS_LABELS[status]) if status in STATUS_LABELS else (status or "")


def actor_label(role: str, gettext=None) -> str:
    return (gettext or tk._)(ACTOR_LABELS[role]) if role in ACTOR_LABELS else role
