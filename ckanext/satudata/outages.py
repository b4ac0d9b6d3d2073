"""What a write does when the search index (Solr) is down.

A transition indexes the dataset before it commits, so Solr down fails it
before anything is kept. After the rollback the index is rebuilt from the
database (it may have taken the new version just before a failed commit);
Solr down then too is no harm, since it never took the new version. The user
gets an error on ``sdi_status`` saying nothing changed (409 over the API,
the page's message under "Workflow status"), not a 500 naming Solr's
internal address.
"""
from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan.lib import search

__all__ = ["reindex_after_rollback"]

log = logging.getLogger(__name__)


def reindex_after_rollback(pkg_id: str, error: Exception) -> None:
    """Call in the ``except`` block of a rolled-back write of ``pkg_id``,
    then ``raise``: turns a Solr outage (``error``) into a ``ValidationError``."""
    try:
        search.rebuild(pkg_id)
    except search.SearchIndexError:
        log.warning("dataset %s not reindexed after its rollback: the search index is down", pkg_id)
    if isinstance(error, search.SearchIndexError):
        log.error("dataset %s: write refused, the search index is down: %s", pkg_id, error)
        raise tk.ValidationError({"sdi_status": [
            tk._("The search index is not available, so nothing was changed. Try again in a few minutes.")
        ]}) from error
