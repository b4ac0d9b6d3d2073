"""Core actions that answer with something derived from datasets (tags,
formats, members, counts, follower counts, the dataset doors themselves),
chained so that they tell a reader no more than ``package_search`` shows them.

Two rules, one per leak class of issue 11:

* lists and counts keep only what comes from datasets the reader may see;
  "what the reader may see" is asked of ``package_search`` with their own
  context (``include_private``: the permission labels decide), facets over
  the whole catalogue in one query;
* an SDI dataset the reader may not read does not exist for them: the
  refusal becomes the 404 an unknown dataset gets (no id in it).

Sysadmins and ``ignore_auth`` callers get core's answers unchanged.
"""
from __future__ import annotations

import contextlib
from typing import Iterable, Iterator

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict
from sqlalchemy import select

from ckanext.satudata.workflow import permissions
from ckanext.satudata.text import safe_ref

__all__ = [
    "tag_list", "tag_search", "tag_autocomplete", "tag_show", "vocabulary_show", "vocabulary_list",
    "format_autocomplete", "member_list", "organization_list", "group_list", "organization_list_for_user",
    "group_list_authz", "resource_show", "resource_view_list",
    "package_activity_list", "package_relationships_list", "package_collaborator_list",
    "dataset_follower_count", "am_following_dataset", "follow_dataset",
    "dataset_purge", "resource_update", "resource_patch", "resource_delete", "resource_view_create",
    "resource_view_reorder", "resource_create_default_resource_views", "package_relationship_create",
    "package_relationship_update", "package_relationship_delete", "package_collaborator_create",
    "package_collaborator_delete", "member_create", "member_delete", "unfollow_dataset",
]


# ----------------------------------------------------------- who sees what

def _sees_everything(context: Context) -> bool:
    return bool(context.get("ignore_auth")) or permissions.is_sysadmin(context.get("user"))


def _search(context: Context, **params) -> dict:
    """package_search as the reader (their labels), never as the caller's context."""
    params = {"q": "*:*", "include_private": True, **params}
    return tk.get_action("package_search")({"user": context.get("user") or ""}, params)


def _facets(context: Context, *fields: str, drafts: bool = True) -> dict[str, dict[str, int]]:
    """Each field's values over the datasets the reader may see, with their counts."""
    result = _search(context, rows=0, include_drafts=drafts, **{
        "facet": "true", "facet.field": list(fields), "facet.limit": -1, "facet.mincount": 1})
    return {field: dict(result["facets"].get(field) or {}) for field in fields}


def hidden_from(context: Context, pkg: model.Package | None) -> bool:
    """An SDI dataset the reader may not read: to them it does not exist."""
    return (pkg is not None and not context.get("ignore_auth") and "sdi_status" in pkg.extras
            and not permissions.can_read(permissions.caller(context), pkg))


def _package(ref) -> model.Package | None:
    return model.Package.get(ref) if safe_ref(ref) else None


def _resource_package(ref) -> model.Package | None:
    res = model.Session.get(model.Resource, ref) if safe_ref(ref) else None
    return res.package if res is not None else None


@contextlib.contextmanager
def _not_found(context: Context, packages: Iterable, message: str,
               anonymous_refused_first: bool = False) -> Iterator[None]:
    """Core's "not found" for an unknown object and its refusal for a hidden
    dataset become one answer: ``ObjectNotFound(message)``. ``packages`` are
    the datasets the call names (None for an unknown one)."""
    packages = list(packages)
    try:
        yield
    except tk.ObjectNotFound:
        if any(pkg is None or hidden_from(context, pkg) for pkg in packages):
            raise tk.ObjectNotFound(message) from None
        raise
    except tk.NotAuthorized:
        if anonymous_refused_first and not context.get("auth_user_obj"):
            raise  # refused before anything was looked up, as an unknown dataset is
        if any(hidden_from(context, pkg) for pkg in packages):
            raise tk.ObjectNotFound(message) from None
        raise


def dataset_not_found_for_outsiders(context: Context, *refs,
                                    anonymous_refused_first: bool = False) -> contextlib.AbstractContextManager:
    """For the dataset doors (``package_show``, history, compliance, the
    workflow ...): a hidden SDI dataset and an unknown one both answer 404
    "Dataset not found".

    ``anonymous_refused_first``: the door's auth function is the first to
    look the dataset up and does not allow anonymous access, so core refuses
    an anonymous caller whose context holds no user object before it runs
    (``authz.is_authorized``), whatever the dataset: that refusal stays."""
    return _not_found(context, [_package(ref) for ref in refs], tk._("Dataset not found"),
                      anonymous_refused_first)


