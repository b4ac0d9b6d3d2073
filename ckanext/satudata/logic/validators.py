"""Validators of the SDI metadata (registered through IValidators).

Messages are English msgids translated by the extension's catalogue, so API
and form errors come back in Bahasa Indonesia by default and in English on
/en/ pages.
"""
from __future__ import annotations

import datetime
import json
import re
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckanext.scheming.validation import scheming_validator

from ckanext.satudata.datarequest import progress
from ckanext.satudata.metadata import codes
from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.metadata import wilayah
from ckanext.satudata.model import DataRequest, RequestDataset
from ckanext.satudata.text import safe_ref, text_problem
from ckanext.satudata.validation import table_schema
from ckanext.satudata.workflow import permissions

_AGENCY_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,39}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")
_MIN_YEAR, _MAX_YEAR = 1900, 2100


def _empty(value: Any) -> bool:
    return value is tk.missing or value is None or value == "" or value == []


# ------------------------------------------------------------ safe text

_TRUE = ("true", "yes", "t", "y", "1")
_FALSE = ("false", "no", "f", "n", "0")


def _check_text(key, data, errors, multiline: bool) -> None:
    value = data.get(key)
    if value is tk.missing or value is None:
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        errors[key].append(tk._("Must be a string"))
        raise tk.StopOnError
    problem = text_problem(value, multiline)
    if problem:
        errors[key].append(problem)
        raise tk.StopOnError
    data[key] = value.replace("\r\n", "\n").replace("\r", "\n") if multiline else value


def satudata_unicode_safe(key, data, errors, context):
    """Text of one line (ids, names, titles, codes, search words), where
    core's ``unicode_safe`` would go: numbers become text; other types,
    control characters (NUL included) and lone surrogates are field errors,
    and the validators after it do not run (they may query the database)."""
    _check_text(key, data, errors, multiline=False)


def satudata_unicode_safe_multiline(key, data, errors, context):
    """``satudata_unicode_safe`` for text of several lines (descriptions,
    notes, reasons): tabs and line breaks are kept; CR LF and CR become LF."""
    _check_text(key, data, errors, multiline=True)


def satudata_boolean(value: Any) -> bool:
    """true or false, strictly: a bool, 0 or 1, a word core's
    ``boolean_validator`` reads as true (true, yes, t, y, 1) or its opposite
    (false, no, f, n, 0); empty is false. Anything else (``maybe``, ``on``,
    lists) is a field error, where ``boolean_validator`` says false."""
    if value is tk.missing or value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise tk.Invalid(tk._("Must be true or false"))


def _stored_package(context: dict[str, Any], data: dict[Any, Any]):
    """The dataset being updated, or None on create."""
    pkg = context.get("package")
    if pkg is None:
        return None
    data_id = data.get(("id",))
    if data_id not in (None, tk.missing, "") and data_id not in (pkg.id, pkg.name):
        return None
    return pkg


def _stored_extra(context, data, key: str):
    pkg = _stored_package(context, data)
    return pkg.extras.get(key) if pkg is not None else None


def _term_checker(name: str):
    """One term of vocabulary ``name``."""
    def validator(value):
        if _empty(value):
            return value
        if not isinstance(value, str):
            raise tk.Invalid(tk._("Must be a string"))
        problem = text_problem(value)
        if problem:  # before the value is named in a message
            raise tk.Invalid(problem)
        if value not in vocabularies.values(name):
            raise tk.Invalid(
                tk._("Unknown value %(value)s. Choose one of: %(choices)s")
                % {"value": value, "choices": ", ".join(t["value"] for t in vocabularies.terms(name))}
            )
        return value

    return validator


def _term_list_checker(name: str):
    """Zero or more terms of vocabulary ``name``, stored as a JSON list."""
    def validator(value):
        if _empty(value):
            return value
        items = _as_list(value)
        unknown = [v for v in items if v not in vocabularies.values(name)]
        if unknown:
            raise tk.Invalid(
                tk._("Unknown value %(value)s. Choose one of: %(choices)s")
                % {"value": ", ".join(unknown), "choices": ", ".join(t["value"] for t in vocabularies.terms(name))}
            )
        return json.dumps(sorted(set(items)))

    return validator


@scheming_validator
def satudata_vocabulary(field, schema):
    """One term of the field's ``sdi_vocabulary``."""
    return _term_checker(field["sdi_vocabulary"])


@scheming_validator
def satudata_vocabulary_list(field, schema):
    """Zero or more terms of the field's ``sdi_vocabulary``, stored as JSON."""
    return _term_list_checker(field["sdi_vocabulary"])


def _as_list(value: Any) -> list[str]:
    """The items of a list, of a JSON list or of comma-separated text; each
    one text the database can be asked about (or Invalid)."""
    problem = text_problem(value)
    if problem:
        raise tk.Invalid(problem)
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise tk.Invalid(tk._("Not a valid list"))
        if not isinstance(parsed, list):
            raise tk.Invalid(tk._("Not a valid list"))
        return [str(v).strip() for v in parsed if str(v).strip()]
    return [part.strip() for part in text.split(",") if part.strip()]


