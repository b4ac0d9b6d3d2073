"""A resource's validation record: its ``satudata_validation`` row and the
``validation_status`` / ``validation_timestamp`` fields the resource carries
(what the job writes and the service queues, reads and deletes)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
from sqlalchemy import select

from ckanext.satudata.model import ResourceValidation, utcnow

__all__ = ["row", "resource", "set_status", "clear_status"]


def row(resource_id: str, lock: bool = False) -> ResourceValidation | None:
    """The resource's validation row; ``lock`` takes its row lock and reads it anew."""
    query = select(ResourceValidation).where(ResourceValidation.resource_id == resource_id)
    if lock:  # CKAN's session keeps objects across commits: read the row anew
        query = query.with_for_update().execution_options(populate_existing=True)
    return model.Session.scalars(query).first()


def resource(resource_id: Any) -> model.Resource | None:
    """By id only (model.Resource.get would also match a name)."""
    return model.Session.get(model.Resource, resource_id) if isinstance(resource_id, str) else None


def set_status(res: model.Resource, status: str, when: dt.datetime | None = None) -> None:
    """Write the status fields on the resource row (not through package_update:
    a validation is not an edit and must not send a published dataset back to draft)."""
    extras = dict(res.extras or {})
    extras["validation_status"] = status
    extras["validation_timestamp"] = (when or utcnow()).isoformat()
    res.extras = extras


def clear_status(res: model.Resource) -> None:
    """Remove the status fields (the record is deleted)."""
    res.extras = {k: v for k, v in (res.extras or {}).items()
                  if k not in ("validation_status", "validation_timestamp")}