def resource_not_found_for_outsiders(context: Context, *refs) -> contextlib.AbstractContextManager:
    """For the resource doors (resource ids): a resource of a hidden SDI
    dataset and an unknown resource both answer 404 "Resource not found"."""
    return _not_found(context, [_resource_package(ref) for ref in refs], tk._("Resource not found"))


def _natural(data_dict: DataDict, key: str) -> int | None:
    value = data_dict.get(key)
    if value in (None, ""):
        return None
    try:
        return tk.get_validator("natural_number_validator")(value, {})
    except tk.Invalid as error:
        raise tk.ValidationError({key: [error.error]})


def _page(items: list, data_dict: DataDict) -> list:
    offset = _natural(data_dict, "offset") or 0
    limit = _natural(data_dict, "limit")
    return items[offset:] if limit is None else items[offset:offset + limit]


def _unpaged(data_dict: DataDict) -> dict:
    _natural(data_dict, "offset"), _natural(data_dict, "limit")  # core's own errors would be 500s
    return {k: v for k, v in data_dict.items() if k not in ("offset", "limit")}


# -------------------------------------------------------------------- tags

def _vocabulary(ref) -> model.Vocabulary | None:
    return model.Vocabulary.get(ref) if isinstance(ref, str) and ref else None


def _hidden_tags(context: Context, names: Iterable[str], vocab_ref=None) -> set[str]:
    """Of ``names``, the tags some dataset carries or carried but none the
    reader may see carries now (a vocabulary term on no dataset is not
    derived from one and stays)."""
    names = set(names)
    if not names or _sees_everything(context):
        return set()
    vocab = _vocabulary(vocab_ref) if vocab_ref else None
    if vocab_ref and vocab is None:
        return set()
    field = f"vocab_{vocab.name}" if vocab else "tags"
    candidates = names - set(_facets(context, field)[field])
    if not candidates:
        return set()
    query = (select(model.Tag.name).join(model.PackageTag, model.PackageTag.tag_id == model.Tag.id)
             .where(model.Tag.name.in_(candidates)).distinct())
    query = query.where(model.Tag.vocabulary_id == vocab.id) if vocab else \
        query.where(model.Tag.vocabulary_id.is_(None))
    return set(model.Session.scalars(query))


def _tag_name(tag) -> str:
    return tag["name"] if isinstance(tag, dict) else tag


def _visible_tags(context: Context, tags: list, vocab_ref=None) -> list:
    hidden = _hidden_tags(context, [_tag_name(t) for t in tags], vocab_ref)
    return [t for t in tags if _tag_name(t) not in hidden]


@tk.side_effect_free
@tk.chained_action
def tag_list(up_func, context: Context, data_dict: DataDict):
    """Only tags of datasets the reader may see."""
    data_dict = data_dict or {}
    return _visible_tags(context, up_func(context, data_dict), data_dict.get("vocabulary_id"))


@tk.side_effect_free
@tk.chained_action
def tag_search(up_func, context: Context, data_dict: DataDict):
    """Only tags of datasets the reader may see; ``count``, ``offset`` and
    ``limit`` apply to those."""
    data_dict = data_dict or {}
    result = up_func(context, _unpaged(data_dict))
    tags = _visible_tags(context, result["results"], data_dict.get("vocabulary_id"))
    return {"count": len(tags), "results": _page(tags, data_dict)}


@tk.side_effect_free
@tk.chained_action
def tag_autocomplete(up_func, context: Context, data_dict: DataDict):
    """Only tags of datasets the reader may see (also /api/2/util/tag/autocomplete)."""
    data_dict = data_dict or {}
    names = up_func(context, _unpaged(data_dict))
    return _page(_visible_tags(context, names, data_dict.get("vocabulary_id")), data_dict)


@tk.side_effect_free
@tk.chained_action
def tag_show(up_func, context: Context, data_dict: DataDict):
    """A tag only hidden datasets carry answers as an unknown tag."""
    result = up_func(context, data_dict)
    if _hidden_tags(context, [result["name"]], result.get("vocabulary_id")):
        raise tk.ObjectNotFound()
    return result


@tk.side_effect_free
@tk.chained_action
def vocabulary_show(up_func, context: Context, data_dict: DataDict):
    result = up_func(context, data_dict)
    result["tags"] = _visible_tags(context, result.get("tags") or [], result["id"])
    return result


