"""satudata_* template helpers: read-only and cheap."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.satudata import dates
from ckanext.satudata.datarequest import template_helpers as request_helpers
from ckanext.satudata.metadata import compliance, vocabularies
from ckanext.satudata.metadata import form as dataset_form
from ckanext.satudata.text import safe_ref
from ckanext.satudata.validation import report
from ckanext.satudata.workflow import permissions, states
from ckanext.satudata.workflow import template_helpers as workflow_helpers


def satudata_choices(field: dict[str, Any]) -> list[dict[str, Any]]:
    """scheming ``choices_helper``: the terms of the field's ``sdi_vocabulary``."""
    return vocabularies.choices(field["sdi_vocabulary"])


def satudata_vocab_label(name: str, value: str) -> str:
    return vocabularies.label(name, value)


def satudata_status_label(status: str | None) -> str:
    return states.status_label(status)


def satudata_allowed_transitions(pkg: dict[str, Any]) -> list[Any]:
    """The transitions the current user may make now (auth decides, not the template)."""
    return workflow_helpers.allowed_transitions(pkg)


def satudata_transition_label(action: str) -> str:
    return workflow_helpers.transition_label(action)


def satudata_compliance(pkg: dict[str, Any]) -> dict[str, Any]:
    """The SDI compliance checklist of the dataset (metadata/compliance.py)."""
    return compliance.check(pkg)


def satudata_history(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    return workflow_helpers.history(pkg)


def satudata_review_notice(pkg: dict[str, Any]) -> dict[str, Any] | None:
    """Why the dataset was returned, or what its producer fixed, for those
    reviewing it (workflow/template_helpers.py); None for others."""
    return workflow_helpers.review_notice(pkg)


def satudata_validation_report(resource: dict[str, Any]) -> dict[str, Any] | None:
    """The resource's validation report for its page (None when not shown)."""
    return report.report(resource)


def satudata_validation_badges(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """Validation badges of the dataset's tabular resources (review panel)."""
    return report.badges(pkg)


def satudata_request_actions(req: dict[str, Any]) -> set[str]:
    """The data request forms the current user may use now (datarequest/template_helpers.py)."""
    return request_helpers.allowed_actions(req)


def satudata_request_may_unlink(req: dict[str, Any], dataset_id: str) -> bool:
    return request_helpers.may_unlink(req, dataset_id)


def satudata_request_producer_orgs(req: dict[str, Any]) -> list[str]:
    """Target agencies of the request where the current user may create datasets."""
    return request_helpers.producer_org_ids(req)


def satudata_request_dataset_url(req: dict[str, Any], org_id: str) -> str:
    """/dataset/new pre-filled for the request (its id and metadata template)."""
    return request_helpers.new_dataset_url(req, org_id)


def satudata_request_title(request_id: str | None) -> str | None:
    """The title of a data request the current user may see, else None."""
    return request_helpers.request_title(request_id)


def satudata_request_agency_link(org_id: str) -> bool:
    """The organization page links to its data requests (members only)."""
    return request_helpers.may_see_agency_requests(org_id)


def satudata_request_is_open(status: str) -> bool:
    """The request has a current step (not received, rejected or cancelled)."""
    return request_helpers.is_open(status)


def satudata_request_takes_datasets(status: str) -> bool:
    """Datasets may be created for and linked to the request in this status."""
    return request_helpers.takes_datasets(status)


def satudata_request_field_label(field: str) -> str:
    """The label of a request form's input (the one map: template_helpers.field_label)."""
    return request_helpers.field_label(field)


def satudata_form_sections(dataset_type: str = "dataset") -> list[dict[str, Any]]:
    """The dataset form's sections with their fields (metadata/form.py)."""
    return dataset_form.sections(dataset_type)


def satudata_may_set_ppid_fields(owner_org: str | None) -> bool:
    """The dataset form shows the PPID-only fields to the agency's PPID (and
    sysadmins) alone; the ``satudata_ppid_only`` validator enforces it."""
    user = tk.current_user.name if tk.current_user.is_authenticated else None
    return permissions.is_ppid_of(user, owner_org if safe_ref(owner_org) else None)


def satudata_agency_options(selected: Any = None) -> list[dict[str, Any]]:
    """Every agency by title, ``selected`` (ids or names) marked: *Dibagipakaikan kepada*."""
    return dataset_form.agency_options(selected)


def satudata_request_prefill(request_id: str | None, data: dict[str, Any]) -> dict[str, Any]:
    """What a new dataset for the data request starts with (its metadata
    template, the recommendation number) where ``data`` is empty; nothing
    for a request the current user may not see."""
    if not request_id or not isinstance(request_id, str):
        return {}
    try:
        req = tk.get_action("satudata_request_show")({"user": tk.current_user.name}, {"id": request_id})
    except (tk.NotAuthorized, tk.ObjectNotFound, tk.ValidationError):
        return {}
    return dataset_form.request_prefill(req, data)


@tk.chained_helper
def render_datetime(next_helper, datetime_, date_format=None, with_hours=False, with_seconds=False):
    """Core's ``h.render_datetime`` in the portal's one format ("9 Desember
    2026, 09.04 WIB", ckanext/satudata/dates.py); an explicit ``date_format``
    still goes to core."""
    if date_format:
        return next_helper(datetime_, date_format, with_hours, with_seconds)
    return dates.render(datetime_, with_hours=with_hours, with_seconds=with_seconds)


def _local_url(url: str | None) -> bool:
    """An address on the portal itself (an uploaded picture)."""
    if not url:
        return False
    return not url.startswith(("http://", "https://", "//")) or url.startswith(tk.config.get("ckan.site_url") + "/")


@tk.chained_helper
def user_image(next_helper, user_id, size=100):
    """A user's picture uploaded to the portal, else the local placeholder:
    never Gravatar or another host (unreachable from an intranet), whatever
    ``ckan.gravatar_default`` says."""
    try:
        user = tk.get_action("user_show")({"ignore_auth": True}, {"id": user_id})
    except tk.ObjectNotFound:
        return ""
    if _local_url(user.get("image_display_url")):
        return next_helper(user_id, size)
    return tk.h.snippet("user/snippets/placeholder.html", size=size, user_name=user["display_name"])


@tk.chained_helper
def gravatar(next_helper, email_hash, size=100, default=None):
    """No request to gravatar.com: the local placeholder picture."""
    return tk.h.snippet("user/snippets/placeholder.html", size=size, user_name="")


@tk.chained_helper
def format_resource_items(next_helper, items):
    """Not core's raw list of every resource key on the resource page ("Has
    views: False", "Package id", "Url type"): the schema's fields say what a
    reader needs."""
    return []


@tk.chained_helper
def scheming_choices_label(next_helper, choices, value):
    """A boolean field (true/false choices) shows its choice's label, "Ya" or
    "Tidak", not "True"."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    return next_helper(choices, value)


@tk.chained_helper
def time_ago_from_timestamp(next_helper, timestamp):
    """Not "33 detik yang lalu" beside "9 Desember 2026" elsewhere: activity
    streams and profiles show the moment in the portal's one format."""
    return dates.render(timestamp, with_hours=True) or tk._("Unknown")
