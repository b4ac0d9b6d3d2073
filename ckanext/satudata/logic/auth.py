"""Who may call each satudata_* action: one auth function per action, same name.

Permission is decided here and nowhere else; templates ask h.check_access.
"""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict
from sqlalchemy.engine import Row

from ckanext.satudata import permissions
from ckanext.satudata.text import text_problem


def _sysadmin_only(context: Context) -> AuthResult:
    if permissions.is_sysadmin(context.get("user")):
        return {"success": True}
    return {"success": False, "msg": tk._("Only a sysadmin can manage SDI roles")}


def satudata_role_grant(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context)


def satudata_role_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    return _sysadmin_only(context)


def satudata_role_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins and the Walidata see every grant; a user sees their own."""
    user = context.get("user")
    if permissions.is_walidata(user):
        return {"success": True}
    own = permissions.roles.user_object(user)
    asked = (data_dict or {}).get("user")
    if own and asked and asked in (own.id, own.name):
        return {"success": True}
    return {"success": False, "msg": tk._("Not authorized to list SDI roles")}


# ------------------------------------------------------------- the workflow

def _ref(value, field: str = "id") -> str:
    """A dataset id or name from the input, or a field error (never a 500)."""
    if isinstance(value, Row) and len(value) == 1:
        value = value[0]  # core's bulk actions pass query rows
    if value in (None, ""):
        raise tk.ValidationError({field: [tk._("Missing value")]})
    if not isinstance(value, str):
        raise tk.ValidationError({field: [tk._("Must be a dataset id or name")]})
    problem = text_problem(value)
    if problem:
        raise tk.ValidationError({field: [problem]})
    return value


def _package(context: Context, data_dict: DataDict):
    """The dataset named by ``id`` (or ``name``); context["package"] only when it
    is that dataset. Bad input is a field error, an unknown dataset a 404.
    The workflow auth functions run for sysadmins too (``auth_sysadmins_check``)
    so that their input is checked here, before the action's schema."""
    import ckan.model as model
    data_dict = data_dict or {}
    field = "id" if data_dict.get("id") not in (None, "") or "name" not in data_dict else "name"
    ref = _ref(data_dict.get(field), field)
    pkg = context.get("package")
    if pkg is None or ref not in (pkg.id, pkg.name):
        pkg = model.Package.get(ref)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def _is_producer(user, pkg) -> bool:
    from ckan import authz
    obj = permissions.roles.user_object(user)
    if obj is None or not pkg.owner_org:
        return False
    return obj.sysadmin or authz.has_user_permission_for_group_or_org(pkg.owner_org, obj.name, "update_dataset")