@tk.side_effect_free
@tk.chained_action
def vocabulary_list(up_func, context: Context, data_dict: DataDict):
    result = up_func(context, data_dict)
    for vocab in result:
        vocab["tags"] = _visible_tags(context, vocab.get("tags") or [], vocab["id"])
    return result


# ----------------------------------------------------------------- formats

@tk.side_effect_free
@tk.chained_action
def format_autocomplete(up_func, context: Context, data_dict: DataDict):
    """Formats of the resources the reader may see, most used first (counted
    over those datasets only: the order tells nothing of hidden ones)."""
    result = up_func(context, data_dict)  # auth and input check
    if _sees_everything(context):
        return result
    q = str(data_dict.get("q") or "").lower()
    limit = int(data_dict.get("limit", 5))
    counts: dict[str, int] = {}
    for fmt, count in _facets(context, "res_format")["res_format"].items():
        if q in fmt.lower():
            counts[fmt.lower()] = counts.get(fmt.lower(), 0) + count
    return sorted(counts, key=lambda fmt: (-counts[fmt], fmt))[:limit]


# ----------------------------------------------------- members and counts

def _readable_ids(context: Context, group: model.Group) -> set[str]:
    """Ids of the group's (organization's) datasets the reader may see."""
    fq = f'+owner_org:"{group.id}"' if group.is_organization else f'+groups:"{group.name}"'
    rows = tk.config.get("ckan.search.rows_max")
    ids: set[str] = set()
    start = 0
    while True:
        found = _search(context, fq=fq, fl=["id"], rows=rows, start=start, include_drafts=True,
                        sort="id asc")["results"]
        ids.update(row["id"] for row in found)
        if len(found) < rows:
            return ids
        start += rows


@tk.side_effect_free
@tk.chained_action
def member_list(up_func, context: Context, data_dict: DataDict):
    """An organization's or group's members name no dataset the reader may not see."""
    result = up_func(context, data_dict)
    if _sees_everything(context) or not any(row[1] == "package" for row in result):
        return result
    readable = _readable_ids(context, model.Group.get(data_dict["id"]))
    return [row for row in result if row[1] != "package" or row[0] in readable]


def _counts(context: Context) -> dict[str, dict[str, int]]:
    """Datasets per organization and per group (by name) that the reader may see."""
    return _facets(context, "organization", "groups", drafts=False)


def _recount(context: Context, groups: list) -> None:
    """Replace core's package_count (every dataset, from an unlabelled Solr
    query in group_list_dictize) by the reader's count."""
    groups = [g for g in groups or [] if isinstance(g, dict) and "package_count" in g]
    if not groups or _sees_everything(context):
        return
    counts = _counts(context)
    for group in groups:
        group["package_count"] = counts["organization" if group.get("is_organization") else "groups"].get(
            group.get("name"), 0)


def _count_order(data_dict: DataDict) -> str | None:
    """``asc``/``desc`` when the list is sorted by dataset count (core's rule)."""
    sort = data_dict.get("sort") or data_dict.get("order_by") or tk.config.get("ckan.default_group_sort")
    if not isinstance(sort, str):
        return None
    sort = sort.strip()
    if sort in ("packages", "package_count"):
        return "desc"
    parts = sort.split(",")[0].split()
    if len(parts) > 2 or not parts or parts[0] != "package_count":
        return None
    order = parts[1].lower() if len(parts) > 1 else "asc"
    return order if order in ("asc", "desc") else None


def _group_list(up_func, context: Context, data_dict: DataDict, is_org: bool):
    """Sorted by dataset count, core counts every dataset (a non-public one
    changes the order): sort by the reader's counts, then page."""
    data_dict = data_dict or {}
    order = _count_order(data_dict)
    if order is None or _sees_everything(context):
        return up_func(context, data_dict)
    max_key = "ckan.group_and_organization_list_all_fields_max" if tk.asbool(data_dict.get("all_fields")) \
        else "ckan.group_and_organization_list_max"
    limit = _natural(data_dict, "limit")
    limit = tk.config.get(max_key) if limit is None else min(limit, tk.config.get(max_key))
    offset = _natural(data_dict, "offset") or 0
    plain = {k: v for k, v in data_dict.items() if k not in ("sort", "order_by", "limit", "offset", "all_fields")}
    names = up_func(dict(context, api_version=3), dict(plain, sort="name asc"))
    counts = _counts(context)["organization" if is_org else "groups"]
    names = [n for n in names if counts.get(n)]
    names.sort(key=lambda n: (-counts[n] if order == "desc" else counts[n], n))
    page = names[offset:offset + limit] if limit else names[offset:]
    if not page:
        return []
    if tk.asbool(data_dict.get("all_fields")):
        found = up_func(context, dict(plain, all_fields=True, groups=",".join(page), sort="name asc"))
        by_name = {g["name"]: g for g in found}
        return [by_name[n] for n in page if n in by_name]
    if context.get("api_version") == 2:
        return [model.Group.get(n).id for n in page]
    return page


