"""The update schedule (jadwal pemutakhiran): when a published dataset is
due for its next update, from its frekuensi and the end of its period.

Data of a period can only be produced once the period is over: annual data
whose period ends in 2024 (31 December 2024) has its next period end one
``R/P1Y`` later, on 31 December 2025, and is due then plus the region's
grace period (``ckanext.satudata.update_grace_days``) for producing it.
An irregular frequency (``tidak_tetap``) has no schedule.
"""
from __future__ import annotations

import datetime as dt
import re

import ckan.plugins.toolkit as tk

from ckanext.satudata.metadata import vocabularies

__all__ = ["next_update", "grace_days"]

_PERIOD = re.compile(r"R/P(\d+)([DWMY])")


def grace_days() -> int:
    return tk.config.get("ckanext.satudata.update_grace_days")


def _add(day: dt.date, count: int, unit: str) -> dt.date:
    """``day`` plus ``count`` days, weeks, months or years; a month end stays a month end."""
    if unit == "D":
        return day + dt.timedelta(days=count)
    if unit == "W":
        return day + dt.timedelta(weeks=count)
    months = count * (12 if unit == "Y" else 1)
    year, month = divmod(day.month - 1 + months, 12)
    first_of_next = dt.date(day.year + year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return first_of_next - dt.timedelta(days=1)


def next_update(frequency: str | None, period_end, grace: int | None = None) -> dt.date | None:
    """The date the next update is due, or None (irregular, unknown frequency,
    or no year for the end of the period)."""
    term = vocabularies.term("frequency", frequency or "") or {}
    match = _PERIOD.fullmatch(term.get("iso8601") or "")
    try:
        year = int(period_end)
    except (TypeError, ValueError):
        return None
    if not match or not 1900 <= year <= 2100:
        return None
    period_end_day = dt.date(year, 12, 31)
    due = _add(period_end_day, int(match.group(1)), match.group(2))
    return due + dt.timedelta(days=grace_days() if grace is None else grace)
