"""Core dataset actions, chained so no path but the workflow changes the
status or makes a dataset public."""
from __future__ import annotations

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import search
from ckan.types import Context, DataDict
from sqlalchemy.engine import Row

from ckanext.satudata import transaction, uploads
from ckanext.satudata.datarequest import notices, progress
from ckanext.satudata.logic.action import core_lists
from ckanext.satudata.metadata import indexing
from ckanext.satudata.text import safe_ref
from ckanext.satudata.validation import service
from ckanext.satudata.workflow import permissions, transitions


@tk.chained_action
def package_create(up_func, context: Context, data_dict: DataDict):
    """New datasets start as private drafts, whatever ``private`` says."""
    _check_resources(data_dict)
    data_dict = dict(data_dict)
    data_dict["private"] = True
    result = service.save_and_queue(up_func, context, data_dict, created=True)
    pkg = model.Package.get(result["id"])
    if pkg is not None and pkg.extras.get("sdi_status"):
        transitions.record_event(pkg, "create", None, "draft", _user_id(context), None)
        transaction.commit(context)
        _link_request(context, pkg)
    return result


def _check_resources(data_dict: DataDict) -> None:
    """The resources given inline get the checks ``resource_create`` gives
    them (core parses their URLs before any validator runs)."""
    resources = (data_dict or {}).get("resources")
    if not isinstance(resources, list):
        return
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            continue
        try:
            uploads.check_resource(resource)
        except tk.ValidationError as error:
            raise tk.ValidationError({"resources": [{} for _ in range(index)] + [error.error_dict]})


def _link_request(context: Context, pkg: model.Package | None) -> None:
    """Data request hook: link a dataset saved with ``sdi_request_id`` and
    advance the requests it serves (issue 6)."""
    if pkg is None:
        return
    events = progress.dataset_saved(pkg.id, _user_id(context))

    def queue() -> None:
        notices.enqueue(events)
        if any(e.kind == "link" for e in events):
            progress.revalidate(pkg.id)
    transaction.commit(context, then=queue)


@tk.chained_action
def package_update(up_func, context: Context, data_dict: DataDict):
    """Keep ``private`` derived from the status; an edit that changes a
    published dataset returns it to draft and out of the public catalogue (a
    save that changes nothing leaves it published).

    The dataset row is locked first (as the transitions lock it), so the
    status the auth and this function read cannot change before the edit
    commits; the back-to-draft history row and the activity labels are
    written in the edit's own transaction, before core indexes it."""
    _check_resources(data_dict)
    ref = data_dict.get("id") or data_dict.get("name")
    if isinstance(ref, Row) and len(ref) == 1:
        ref = ref[0]  # core's bulk actions pass query rows
    pkg = model.Package.get(ref) if safe_ref(ref) else None
    if pkg is None or "sdi_status" not in pkg.extras:
        with core_lists.dataset_not_found_for_outsiders(context, ref):
            return service.save_and_queue(up_func, context, data_dict)
    if core_lists.hidden_from(context, pkg):  # before the row lock: to them it does not exist
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    pkg = transitions.lock_dataset(pkg.id, deleted=True)
    try:
        data_dict = _workflow_state(context, pkg, data_dict)
    except (tk.ValidationError, tk.NotAuthorized):
        _undo_edit(context)
        raise
    data_dict = dict(data_dict)
    data_dict["private"] = not permissions.is_public(pkg)  # as it is: a real edit of published data narrows it
    if pkg.extras.get("sdi_status") == "published":
        # Core tells its plugins of a save that changed something (``after_dataset_update``)
        # before it indexes and commits: there ``transitions.back_to_draft_on_edit`` returns
        # the dataset to draft, in the same transaction. A save that changes nothing keeps it published.
        context[transitions.PUBLISHED_EDIT] = {"id": pkg.id, "user_id": _user_id(context)}
    try:
        result = service.save_and_queue(up_func, context, data_dict)
    except Exception:
        _undo_edit(context)
        raise
    finally:
        context.pop(transitions.PUBLISHED_EDIT, None)
    pkg_id = result if isinstance(result, str) else result["id"]
    _link_request(context, model.Package.get(pkg_id))
    return result


