"""Table Schema checks: whether a Frictionless Table Schema (dict or JSON
text) is usable, with a message per location (``fields[2].type``,
``primaryKey`` ...), and the descriptor the engine hands to frictionless.

No CKAN imports, and frictionless is imported inside the functions that use
it, so that importing this module (the request and dataset validators do, in
the web process) stays cheap.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

__all__ = ["check_table_schema", "frictionless_descriptor"]

log = logging.getLogger(__name__)

_FIELDS_MATCH = ("exact", "equal", "subset", "superset", "partial")
_BOUND_CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LENGTH_CONSTRAINTS = ("minLength", "maxLength")


def check_table_schema(schema: Any) -> dict[str, list[str]]:
    """Check that ``schema`` (dict or JSON text) is a usable Table Schema.

    Returns ``{}`` when valid, otherwise ``{location: [message, ...]}`` where
    location is ``schema``, ``fields``, ``fields[2].type``, ``primaryKey``...
    Never raises.
    """
    problems: dict[str, list[str]] = {}
    try:
        descriptor, error = _parse_schema(schema)
        if error:
            _add(problems, "schema", error)
            return problems
        _check_schema_shape(descriptor, problems)
        if not problems:
            _check_with_frictionless(descriptor, problems)
    except Exception as exc:  # defensive: a checker must not crash the caller
        log.exception("Table Schema check failed")
        _add(problems, "schema", f"The Table Schema could not be checked: {exc}")
    return problems


def _add(problems: dict[str, list[str]], location: str, message: str) -> None:
    messages = problems.setdefault(location, [])
    if message not in messages:
        messages.append(message)


def _parse_schema(schema: Any) -> tuple[dict, str | None]:
    if isinstance(schema, (bytes, bytearray)):
        try:
            schema = schema.decode("utf-8")
        except UnicodeDecodeError:
            return {}, "The Table Schema is not UTF-8 text."
    if isinstance(schema, str):
        try:
            schema = json.loads(schema)
        except ValueError as exc:
            return {}, f"The Table Schema is not valid JSON: {exc}"
    if not isinstance(schema, dict):
        return {}, "The Table Schema must be a JSON object."
    return schema, None


def _field_class(type_: str):
    from frictionless import FrictionlessException, system  # lazily: the module loads without frictionless

    try:
        return system.select_field_class(type_)
    except FrictionlessException:
        return None


def _check_schema_shape(descriptor: dict, problems: dict[str, list[str]]) -> None:
    fields = descriptor.get("fields")
    if fields is None:
        _add(problems, "fields", "The schema has no \"fields\" list.")
        return
    if not isinstance(fields, list):
        _add(problems, "fields", "\"fields\" must be a list.")
        return
    if not fields:
        _add(problems, "fields", "The schema must declare at least one field.")
        return

    seen: dict[str, int] = {}
    for index, field in enumerate(fields):
        where = f"fields[{index}]"
        if not isinstance(field, dict):
            _add(problems, where, "A field must be an object.")
            continue
        name = field.get("name")
        if not isinstance(name, str) or not name.strip():
            _add(problems, f"{where}.name", "The field name must be a non-empty string.")
        elif name in seen:
            _add(
                problems,
                f"{where}.name",
                f'Duplicate field name "{name}" (also used by fields[{seen[name]}]).',
            )
        else:
            seen[name] = index
        _check_field(field, where, problems)

    names = set(seen)
    primary_key = descriptor.get("primaryKey")
    if primary_key is not None:
        keys = [primary_key] if isinstance(primary_key, str) else primary_key
        if not isinstance(keys, list) or not all(
            isinstance(key, str) for key in keys
        ):
            _add(problems, "primaryKey", "primaryKey must be a field name or a list of field names.")
        else:
            for key in keys:
                if key not in names:
                    _add(problems, "primaryKey", f'primaryKey refers to an unknown field "{key}".')

    foreign_keys = descriptor.get("foreignKeys")
    if foreign_keys is not None:
        if not isinstance(foreign_keys, list):
            _add(problems, "foreignKeys", "foreignKeys must be a list.")
        else:
            for index, fk in enumerate(foreign_keys):
                _check_foreign_key(fk, f"foreignKeys[{index}]", names, problems)

    missing_values = descriptor.get("missingValues")
    if missing_values is not None and (
        not isinstance(missing_values, list)
        or not all(isinstance(value, str) for value in missing_values)
    ):
        _add(problems, "missingValues", "missingValues must be a list of strings.")

    fields_match = descriptor.get("fieldsMatch")
    if fields_match is not None and fields_match not in _FIELDS_MATCH:
        _add(problems, "fieldsMatch", f"fieldsMatch must be one of: {', '.join(_FIELDS_MATCH)}.")


def _check_foreign_key(fk: Any, where: str, names: set[str], problems: dict) -> None:
    if not isinstance(fk, dict):
        _add(problems, where, "A foreign key must be an object.")
        return
    fields = fk.get("fields")
    fields = [fields] if isinstance(fields, str) else fields
    reference = fk.get("reference")
    if not isinstance(fields, list) or not fields or not isinstance(reference, dict):
        _add(problems, where, "A foreign key needs \"fields\" and a \"reference\" object.")
        return
    for name in fields:
        if name not in names:
            _add(problems, f"{where}.fields", f'Unknown field "{name}".')
    if reference.get("resource", "") not in ("", None):
        # A single file is validated: only self-references can be checked.
        _add(
            problems,
            f"{where}.reference.resource",
            "Only foreign keys to the same table (resource \"\") are supported.",
        )
    ref_fields = reference.get("fields")
    ref_fields = [ref_fields] if isinstance(ref_fields, str) else ref_fields
    if not isinstance(ref_fields, list) or len(ref_fields) != len(fields):
        _add(problems, f"{where}.reference.fields", "Must list as many fields as \"fields\".")
    else:
        for name in ref_fields:
            if name not in names:
                _add(problems, f"{where}.reference.fields", f'Unknown field "{name}".')


def _check_field(field: dict, where: str, problems: dict) -> None:
    type_ = field.get("type", "string")
    if not isinstance(type_, str):
        _add(problems, f"{where}.type", "The field type must be a string.")
        return
    Class = _field_class(type_)
    if Class is None:
        _add(problems, f"{where}.type", f'Unknown field type "{type_}".')
        return
    constraints = field.get("constraints", {})
    if constraints is None:
        constraints = {}
    if not isinstance(constraints, dict):
        _add(problems, f"{where}.constraints", "constraints must be an object.")
        return

    supported = set(Class.supported_constraints) | {"unique"}
    reader = None
    for name, value in constraints.items():
        loc = f"{where}.constraints.{name}"
        if name not in supported:
            _add(problems, loc, f'Constraint "{name}" is not supported for type "{type_}".')
        elif name in ("required", "unique"):
            if not isinstance(value, bool):
                _add(problems, loc, f'"{name}" must be true or false.')
        elif name in _LENGTH_CONSTRAINTS:
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                _add(problems, loc, f'"{name}" must be a non-negative integer.')
        elif name == "pattern":
            if not isinstance(value, str):
                _add(problems, loc, "pattern must be a string.")
            else:
                try:
                    re.compile(value)
                except re.error as exc:
                    _add(problems, loc, f"Invalid regular expression: {exc}.")
        elif name in _BOUND_CONSTRAINTS or name == "enum":
            reader = reader or _value_reader(Class, field)
            if reader is None:
                continue  # the field itself is invalid; reported by frictionless
            values = value if name == "enum" else [value]
            if name == "enum" and (not isinstance(value, list) or not value):
                _add(problems, loc, "enum must be a non-empty list.")
                continue
            for item in values:
                if _read_value(reader, item) is None:
                    _add(problems, loc, f'Value {item!r} is not a valid "{type_}".')

    low, high = constraints.get("minLength"), constraints.get("maxLength")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        _add(problems, f"{where}.constraints", "minLength is greater than maxLength.")
    if "minimum" in constraints and "maximum" in constraints and reader is not None:
        low = _read_value(reader, constraints["minimum"])
        high = _read_value(reader, constraints["maximum"])
        try:
            if low is not None and high is not None and low > high:
                _add(problems, f"{where}.constraints", "minimum is greater than maximum.")
        except TypeError:
            pass


def _value_reader(Class, field: dict):
    """Frictionless' own value parser for the field, used to check constraint values."""
    try:
        descriptor = {k: v for k, v in field.items() if k != "constraints"}
        descriptor.setdefault("name", "field")
        return Class.from_descriptor(descriptor).create_value_reader()
    except Exception:
        return None


