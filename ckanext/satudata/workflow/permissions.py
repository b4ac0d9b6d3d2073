"""Who may see an SDI dataset, as CKAN permission labels.

One rule serves search (labels indexed in Solr), ``package_show`` and
resource downloads (auth), and the activity stream (activity labels):

* published ``data_umum`` of an active dataset -> ``public`` (as in core, a
  deleted dataset is never public);
* otherwise the agency (``member-<org>``), its PPIDs (``satudata-ppid-<org>``)
  and the Walidata (``satudata-walidata``);
* delivered (published, active) *terbatas* data also -> the agencies it is
  shared with and the requesters of the data requests it fulfils
  (``satudata-requester-<user id>``). *Dikecualikan* data is never delivered
  nor shared: it stays with its agency, its PPID and the Walidata.

A requester holds their requester label only while they hold the Forum Satu
Data (or Walidata) role: revoking the role ends their reading of delivered data.

Activities keep the labels of the version they record, narrowed by every
later change (``narrow_labels``): see ``transitions.sync_activity_labels``.
"""
from __future__ import annotations

import json

import ckan.model as model
from ckan import authz
from ckan.lib.plugins import DefaultPermissionLabels
from sqlalchemy import event, select

from ckanext.satudata.metadata import vocabularies
from ckanext.satudata.model import DataRequest, RequestDataset
from ckanext.satudata.workflow import roles

__all__ = ["SatudataPermissionLabels", "is_public", "is_ppid_of", "is_walidata", "is_sysadmin", "is_producer",
           "dataset_labels", "agency_labels", "narrow_labels", "rehome_labels", "requester_ids",
           "can_read", "reader_labels", "caller"]

PUBLIC_LABEL = "public"
WALIDATA_LABEL = "satudata-walidata"
# who may hold a requester label: the roles that file data requests
_REQUESTER_ROLES = ("forum", "walidata")


def _ppid_label(org_id: str) -> str:
    return f"satudata-ppid-{org_id}"


def _requester_label(user_id: str) -> str:
    """One label per requester (not per request: Solr caps a query's clauses)."""
    return f"satudata-requester-{user_id}"


def is_sysadmin(user) -> bool:
    obj = roles.user_object(user)
    return bool(obj and obj.sysadmin)


def is_walidata(user) -> bool:
    return is_sysadmin(user) or roles.has_role(user, "walidata")


def is_ppid_of(user, org_id: str | None) -> bool:
    if is_sysadmin(user):
        return True
    if not org_id:
        return False
    org = model.Group.get(org_id)
    return bool(org) and roles.has_role(user, "ppid", org.id)


def is_producer(user, pkg: model.Package) -> bool:
    """A producer of the dataset: an editor or admin of its agency (CKAN's
    ``update_dataset``), or a sysadmin."""
    obj = roles.user_object(user)
    if obj is None or not pkg.owner_org:
        return False
    return obj.sysadmin or authz.has_user_permission_for_group_or_org(pkg.owner_org, obj.name, "update_dataset")


def _shared_with(pkg: model.Package) -> list[str]:
    raw = pkg.extras.get("sdi_shared_with")
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _classification(pkg: model.Package) -> dict:
    return vocabularies.term("classification", pkg.extras.get("sdi_classification") or "") or {}


def is_public(pkg: model.Package, status: str | None = None) -> bool:
    """Published public data of an active dataset is the only thing the
    public sees (``status``: the status the dataset is about to have,
    default its current one)."""
    return pkg.state == "active" and (status or pkg.extras.get("sdi_status")) == "published" \
        and bool(_classification(pkg).get("public"))


def _is_sdi(pkg: model.Package) -> bool:
    return "sdi_status" in pkg.extras


def agency_labels(org_id: str | None) -> list[str]:
    """Who always reads an agency's datasets: its members, its PPID, the Walidata."""
    labels = [WALIDATA_LABEL]
    if org_id:
        labels += [f"member-{org_id}", _ppid_label(org_id)]
    return sorted(labels)


def dataset_labels(pkg: model.Package, status: str | None = None) -> list[str]:
    status = status or pkg.extras.get("sdi_status")
    if is_public(pkg, status):
        return [PUBLIC_LABEL]
    labels = agency_labels(pkg.owner_org)
    if status == "published" and pkg.state == "active" and _classification(pkg).get("shared"):
        labels += [f"member-{org_id}" for org_id in _shared_with(pkg)]
        labels += [_requester_label(uid) for uid in requester_ids(pkg.id)]
    return sorted(set(labels))