# CKAN ``state`` moves an SDI dataset may make through package_update:
# finishing core's new-dataset form (its first stage saves a "draft", adding
# the first resource makes it "active") ...
_STATE_MOVES = frozenset({("draft", "active")})
# ... and, for a sysadmin, restoring a deleted dataset (CKAN has no other way).
_SYSADMIN_STATE_MOVES = frozenset({("deleted", "active")})


def _workflow_state(context: Context, pkg: model.Package, data_dict: DataDict) -> DataDict:
    """The SDI status is the only state a user moves on an SDI dataset (issue
    14): ``package_update``, ``package_patch`` and ``package_revise`` keep its
    CKAN ``state``. A ``state`` other than the stored one is refused with a
    field error on ``state``: CKAN's "draft" (core's "Unpublish" button)
    would hide the dataset from search and its queues while its status still
    reads, say, published; "deleted" goes through ``package_delete``, which
    narrows its activities and updates its requests.

    Sysadmins are held to the same rule (a draft state is never a workflow
    step, and deleting has its own door), with one more move: restoring a
    deleted dataset to "active" (an edit of published data: it comes back as
    a draft of the workflow). Everyone may finish core's new-dataset form
    (``_STATE_MOVES``). A caller who may not edit the dataset is refused as
    before (403), not told about the state. Calls with ``ignore_auth`` (the
    code's own) are not checked, as core's ``ignore_not_package_admin`` does
    not check them. Core's resource page asks for "draft" on its "preview"
    button (``allow_state_change``, which the API cannot set) without catching
    a ValidationError: there the state is dropped and the dataset keeps its own."""
    if "state" not in data_dict or data_dict["state"] is None or context.get("ignore_auth"):
        return data_dict
    move = (pkg.state, data_dict["state"])
    if move[0] == move[1] or move in _STATE_MOVES or (
            move in _SYSADMIN_STATE_MOVES and permissions.is_sysadmin(context.get("user"))):
        return data_dict
    if context.get("allow_state_change"):
        return {key: value for key, value in data_dict.items() if key != "state"}
    tk.check_access("package_update", context, data_dict)
    raise tk.ValidationError({"state": [tk._(
        "The state of an SDI dataset changes only through the verification workflow, "
        "or by deleting the dataset")]})


def _undo_edit(context: Context) -> None:
    """A package_update that failed: its transaction (with the row lock and a
    back-to-draft history row) is rolled back, unless the caller holds it
    (``defer_commit``: core rolled back its own part)."""
    if not context.get("defer_commit"):
        model.Session.rollback()


@tk.chained_action
def package_delete(up_func, context: Context, data_dict: DataDict):
    """A deleted dataset is no longer public, nor delivered (core's rule:
    only active datasets are): its past activities narrow to its agency in
    the transaction core commits, and core reindexes it with those labels.
    It stops counting for its requests: the others may now complete a step."""
    ref = (data_dict or {}).get("id")
    pkg = model.Package.get(ref) if safe_ref(ref) else None
    if core_lists.hidden_from(context, pkg):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    if pkg is None or "sdi_status" not in pkg.extras:
        with core_lists.dataset_not_found_for_outsiders(context, ref):
            return up_func(context, data_dict)
    transitions.sync_activity_labels(pkg, labels=permissions.agency_labels(pkg.owner_org))
    try:
        result = up_func(context, data_dict)
    except Exception:
        model.Session.rollback()  # the narrowed labels of a delete that did not happen
        raise
    events = progress.dataset_changed(pkg.id, _user_id(context))
    model.repo.commit()
    notices.enqueue(events)
    return result


def _check_bulk(data_dict: DataDict) -> None:
    """``datasets`` is a list of dataset ids: anything else is a field error
    (not a 500), before the auth function is asked."""
    datasets = (data_dict or {}).get("datasets") or []
    if not isinstance(datasets, list) or not all(isinstance(d, str) for d in datasets):
        raise tk.ValidationError({"datasets": [tk._("Must be a list of dataset ids")]})


