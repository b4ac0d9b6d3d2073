"""Input schemas of the code-list and area actions (``satudata_vocabulary_*``,
``satudata_area_*``), one per action, same name; checked before auth."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args

from ckanext.satudata.logic.validators import satudata_unicode_safe
from ckanext.satudata.metadata import wilayah

# A page of areas: at most this many (an API client pages on with ``offset``).
AREA_PAGE_MAX = 1000


def _level(value):
    if value not in wilayah.LEVELS:
        raise tk.Invalid(tk._("Unknown level %(value)s. Choose one of: %(levels)s") % {
            "value": value, "levels": ", ".join(wilayah.LEVELS)})
    return value


@validator_args
def satudata_vocabulary_show(not_empty):
    return {"name": [not_empty, satudata_unicode_safe]}


def _page_size(value):
    """A page holds 1 to AREA_PAGE_MAX areas (more is clamped, as core clamps ``rows``)."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise tk.Invalid(tk._("Must be a positive integer"))
    if value < 1:
        raise tk.Invalid(tk._("Must be a positive integer"))
    return min(value, AREA_PAGE_MAX)


@validator_args
def satudata_area_list(ignore_missing, default, natural_number_validator):
    return {
        "q": [ignore_missing, satudata_unicode_safe],
        "level": [ignore_missing, satudata_unicode_safe, _level],
        "parent": [ignore_missing, satudata_unicode_safe],
        "limit": [default(20), _page_size],
        "offset": [default(0), natural_number_validator],
    }


@validator_args
def satudata_area_show(not_empty):
    return {"code": [not_empty, satudata_unicode_safe]}
