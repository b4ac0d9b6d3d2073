"""SOP time standards as ISO 8601 durations, counted on the local calendar.

A ``B`` suffix (``P5DB``) counts working days: weekends and Indonesian public
holidays (the maintained ``holidays`` package) are skipped. Times are stored
as naive UTC; days are counted in ``ckanext.satudata.timezone`` (default Asia/Jakarta).
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from zoneinfo import ZoneInfo

import ckan.plugins.toolkit as tk
import holidays
from dateutil.relativedelta import relativedelta

from ckanext.satudata import dates
from ckanext.satudata.datarequest import steps

__all__ = ["Duration", "parse", "check_config", "add", "is_working_day", "due_for_step",
           "zone"]

_ISO = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
                  r"(?:T(?:(?P<hours>\d+)H)?)?(?P<business>B)?$")


class Duration:
    def __init__(self, years=0, months=0, weeks=0, days=0, hours=0, business=False):
        self.years, self.months, self.weeks, self.days, self.hours = years, months, weeks, days, hours
        self.business = business

    def __repr__(self):
        return (f"Duration(years={self.years}, months={self.months}, weeks={self.weeks}, days={self.days}, "
                f"hours={self.hours}, business={self.business})")


def parse(text: str) -> Duration:
    """``P7D``, ``P1M``, ``P2M``, ``P5DB`` (5 working days), ``PT12H``..."""
    match = _ISO.match((text or "").strip().upper())
    if not match or text.strip().upper() in ("P", "PB", "PT", "PTB"):
        raise ValueError(f"not an ISO 8601 duration: {text!r}")
    parts = {k: int(v) for k, v in match.groupdict().items() if k != "business" and v}
    business = bool(match.group("business"))
    if business and (parts.get("years") or parts.get("months") or parts.get("hours")):
        raise ValueError(f"working-day durations count days or weeks only: {text!r}")
    return Duration(business=business, **parts)


def step_duration(step: int, config=None) -> Duration:
    key = f"ckanext.satudata.due.step{step}"
    try:
        return parse((config if config is not None else tk.config).get(key))
    except (ValueError, TypeError, AttributeError) as e:
        raise ValueError(f"{key}: {e} (use e.g. P7D, P1M or P5DB)") from None


def check_config(config) -> None:
    """Parse the time standard of every step (steps.STEPS) at start-up, so a
    mistyped one fails then, naming its key, and not in the middle of a step.
    (Step 1's is checked too, though no due date comes from it: step 1 is
    done by filing.) The time zone is checked the same way."""
    for step in steps.STEPS:
        step_duration(step, config)
    try:
        key = "ckanext.satudata.timezone"
        ZoneInfo(config.get(key, tk.config.get(key)))  # absent: the declared default
    except (ValueError, TypeError, KeyError) as e:
        raise ValueError(f"ckanext.satudata.timezone: not a time zone: {e}") from None


def zone() -> ZoneInfo:
    """The portal's local time zone, in which days are counted (``dates.zone``)."""
    return dates.zone()


@lru_cache(maxsize=32)
def _holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.Indonesia(years=year).keys())


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(local: dt.datetime, days: int) -> dt.datetime:
    """``days`` working days after ``local``, at the same time of day."""
    current = local
    counted = 0
    while counted < days:
        current += dt.timedelta(days=1)
        if is_working_day(current.date()):
            counted += 1
    return current


def add(start_utc: dt.datetime, duration: Duration) -> dt.datetime:
    """The naive-UTC moment ``duration`` after ``start_utc``."""
    local_zone = zone()
    local = start_utc.replace(tzinfo=dt.timezone.utc).astimezone(local_zone).replace(tzinfo=None)
    if duration.business:
        local = add_working_days(local, duration.days + 5 * duration.weeks)
    else:
        local = local + relativedelta(years=duration.years, months=duration.months, weeks=duration.weeks,
                                      days=duration.days, hours=duration.hours)
    return local.replace(tzinfo=local_zone).astimezone(dt.timezone.utc).replace(tzinfo=None)


def due_for_step(step: int, previous_end_utc: dt.datetime) -> dt.datetime:
    """A step is due its time standard after the end of the step before."""
    return add(previous_end_utc, step_duration(step))
