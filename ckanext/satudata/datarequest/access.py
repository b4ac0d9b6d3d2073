"""Who sees a data request and who takes part in it.

Full view: the requester, the Walidata (and sysadmins), the Pembina asked for
a recommendation, and the members and PPIDs of the agencies it was sent to.
Anybody else sees nothing, unless the Walidata marked the request public:
then its title, status and public datasets only.

Who may make a move is the ``who`` of its row in ``steps.MOVES``; ``may``
reads it (the auth functions and the actions' checks under the row lock).
"""
from __future__ import annotations

from typing import Callable

import ckan.model as model
from ckan import authz
from sqlalchemy import and_, exists, false, or_, select, true

from ckanext.satudata.workflow import permissions
from ckanext.satudata.workflow import roles
from ckanext.satudata.datarequest import steps
from ckanext.satudata.model import DataRequest, RequestAgency
from ckanext.satudata.text import safe_ref

__all__ = ["user_of", "producer_org_ids", "can_see", "Viewer", "full_clause", "can_see_public",
           "find", "holds", "may", "NEEDS_REQUEST"]


def user_of(user) -> model.User | None:
    obj = roles.user_object(user)
    return obj if obj is not None and obj.state == "active" else None


def is_requester(user, req: DataRequest) -> bool:
    obj = user_of(user)
    return bool(obj and req.requester_id == obj.id)


def was_asked(req: DataRequest) -> bool:
    return bool((req.recommendation or {}).get("asked_at"))


def is_asked_pembina(user, req: DataRequest) -> bool:
    obj = user_of(user)
    if obj is None or not was_asked(req) or not roles.has_role(obj, "pembina"):
        return False
    return req.pembina_id in (None, obj.id)


def member_org_ids(user) -> set[str]:
    """Organizations the user belongs to (any capacity) or is PPID of."""
    obj = user_of(user)
    if obj is None:
        return set()
    ids = set(model.Session.scalars(
        select(model.Member.group_id).where(
            model.Member.table_name == "user", model.Member.table_id == obj.id, model.Member.state == "active")
    ).all())
    ids |= {g.organization_id for g in roles.active_grants(obj.id, "ppid") if g.organization_id}
    return ids


def producer_org_ids(user) -> set[str]:
    """Organizations where the user may create datasets (editor or admin)."""
    obj = user_of(user)
    if obj is None:
        return set()
    return {org_id for org_id in member_org_ids(obj)
            if authz.has_user_permission_for_group_or_org(org_id, obj.name, "create_dataset")}


def _target_ids(req: DataRequest) -> set[str]:
    return set(model.Session.scalars(
        select(RequestAgency.organization_id).where(RequestAgency.request_id == req.id)).all())


def is_target_member(user, req: DataRequest) -> bool:
    return bool(member_org_ids(user) & _target_ids(req))


def is_target_producer(user, req: DataRequest, org_id: str | None = None) -> bool:
    targets = _target_ids(req)
    if org_id is not None:
        targets &= {org_id}
    return bool(producer_org_ids(user) & targets)


def can_see(user, req: DataRequest) -> bool:
    """The full request: description, timeline, comments, all linked datasets."""
    return (permissions.is_walidata(user) or is_requester(user, req) or is_asked_pembina(user, req)
            or is_target_member(user, req))


class Viewer:
    """One user's standing, worked out once for a whole listing page."""

    def __init__(self, user):
        self.user = user_of(user)
        self.walidata = permissions.is_walidata(user)
        self.org_ids = member_org_ids(self.user) if self.user else set()
        self.pembina = bool(self.user and roles.has_role(self.user, "pembina"))

    def can_see(self, req: DataRequest, target_ids: set[str]) -> bool:
        """``can_see`` without queries, given the request's target agencies."""
        if self.walidata:
            return True
        if self.user is None:
            return False
        if req.requester_id == self.user.id or self.org_ids & target_ids:
            return True
        return self.pembina and was_asked(req) and req.pembina_id in (None, self.user.id)


def can_see_public(req: DataRequest) -> bool:
    return bool(req.is_public)


def full_clause(user):
    """The SQL condition matching the requests ``user`` sees whole (``can_see``)."""
    if permissions.is_walidata(user):
        return true()
    obj = user_of(user)
    if obj is None:
        return false()
    conditions = [DataRequest.requester_id == obj.id]
    if roles.has_role(obj, "pembina"):
        conditions.append(and_(DataRequest.recommendation["asked_at"].isnot(None),
                               or_(DataRequest.pembina_id.is_(None), DataRequest.pembina_id == obj.id)))
    orgs = member_org_ids(obj)
    if orgs:
        conditions.append(exists().where(RequestAgency.request_id == DataRequest.id,
                                         RequestAgency.organization_id.in_(orgs)))
    return or_(*conditions) if conditions else false()


def find(ref) -> DataRequest | None:
    """The request ``ref`` names, or None; a ref the database cannot be asked
    about (not text, NUL, lone surrogate) names none."""
    return DataRequest.get(ref) if safe_ref(ref) else None


# the roles of steps.MOVES that depend on the request (the others: on the user alone)
NEEDS_REQUEST = ("requester", "asked_pembina", "target_producer", "reader")


def holds(user, role: str, req: DataRequest | None = None,
          dataset: Callable[[], model.Package] | None = None) -> bool:
    """Whether ``user`` plays ``role`` (a ``who`` of steps.MOVES) for ``req``;
    ``dataset`` gives the dataset a target_producer acts on (looked up only then)."""
    if role == "walidata":
        return permissions.is_walidata(user)
    if role == "forum":
        return roles.has_role(user, "forum")
    if req is None:
        return False
    if role == "requester":
        return is_requester(user, req)
    if role == "asked_pembina":
        return is_asked_pembina(user, req)
    if role == "reader":
        return can_see(user, req)
    if role == "target_producer":
        if dataset is None:
            return False
        pkg = dataset()  # first: an unknown dataset is not found, to anybody
        obj = user_of(user)
        if obj is None:
            return False
        may_edit = bool(pkg.owner_org and authz.has_user_permission_for_group_or_org(
            pkg.owner_org, obj.name, "update_dataset"))
        return may_edit and is_target_producer(obj, req)
    return False


def may(user, action: str, req: DataRequest | None = None,
        dataset: Callable[[], model.Package] | None = None) -> bool:
    """Whether ``user`` is one of the ``who`` of ``action`` for ``req`` in its
    status (steps.who), the roles tried in the table's order."""
    status = req.status if req is not None else None
    return any(holds(user, role, req, dataset) for role in steps.who(action, status))
