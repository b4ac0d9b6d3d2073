"""The SDI code lists and area codes are public reference data: anyone,
anonymous visitors and API clients included, may read them."""
from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["satudata_vocabulary_list", "satudata_vocabulary_show", "satudata_area_list", "satudata_area_show"]


@tk.auth_allow_anonymous_access
def satudata_vocabulary_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def satudata_vocabulary_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def satudata_area_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def satudata_area_show(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}
