"""The formats of the SDI reference codes a dataset carries: the BPS
statistical data standard code and the indicator code.

``logic/validators.py`` checks them on input; ``compliance`` checks a stored
dataset against the same rule.
"""
from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk

__all__ = ["standard_code", "indicator_code"]

_STANDARD_CODE = re.compile(r"^[A-Z]{2}\d{5}\.\d{2}\.\d{2}$")
_INDICATOR_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-/]{0,39}$")


def _empty(value: Any) -> bool:
    return value is tk.missing or value is None or value == "" or value == []


def standard_code(value: Any) -> Any:
    """A statistical data standard code in the BPS format (upper-cased), or ``tk.Invalid``."""
    if _empty(value):
        return value
    value = str(value).strip().upper()
    if not _STANDARD_CODE.match(value):
        raise tk.Invalid(tk._("Not a statistical data standard code: use the BPS format, e.g. SP00055.00.00"))
    return value


def indicator_code(value: Any) -> Any:
    """An indicator code (letters, digits, ``.``, ``-``, ``/``; at most 40), or ``tk.Invalid``."""
    if _empty(value):
        return value
    value = str(value).strip()
    if not _INDICATOR_CODE.match(value):
        raise tk.Invalid(tk._("Not a valid indicator code"))
    return value