def _read_value(reader, value: Any) -> Any:
    try:
        return reader(value)
    except Exception:
        return None


_PROPERTY_RE = re.compile(r"^(?P<msg>.*) at property '(?P<path>[^']+)'$")


def _check_with_frictionless(descriptor: dict, problems: dict) -> None:
    """Run frictionless' own JSON-Schema based checks as a backstop."""
    from frictionless import FrictionlessException, Schema  # lazily: the module loads without frictionless

    for index, field in enumerate(descriptor["fields"]):
        Class = _field_class(field.get("type", "string"))
        try:
            field_errors = list(Class.metadata_validate(field))
        except FrictionlessException as exc:
            field_errors = [exc.error]
        for error in field_errors:
            location, message = f"fields[{index}]", error.note or error.message
            match = _PROPERTY_RE.match(message)
            if match:
                location += "." + match["path"].replace("/", ".")
                message = match["msg"]
            _add(problems, location, message)
    if problems:
        return
    try:
        Schema.from_descriptor(_normalise_schema(descriptor))
    except FrictionlessException as exc:
        reasons = exc.reasons or [exc.error]
        for reason in reasons:
            _add(problems, "schema", reason.note or reason.message)
    except Exception as exc:
        _add(problems, "schema", str(exc))


def _normalise_schema(descriptor: dict) -> dict:
    """Copy of the descriptor in the form frictionless 5 accepts."""
    result = json.loads(json.dumps(descriptor))
    if isinstance(result.get("primaryKey"), str):
        result["primaryKey"] = [result["primaryKey"]]
    for fk in result.get("foreignKeys") or []:
        if isinstance(fk.get("fields"), str):
            fk["fields"] = [fk["fields"]]
        ref = fk.get("reference") or {}
        if isinstance(ref.get("fields"), str):
            ref["fields"] = [ref["fields"]]
    return result


def frictionless_descriptor(schema: Any) -> dict:
    """A schema ``check_table_schema`` accepted, as a descriptor frictionless 5 reads."""
    return _normalise_schema(_parse_schema(schema)[0])