@tk.chained_action
def bulk_update_public(up_func, context: Context, data_dict: DataDict):
    """Core's action; its ``datasets`` checked first (``_check_bulk``)."""
    _check_bulk(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def bulk_update_private(up_func, context: Context, data_dict: DataDict):
    """Core's action; its ``datasets`` checked first (``_check_bulk``)."""
    _check_bulk(data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def bulk_update_delete(up_func, context: Context, data_dict: DataDict):
    """Core's action; its ``datasets`` checked first (``_check_bulk``).

    Core deletes with ``package_patch {"state": "deleted"}``, which
    ``package_update`` refuses on an SDI dataset: the agency's SDI datasets
    it names are deleted by ``package_delete`` instead (their activities
    narrow to the agency, their requests stop counting them), each one's
    ``package_delete`` auth asked before any is deleted; core deletes the
    others as before."""
    _check_bulk(data_dict)
    data_dict = data_dict or {}
    tk.check_access("bulk_update_delete", context, data_dict)
    datasets = data_dict.get("datasets") or []
    rows = model.Session.query(model.Package).filter(
        model.Package.id.in_(datasets), model.Package.owner_org == data_dict.get("org_id")).all()
    sdi = [pkg.id for pkg in rows if "sdi_status" in pkg.extras]
    for pkg_id in sdi:
        tk.check_access("package_delete", tk.fresh_context(context), {"id": pkg_id})
    result = up_func(context, dict(data_dict, datasets=[d for d in datasets if d not in sdi]))
    for pkg_id in sdi:
        tk.get_action("package_delete")(tk.fresh_context(context), {"id": pkg_id})
    return result


@tk.chained_action
def package_owner_org_update(up_func, context: Context, data_dict: DataDict):
    """Moving a dataset to another agency changes who may see it: reindex it
    and relabel its past activities."""
    ref = (data_dict or {}).get("id")
    pkg = model.Package.get(ref) if isinstance(ref, str) and ref else None
    before = pkg.owner_org if pkg is not None else None
    result = up_func(context, data_dict)
    # Core's package_update calls this on every save: act only on a real move.
    if pkg is not None and "sdi_status" in pkg.extras and pkg.owner_org != before:
        transitions.rehome_activity_labels(pkg, before)
        transaction.commit(context, then=lambda: search.rebuild(pkg.id))
    return result


def _user_id(context: Context) -> str | None:
    user = permissions.caller(context)
    obj = user if isinstance(user, model.User) else model.User.get(user or "")
    return obj.id if obj else None


@tk.side_effect_free
@tk.chained_action
def package_search(up_func, context: Context, data_dict: DataDict):
    """Facet items of the SDI vocabularies carry their labels, not codes."""
    result = indexing.label_search_facets(up_func(context, data_dict))
    for pkg_dict in result.get("results") or []:
        _drop_unreadable_relationships(context, pkg_dict)
    return result


@tk.side_effect_free
@tk.chained_action
def package_show(up_func, context: Context, data_dict: DataDict):
    """A dataset names no related dataset its reader may not see. An SDI
    dataset the reader may not read answers as an unknown one: 404 "Dataset
    not found", without its id (issue 11, existence oracles)."""
    data_dict = data_dict or {}
    ref = data_dict.get("id") or data_dict.get("name_or_id")
    if isinstance(ref, str) and not safe_ref(ref):  # a NUL would reach the database (a 500)
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    with core_lists.dataset_not_found_for_outsiders(context, ref):
        result = up_func(context, data_dict)
    _drop_unreadable_relationships(context, result)
    return result


def _drop_unreadable_relationships(context: Context, pkg_dict: dict) -> None:
    """The shown relationships carry only their id (the show schema drops the
    package ids): look each one up and keep those whose other dataset the
    reader may see. Datasets seldom have relationships."""
    if context.get("ignore_auth") or not isinstance(pkg_dict, dict):
        return
    for key, other in (("relationships_as_subject", "object_package_id"),
                       ("relationships_as_object", "subject_package_id")):
        rels = pkg_dict.get(key)
        if not rels:
            continue
        kept = []
        for rel in rels:
            row = model.Session.get(model.PackageRelationship, rel.get("id")) if rel.get("id") else None
            other_id = getattr(row, other, None) or rel.get(other)
            if other_id and _may_read(context.get("user"), other_id):
                kept.append(rel)
        pkg_dict[key] = kept


def _may_read(user: str | None, pkg_id: str) -> bool:
    try:  # check_access fills in auth_user_obj, which core's package_show auth reads
        tk.check_access("package_show", {"user": user or "", "model": model}, {"id": pkg_id})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return False
    return True
