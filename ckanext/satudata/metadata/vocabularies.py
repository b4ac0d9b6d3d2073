"""The SDI controlled vocabularies (data/vocabularies.yaml).

The API stores a term's ``value``; pages and facets show its ``label`` in the
current language. Read-only data, loaded once per process.
"""
from __future__ import annotations

import functools
import os
from typing import Any

import yaml
from ckan.lib.i18n import get_lang

__all__ = ["names", "terms", "values", "term", "label", "choices", "current_lang", "FALLBACK_LANG"]

_PATH = os.path.join(os.path.dirname(__file__), "data", "vocabularies.yaml")
FALLBACK_LANG = "id"


@functools.lru_cache(maxsize=None)
def _load() -> dict[str, list[dict[str, Any]]]:
    with open(_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def names() -> list[str]:
    """The names of the code lists, as the YAML orders them."""
    return list(_load())


def terms(name: str) -> list[dict[str, Any]]:
    """All terms of vocabulary ``name`` (KeyError for an unknown one)."""
    return _load()[name]


@functools.lru_cache(maxsize=None)
def values(name: str) -> frozenset[str]:
    return frozenset(t["value"] for t in terms(name))


@functools.lru_cache(maxsize=None)
def _index(name: str) -> dict[str, dict[str, Any]]:
    return {t["value"]: t for t in terms(name)}


def term(name: str, value: str) -> dict[str, Any] | None:
    return _index(name).get(value)


def current_lang() -> str:
    """The request's language, or the portal default outside a request."""
    try:
        return (get_lang() or FALLBACK_LANG).split("_")[0]
    except Exception:  # no request (CLI, jobs)
        return FALLBACK_LANG


def label(name: str, value: str, lang: str | None = None) -> str:
    """The label of ``value`` in ``lang`` (the value itself when unknown)."""
    found = term(name, value)
    if not found:
        return value
    labels = found["label"]
    lang = lang or current_lang()
    return labels.get(lang) or labels.get(FALLBACK_LANG) or value


def choices(name: str) -> list[dict[str, Any]]:
    """ckanext-scheming choices: value plus multilingual label."""
    return [{"value": t["value"], "label": dict(t["label"])} for t in terms(name)]
