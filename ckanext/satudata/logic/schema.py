"""Input schemas of the satudata_* actions, one per action, same name."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args

from ckanext.satudata.workflow import roles
from ckanext.satudata.logic.validators import (
    _term_checker, _term_list_checker, satudata_unicode_safe, satudata_unicode_safe_multiline)


def validate(data_dict, schema_fn, context):
    """Validate an action's input against its schema; ValidationError on failure."""
    data, errors = tk.navl_validate(data_dict, schema_fn(), context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def _one_of(values):
    return tk.get_validator("one_of")(list(values))


@validator_args
def satudata_role_grant(not_empty, ignore_missing, convert_user_name_or_id_to_id, convert_group_name_or_id_to_id):
    return {
        "user": [not_empty, satudata_unicode_safe, convert_user_name_or_id_to_id],
        "role": [not_empty, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe, convert_group_name_or_id_to_id],
        "institution": [ignore_missing, satudata_unicode_safe],
    }


@validator_args
def satudata_role_revoke(not_empty, ignore_missing, convert_user_name_or_id_to_id, convert_group_name_or_id_to_id):
    return {
        "user": [not_empty, satudata_unicode_safe, convert_user_name_or_id_to_id],
        "role": [not_empty, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe, convert_group_name_or_id_to_id],
    }


@validator_args
def satudata_role_list(ignore_missing, convert_user_name_or_id_to_id, convert_group_name_or_id_to_id):
    return {
        "user": [ignore_missing, satudata_unicode_safe, convert_user_name_or_id_to_id],
        "role": [ignore_missing, satudata_unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, satudata_unicode_safe, convert_group_name_or_id_to_id],
    }


@validator_args
def satudata_dataset_id(not_empty):
    return {"id": [not_empty, satudata_unicode_safe]}


@validator_args
def satudata_dataset_note(not_empty, ignore_missing):
    return {"id": [not_empty, satudata_unicode_safe], "note": [ignore_missing, satudata_unicode_safe_multiline]}


@validator_args
def satudata_dataset_reason(not_empty, strip_value):
    return {"id": [not_empty, satudata_unicode_safe],
            "reason": [not_empty, satudata_unicode_safe_multiline, strip_value, not_empty]}


@validator_args
def satudata_dataset_verify(not_empty, ignore_missing):
    return {
        "id": [not_empty, satudata_unicode_safe],
        "note": [ignore_missing, satudata_unicode_safe_multiline],
        "sdi_classification": [ignore_missing, satudata_unicode_safe, _term_checker("classification")],
        "sdi_exemption_basis": [ignore_missing, _term_list_checker("exemption_basis")],
        "sdi_consequence_test": [ignore_missing, satudata_unicode_safe_multiline],
    }
