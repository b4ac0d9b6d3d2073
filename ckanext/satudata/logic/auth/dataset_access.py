"""What the dataset auth functions share: the dataset an input names, and
who produces it."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict
from sqlalchemy.engine import Row

from ckanext.satudata.text import safe_ref
from ckanext.satudata.workflow import permissions

__all__ = ["package_of", "deny", "can_read_dataset"]


def package_of(context: Context, data_dict: DataDict) -> model.Package:
    """The dataset named by ``id`` (or ``name``); context["package"] only when it
    is that dataset. A reference that names no dataset (missing, not text,
    unknown) is an unknown dataset: ObjectNotFound. The actions check their
    input with their schemas (logic/schema.py) before they ask."""
    data_dict = data_dict if isinstance(data_dict, dict) else {}
    field = "id" if data_dict.get("id") not in (None, "") or "name" not in data_dict else "name"
    ref = data_dict.get(field)
    if isinstance(ref, Row) and len(ref) == 1:
        ref = ref[0]  # core's bulk actions pass query rows
    if not safe_ref(ref):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    pkg = context.get("package")
    if pkg is None or ref not in (pkg.id, pkg.name):
        pkg = model.Package.get(ref)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg


def deny(msg: str) -> AuthResult:
    return {"success": False, "msg": msg}


def can_read_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    pkg = package_of(context, data_dict)
    # can_read uses the permission labels, which already include the agency's members.
    if permissions.can_read(permissions.caller(context), pkg):
        return {"success": True}
    return deny(tk._("Not authorized to read this dataset"))
