"""satudata_* template helpers: read-only and cheap."""
from __future__ import annotations

from typing import Any

from ckanext.satudata import metadata, vocab, wilayah, workflow


def satudata_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming ``choices_helper``: the terms of the field's ``sdi_vocabulary``."""
    return vocab.choices(field["sdi_vocabulary"])


def satudata_vocab_label(name: str, value: str) -> str:
    return vocab.label(name, value)


def satudata_status_label(status: str | None) -> str:
    return workflow.status_label(status)


def satudata_area_name(code: str | None) -> str:
    return (wilayah.name(code) if code else None) or (code or "")


def satudata_walidata_contact() -> dict[str, str]:
    return metadata.walidata_contact()
