"""Append Indonesian translations to the catalogues (append-only, skips known msgids).

Usage: python scripts/add_translations.py FILE.py  (a module defining T = {msgid: Indonesian})
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po

I18N = Path(__file__).resolve().parent.parent / "ckanext" / "satudata" / "i18n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def append(translations: dict[str, str]) -> int:
    added = 0
    for lang in ("id", "en"):
        path = I18N / lang / "LC_MESSAGES" / "ckanext-satudata.po"
        with open(path, "rb") as f:
            known = {m.id for m in read_po(f) if m.id}
        entries = []
        for msgid, indonesian in translations.items():
            if msgid in known:
                continue
            msgstr = indonesian if lang == "id" else msgid
            entries.append(f"\nmsgid {_quote(msgid)}\nmsgstr {_quote(msgstr)}\n")
        if entries:
            with open(path, "a", encoding="utf-8") as f:
                f.write("".join(entries))
            added += len(entries)
    return added


if __name__ == "__main__":
    print(append(runpy.run_path(sys.argv[1])["T"]), "entries added")
