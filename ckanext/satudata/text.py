"""Text that PostgreSQL can store and be asked about: one check for every
input (schemas, auth functions, views) before it reaches the database."""
from __future__ import annotations

import unicodedata
from typing import Any

import ckan.plugins.toolkit as tk

__all__ = ["text_problem", "safe_ref"]


def text_problem(value: Any, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored in or looked up from PostgreSQL, or
    None: a control character (NUL included; tabs and line breaks are allowed
    in ``multiline`` text) or a lone surrogate. Lists and dicts are checked
    item by item (keys too); other types pass (the schema checks them)."""
    if isinstance(value, str):
        allowed = "\t\n\r" if multiline else ""
        for char in value:
            category = unicodedata.category(char)
            if category == "Cc" and char not in allowed:
                return tk._("Control characters are not allowed")
            if category == "Cs":
                return tk._("Text must be valid Unicode (no lone surrogates)")
        return None
    if isinstance(value, dict):
        items = [item for pair in value.items() for item in pair]
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        return None
    return next(filter(None, (text_problem(item, multiline=True) for item in items)), None)


def safe_ref(value: Any) -> bool:
    """An id or name the database can be asked about."""
    return isinstance(value, str) and bool(value) and text_problem(value) is None