def satudata_list_output(value: Any) -> list[str]:
    if _empty(value):
        return []
    if isinstance(value, list):
        return value
    try:
        parsed = json.loads(value)
        return parsed if isinstance(parsed, list) else [str(parsed)]
    except ValueError:
        return _as_list(value)


def satudata_default_classification(key, data, errors, context):
    """Keep the stored classification, or propose ``data_umum`` on create."""
    if _empty(data.get(key)):
        data[key] = _stored_extra(context, data, key[0]) or "data_umum"


def satudata_default_agency_type(value):
    return "skpd" if _empty(value) else value


def satudata_default_area_code(key, data, errors, context):
    """Default the coverage to the portal's region (ckanext.satudata.region_code)."""
    if _empty(data.get(key)):
        data[key] = _stored_extra(context, data, key[0]) or tk.config.get("ckanext.satudata.region_code") or tk.missing


def satudata_area_code(value):
    if _empty(value):
        return value
    problem = text_problem(value)
    if problem:
        raise tk.Invalid(problem)
    code = wilayah.normalize(str(value))
    if code is None:
        raise tk.Invalid(tk._("Unknown area code %(code)s (Kemendagri code such as 32.11 or 32.11.01)") % {"code": value})
    return code


def satudata_standard_code(value):
    """A BPS statistical data standard code (metadata/codes.py)."""
    return codes.standard_code(value)


def satudata_indicator_code(value):
    """An indicator code (metadata/codes.py)."""
    return codes.indicator_code(value)


def satudata_agency_code(value):
    if _empty(value):
        return value
    if not isinstance(value, str) or not _AGENCY_CODE.match(value):
        raise tk.Invalid(tk._("Not a valid agency code"))
    return value


def satudata_phone(value):
    if _empty(value):
        return value
    value = str(value).strip()
    if not _PHONE.match(value):
        raise tk.Invalid(tk._("Not a valid phone number"))
    return value


def satudata_year(value):
    if _empty(value):
        return value
    try:
        year = int(str(value).strip())
    except ValueError:
        raise tk.Invalid(tk._("Year must be a whole number, e.g. 2024"))
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        raise tk.Invalid(tk._("Year must be between %(min)s and %(max)s") % {"min": _MIN_YEAR, "max": _MAX_YEAR})
    return str(year)


def satudata_period_end(key, data, errors, context):
    end = data.get(key)
    start = data.get(("sdi_period_start",))
    if _empty(end) or _empty(start) or errors.get(("sdi_period_start",)) or errors.get(key):
        return
    try:
        first, last = int(start), int(end)
    except (TypeError, ValueError):
        return  # the year validators report that
    if last < first:
        errors[key].append(tk._("The last year cannot be before the first year"))


def satudata_recommendation_for_survey(key, data, errors, context):
    """A survey needs the Pembina Data's statistical-activity recommendation."""
    method = data.get(("sdi_collection_method",))
    term = vocabularies.term("collection_method", method) if isinstance(method, str) else None
    if term and term.get("needs_recommendation") and _empty(data.get(key)):
        errors[key].append(tk._("A survey needs the statistical activity recommendation number from the Pembina Data (BPS)"))


def satudata_organization_list(value, context):
    """Names or ids of existing agencies; stored as a JSON list of ids."""
    if _empty(value):
        return value
    ids, unknown = [], []
    for ref in _as_list(value):
        group = model.Group.get(ref)
        if group is None or not group.is_organization or group.state != "active":
            unknown.append(ref)
        else:
            ids.append(group.id)
    if unknown:
        raise tk.Invalid(tk._("Unknown agency: %(names)s") % {"names": ", ".join(unknown)})
    return json.dumps(sorted(set(ids)))


def satudata_ignore_blank(key, data, errors, context):
    """``ignore_missing`` that also drops a blank value (empty or whitespace
    text, an empty list): an optional field left empty in the form is not
    stored, so a dataset saved unchanged reads back as it was, not with
    ``""`` where there was nothing. ``False`` and ``0`` are values."""
    value = data.get(key)
    if value is tk.missing or value is None or value == [] or (isinstance(value, str) and not value.strip()):
        data.pop(key, None)
        raise tk.StopOnError


def _same_value(value: Any, stored: Any) -> bool:
    """``value`` as given (text, a list, a JSON list) is the stored one."""
    if value == stored:
        return True
    if isinstance(stored, str) and stored.startswith("["):
        try:
            return sorted(set(_as_list(value))) == sorted(set(json.loads(stored)))
        except (tk.Invalid, ValueError, TypeError):
            return False
    return isinstance(value, str) and isinstance(stored, str) and value.strip() == stored.strip()


