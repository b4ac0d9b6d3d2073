"""What the dataset auth functions share: the dataset an input names, and
who produces it."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict
from sqlalchemy.engine import Row

from ckanext.satudata.text import text_problem
from ckanext.satudata.workflow import permissions

__all__ = ["dataset_ref", "package_of", "is_producer", "deny", "can_read_dataset"]


def dataset_ref(value, field: str = "id") -> str:
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


def package_of(context: Context, data_dict: DataDict):
    """The dataset named by ``id`` (or ``name``); context["package"] only when it
    is that dataset. Bad input is a field error, an unknown dataset a 404.
    The workflow auth functions run for sysadmins too (``auth_sysadmins_check``)
    so that their input is checked here, before the action's schema."""
    import ckan.model as model
    data_dict = data_dict or {}
    field = "id" if data_dict.get("id") not in (None, "") or "name" not in data_dict else "name"
    ref = dataset_ref(data_dict.get(field), field)
    pkg = context.get("package")
    if pkg is None or ref not in (pkg.id, pkg.name):
        pkg = model.Package.get(ref)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def is_producer(user, pkg) -> bool:
    from ckan import authz
    obj = permissions.roles.user_object(user)
    if obj is None or not pkg.owner_org:
        return False
    return obj.sysadmin or authz.has_user_permission_for_group_or_org(pkg.owner_org, obj.name, "update_dataset")


def deny(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}




def can_read_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = package_of(context, data_dict)
    # can_read uses the permission labels, which already include the agency's members.
    if permissions.can_read(context.get("user"), pkg):
        return {"success": True}
    return deny(tk._("Not authorized to read this dataset"))
