"""Core dataset actions, chained so no path but the workflow changes the
status or makes a dataset public."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.satudata import permissions, transitions


@tk.chained_action
def package_create(up_func, context: Context, data_dict: DataDict):
    """New datasets start as private drafts, whatever ``private`` says."""
    data_dict = dict(data_dict)
    data_dict["private"] = True
    result = up_func(context, data_dict)
    pkg = model.Package.get(result["id"])
    if pkg is not None and pkg.extras.get("sdi_status"):
        transitions.record_event(pkg, "create", None, "draft", _user_id(context), None)
        if not context.get("defer_commit"):
            model.repo.commit()
        _link_request(context, pkg)
    return result


def _link_request(context: Context, pkg: model.Package | None) -> None:
    """Data request hook: link a dataset saved with ``sdi_request_id`` and
    advance the requests it serves (issue 6)."""
    if pkg is None:
        return
    from ckanext.satudata.datarequest import notices, progress
    events = progress.dataset_saved(pkg.id, _user_id(context))
    if context.get("defer_commit"):
        return
    model.repo.commit()
    notices.enqueue(events)
    if any(e.kind == "link" for e in events):
        progress.revalidate(pkg.id)


@tk.chained_action
def package_update(up_func, context: Context, data_dict: DataDict):
    """Keep ``private`` derived from the status; editing a published dataset
    returns it to draft and out of the public catalogue."""
    pkg = model.Package.get(data_dict.get("id") or data_dict.get("name") or "")
    if pkg is None or "sdi_status" not in pkg.extras:
        return up_func(context, data_dict)
    before = pkg.extras.get("sdi_status")
    data_dict = dict(data_dict)
    back_to_draft = before == "published" and not context.get("satudata_workflow")
    if back_to_draft:
        context["satudata_back_to_draft"] = True
        data_dict["private"] = True
    else:
        data_dict["private"] = not permissions.is_public(pkg)
    # Core's package_update commits (under defer_commit 2.12 rolls its work back),
    # so the trail row follows in a second short transaction.
    try:
        result = up_func(context, data_dict)
    finally:
        context.pop("satudata_back_to_draft", None)
    if back_to_draft:
        pkg = model.Package.get(result["id"])
        transitions.record_event(pkg, "edit", before, "draft", _user_id(context),
                                 tk._("Edited after publication: back to draft"))
        transitions.sync_activity_labels(pkg)
        model.repo.commit()
    _link_request(context, model.Package.get(result["id"]))
    return result


@tk.chained_action
def package_delete(up_func, context: Context, data_dict: DataDict):
    """A deleted dataset stops counting for its requests: the others may now complete a step."""
    result = up_func(context, data_dict)
    pkg = model.Package.get((data_dict or {}).get("id") or "")
    if pkg is not None and "sdi_status" in pkg.extras:
        from ckanext.satudata.datarequest import notices, progress
        events = progress.dataset_changed(pkg.id, _user_id(context))
        model.repo.commit()
        notices.enqueue(events)
    return result


def _refuse_bulk(context: Context, data_dict: DataDict) -> None:
    for pkg_id in data_dict.get("datasets") or []:
        pkg = model.Package.get(pkg_id)
        if pkg is not None and "sdi_status" in pkg.extras:
            raise tk.ValidationError({"datasets": [
                tk._("SDI datasets change visibility only through the verification workflow")]})


@tk.chained_action
def bulk_update_public(up_func, context: Context, data_dict: DataDict):
    _refuse_bulk(context, data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def bulk_update_private(up_func, context: Context, data_dict: DataDict):
    _refuse_bulk(context, data_dict)
    return up_func(context, data_dict)


def _user_id(context: Context) -> str | None:
    user = model.User.get(context.get("user") or "")
    return user.id if user else None


@tk.side_effect_free
@tk.chained_action
def package_search(up_func, context: Context, data_dict: DataDict):
    """Facet items of the SDI vocabularies carry their labels, not codes."""
    from ckanext.satudata import indexing
    return indexing.label_search_facets(up_func(context, data_dict))
