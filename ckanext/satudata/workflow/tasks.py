""""Tugas saya": what waits for the current user, per role."""
from __future__ import annotations

import ckan.model as model
from ckan import authz
from sqlalchemy import select

from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import roles

__all__ = ["for_user"]


def _datasets(status: str, org_ids: list[str] | None) -> list[dict]:
    query = select(model.Package).where(
        model.Package.state == "active",
        model.Package.extras["sdi_status"].astext == status,
    )
    if org_ids is not None:
        if not org_ids:
            return []
        query = query.where(model.Package.owner_org.in_(org_ids))
    rows = model.Session.execute(
        query.add_columns(model.Group.title).outerjoin(model.Group, model.Group.id == model.Package.owner_org)
        .order_by(model.Package.metadata_modified)).all()
    return [{"id": p.id, "name": p.name, "title": p.title, "owner_org": p.owner_org,
             "organization": p.owner_org and org_title,
             "sdi_status": status, "metadata_modified": p.metadata_modified.isoformat()} for p, org_title in rows]


def for_user(user) -> dict[str, list[dict]]:
    obj = roles.user_object(user)
    empty: dict[str, list[dict]] = {"to_verify": [], "to_revise": [], "drafts": [], "to_publish": []}
    if obj is None:
        return empty
    if obj.sysadmin:
        ppid_orgs, editor_orgs = None, None
    else:
        ppid_orgs = [g.organization_id for g in roles.active_grants(obj.id, "ppid") if g.organization_id]
        editor_orgs = [org.id for org in model.Session.scalars(select(model.Group).where(
            model.Group.is_organization.is_(True), model.Group.state == "active")).all()
            if authz.has_user_permission_for_group_or_org(org.id, obj.name, "update_dataset")]
    return {
        "to_verify": _datasets("submitted", ppid_orgs),
        "to_revise": _datasets("rejected", editor_orgs),
        "drafts": _datasets("draft", editor_orgs),
        "to_publish": _datasets("verified", None) if permissions.is_walidata(obj) else [],
    }
