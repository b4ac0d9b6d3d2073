"""What runs on CKAN's job queue (``ckan jobs worker``)."""
from __future__ import annotations

import gettext
import logging
import os

import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import mailer

log = logging.getLogger(__name__)

_I18N = os.path.join(os.path.dirname(__file__), "i18n")


def _translator(lang: str | None = None):
    """Jobs have no request: translate with the portal's default language."""
    lang = lang or tk.config.get("ckan.locale_default") or "id"
    return gettext.translation("ckanext-satudata", localedir=_I18N, languages=[lang], fallback=True).gettext


def one_line(text: str) -> str:
    """``text`` with every run of whitespace (CR/LF too) as one space: fit for an
    email header (a subject holding a line break would fail the job, or inject a
    header). Every notice's subject goes through it."""
    return " ".join(str(text or "").split())


def _dataset_url(pkg: model.Package) -> str:
    return f"{tk.config.get('ckan.site_url').rstrip('/')}/dataset/{pkg.name}"


def _dataset_mail(action: str, pkg: model.Package, note: str | None) -> tuple[str, str]:
    _ = _translator()
    subjects = {
        "submit": _("Dataset submitted for verification: %(title)s"),
        "verify": _("Dataset verified by the PPID: %(title)s"),
        "reject": _("Dataset returned for revision: %(title)s"),
        "publish": _("Dataset published: %(title)s"),
    }
    subject = one_line(subjects[action] % {"title": pkg.title})
    lines = [subject, "", _dataset_url(pkg)]
    if note:
        lines += ["", (_("Reason: %(note)s") if action == "reject" else _("Note: %(note)s")) % {"note": note}]
    lines += ["", "-- ", tk.config.get("ckan.site_title") or "Satu Data"]
    return subject, "\n".join(lines)


def send_dataset_notice(event_id: str) -> int:
    """Email the people a workflow event concerns; returns how many."""
    from ckanext.satudata import notices
    from ckanext.satudata.model import DatasetEvent

    event = model.Session.get(DatasetEvent, event_id)
    pkg = model.Package.get(event.package_id) if event else None
    if event is None or pkg is None:
        log.warning("notice for unknown event %s", event_id)
        return 0
    subject, body = _dataset_mail(event.action, pkg, event.note)
    from ckanext.satudata import outbox
    return outbox.mail_each("dataset", event_id, notices.dataset_recipients(event.action, pkg), subject, body)


def validate_resource(resource_id: str, token: str | None = None) -> dict:
    """Frictionless validation of one resource (queued by validation.enqueue);
    writes nothing when ``token`` is no longer the resource's current one."""
    from ckanext.satudata import validation
    return validation.run(resource_id, token)