def _deny(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


@tk.auth_sysadmins_check
def satudata_dataset_submit(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    if _is_producer(context.get("user"), pkg):
        return {"success": True}
    return _deny(tk._("Only the producing agency's editors can submit this dataset"))


@tk.auth_sysadmins_check
def satudata_dataset_verify(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    if permissions.is_ppid_of(context.get("user"), pkg.owner_org):
        return {"success": True}
    return _deny(tk._("Only the PPID of the producing agency can verify this dataset"))


@tk.auth_sysadmins_check
def satudata_dataset_reject(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    user = context.get("user")
    if permissions.is_ppid_of(user, pkg.owner_org):
        return {"success": True}
    if pkg.extras.get("sdi_status") == "verified" and permissions.is_walidata(user):
        return {"success": True}
    return _deny(tk._("Only the agency's PPID, or the Walidata for a verified dataset, can return it for revision"))


@tk.auth_sysadmins_check
def satudata_dataset_publish(context: Context, data_dict: DataDict) -> AuthResult:
    _package(context, data_dict)
    if permissions.is_walidata(context.get("user")):
        return {"success": True}
    return _deny(tk._("Only the Walidata can publish datasets"))


@tk.auth_sysadmins_check
def satudata_dataset_unpublish(context: Context, data_dict: DataDict) -> AuthResult:
    return satudata_dataset_publish(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.auth_sysadmins_check
def satudata_dataset_compliance(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_read(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.auth_sysadmins_check
def satudata_dataset_history(context: Context, data_dict: DataDict) -> AuthResult:
    return _can_read(context, data_dict)


def satudata_dataset_history_actors(context: Context, data_dict: DataDict) -> AuthResult:
    """Who acted in a dataset's history, and their notes: logged-in readers
    when ``ckan.auth.public_user_details`` is true; otherwise the agency's
    members, its PPID and the Walidata. Never anonymous readers."""
    from ckan import authz
    pkg = _package(context, data_dict)
    user = permissions.roles.user_object(context.get("user"))
    if user is None or user.state != "active":
        return _deny(tk._("Not authorized to see who acted on this dataset"))
    if tk.config.get("ckan.auth.public_user_details") or permissions.is_walidata(user) \
            or permissions.is_ppid_of(user, pkg.owner_org) \
            or (pkg.owner_org and authz.users_role_for_group_or_org(pkg.owner_org, user.name)):
        return {"success": True}
    return _deny(tk._("Not authorized to see who acted on this dataset"))


def satudata_task_list(context: Context, data_dict: DataDict) -> AuthResult:
    if permissions.roles.user_object(context.get("user")) is None:
        return _deny(tk._("Log in to see your tasks"))
    return {"success": True}


def _can_read(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _package(context, data_dict)
    # can_read uses the permission labels, which already include the agency's members.
    if permissions.can_read(context.get("user"), pkg):
        return {"success": True}
    return _deny(tk._("Not authorized to read this dataset"))


# --------------------------------------------------- chained core functions

@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def package_show(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule, plus the SDI readers (Walidata, PPID, shared agencies,
    requesters), the same rule the search index applies."""
    result = next_auth(context, data_dict)
    if result.get("success"):
        return result
    pkg = context.get("package")
    if pkg is not None and "sdi_status" in pkg.extras and permissions.can_read(context.get("user"), pkg):
        return {"success": True}
    return result


@tk.chained_auth_function
def package_update(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Nobody but a sysadmin edits a dataset under review. An SDI dataset the
    user may not read is refused as an unknown one is (404 "Dataset not
    found", issue 11): core's write rules (patch, delete, resources, views,
    relationships) ask this one, and so do the pages before their action."""
    from ckanext.satudata.logic.action.core_lists import hidden_from
    data_dict = data_dict or {}
    if data_dict.get("id") in (None, "") and data_dict.get("name") in (None, "") and context.get("package") is None:
        return next_auth(context, data_dict)  # core's own error
    pkg = _package(context, data_dict) if data_dict.get("id") or data_dict.get("name") else context["package"]
    if hidden_from(context, pkg):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    if pkg.extras.get("sdi_status") in ("submitted", "verified") \
            and not permissions.is_sysadmin(context.get("user")):
        return _deny(tk._("This dataset is under review and cannot be edited until it is verified or returned"))
    return next_auth(context, data_dict)


def _outside_workflow_edit(pkg) -> bool:
    """An SDI dataset that only the workflow may change now (not draft/returned)."""
    return "sdi_status" in pkg.extras and pkg.extras.get("sdi_status") not in ("draft", "rejected")


def _relationship_refusal(context: Context, data_dict: DataDict, removing: bool = False) -> AuthResult | None:
    """SDI datasets get no relationships: the SDI metadata has none, and CKAN
    2.12 cannot index a scheming dataset that has one (its show schema drops the
    package ids the indexer reads). One made before the plugin was enabled may
    be removed while the dataset is a draft or returned."""
    data_dict = data_dict or {}
    for field in ("subject", "object"):
        if field not in data_dict:
            continue
        pkg = _package(context, {"id": data_dict.get(field)})
        if "sdi_status" not in pkg.extras:
            continue
        if not removing:
            return _deny(tk._("SDI datasets have no relationships"))
        if _outside_workflow_edit(pkg):
            return _deny(tk._("An SDI dataset under review or published cannot get or lose relationships"))
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
    import ckan.model as model
    from ckan import authz
    refs = [(data_dict or {}).get(field) for field in ("subject", "object")]
    if not any("sdi_status" in pkg.extras for pkg in filter(None, (model.Package.get(r) for r in refs if r))):
        return next_auth(context, data_dict)
    # Core asks the create rule, which refuses every SDI dataset: removing
    # needs the right to edit both datasets, as creating would.
    for field in ("subject", "object"):
        if not authz.is_authorized_boolean("package_update", context, {"id": (data_dict or {}).get(field)}):
            return _deny(tk._("Not authorized to edit both datasets of this relationship"))
    return {"success": True}


def _bulk_datasets(data_dict: DataDict) -> list[str]:
    datasets = (data_dict or {}).get("datasets") or []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise tk.ValidationError({"datasets": [tk._("Must be a list of dataset ids")]})
    return datasets


def _bulk_visibility(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    import ckan.model as model
    for pkg_id in _bulk_datasets(data_dict):
        pkg = model.Package.get(pkg_id)
        if pkg is not None and "sdi_status" in pkg.extras:
            return _deny(tk._("SDI datasets change visibility only through the verification workflow"))
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
    """Core's rule; the ids must be strings (a field error, not a 500)."""
    _bulk_datasets(data_dict)
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
    pkg = _package(context, data_dict)
    wanted = (data_dict or {}).get("organization_id")
    if pkg.extras.get("sdi_status") in ("submitted", "verified") and not _same_org(pkg.owner_org, wanted):
        return _deny(tk._("A dataset under review cannot move to another agency"))
    return {"success": True}


def _same_org(org_id: str | None, ref) -> bool:
    import ckan.model as model
    org = model.Group.get(ref) if isinstance(ref, str) and ref else None
    return org is not None and org.id == org_id


# --------------------------------------------------------------- activities

def _activity_of(data_dict: DataDict):
    import ckan.model as model
    from ckanext.activity.model import Activity
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
        return _deny(tk._("Not authorized to read this dataset"))
    if isinstance(data_dict, dict):
        data_dict.setdefault("include_data", False)
    return next_auth(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_data_show(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule (the dataset's editors, or everyone the labels allow with
    ``ckan.auth.public_activity_stream_detail``)."""
    if _unlabelled(context, _activity_of(data_dict)):
        return _deny(tk._("Not authorized to read this dataset"))
    return next_auth(context, data_dict)


@tk.auth_allow_anonymous_access
@tk.chained_auth_function
def activity_diff(next_auth, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's rule for the activity, and the labels of the earlier activity it
    is compared with (core returns both): a diff shows no version its reader
    may not see."""
    import ckan.model as model
    from ckan.lib.plugins import get_permission_labels
    from ckanext.activity.model import Activity
    activity = _activity_of(data_dict)
    if _unlabelled(context, activity):
        return _deny(tk._("Not authorized to read this dataset"))
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
    return _deny(tk._("Not authorized to read this dataset"))


# --------------------------------------------------------------- validation

def _resource_package(data_dict: DataDict):
    """The active dataset of an active resource, looked up by resource id only."""
    import ckan.model as model
    ref = (data_dict or {}).get("resource_id") or (data_dict or {}).get("id")
    res = model.Session.get(model.Resource, ref) if isinstance(ref, str) and ref else None
    pkg = res.package if res is not None and res.state == "active" else None
    if pkg is None or pkg.state != "active":
        raise tk.ObjectNotFound(tk._("Resource not found"))
    return pkg


def resource_validation_run(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _resource_package(data_dict)
    if _is_producer(context.get("user"), pkg) or permissions.is_ppid_of(context.get("user"), pkg.owner_org) \
            or permissions.is_walidata(context.get("user")):
        return {"success": True}
    return _deny(tk._("Not authorized to validate this resource"))


def resource_validation_run_sync(context: Context, data_dict: DataDict) -> AuthResult:
    """``async: false`` runs the validation inside the web request: sysadmins
    only (resource_validation_run queues everyone else's)."""
    _resource_package(data_dict)
    if permissions.is_sysadmin(context.get("user")):
        return {"success": True}
    return _deny(tk._("Only a sysadmin can run a validation inside the request"))


@tk.auth_allow_anonymous_access
def resource_validation_show(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may read the dataset (package_show's rule, SDI readers included)."""
    pkg = _resource_package(data_dict)
    try:
        tk.check_access("package_show", {"user": context.get("user"), "package": pkg}, {"id": pkg.id})
    except tk.NotAuthorized:
        return _deny(tk._("Not authorized to read this dataset"))
    return {"success": True}


def resource_validation_delete(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = _resource_package(data_dict)
    if _is_producer(context.get("user"), pkg):
        return {"success": True}
    return _deny(tk._("Not authorized to delete this validation report"))


# ------------------------------------------------------------ data requests

# One module per concept: the request rules live in request_auth; tk.blanket
# registers what __all__ names (this module's functions and those).
import sys as _sys  # noqa: E402

from ckan.authz import get_local_functions as _local_functions  # noqa: E402

from ckanext.satudata.logic import request_auth as _request_auth  # noqa: E402
from ckanext.satudata.logic.request_auth import *  # noqa: E402,F401,F403

__all__ = [name for name, _f in _local_functions(_sys.modules[__name__])] + list(_request_auth.__all__)