def narrow_labels(written: list[str] | None, now: list[str], org_id: str | None) -> list[str]:
    """The labels of an activity once its dataset's labels become ``now``:
    never more readers than it had (``written``), nor than the dataset has.

    ``public`` is the top: meet(public, L) = L and meet(L, public) = L;
    otherwise the intersection. If that is empty (labels from before the
    plugin, or none at all), the agency keeps its own audit trail: the
    activity falls back to the agency's labels (``agency_labels(org_id)``),
    never to ``public`` nor to a shared agency or requester it did not have."""
    if written is None:  # unknown (written without labels): the agency's only
        return agency_labels(org_id)
    if PUBLIC_LABEL in written:
        return sorted(set(now))
    if PUBLIC_LABEL in now:
        return sorted(set(written))
    kept = set(written) & set(now)
    return sorted(kept) if kept else agency_labels(org_id)


def rehome_labels(written: list[str] | None, old_org: str | None, new_org: str | None) -> list[str] | None:
    """An activity of a dataset moved from ``old_org`` to ``new_org``: the old
    agency's labels become the new agency's (``public`` stays as it is; the
    caller narrows the result with the dataset's new labels)."""
    if written is None or PUBLIC_LABEL in written:
        return written
    old = set(agency_labels(old_org)) - {WALIDATA_LABEL}
    moved = [label for label in written if label not in old]
    if set(written) & old:
        moved += agency_labels(new_org)
    return sorted(set(moved))


def requester_ids(pkg_id: str) -> list[str]:
    """Who filed the data requests the dataset fulfils (not the rejected or
    cancelled ones): they read it once delivered, and are told of publication."""
    return list(model.Session.scalars(
        select(DataRequest.requester_id).join(RequestDataset, RequestDataset.request_id == DataRequest.id)
        .where(RequestDataset.package_id == pkg_id, DataRequest.requester_id.is_not(None),
               DataRequest.status.not_in(("rejected", "cancelled")))
    ).all())


def user_labels(user_obj: model.User | None) -> list[str]:
    # Flask hands anonymous visitors an AnonymousUser, not None.
    if not isinstance(user_obj, model.User) or not user_obj.id:
        return []
    labels = []
    requester = False
    for grant in roles.active_grants(user_obj.id):
        if grant.role == "walidata":
            labels.append(WALIDATA_LABEL)
        elif grant.role == "ppid" and grant.organization_id:
            labels.append(_ppid_label(grant.organization_id))
        requester = requester or grant.role in _REQUESTER_ROLES
    if requester:  # delivered data is read while the role that asked for it is held
        labels.append(_requester_label(user_obj.id))
    return labels


# Session.info key of the labels worked out in the session's current
# transaction (``SatudataPermissionLabels.get_user_dataset_labels``).
_LABELS_CACHE = "satudata_user_labels"


@event.listens_for(model.Session, "after_flush")
@event.listens_for(model.Session, "after_commit")
@event.listens_for(model.Session, "after_rollback")
@event.listens_for(model.Session, "after_soft_rollback")
def _forget_labels(session, *_args) -> None:
    """A write (flushed, committed or rolled back) may change who reads what:
    the labels are worked out again after it."""
    session.info.pop(_LABELS_CACHE, None)


def reader_labels(user) -> frozenset[str]:
    """The labels ``user`` reads (search's labels)."""
    obj = roles.user_object(user)
    if obj is None:
        return frozenset()
    return frozenset(SatudataPermissionLabels().get_user_dataset_labels(obj))


def caller(context: dict):
    """The calling user: the User that ``check_access`` put in the context
    when it is the context's user (no query), else the context's user name."""
    user = context.get("user")
    obj = context.get("auth_user_obj")
    if isinstance(obj, model.User) and user and user in (obj.name, obj.id):
        return obj
    return user


def can_read(user, pkg: model.Package) -> bool:
    """The same decision as search, for show and downloads."""
    if is_public(pkg):
        return True
    obj = roles.user_object(user)
    if obj is None:
        return False
    if obj.sysadmin:
        return True
    return bool(reader_labels(obj) & set(dataset_labels(pkg)))


class SatudataPermissionLabels(DefaultPermissionLabels):
    """CKAN's labels, with the SDI rule for SDI datasets."""

    def get_dataset_labels(self, dataset_obj: model.Package) -> list[str]:
        if not _is_sdi(dataset_obj):
            return super().get_dataset_labels(dataset_obj)
        return dataset_labels(dataset_obj)

    def get_user_dataset_labels(self, user_obj: model.User | None) -> list[str]:
        """Worked out once per user and database transaction: a dataset page
        asks for each resource (core's ``resource_view_list`` auth) and an
        edit in the action and each auth check; any write forgets them
        (``_forget_labels``), and each web request has a session of its own."""
        if not isinstance(user_obj, model.User) or not user_obj.id:
            return super().get_user_dataset_labels(user_obj)
        cache = model.Session.info.setdefault(_LABELS_CACHE, {})
        if user_obj.id not in cache:
            cache[user_obj.id] = super().get_user_dataset_labels(user_obj) + user_labels(user_obj)
        return list(cache[user_obj.id])
