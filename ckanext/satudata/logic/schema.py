"""Input schemas of the satudata_* actions, one per action, same name."""
from __future__ import annotations

from ckan.logic.schema import validator_args

from ckanext.satudata import roles


def _one_of(values):
    import ckan.plugins.toolkit as tk
    return tk.get_validator("one_of")(list(values))


@validator_args
def satudata_role_grant(not_empty, ignore_missing, unicode_safe, convert_user_name_or_id_to_id,
                        convert_group_name_or_id_to_id):
    return {
        "user": [not_empty, unicode_safe, convert_user_name_or_id_to_id],
        "role": [not_empty, unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, unicode_safe, convert_group_name_or_id_to_id],
        "institution": [ignore_missing, unicode_safe],
    }


@validator_args
def satudata_role_revoke(not_empty, ignore_missing, unicode_safe, convert_user_name_or_id_to_id,
                         convert_group_name_or_id_to_id):
    return {
        "user": [not_empty, unicode_safe, convert_user_name_or_id_to_id],
        "role": [not_empty, unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, unicode_safe, convert_group_name_or_id_to_id],
    }


@validator_args
def satudata_role_list(ignore_missing, unicode_safe, convert_user_name_or_id_to_id,
                       convert_group_name_or_id_to_id):
    return {
        "user": [ignore_missing, unicode_safe, convert_user_name_or_id_to_id],
        "role": [ignore_missing, unicode_safe, _one_of(roles.ROLES)],
        "organization": [ignore_missing, unicode_safe, convert_group_name_or_id_to_id],
    }


@validator_args
def satudata_dataset_id(not_empty, unicode_safe):
    return {"id": [not_empty, unicode_safe]}


@validator_args
def satudata_dataset_note(not_empty, ignore_missing, unicode_safe):
    return {"id": [not_empty, unicode_safe], "note": [ignore_missing, unicode_safe]}


@validator_args
def satudata_dataset_reason(not_empty, unicode_safe, strip_value):
    return {"id": [not_empty, unicode_safe], "reason": [not_empty, unicode_safe, strip_value, not_empty]}


@validator_args
def satudata_dataset_verify(not_empty, ignore_missing, unicode_safe):
    import ckan.plugins.toolkit as tk
    from ckanext.satudata import vocab

    def _vocabulary(name):
        def validator(value):
            if value in (None, ""):
                return value
            if value not in vocab.values(name):
                raise tk.Invalid(tk._("Unknown value %(value)s. Choose one of: %(choices)s")
                                 % {"value": value, "choices": ", ".join(sorted(vocab.values(name)))})
            return value
        return validator

    def _basis_list(value):
        import json
        if value in (None, "", []):
            return value
        items = value if isinstance(value, list) else [v.strip() for v in str(value).split(",") if v.strip()]
        unknown = [v for v in items if v not in vocab.values("exemption_basis")]
        if unknown:
            raise tk.Invalid(tk._("Unknown value %(value)s. Choose one of: %(choices)s")
                             % {"value": ", ".join(unknown), "choices": ", ".join(sorted(vocab.values("exemption_basis")))})
        return json.dumps(sorted(set(items)))

    return {
        "id": [not_empty, unicode_safe],
        "note": [ignore_missing, unicode_safe],
        "sdi_classification": [ignore_missing, unicode_safe, _vocabulary("classification")],
        "sdi_exemption_basis": [ignore_missing, _basis_list],
        "sdi_consequence_test": [ignore_missing, unicode_safe],
    }


@validator_args
def satudata_resource_id(not_empty, unicode_safe):
    return {"resource_id": [not_empty, unicode_safe]}
