"""Granting and revoking SDI roles (sysadmins only)."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from sqlalchemy import select

from ckanext.satudata import transaction
from ckanext.satudata.logic import schema
from ckanext.satudata.workflow import roles


def _check_org_scope(data: DataDict) -> None:
    role, org = data["role"], data.get("organization")
    if role in roles.ORG_ROLES and not org:
        raise tk.ValidationError({"organization": [tk._("The %(role)s role belongs to one agency: give the organization") % {"role": roles.role_label(role)}]})
    if role not in roles.ORG_ROLES and org:
        raise tk.ValidationError({"organization": [tk._("The %(role)s role is portal-wide: leave the organization out") % {"role": roles.role_label(role)}]})
    if org:
        group = model.Group.get(org)
        if group is None or not group.is_organization:
            raise tk.ValidationError({"organization": [tk._("%(name)s is a group, not an organization (agency)") % {
                "name": group.name if group else org}]})


def _check_institution(data: DataDict) -> None:
    if data.get("institution") and data["role"] != "pembina":
        raise tk.ValidationError({"institution": [tk._("Only the %(role)s role names an institution") % {"role": roles.role_label("pembina")}]})
    if data["role"] == "pembina" and not (data.get("institution") or "").strip():
        raise tk.ValidationError({"institution": [tk._("The %(role)s role needs its institution, e.g. BPS or BIG") % {"role": roles.role_label("pembina")}]})


def _validated(context: Context, data_dict: DataDict, action: str) -> dict:
    """The input checked by the action's schema, then the auth function asked,
    then the user and agency looked up (ids)."""
    data = schema.validate(data_dict, getattr(schema, action), context)
    tk.check_access(action, context, data)
    refs = {key: data[key] for key in ("user", "organization") if key in data}
    return {**data, **schema.validate(refs, schema.satudata_role_refs, context)}


def _actor_id(context: Context) -> str | None:
    user = roles.user_object(context.get("user"))
    return user.id if user else None


def _grant_dicts(grants) -> list[dict]:
    """The grants with their users' and agencies' names, looked up at once."""
    users = roles.users_by_id(i for g in grants for i in (g.user_id, g.granted_by, g.revoked_by))
    org_ids = {g.organization_id for g in grants if g.organization_id}
    orgs = {o.id: o for o in model.Session.scalars(
        select(model.Group).where(model.Group.id.in_(org_ids)))} if org_ids else {}

    def name(user_id):
        return users[user_id].name if user_id in users else user_id

    out = []
    for grant in grants:
        row = grant.as_dict()
        row["user_name"] = name(grant.user_id)
        row["granted_by_name"] = name(grant.granted_by)
        row["revoked_by_name"] = name(grant.revoked_by)
        if grant.organization_id:
            org = orgs.get(grant.organization_id)
            row["organization_name"] = org.name if org else None
            row["organization_title"] = org.title if org else None
        out.append(row)
    return out


def satudata_role_grant(context: Context, data_dict: DataDict) -> dict:
    """Grant an SDI role to a user.

    :param user: user name or id
    :param role: ``walidata``, ``pembina``, ``forum`` or ``ppid``
    :param organization: the agency (an organization's name or id), for ``ppid`` only
    :param institution: for ``pembina`` only, and required: e.g. ``BPS`` or ``BIG``
    :returns: the active grant; ``granted_by`` is the granting user's id
        (``granted_by_name`` their name)
    """
    data = _validated(context, data_dict, "satudata_role_grant")
    _check_org_scope(data)
    _check_institution(data)
    grant = roles.grant(data["user"], data["role"], data.get("organization"),
                        by=_actor_id(context), institution=(data.get("institution") or "").strip() or None)
    transaction.commit(context)
    return _grant_dicts([grant])[0]


def satudata_role_revoke(context: Context, data_dict: DataDict) -> dict:
    """Revoke an SDI role; the grant stays in the record, marked revoked
    (``revoked_at``, ``revoked_by``: the revoking user's id).

    :param user: user name or id
    :param role: the role
    :param organization: the agency, for ``ppid``
    :returns: ``{"revoked": n}``
    """
    data = _validated(context, data_dict, "satudata_role_revoke")
    _check_org_scope(data)
    rows = roles.revoke(data["user"], data["role"], data.get("organization"), by=_actor_id(context))
    if not rows:
        raise tk.ObjectNotFound(tk._("The user does not hold that role"))
    transaction.commit(context)
    return {"revoked": len(rows)}


@tk.side_effect_free
def satudata_role_list(context: Context, data_dict: DataDict) -> list[dict]:
    """Active SDI role grants, optionally filtered.

    :param user: user name or id (optional)
    :param role: role (optional)
    :param organization: agency name or id (optional)
    :returns: list of grants
    """
    data = _validated(context, data_dict, "satudata_role_list")
    filters = {"role": data.get("role"), "org_id": data.get("organization")}
    if data.get("user"):
        filters["user_id"] = data["user"]
    grants = roles.active_grants(**filters)
    return _grant_dicts(list(grants))
