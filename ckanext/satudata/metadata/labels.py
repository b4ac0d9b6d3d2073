"""The labels of the SDI dataset fields, read from schemas/dataset.yaml.

The schema is where a field's label is written (ckanext-scheming shows it on
the form); messages that name a field (compliance reasons, error summaries,
facet titles) read it here instead of keeping a second copy in Python.
"""
from __future__ import annotations

import functools
import os
from typing import Any

import yaml

from ckanext.satudata.metadata import vocabularies

__all__ = ["field_label"]

_PATH = os.path.join(os.path.dirname(os.path.dirname(__file__)), "schemas", "dataset.yaml")


@functools.lru_cache(maxsize=None)
def _labels() -> dict[str, Any]:
    with open(_PATH, encoding="utf-8") as f:
        schema = yaml.safe_load(f)
    return {field["field_name"]: field.get("label") for field in schema.get("dataset_fields", [])}


def field_label(field_name: str, lang: str | None = None) -> str:
    """The label of dataset field ``field_name`` in ``lang`` (the current
    language by default; the field name itself when the schema has none)."""
    label = _labels().get(field_name)
    if isinstance(label, dict):
        lang = lang or vocabularies.current_lang()
        return label.get(lang) or label.get(vocabularies.FALLBACK_LANG) or field_name
    return label or field_name
