"""Chained core auth functions: the paths around the workflow (edits of a
published dataset, bulk visibility, relationships, moves) and the activity
doors, which follow the dataset's permission labels."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.lib.plugins import get_permission_labels
from ckan.types import AuthResult, Context, DataDict
from ckanext.activity.model import Activity

from ckanext.satudata.logic.action.core_lists import hidden_from
from ckanext.satudata.logic.auth.dataset_access import deny, package_of
from ckanext.satudata.workflow import permissions, states

__all__ = ["package_show", "package_update", "package_relationship_create", "package_relationship_update", "package_relationship_delete", "bulk_update_public", "bulk_update_private", "bulk_update_delete", "package_owner_org_update", "activity_show", "activity_data_show", "activity_diff"]


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def package_show(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule, plus the SDI readers (Walidata, PPID, shared agencies,
    requesters), the same rule the search index applies."""
    result = next_auth(context, data_dict)
    if result.get("success"):
        return result
    pkg = context.get("package")
    if pkg is not None and "sdi_status" in pkg.extras \
            and permissions.can_read(permissions.caller(context), pkg):
        return {"success": True}
    return result


@tk.chained_auth_function
def package_update(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Nobody but a sysadmin edits a dataset under review. An SDI dataset the
    user may not read is refused as an unknown one is (404 "Dataset not
    found", issue 11): core's write rules (patch, delete, resources, views,
    relationships) ask this one, and so do the pages before their action."""
    data_dict = data_dict or {}
    if data_dict.get("id") in (None, "") and data_dict.get("name") in (None, "") and context.get("package") is None:
        return next_auth(context, data_dict)  # core's own error
    pkg = package_of(context, data_dict) if data_dict.get("id") or data_dict.get("name") else context["package"]
    if hidden_from(context, pkg):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    if pkg.extras.get("sdi_status") in states.UNDER_REVIEW \
            and not permissions.is_sysadmin(context.get("user")):
        return deny(tk._("This dataset is under review and cannot be edited until it is verified or returned"))
    return next_auth(context, data_dict)


def _outside_workflow_edit(pkg) -> bool:
    """An SDI dataset that only the workflow may change now (not draft/returned)."""
    return "sdi_status" in pkg.extras and not states.editable(pkg.extras.get("sdi_status"))


def _relationship_refusal(context: Context, data_dict: DataDict, removing: bool = False) -> AuthResult | None:
    """SDI datasets get no relationships: the SDI metadata has none, and CKAN
    2.12 cannot index a scheming dataset that has one (its show schema drops the
    package ids the indexer reads). One made before the plugin was enabled may
    be removed while the dataset is a draft or returned."""
    data_dict = data_dict or {}
    for field in ("subject", "object"):
        if field not in data_dict:
            continue
        pkg = package_of(context, {"id": data_dict.get(field)})
        if "sdi_status" not in pkg.extras:
            continue
        if not removing:
            return deny(tk._("SDI datasets have no relationships"))
        if _outside_workflow_edit(pkg):
            return deny(tk._("An SDI dataset under review or published cannot get or lose relationships"))
    return None


@tk.auth_sysadmins_check
@tk.chained_auth_function
def package_relationship_create(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    return _relationship_refusal(context, data_dict) or next_auth(context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def package_relationship_update(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    return _relationship_refusal(context, data_dict) or next_auth(context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def package_relationship_delete(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    refusal = _relationship_refusal(context, data_dict, removing=True)
    if refusal:
        return refusal
    refs = [(data_dict or {}).get(field) for field in ("subject", "object")]
    if not any("sdi_status" in pkg.extras for pkg in filter(None, (model.Package.get(r) for r in refs if r))):
        return next_auth(context, data_dict)
    # Core asks the create rule, which refuses every SDI dataset: removing
    # needs the right to edit both datasets, as creating would.
    for field in ("subject", "object"):
        if not authz.is_authorized_boolean("package_update", context, {"id": (data_dict or {}).get(field)}):
            return deny(tk._("Not authorized to edit both datasets of this relationship"))
    return {"success": True}


def _bulk_datasets(data_dict: DataDict) -> list[str] | None:
    """The ids the bulk action names; None when ``datasets`` is not a list of
    ids (the chained bulk actions refuse that input before they ask)."""
    datasets = (data_dict or {}).get("datasets") or []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        return None
    return datasets


def _bulk_visibility(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    datasets = _bulk_datasets(data_dict)
    if datasets is None:
        return deny(tk._("Must be a list of dataset ids"))
    for pkg_id in datasets:
        pkg = model.Package.get(pkg_id)
        if pkg is not None and "sdi_status" in pkg.extras:
            return deny(tk._("SDI datasets change visibility only through the verification workflow"))
    return next_auth(context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def bulk_update_public(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """SDI datasets become public only by publication."""
    return _bulk_visibility(next_auth, context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def bulk_update_private(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """SDI datasets are withdrawn only by the Walidata's unpublish."""
    return _bulk_visibility(next_auth, context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def bulk_update_delete(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule; the ids must be strings."""
    if _bulk_datasets(data_dict) is None:
        return deny(tk._("Must be a list of dataset ids"))
    if permissions.is_sysadmin(context.get("user")):
        return {"success": True}
    return next_auth(context, data_dict)


@tk.auth_sysadmins_check
@tk.chained_auth_function
def package_owner_org_update(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (core); an SDI dataset under review keeps its agency
    (its PPID is verifying it)."""
    if not permissions.is_sysadmin(context.get("user")):
        return next_auth(context, data_dict)
    pkg = package_of(context, data_dict)
    wanted = (data_dict or {}).get("organization_id")
    if pkg.extras.get("sdi_status") in states.UNDER_REVIEW and not _same_org(pkg.owner_org, wanted):
        return deny(tk._("A dataset under review cannot move to another agency"))
    return {"success": True}


def _same_org(org_id: str | None, ref) -> bool:
    org = model.Group.get(ref) if isinstance(ref, str) and ref else None
    return org is not None and org.id == org_id


# --------------------------------------------------------------- activities

def _activity_of(data_dict: DataDict):
    ref = (data_dict or {}).get("id")
    return model.Session.get(Activity, ref) if isinstance(ref, str) and ref else None


def _unlabelled(context: Context, activity) -> bool:
    """A dataset activity stored without labels (the newest workflow activity,
    before issue 11): only sysadmins read it until the dataset's next change
    labels it (core's check fails on it with a 500)."""
    return activity is not None and "package" in (activity.activity_type or "") \
        and activity.permission_labels is None and not permissions.is_sysadmin(context.get("user"))


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_show(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule: the activity's permission labels (the visibility of the
    version it records), then the dataset's. ``include_data`` defaults to
    false, as the action documents it (core's auth reads it unconditionally:
    a 500 for every reader but sysadmins)."""
    if _unlabelled(context, _activity_of(data_dict)):
        return deny(tk._("Not authorized to read this dataset"))
    if isinstance(data_dict, dict):
        data_dict.setdefault("include_data", False)
    return next_auth(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_data_show(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule (the dataset's editors, or everyone the labels allow with
    ``ckan.auth.public_activity_stream_detail``)."""
    if _unlabelled(context, _activity_of(data_dict)):
        return deny(tk._("Not authorized to read this dataset"))
    return next_auth(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_diff(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule for the activity, and the labels of the earlier activity it
    is compared with (core returns both): a diff shows no version its reader
    may not see."""
    activity = _activity_of(data_dict)
    if _unlabelled(context, activity):
        return deny(tk._("Not authorized to read this dataset"))
    result = next_auth(context, data_dict)
    if activity is None or not result.get("success") or permissions.is_sysadmin(context.get("user")):
        return result
    earlier = model.Session.query(Activity).filter_by(object_id=activity.object_id) \
        .filter(Activity.timestamp < activity.timestamp).order_by(Activity.timestamp.desc()).first()
    if earlier is None:
        return result
    mine = get_permission_labels().get_user_dataset_labels(permissions.roles.user_object(context.get("user")))
    if set(mine) & set(earlier.permission_labels or ()):
        return result
    return deny(tk._("Not authorized to read this dataset"))
