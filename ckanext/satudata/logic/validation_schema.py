"""Input schemas of the resource_validation_* actions, one per action, same
name. The actions check them before auth, so the auth functions only ever see
a string id."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args

from ckanext.satudata.logic.validators import satudata_boolean
from ckanext.satudata.text import text_problem


def _id_string(value: Any) -> str:
    """A resource id: a string (not a number or a list), of safe characters."""
    if not isinstance(value, str):
        raise tk.Invalid(tk._("Must be a string"))
    problem = text_problem(value)
    if problem:
        raise tk.Invalid(problem)
    return value


def _async(value: Any) -> bool:
    """``async`` is true unless given: strictly true or false."""
    if value is tk.missing or value is None or value == "":
        return True
    return satudata_boolean(value)


@validator_args
def resource_validation_run(not_empty):
    return {"resource_id": [not_empty, _id_string], "async": [_async]}


@validator_args
def resource_validation_show(not_empty):
    return {"resource_id": [not_empty, _id_string]}


@validator_args
def resource_validation_delete(not_empty):
    return {"resource_id": [not_empty, _id_string]}
