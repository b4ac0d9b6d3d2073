"""SDI roles held by users, beside CKAN's organization roles.

``walidata``, ``pembina`` and ``forum`` are portal-wide; ``ppid`` belongs to one
agency. The producer is the agency's editor or admin as CKAN has it.
"""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from sqlalchemy import select

from ckanext.satudata.model import RoleGrant, utcnow

__all__ = ["ROLES", "users_by_id", "ORG_ROLES", "role_label", "user_object", "has_role", "active_grants", "grant", "revoke", "users_with_role",
           "agency_producers"]

ROLES = ("walidata", "pembina", "forum", "ppid")
ORG_ROLES = ("ppid",)


def role_label(role: str) -> str:
    """The role's name as people know it, translated."""
    labels = {
        "walidata": tk._("Walidata"),
        "pembina": tk._("Pembina Data"),
        "forum": tk._("Forum Satu Data"),
        "ppid": tk._("PPID"),
    }
    return labels.get(role, role)


def user_object(user) -> model.User | None:
    """A model.User from a name, an id, a User or a context user string."""
    if user is None or user == "":
        return None
    if isinstance(user, model.User):
        return user
    if not isinstance(user, str):
        return None
    return model.User.get(user)


def users_by_id(ids) -> dict[str, model.User]:
    """The users of ``ids`` in one query (lists name their actors without a
    query per row)."""
    wanted = {i for i in ids if isinstance(i, str) and i}
    if not wanted:
        return {}
    return {u.id: u for u in model.Session.scalars(select(model.User).where(model.User.id.in_(wanted)))}


_ANY = object()


def active_grants(user_id=_ANY, role: str | None = None, org_id: str | None = None):
    """Active grants; ``user_id`` None or '' (anonymous) matches nobody."""
    query = select(RoleGrant).where(RoleGrant.revoked_at.is_(None))
    if user_id is not _ANY:
        if not user_id:
            return []
        query = query.where(RoleGrant.user_id == user_id)
    if role:
        query = query.where(RoleGrant.role == role)
    if org_id:
        query = query.where(RoleGrant.organization_id == org_id)
    return model.Session.scalars(query.order_by(RoleGrant.granted_at)).all()


def has_role(user, role: str, org_id: str | None = None) -> bool:
    obj = user_object(user)
    if obj is None:
        return False
    return bool(active_grants(obj.id, role, org_id))


def users_with_role(role: str, org_id: str | None = None) -> list[model.User]:
    ids = {g.user_id for g in active_grants(role=role, org_id=org_id)}
    users = [model.User.get(i) for i in ids]
    return [u for u in users if u is not None and u.state == "active"]


def grant(user_id: str, role: str, org_id: str | None, by: str | None, institution: str | None = None) -> RoleGrant:
    """Grant a role unless the user already holds it; returns the active grant.

    ``by`` is the granting user's id."""
    existing = active_grants(user_id, role, org_id)
    if existing:
        return existing[0]
    row = RoleGrant(user_id=user_id, role=role, organization_id=org_id, granted_by=by, institution=institution)
    model.Session.add(row)
    return row


def revoke(user_id: str, role: str, org_id: str | None, by: str | None) -> list[RoleGrant]:
    """Mark the active grants revoked (now, by the user id ``by``); the rows stay."""
    rows = active_grants(user_id, role, org_id)
    for row in rows:
        row.revoked_at = utcnow()
        row.revoked_by = by
    return rows


def agency_producers(org_id: str | None) -> list[model.User]:
    """The agency's Produsen Data: its active editors and admins, by name, less
    sysadmins (a sysadmin who created an organization is its admin without
    producing its data)."""
    if not org_id:
        return []
    ids = model.Session.scalars(
        select(model.Member.table_id).where(
            model.Member.group_id == org_id, model.Member.table_name == "user", model.Member.state == "active",
            model.Member.capacity.in_(("editor", "admin")))
    ).all()
    users = [model.User.get(i) for i in ids]
    return sorted((u for u in users if u is not None and u.state == "active" and not u.sysadmin),
                  key=lambda u: u.name)
