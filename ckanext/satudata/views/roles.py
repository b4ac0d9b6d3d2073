"""The sysadmin's page for SDI roles: list, grant and revoke through the role actions."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.pagination import Page
from flask import Blueprint

from ckanext.satudata.msgid import N_
from ckanext.satudata.views import errors
from ckanext.satudata.workflow import roles

__all__ = ["satudata_roles"]

satudata_roles = Blueprint("satudata_roles", __name__, url_prefix="/ckan-admin/satudata/roles")

_GRANT_FIELDS = ("user", "role", "organization", "institution")
_REVOKE_FIELDS = ("user", "role", "organization")
# The page's words for the role actions' fields: error summaries and the grants table.
_FIELD_LABELS = {"user": N_("User"), "role": N_("SDI role"), "organization": N_("Organization"),
                 "institution": N_("Institution")}


def _refused():
    """401 (with a word on logging in) or 403."""
    if not tk.current_user.is_authenticated:
        return errors.refuse(tk._("Log in as a sysadmin to manage SDI roles"))
    return errors.refuse(tk._("Only a sysadmin can manage SDI roles"))


def _form(fields: tuple[str, ...]) -> dict[str, str]:
    """The posted fields, trimmed; empty ones left out."""
    values = {name: tk.request.form.get(name, "").strip() for name in fields}
    return {name: value for name, value in values.items() if value}


def _label(field: str) -> str:
    return tk._(_FIELD_LABELS[field]) if field in _FIELD_LABELS else field


# Grants per page of the list; the search and the paging run over one
# satudata_role_list call (its queries do not grow with the grants).
PER_PAGE = 25


def _matches(grant: dict, words: list[str], role_labels: dict[str, str]) -> bool:
    """Every searched word is in the grant's user, role, agency or institution."""
    text = " ".join(str(v) for v in (
        grant.get("user_name"), grant.get("role"), role_labels.get(grant.get("role"), ""),
        grant.get("organization_name"), grant.get("organization_title"), grant.get("institution"),
    ) if v).lower()
    return all(word in text for word in words)


def _page_number() -> int:
    try:
        return max(1, int(tk.request.args.get("page", 1)))
    except ValueError:
        return 1


def _page(data: dict[str, Any] | None = None, field_errors: dict | None = None):
    try:
        tk.check_access("satudata_role_grant", {}, {})
        grants = tk.get_action("satudata_role_list")({}, {})
    except tk.NotAuthorized:
        return _refused()
    role_labels = {role: roles.role_label(role) for role in roles.ROLES}
    q = tk.request.args.get("q", "").strip()
    role = tk.request.args.get("role", "")
    found = [g for g in grants if (not role or g["role"] == role)
             and _matches(g, q.lower().split(), role_labels)]
    found.sort(key=lambda g: (g["user_name"] or "", g["role"]))
    page = Page(collection=found, page=_page_number(), items_per_page=PER_PAGE,
                url=lambda **kw: tk.h.url_for("satudata_roles.index", **{
                    k: v for k, v in {"q": q, "role": role, **kw}.items() if v}))
    organizations = tk.get_action("organization_list_for_user")({}, {"permission": "read"})
    return tk.render("satudata/roles/index.html", {
        "grants": page.items,
        "page": page,
        "total": len(grants),
        "found": len(found),
        "q": q,
        "role": role,
        "organizations": sorted(organizations, key=lambda o: o["display_name"].lower()),
        "role_options": [{"value": r, "text": roles.role_label(r)} for r in roles.ROLES],
        "role_labels": role_labels,
        "field_labels": {field: _label(field) for field in _FIELD_LABELS},
        "data": data or {},
        "errors": field_errors or {},
    })


@satudata_roles.route("/")
def index():
    """Active grants and the grant form."""
    return _page()


@satudata_roles.route("/grant", methods=["POST"])
def grant():
    """Grant a role from the form; on bad input the form comes back with its errors."""
    data = _form(_GRANT_FIELDS)
    try:
        result = tk.get_action("satudata_role_grant")({}, data)
    except tk.NotAuthorized:
        return _refused()
    except tk.ValidationError as error:
        errors.flash_errors(error, _label)
        return _page(data, error.error_dict)
    tk.h.flash_success(tk._("%(role)s granted to %(user)s") % {
        "role": roles.role_label(result["role"]), "user": result["user_name"]})
    return tk.redirect_to("satudata_roles.index")


@satudata_roles.route("/revoke", methods=["POST"])
def revoke():
    """Revoke one grant (its user, role and organization come from the row's form)."""
    data = _form(_REVOKE_FIELDS)
    try:
        tk.get_action("satudata_role_revoke")({}, data)
    except tk.NotAuthorized:
        return _refused()
    except tk.ValidationError as error:
        errors.flash_errors(error, _label)
    except tk.ObjectNotFound as error:
        tk.h.flash_error(str(error) or tk._("The user does not hold that role"))
    else:
        tk.h.flash_success(tk._("%(role)s revoked from %(user)s") % {
            "role": roles.role_label(data.get("role", "")), "user": data.get("user", "")})
    return tk.redirect_to("satudata_roles.index")
