"""The extension's own signals, below the pillars: one pillar announces what
happened, another reacts (subscribed in ``subscriptions.py``), and neither
imports the other.

``dataset_transitioned`` is sent by ``workflow.transitions.apply`` inside the
transition's transaction, with the dataset's row locked (``sender`` is the
dataset id, ``actor_id`` the acting user's id). A receiver may write in that
transaction, so that the transition and its consequences commit together, and
returns what must run once it has committed (a callable), or None.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk

__all__ = ["dataset_transitioned", "after_commit"]

dataset_transitioned = tk.signals.ckanext.signal(
    "satudata_dataset_transitioned", "A dataset moved along the workflow (inside its transaction).")


def after_commit(results) -> list:
    """The callables the receivers of ``signal.send(...)`` returned."""
    return [value for _receiver, value in results if callable(value)]
