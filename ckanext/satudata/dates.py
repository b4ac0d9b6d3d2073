"""One date format on every page: "9 Desember 2026" and "9 Desember 2026,
09.04 WIB", in the portal's time zone (``ckanext.satudata.timezone``) with its
abbreviation (WIB, WITA, WIT), in the page's language."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk
from babel.dates import format_date

__all__ = ["as_datetime", "render", "zone", "local_date"]


def zone() -> ZoneInfo:
    """The portal's time zone: ``ckanext.satudata.timezone`` (core's
    ``ckan.display_timezone`` only formats dates and defaults to UTC)."""
    return ZoneInfo(tk.config.get("ckanext.satudata.timezone"))


def local_date(moment: dt.datetime) -> dt.date:
    """The portal's local date of a naive UTC moment (as the database stores them)."""
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(zone()).date()


def as_datetime(value) -> dt.datetime | dt.date | None:
    """A datetime (naive ones are UTC, as CKAN stores them) or a date from a
    datetime, a date or an ISO 8601 string; None for anything else."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _locale() -> str:
    try:
        return str(tk.h.lang() or "id")
    except RuntimeError:  # outside a request
        return tk.config.get("ckan.locale_default") or "id"


def render(value, with_hours: bool = False, with_seconds: bool = False) -> str:
    """The date (and time) of ``value`` as every page writes it; '' when it
    is not a date."""
    moment = as_datetime(value)
    if moment is None:
        return ""
    locale = _locale()
    if not isinstance(moment, dt.datetime):
        return format_date(moment, "d MMMM y", locale=locale)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    local = moment.astimezone(zone())
    day = format_date(local.date(), "d MMMM y", locale=locale)
    if not (with_hours or with_seconds):
        return day
    sep = "." if locale.startswith("id") else ":"
    clock = sep.join(f"{part:02d}" for part in (
        (local.hour, local.minute, local.second) if with_seconds else (local.hour, local.minute)))
    return f"{day}, {clock} {local.tzname()}"
