"""What every notice email shares, below the pillars: the job's translator
(jobs have no request), one-line headers and the footer."""
from __future__ import annotations

import gettext
import os

import ckan.plugins.toolkit as tk

_I18N = os.path.join(os.path.dirname(__file__), "i18n")


def translator(lang: str | None = None):
    """Jobs have no request: translate with the portal's default language."""
    lang = lang or tk.config.get("ckan.locale_default") or "id"
    return gettext.translation("ckanext-satudata", localedir=_I18N, languages=[lang], fallback=True).gettext


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (CR/LF too) as one space: fit for an
    email header (a subject holding a line break would fail the job, or inject a
    header). Every notice's subject goes through it."""
    return " ".join(str(text or "").split())


def body(*parts: str) -> str:
    """An email body: the parts (empty ones dropped) separated by blank lines,
    then the portal's signature."""
    lines: list[str] = []
    for part in parts:
        if part:
            lines += [part, ""]
    return "\n".join(lines + ["-- ", tk.config.get("ckan.site_title") or "Satu Data"])
