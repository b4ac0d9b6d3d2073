"""Input schemas of the satudata_* actions, one per action, same name."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args

from ckanext.satudata.logic.validators import (
    _term_checker, _term_list_checker, satudata_unicode_safe, satudata_unicode_safe_multiline)
from ckanext.satudata.text import text_problem
from ckanext.satudata.workflow import roles


def validate(data_dict, schema_fn, context):
    """Validate an action's input against its schema; ValidationError on failure."""
    data, errors = tk.navl_validate(data_dict, schema_fn(), context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _one_of(values):
    return tk.get_validator("one_of")(list(values))


def _dataset_ref(key, data, errors, context):
    """A dataset id or name: text the database can be asked about (checked
    before the auth function looks the dataset up)."""
    value = data.get(key)
    if value is tk.missing or value in (None, ""):
        errors[key].append(tk._("Missing value"))
        raise tk.StopOnError
    if not isinstance(value, str):
        errors[key].append(tk._("Must be a dataset id or name"))
        raise tk.StopOnError
    problem = text_problem(value)
    if problem:
        errors[key].append(problem)
        raise tk.StopOnError


# The role actions check their input's form before the auth function
# (``satudata_role_*``), and look the user and agency up after it
# (``satudata_role_refs``): who exists is not told to callers who may not ask.

@validator_args
def satudata_role_grant(not_empty, ignore_missing):
    return {
        "user": [not_empty, satudata_unicode_safe],
        "role": [not_empty, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe],
        "institution": [ignore_missing, satudata_unicode_safe],
    }


@validator_args
def satudata_role_revoke(not_empty, ignore_missing):
    return {
        "user": [not_empty, satudata_unicode_safe],
        "role": [not_empty, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe],
    }


@validator_args
def satudata_role_list(ignore_missing):
    return {
        "user": [ignore_missing, satudata_unicode_safe],
        "role": [ignore_missing, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe],
    }


@validator_args
def satudata_role_refs(ignore_missing, convert_user_name_or_id_to_id, convert_group_name_or_id_to_id):
    """The user and agency a role action names, as ids (after its auth)."""
    return {
        "user": [ignore_missing, convert_user_name_or_id_to_id],
        "organization": [ignore_missing, convert_group_name_or_id_to_id],
    }


@validator_args
def satudata_dataset_id():
    return {"id": [_dataset_ref]}


@validator_args
def satudata_dataset_note(ignore_missing):
    return {"id": [_dataset_ref], "note": [ignore_missing, satudata_unicode_safe_multiline]}


@validator_args
def satudata_dataset_submit(ignore_missing, strip_value, ignore_empty):
    """The producer's optional note of what was fixed, shown to the PPID."""
    return {"id": [_dataset_ref],
            "note": [ignore_missing, satudata_unicode_safe_multiline, strip_value, ignore_empty]}


@validator_args
def satudata_dataset_reason(not_empty, strip_value):
    return {"id": [_dataset_ref],
            "reason": [not_empty, satudata_unicode_safe_multiline, strip_value, not_empty]}


@validator_args
def satudata_dataset_verify(not_empty, ignore_missing):
    return {
        "id": [_dataset_ref],
        "note": [ignore_missing, satudata_unicode_safe_multiline],
        "sdi_classification": [ignore_missing, satudata_unicode_safe, _term_checker("classification")],
        "sdi_exemption_basis": [ignore_missing, _term_list_checker("exemption_basis")],
        "sdi_consequence_test": [ignore_missing, satudata_unicode_safe_multiline],
    }