@tk.side_effect_free
@tk.chained_action
def organization_list(up_func, context: Context, data_dict: DataDict):
    return _group_list(up_func, context, data_dict, is_org=True)


@tk.side_effect_free
@tk.chained_action
def group_list(up_func, context: Context, data_dict: DataDict):
    return _group_list(up_func, context, data_dict, is_org=False)


@tk.side_effect_free
@tk.chained_action
def organization_list_for_user(up_func, context: Context, data_dict: DataDict):
    """``include_dataset_count``: the reader's counts (anyone may list the
    organizations of any user, a sysadmin's are all of them)."""
    result = up_func(context, data_dict)
    _recount(context, result)
    return result


@tk.side_effect_free
@tk.chained_action
def group_list_authz(up_func, context: Context, data_dict: DataDict):
    """``include_dataset_count``: the reader's counts."""
    result = up_func(context, data_dict)
    _recount(context, result)
    return result


# --------------------------------------------- doors of one dataset (leak 8)

@tk.side_effect_free
@tk.chained_action
def resource_show(up_func, context: Context, data_dict: DataDict):
    """A resource of a hidden dataset answers as an unknown resource (also
    the resource download)."""
    ref = (data_dict or {}).get("id")
    with _not_found(context, [_resource_package(ref)], tk._("Resource not found")):
        return up_func(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def resource_view_list(up_func, context: Context, data_dict: DataDict):
    ref = (data_dict or {}).get("id")
    with _not_found(context, [_resource_package(ref)], tk._("Resource not found")):
        return up_func(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def package_activity_list(up_func, context: Context, data_dict: DataDict):
    with dataset_not_found_for_outsiders(context, (data_dict or {}).get("id")):
        return up_func(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def package_relationships_list(up_func, context: Context, data_dict: DataDict):
    data_dict = data_dict or {}
    refs = [data_dict.get("id")] + ([data_dict["id2"]] if data_dict.get("id2") else [])
    with dataset_not_found_for_outsiders(context, *refs):
        return up_func(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def package_collaborator_list(up_func, context: Context, data_dict: DataDict):
    """Core answers an unknown dataset 404 before asking who reads: so does a
    hidden one; an anonymous caller is refused (core's auth fails with a 500)."""
    ref = (data_dict or {}).get("id")
    if isinstance(ref, str) and ref and not context.get("ignore_auth"):
        pkg = _package(ref)
        if pkg is None or hidden_from(context, pkg):
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        if permissions.roles.user_object(context.get("user")) is None:
            raise tk.NotAuthorized(tk._("Log in to see the collaborators of a dataset"))
    return up_func(context, data_dict)


def _refuse_hidden(context: Context, data_dict: DataDict) -> None:
    """Core checks the id with convert_package_name_or_id_to_id: its field error."""
    if hidden_from(context, _package((data_dict or {}).get("id"))):
        raise tk.ValidationError({"id": ["%s: %s" % (tk._("Not found"), tk._("Dataset"))]})


@tk.side_effect_free
@tk.chained_action
def dataset_follower_count(up_func, context: Context, data_dict: DataDict):
    _refuse_hidden(context, data_dict)
    return up_func(context, data_dict)


@tk.side_effect_free
@tk.chained_action
def am_following_dataset(up_func, context: Context, data_dict: DataDict):
    _refuse_hidden(context, data_dict)
    return up_func(context, data_dict)


@tk.chained_action
def follow_dataset(up_func, context: Context, data_dict: DataDict):
    """A logged-in outsider cannot follow a hidden dataset and learns it
    exists no more than for an unknown one (anonymous callers are refused
    before the dataset is looked at, either way)."""
    if permissions.roles.user_object(context.get("user")) is None:
        return up_func(context, data_dict)
    with dataset_not_found_for_outsiders(context, (data_dict or {}).get("id")):
        return up_func(context, data_dict)


# --------------------------------------- write doors of one dataset (leak 8)
#
# The package_update auth function (logic/auth/core.py), which core's write rules
# ask, refuses a hidden SDI dataset as an unknown one. The doors below look
# the dataset or resource up before asking, each with its own words for an
# unknown one, or never ask: both answers become one here.

def _ref(data_dict: DataDict, key: str):
    return data_dict.get(key) if isinstance(data_dict, dict) else None


@tk.chained_action
def dataset_purge(up_func, context: Context, data_dict: DataDict):
    with dataset_not_found_for_outsiders(context, _ref(data_dict, "id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_update(up_func, context: Context, data_dict: DataDict):
    with resource_not_found_for_outsiders(context, _ref(data_dict, "id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_patch(up_func, context: Context, data_dict: DataDict):
    with resource_not_found_for_outsiders(context, _ref(data_dict, "id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_delete(up_func, context: Context, data_dict: DataDict):
    with resource_not_found_for_outsiders(context, _ref(data_dict, "id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_view_create(up_func, context: Context, data_dict: DataDict):
    with resource_not_found_for_outsiders(context, _ref(data_dict, "resource_id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_create_default_resource_views(up_func, context: Context, data_dict: DataDict):
    resource = _ref(data_dict, "resource")
    with resource_not_found_for_outsiders(context, _ref(resource, "id")):
        return up_func(context, data_dict)


@tk.chained_action
def resource_view_reorder(up_func, context: Context, data_dict: DataDict):
    with resource_not_found_for_outsiders(context, _ref(data_dict, "id")):
        return up_func(context, data_dict)


def _relationship(up_func, context: Context, data_dict: DataDict):
    """Core names an unknown subject or object in its answer; a hidden one was
    refused (SDI datasets have no relationships): one answer for both."""
    with dataset_not_found_for_outsiders(context, _ref(data_dict, "subject"), _ref(data_dict, "object")):
        return up_func(context, data_dict)


@tk.chained_action
def package_relationship_create(up_func, context: Context, data_dict: DataDict):
    return _relationship(up_func, context, data_dict)


@tk.chained_action
def package_relationship_update(up_func, context: Context, data_dict: DataDict):
    return _relationship(up_func, context, data_dict)


@tk.chained_action
def package_relationship_delete(up_func, context: Context, data_dict: DataDict):
    return _relationship(up_func, context, data_dict)


def _collaborators(up_func, context: Context, data_dict: DataDict):
    """As package_collaborator_list: an unknown or hidden dataset is not found
    (core's auth fails with a 500 on an unknown one), anonymous callers are refused."""
    ref = _ref(data_dict, "id")
    if isinstance(ref, str) and ref and not context.get("ignore_auth"):
        pkg = _package(ref)
        if pkg is None or hidden_from(context, pkg):
            raise tk.ObjectNotFound(tk._("Dataset not found"))
        if permissions.roles.user_object(context.get("user")) is None:
            raise tk.NotAuthorized(tk._("Log in to manage the collaborators of a dataset"))
    return up_func(context, data_dict)


@tk.chained_action
def package_collaborator_create(up_func, context: Context, data_dict: DataDict):
    return _collaborators(up_func, context, data_dict)


@tk.chained_action
def package_collaborator_delete(up_func, context: Context, data_dict: DataDict):
    return _collaborators(up_func, context, data_dict)


def _member(up_func, context: Context, data_dict: DataDict, keys: list[str]):
    """A group's or organization's admin adds or removes datasets without
    being asked whether they may read them: a hidden one is refused with
    core's words for an unknown one, at the point core would say them (after
    its own input and group checks)."""
    if isinstance(data_dict, dict) and data_dict.get("object_type") == "package":
        tk.get_or_bust(data_dict, keys)
        group = data_dict["id"]
        group = model.Group.get(group) if isinstance(group, str) and group else None
        if group is not None and hidden_from(context, _package(data_dict["object"])):
            raise tk.ObjectNotFound("Package was not found.")  # core's message, untranslated as in core
    return up_func(context, data_dict)


@tk.chained_action
def member_create(up_func, context: Context, data_dict: DataDict):
    return _member(up_func, context, data_dict, ["id", "object", "object_type", "capacity"])


@tk.chained_action
def member_delete(up_func, context: Context, data_dict: DataDict):
    return _member(up_func, context, data_dict, ["id", "object", "object_type"])


@tk.chained_action
def unfollow_dataset(up_func, context: Context, data_dict: DataDict):
    """Core answers an unknown dataset with a schema error (after refusing
    anonymous callers): so does a hidden one."""
    if permissions.roles.user_object(context.get("user")) is not None \
            and hidden_from(context, _package(_ref(data_dict, "id"))):
        raise tk.ValidationError(tk._("Error validating the schema of the object to unfollow."))
    return up_func(context, data_dict)
