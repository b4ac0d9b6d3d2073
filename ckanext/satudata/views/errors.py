"""How the pages answer a refused action: field errors under their labels,
and 401/403. Every view of the extension uses these."""
from __future__ import annotations

from typing import Callable

import ckan.plugins.toolkit as tk

__all__ = ["form_errors", "error_message", "flash_errors", "refuse"]


def form_errors(error: tk.ValidationError) -> dict[str, list[str]]:
    """The error's field messages, each field's as a list (for a form's ``errors``)."""
    return {field: ([str(m) for m in messages] if isinstance(messages, list) else [str(messages)])
            for field, messages in (error.error_dict or {}).items()}


def error_message(error: tk.ValidationError, label: Callable[[str], str] = str) -> str:
    """Field errors as one message, each under its field's ``label(field)``."""
    parts = [f"{label(field)}: {'; '.join(messages)}" for field, messages in form_errors(error).items()]
    return " · ".join(parts) or str(error)


def flash_errors(error: tk.ValidationError, label: Callable[[str], str] = str) -> None:
    tk.h.flash_error(error_message(error, label))


def refuse(message: str):
    """401 without credentials, 403 for a logged-in user."""
    return tk.abort(401 if not tk.current_user.is_authenticated else 403, message)
