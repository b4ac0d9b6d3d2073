"""What happens after core or own actions succeed (CKAN signals)."""
from __future__ import annotations


__all__ = ["get_subscriptions"]


def get_subscriptions():
    return {}