def satudata_ppid_only(key, data, errors, context):
    """A field only the agency's PPID sets (``sdi_ppid_only`` in the schema:
    the exemption basis and the consequence test; the dataset form shows
    them to the PPID alone).

    For anyone else (a producer) the stored value stands: leaving the field
    out or sending it empty keeps it, so a producer's form, which does not
    show it, never clears the PPID's decision; sending the stored value again
    is accepted (``package_patch``); any other value is refused with a field
    error, "Only the agency's PPID can set this field" (a ValidationError,
    never a silent change). The agency's PPID and sysadmins edit it like any
    other field: what they send is stored, an empty value clears it.

    First in the field's validators: it must see a missing value before
    ``satudata_ignore_blank`` drops it. The workflow (``satudata_dataset_verify``)
    writes these fields directly."""
    value = data.get(key)
    pkg = _stored_package(context, data)
    owner_org = data.get(("owner_org",))
    if _empty(owner_org) and pkg is not None:
        owner_org = pkg.owner_org
    if permissions.is_ppid_of(context.get("user"), owner_org if safe_ref(owner_org) else None):
        return
    stored = pkg.extras.get(key[0]) if pkg is not None else None
    if _empty(value) or (isinstance(value, str) and not value.strip()):
        if stored is None:
            data.pop(key, None)
            raise tk.StopOnError
        data[key] = stored
        return
    if not _same_value(value, stored):
        errors[key].append(tk._("Only the agency's PPID can set this field"))
        raise tk.StopOnError


def satudata_status_stored(key, data, errors, context):
    """``sdi_status`` is changed only by the workflow actions (and by an edit
    of published data: ``transitions.back_to_draft_on_edit``)."""
    data[key] = _stored_extra(context, data, key[0]) or "draft"


def _keep(key, data, stored) -> None:
    if stored in (None, tk.missing):
        data.pop(key, None)
        raise tk.StopOnError
    data[key] = stored


def satudata_keep_stored_resource(key, data, errors, context):
    """Resource fields written only by the validation job. A new URL or upload
    drops them (the chained package_update then queues a new validation)."""
    if context.get("satudata_validation_job"):
        return
    _keep(key, data, _stored_resource_value(key, data, context))


def _as_time(value):
    if isinstance(value, str) and value:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value or None


def _stored_resource_value(key, data, context):
    res_id = data.get(key[:-1] + ("id",))
    if not safe_ref(res_id):
        return None
    resource = model.Session.get(model.Resource, res_id)
    if resource is None:
        return None
    given = {k: data.get(key[:-1] + (k,)) for k in ("url", "url_type", "last_modified")}
    given = {k: None if _empty(v) else v for k, v in given.items()}
    if (given["url_type"] or resource.url_type) == "upload" and isinstance(given["url"], str):
        given["url"] = given["url"].rsplit("/", 1)[-1]  # shown as a download URL, stored as the file name
    if (given["url"] or "") != (resource.url or "") \
            or (given["url_type"] is not None and given["url_type"] != (resource.url_type or "")) \
            or (given["last_modified"] is not None
                and _as_time(given["last_modified"]) != _as_time(resource.last_modified)):
        return None  # another file (new URL or upload): its stored status does not apply
    return (resource.extras or {}).get(key[-1])


def satudata_open_format(value):
    if _empty(value):
        return value
    allowed = {v.lower(): v for v in vocabularies.values("open_format")}
    canonical = allowed.get(str(value).strip().lower())
    if canonical is None:
        raise tk.Invalid(
            tk._("%(format)s is not an open, machine-readable format. Use one of: %(formats)s")
            % {"format": value, "formats": ", ".join(t["value"] for t in vocabularies.terms("open_format"))}
        )
    return canonical


def satudata_table_schema(value):
    """A Frictionless Table Schema as JSON; stored as a JSON string."""
    if _empty(value):
        return value
    if isinstance(value, str) and value.strip().startswith(("http://", "https://")):
        return value.strip()
    problems = table_schema.check_table_schema(value)
    if problems:
        raise tk.Invalid(
            tk._("Invalid Table Schema: %(problems)s")
            % {"problems": "; ".join(f"{where}: {', '.join(msgs)}" for where, msgs in problems.items())}
        )
    return value if isinstance(value, str) else json.dumps(value)


def satudata_request_reference(key, data, errors, context):
    """``sdi_request_id`` names a data request this dataset may fulfil: sent to
    the dataset's agency and not yet delivered (checked before anything is
    written; the chained package_create/update then link it)."""
    value = data.get(key)
    if _empty(value):
        return
    if not safe_ref(value):
        errors[key].append(text_problem(value) or tk._("Must be a string"))
        return
    req = DataRequest.get(value)
    if req is None:
        errors[key].append(tk._("Unknown data request %(id)s") % {"id": value})
        return
    pkg = _stored_package(context, data)
    if pkg is not None and (pkg.extras.get("sdi_request_id") == value
                            or model.Session.get(RequestDataset, (req.id, pkg.id)) is not None):
        return  # unchanged: the request's later state does not block editing the dataset
    owner_org = data.get(("owner_org",))
    org = model.Group.get(owner_org) if not _empty(owner_org) else (
        model.Group.get(pkg.owner_org) if pkg is not None and pkg.owner_org else None)
    problem = progress.link_problem(req, org.id if org is not None else None)  # the one rule (datarequest)
    if problem:
        errors[key].append(problem)
