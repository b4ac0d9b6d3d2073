"""How the pillars react to each other, without importing each other back:
the receivers of the extension's signals (``signals.py``), registered by the
plugin through ``ISignal``."""
from __future__ import annotations

from typing import Any, Callable

from ckanext.satudata import signals
from ckanext.satudata.datarequest import notices as request_notices
from ckanext.satudata.datarequest import progress

__all__ = ["get_signal_subscriptions"]


def _advance_requests(dataset_id: str, actor_id: str | None = None, **_kwargs: Any) -> Callable[[], None]:
    """A dataset moved: its requests advance in the same transaction; their
    notices go once it has committed."""
    events = progress.dataset_changed(dataset_id, actor_id)
    return lambda: request_notices.enqueue(events)


def get_signal_subscriptions() -> dict:
    return {signals.dataset_transitioned: [_advance_requests]}
