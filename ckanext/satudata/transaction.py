"""One way for an action to end its transaction, below the pillars: commit
unless the caller set ``defer_commit``; on a refusal roll back at once, so the
row locks it took (``lock_dataset``, a request's ``lock``) are released
before the error travels up."""
from __future__ import annotations

import functools
from typing import Any, Callable, NoReturn

import ckan.model as model
import ckan.plugins.toolkit as tk

__all__ = ["commit", "refuse", "releasing_locks"]

_REFUSALS = (tk.ValidationError, tk.ObjectNotFound, tk.NotAuthorized)


def commit(context: dict[str, Any], then: Callable[[], None] | None = None) -> None:
    """Commit the action's work unless ``defer_commit``; ``then`` (queueing its
    notices) runs once it has committed: right away, or, deferred, never from
    here (the caller that commits owns the follow-up)."""
    if context.get("defer_commit"):
        return
    model.repo.commit()
    if then is not None:
        then()


def refuse(errors: dict[str, list[str]]) -> NoReturn:
    """Roll back (releasing row locks) and raise the field errors."""
    model.Session.rollback()
    raise tk.ValidationError(errors)


def releasing_locks(action: Callable) -> Callable:
    """Wrap an action: a refusal (field error, not found, not authorized) rolls
    back before it is raised, releasing the rows the action locked."""
    @functools.wraps(action)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return action(*args, **kwargs)
        except _REFUSALS:
            model.Session.rollback()
            raise
    return wrapper
