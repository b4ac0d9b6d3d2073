"""Counting the SQL statements an action or a page runs, to show that lists
cost one set of queries per page, not one query per row."""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from sqlalchemy import event

import ckan.model as model


@contextlib.contextmanager
def counting() -> Iterator[list[str]]:
    """The statements run on CKAN's engine inside the block (a fresh session,
    so nothing is answered from an earlier identity map)."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    model.Session.remove()
    event.listen(model.meta.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(model.meta.engine, "before_cursor_execute", record)
        model.Session.remove()


def assert_flat(measure: Callable[[], int], grow: Callable[[], None], rows: Callable[[], int],
                core_per_row: tuple[str, ...] = ()) -> None:
    """``measure()`` runs the action or page and returns how many rows it
    listed; after ``grow()`` adds rows, the statement count does not grow
    (a first call warms what CKAN caches once per process).
    ``core_per_row``: the statements (by a part of their text) that CKAN
    itself runs once per row, which the extension cannot avoid; only those
    may grow."""
    measure()
    with counting() as before:
        listed_before = measure()
    grow()
    with counting() as after:
        listed_after = measure()
    assert listed_after > listed_before, "grow() added no listed row"

    def ours(statements: list[str]) -> list[str]:
        return [s for s in statements if not any(part in s for part in core_per_row)]
    before, after = ours(before), ours(after)
    if len(after) > len(before):
        import collections
        grown = collections.Counter(after) - collections.Counter(before)
        raise AssertionError(
            f"{len(before)} statements for {listed_before} rows, {len(after)} for {listed_after}: "
            "a query per row; the statements that grew:\n" + "\n".join(f"{n} x {s}" for s, n in grown.items()))
