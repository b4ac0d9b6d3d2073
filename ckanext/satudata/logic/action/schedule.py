"""The update schedule (jadwal pemutakhiran) of published datasets, for the
Walidata and the agencies (issue 13)."""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.logic.schema import validator_args
from ckan.types import Context, DataDict

from ckanext.satudata.logic.schema import validate
from ckanext.satudata.logic.validators import satudata_boolean, satudata_unicode_safe
from ckanext.satudata.workflow import permissions, roles
from ckanext.satudata.workflow import schedule

__all__ = ["satudata_update_schedule_list"]


@validator_args
def _schema(ignore_missing, default, natural_number_validator):
    return {
        "organization": [ignore_missing, satudata_unicode_safe],
        "late": [default(False), satudata_boolean],
        "limit": [default(100), natural_number_validator],
        "offset": [default(0), natural_number_validator],
    }


def _readable_agencies(user) -> list[str] | None:
    """The agencies whose schedule ``user`` reads (None: all of them)."""
    if permissions.is_walidata(user):
        return None
    obj = roles.user_object(user)
    mine = tk.get_action("organization_list_for_user")({"user": obj.name}, {"permission": "read"})
    ppid = [g.organization_id for g in roles.active_grants(obj.id, "ppid")]
    return sorted({o["id"] for o in mine} | set(ppid))


@tk.side_effect_free
def satudata_update_schedule_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Published datasets with their next update date, earliest first.

    :param organization: one agency's (id or name); default every agency the caller reads
    :param late: only the late ones (due before today, in the portal's time zone); default false
    :param limit: rows per page (default 100); :param offset: rows to skip
    :returns: ``{"count", "late_count", "results": [{"id", "name", "title", "organization",
        "sdi_frequency", "sdi_period_end", "next_update", "late", "days_late"}]}``
    """
    data = validate(data_dict, _schema, context)
    org_ref = data.get("organization")
    org = model.Group.get(org_ref) if org_ref else None
    if org_ref and (org is None or not org.is_organization):
        raise tk.ValidationError({"organization": [tk._("Organization not found")]})
    tk.check_access("satudata_update_schedule_list", context, dict(data, organization=org.id if org else None))
    agencies = _readable_agencies(context.get("user"))
    if org is not None:
        agencies = [org.id]
    day = schedule.today()
    rows = [(pkg, due) for pkg, due in schedule.scheduled(agencies)
            if permissions.can_read(context.get("user"), pkg)]
    late = [row for row in rows if row[1] < day]
    listed = late if data["late"] else rows
    page = listed[data["offset"]:data["offset"] + data["limit"]]
    owners = {g.id: g for g in model.Session.query(model.Group).filter(
        model.Group.id.in_({pkg.owner_org for pkg, _ in page if pkg.owner_org}))}
    return {
        "count": len(listed),
        "late_count": len(late),
        "results": [{
            "id": pkg.id, "name": pkg.name, "title": pkg.title,
            "organization": ({"id": owners[pkg.owner_org].id, "name": owners[pkg.owner_org].name,
                              "title": owners[pkg.owner_org].title} if pkg.owner_org in owners else None),
            "sdi_frequency": pkg.extras.get("sdi_frequency"), "sdi_period_end": pkg.extras.get("sdi_period_end"),
            "next_update": due.isoformat(), "late": due < day, "days_late": max((day - due).days, 0),
        } for pkg, due in page],
    }
