"""Applying a workflow transition: one database transaction holding the
status, the private flag, the history row, the activity and the search index.
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan import logic
from ckanext.activity.model import Activity
from sqlalchemy import select, update

from ckanext.satudata import outages, signals, transaction
from ckanext.satudata.metadata import derived
from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import states
from ckanext.satudata.model import DatasetEvent, utcnow

__all__ = ["lock_dataset", "apply", "record_event", "sync_activity_labels", "rehome_activity_labels",
           "restore_activity_labels", "PUBLISHED_EDIT", "back_to_draft_on_edit"]

# The context key under which package_update marks an edit of a published
# dataset: ``{"id": dataset id, "user_id": the editor}``.
PUBLISHED_EDIT = "satudata_published_edit"


def lock_dataset(id_or_name: str, deleted: bool = False) -> model.Package:
    """The dataset row, locked until commit: concurrent transitions (and
    edits) queue up here and the later one sees the new status. A deleted
    dataset is not found unless ``deleted`` (an edit may restore it)."""
    pkg = model.Package.get(id_or_name)
    if pkg is None or (pkg.state == "deleted" and not deleted):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    model.Session.execute(
        select(model.Package.id).where(model.Package.id == pkg.id).with_for_update()
    )
    model.Session.refresh(pkg)
    return pkg


def record_event(pkg: model.Package, action: str, from_status: str | None, to_status: str,
                 user_id: str | None, note: str | None, data: dict | None = None) -> DatasetEvent:
    event = DatasetEvent(package_id=pkg.id, action=action, from_status=from_status, to_status=to_status,
                         user_id=user_id, note=note, data=data)
    model.Session.add(event)
    return event


def _relabel_activities(pkg: model.Package, relabel) -> dict[str, list[str] | None]:
    """Give each stored activity of ``pkg`` the labels ``relabel(its labels)``;
    returns the labels each changed activity had (``restore_activity_labels``
    puts them back). One UPDATE per distinct new label set."""
    rows = model.Session.execute(
        select(Activity.id, Activity.permission_labels).where(Activity.object_id == pkg.id)
    ).all()
    before: dict[str, list[str] | None] = {}
    groups: dict[tuple[str, ...], list[str]] = {}
    for activity_id, labels in rows:
        new = relabel(labels)
        if labels is not None and sorted(labels) == new:
            continue
        before[activity_id] = labels
        groups.setdefault(tuple(new), []).append(activity_id)
    for labels, ids in groups.items():
        model.Session.execute(
            update(Activity).where(Activity.id.in_(ids)).values(permission_labels=list(labels)),
            execution_options={"synchronize_session": False})
    return before


def sync_activity_labels(pkg: model.Package, status: str | None = None,
                         labels: list[str] | None = None) -> dict[str, list[str] | None]:
    """Narrow the past activities of the dataset to its visibility: an
    activity is never readable by more people than when it was written.

    Each activity gets ``permissions.narrow_labels(its labels, the dataset's
    labels)`` (the dataset's labels at ``status``, default its current
    status, or ``labels`` when given). ``public`` is the top: a public
    activity follows the dataset down (unpublished, edited, deleted, no
    longer shared), a restricted one stays restricted when the dataset
    becomes public again, and a requester or shared agency an activity did
    not have is never added. If nothing is left in common, the activity falls
    back to the agency's own labels (its members, PPID and the Walidata keep
    the audit trail), never to ``public``.

    Returns the labels the changed activities had (for
    ``restore_activity_labels``)."""
    now = labels if labels is not None else permissions.dataset_labels(pkg, status)
    return _relabel_activities(pkg, lambda written: permissions.narrow_labels(written, now, pkg.owner_org))


def rehome_activity_labels(pkg: model.Package, old_org: str | None) -> dict[str, list[str] | None]:
    """The dataset moved from ``old_org`` to its current agency: restricted
    activities move with it to the new agency's labels (the old agency no
    longer reads them), then narrow to the dataset's labels. A move never
    makes an activity public."""
    now = permissions.dataset_labels(pkg)
    return _relabel_activities(pkg, lambda written: permissions.narrow_labels(
        permissions.rehome_labels(written, old_org, pkg.owner_org), now, pkg.owner_org))


def restore_activity_labels(before: dict[str, list[str] | None]) -> None:
    """Undo ``sync_activity_labels`` in a transaction that will not keep its change."""
    for activity_id, labels in before.items():
        model.Session.execute(
            update(Activity).where(Activity.id == activity_id).values(permission_labels=labels),
            execution_options={"synchronize_session": False})


def _activity(pkg: model.Package, pkg_dict: dict, user_id: str | None, transition: dict) -> None:
    """The transition's activity, labelled with the visibility of the version
    it records (the session does not autoflush: a later label update would
    miss it)."""
    tk.get_action("activity_create")(
        {"ignore_auth": True, "defer_commit": True},
        {"user_id": user_id or pkg.creator_user_id, "object_id": pkg.id, "activity_type": "changed package",
         "data": {"package": pkg_dict, "satudata_transition": transition},
         "permission_labels": permissions.dataset_labels(pkg)},
    )


@transaction.releasing_locks
def apply(context: dict[str, Any], pkg: model.Package, action: str, note: str | None = None,
          changes: dict[str, str] | None = None, data: dict | None = None) -> DatasetEvent:
    """Move ``pkg`` (locked by ``lock_dataset``) along ``action`` (a row of
    ``states.TABLE``). Auth is checked again under the lock: it may depend on
    the status (the Walidata returns only verified datasets), which another
    transaction may have changed. A refusal releases the row lock; the
    transition commits with its index (a reindex failure rolls it back)."""
    tk.check_access(f"satudata_dataset_{action}", context, {"id": pkg.id})
    status = pkg.extras.get("sdi_status") or "draft"
    if not states.can_transition(action, status):  # the other transition won
        transaction.refuse({"sdi_status": [
            tk._("A dataset that is %(status)s cannot be %(action)s") % {
                "status": states.status_label(status), "action": states.action_label(action)}
        ]})
    target = states.target(action)
    user = model.User.get(context.get("user") or "")
    for key, value in (changes or {}).items():
        pkg.extras[key] = value
    pkg.extras["sdi_status"] = target
    if target in states.CONFIRMED and permissions.is_public(pkg, "published"):
        for key in derived.EXEMPTION_FIELDS:  # public data has no exemption
            pkg.extras.pop(key, None)
    pkg.private = not permissions.is_public(pkg)
    pkg.metadata_modified = utcnow()
    event = record_event(pkg, action, status, target, user.id if user else None, note, data)
    model.Session.flush()
    # The new version, shown once: the activity records it and the index
    # stores it (what ``search.rebuild`` would show again).
    shown = logic.package_show_default_and_custom_schemas({"ignore_auth": True}, pkg.id)
    _activity(pkg, shown[1], user.id if user else None, {"action": action, "from": status, "to": target})
    sync_activity_labels(pkg)
    followups = signals.after_commit(signals.dataset_transitioned.send(pkg.id, actor_id=user.id if user else None))
    try:
        logic.index_update_package_dicts(shown)
        model.repo.commit()
    except Exception as error:
        model.Session.rollback()
        outages.reindex_after_rollback(pkg.id, error)  # Solr down: a field error, nothing changed
        raise
    for followup in followups:
        followup()
    return event


def back_to_draft_on_edit(context: dict[str, Any], pkg_dict: dict[str, Any]) -> None:
    """Core saved a change to a published dataset (``after_dataset_update``,
    called only when something changed, before core indexes and commits):
    it goes back to draft and private, with its history row, and its past
    activities narrow to the draft's readers, in core's transaction."""
    marker = context.get(PUBLISHED_EDIT)
    if not marker or marker["id"] != pkg_dict.get("id"):
        return
    pkg = model.Package.get(marker["id"])
    if pkg is None or pkg.extras.get("sdi_status") != "published":
        return
    record_event(pkg, "edit", "published", "draft", marker["user_id"],
                 tk._("Edited after publication: back to draft"))
    pkg.extras["sdi_status"] = "draft"
    pkg.private = True
    sync_activity_labels(pkg, "draft")
    model.Session.flush()  # core shows and indexes the dataset from the database next
