"""``N_``: marks a msgid for Babel's extraction where the text is translated
later, where it is shown (labels kept in tables; jobs translate with the
portal's language)."""
from __future__ import annotations

__all__ = ["N_"]


def N_(msgid: str) -> str:
    return msgid
