"""Granting and revoking SDI roles (sysadmins only)."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata import roles
from ckanext.satudata.logic import schema



def _check_org_scope(data: DataDict) -> None:
    role, org = data["role"], data.get("organization")
    if role in roles.ORG_ROLES and not org:
        raise tk.ValidationError({"organization": [tk._("The %(role)s role belongs to one agency: give the organization") % {"role": roles.role_label(role)}]})
    if role not in roles.ORG_ROLES and org:
        raise tk.ValidationError({"organization": [tk._("The %(role)s role is portal-wide: leave the organization out") % {"role": roles.role_label(role)}]})
    if data.get("institution") and role != "pembina":
        raise tk.ValidationError({"institution": [tk._("Only the %(role)s role names an institution") % {"role": roles.role_label("pembina")}]})


def _grant_dict(grant) -> dict:
    out = grant.as_dict()
    user = roles.user_object(grant.user_id)
    out["user_name"] = user.name if user else None
    if grant.organization_id:
        import ckan.model as model
        org = model.Group.get(grant.organization_id)
        out["organization_name"] = org.name if org else None
        out["organization_title"] = org.title if org else None
    return out


def satudata_role_grant(context: Context, data_dict: DataDict) -> dict:
    """Grant an SDI role to a user.

    :param user: user name or id
    :param role: ``walidata``, ``pembina``, ``forum`` or ``ppid``
    :param organization: the agency (name or id), for ``ppid`` only
    :param institution: for ``pembina``, e.g. ``BPS`` or ``BIG`` (optional)
    :returns: the active grant
    """
    tk.check_access("satudata_role_grant", context, data_dict)
    data = schema.validate(data_dict, schema.satudata_role_grant, context)
    _check_org_scope(data)
    grant = roles.grant(data["user"], data["role"], data.get("organization"),
                        by=context.get("user"), institution=data.get("institution"))
    if not context.get("defer_commit"):
        context["model"].repo.commit()
    return _grant_dict(grant)


def satudata_role_revoke(context: Context, data_dict: DataDict) -> dict:
    """Revoke an SDI role; the grant stays in the record, marked revoked.

    :param user: user name or id
    :param role: the role
    :param organization: the agency, for ``ppid``
    :returns: ``{"revoked": n}``
    """
    tk.check_access("satudata_role_revoke", context, data_dict)
    data = schema.validate(data_dict, schema.satudata_role_revoke, context)
    _check_org_scope(data)
    rows = roles.revoke(data["user"], data["role"], data.get("organization"), by=context.get("user"))
    if not rows:
        raise tk.ObjectNotFound(tk._("The user does not hold that role"))
    if not context.get("defer_commit"):
        context["model"].repo.commit()
    return {"revoked": len(rows)}


@tk.side_effect_free
def satudata_role_list(context: Context, data_dict: DataDict) -> list[dict]:
    """Active SDI role grants, optionally filtered.

    :param user: user name or id (optional)
    :param role: role (optional)
    :param organization: agency name or id (optional)
    :returns: list of grants
    """
    tk.check_access("satudata_role_list", context, data_dict)
    data = schema.validate(data_dict, schema.satudata_role_list, context)
    filters = {"role": data.get("role"), "org_id": data.get("organization")}
    if data.get("user"):
        filters["user_id"] = data["user"]
    grants = roles.active_grants(**filters)
    return [_grant_dict(g) for g in grants]
