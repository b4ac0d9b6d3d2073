"""The extension's own tables (all named ``satudata_*``).

Created by alembic: ``ckan db upgrade -p satudata``. Never created at load.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.model import types as ckan_types
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UnicodeText,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "RoleGrant",
    "DatasetEvent",
    "DataRequest",
    "RequestAgency",
    "RequestDataset",
    "RequestEvent",
    "RequestComment",
    "RequestFollower",
    "ResourceValidation",
    "NoticeLog",
    "utcnow",
]


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class _Base:
    @classmethod
    def get(cls, id_: str | None):
        if not id_ or not isinstance(id_, str):
            return None
        return model.Session.get(cls, id_)

    def as_dict(self) -> dict[str, Any]:
        out = {}
        for column in self.__table__.columns:
            value = getattr(self, column.key)
            if isinstance(value, (dt.datetime, dt.date)):
                value = value.isoformat()
            out[column.key] = value
        return out


class RoleGrant(_Base, tk.BaseModel):
    """An SDI role held by a user; revoked grants stay as the record.

    No foreign keys to ``user`` or ``group``: the record outlives a purged
    user or organization. ``granted_by`` and ``revoked_by`` are user ids.
    """

    __tablename__ = "satudata_role_grant"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    user_id = Column(UnicodeText, nullable=False)
    role = Column(UnicodeText, nullable=False)
    organization_id = Column(UnicodeText, nullable=True)
    institution = Column(UnicodeText, nullable=True)
    granted_by = Column(UnicodeText, nullable=True)
    granted_at = Column(DateTime, nullable=False, default=utcnow)
    revoked_by = Column(UnicodeText, nullable=True)
    revoked_at = Column(DateTime, nullable=True)

    __table_args__ = (
        Index("satudata_role_grant_active_idx", "user_id", "role", "organization_id"),
    )


class DatasetEvent(_Base, tk.BaseModel):
    """One workflow transition of a dataset (the audit trail).

    No foreign key to ``package``: the trail outlives a purged dataset.
    """

    __tablename__ = "satudata_dataset_event"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    package_id = Column(UnicodeText, nullable=False, index=True)
    action = Column(UnicodeText, nullable=False)
    from_status = Column(UnicodeText, nullable=True)
    to_status = Column(UnicodeText, nullable=False)
    user_id = Column(UnicodeText, nullable=True)
    created = Column(DateTime, nullable=False, default=utcnow)
    note = Column(UnicodeText, nullable=True)
    data = Column(JSONB, nullable=True)


class DataRequest(_Base, tk.BaseModel):
    """A Forum member's data need, walking the SOP's 11 steps."""

    __tablename__ = "satudata_request"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    title = Column(UnicodeText, nullable=False)
    description = Column(UnicodeText, nullable=False, default="")
    purpose = Column(UnicodeText, nullable=False, default="")
    needed_by = Column(Date, nullable=True)
    indicators = Column(UnicodeText, nullable=True)
    area_level = Column(UnicodeText, nullable=True)
    years = Column(UnicodeText, nullable=True)
    requester_id = Column(UnicodeText, ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True)
    status = Column(UnicodeText, nullable=False, default="submitted", index=True)
    step = Column(Integer, nullable=False, default=1)
    step_started = Column(DateTime, nullable=False, default=utcnow)
    step_due = Column(DateTime, nullable=True, index=True)
    is_public = Column(Boolean, nullable=False, default=False)
    pembina_id = Column(UnicodeText, nullable=True)
    recommendation = Column(JSONB, nullable=True)
    table_schema = Column(JSONB, nullable=True)
    metadata_template = Column(JSONB, nullable=True)
    created = Column(DateTime, nullable=False, default=utcnow, index=True)
    modified = Column(DateTime, nullable=False, default=utcnow)
    closed = Column(DateTime, nullable=True)
    close_reason = Column(UnicodeText, nullable=True)


class RequestAgency(_Base, tk.BaseModel):
    """An agency a request was dispositioned to (SOP steps 2 and 5)."""

    __tablename__ = "satudata_request_agency"

    request_id = Column(UnicodeText, ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True)
    organization_id = Column(UnicodeText, ForeignKey("group.id", ondelete="CASCADE"), primary_key=True, index=True)
    created = Column(DateTime, nullable=False, default=utcnow)
    sent = Column(DateTime, nullable=True)


class RequestDataset(_Base, tk.BaseModel):
    """A dataset fulfilling a request (many to many)."""

    __tablename__ = "satudata_request_dataset"

    request_id = Column(UnicodeText, ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True)
    package_id = Column(UnicodeText, ForeignKey("package.id", ondelete="CASCADE"), primary_key=True, index=True)
    linked_by = Column(UnicodeText, nullable=True)
    created = Column(DateTime, nullable=False, default=utcnow)


class RequestEvent(_Base, tk.BaseModel):
    """One step or event of a request: who, when, due when, why."""

    __tablename__ = "satudata_request_event"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    request_id = Column(UnicodeText, ForeignKey("satudata_request.id", ondelete="CASCADE"), nullable=False, index=True)
    step = Column(Integer, nullable=True)
    kind = Column(UnicodeText, nullable=False)
    actor_id = Column(UnicodeText, nullable=True)
    created = Column(DateTime, nullable=False, default=utcnow)
    due = Column(DateTime, nullable=True)
    note = Column(UnicodeText, nullable=True)
    data = Column(JSONB, nullable=True)


class RequestComment(_Base, tk.BaseModel):
    __tablename__ = "satudata_request_comment"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    request_id = Column(UnicodeText, ForeignKey("satudata_request.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = Column(UnicodeText, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    comment = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)


class RequestFollower(_Base, tk.BaseModel):
    __tablename__ = "satudata_request_follower"

    request_id = Column(UnicodeText, ForeignKey("satudata_request.id", ondelete="CASCADE"), primary_key=True)
    user_id = Column(UnicodeText, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created = Column(DateTime, nullable=False, default=utcnow)


class ResourceValidation(_Base, tk.BaseModel):
    """The latest Frictionless validation of a resource (ckanext-validation's meaning)."""

    __tablename__ = "satudata_validation"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    resource_id = Column(UnicodeText, nullable=False, unique=True)
    package_id = Column(UnicodeText, nullable=True, index=True)
    status = Column(UnicodeText, nullable=False, default="pending")
    created = Column(DateTime, nullable=False, default=utcnow)
    started = Column(DateTime, nullable=True)
    finished = Column(DateTime, nullable=True)
    report = Column(JSONB, nullable=True)
    error = Column(JSONB, nullable=True)
    job_id = Column(UnicodeText, nullable=True)


class NoticeLog(_Base, tk.BaseModel):
    """A notice sent once: the unique key makes reminders idempotent."""

    __tablename__ = "satudata_notice_log"

    id = Column(UnicodeText, primary_key=True, default=ckan_types.make_uuid)
    key = Column(UnicodeText, nullable=False)
    created = Column(DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("key", name="satudata_notice_log_key_uq"),)
