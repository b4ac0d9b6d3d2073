"""HTTP guards on every request and response the portal serves (issue 11).

A blueprint without pages: its app-wide hooks run for core's views too.

* Files go out as attachments a browser may neither sniff nor run script in
  (resource downloads, core's /file/ views, anything under /uploads/), and
  every response says ``X-Content-Type-Options: nosniff`` (leak 4; the
  advisories GHSA-7pq5-qcp6-mcww and GHSA-6w9p-88qg-p3g3 were this class).
* Cookie sessions keep their CSRF check. CKAN 2.12.0 exempts a view from
  Flask-WTF's check for the life of the process as soon as one anonymous or
  API-token request reaches it (GHSA-mcvf-jxcw-vj73, fixed in 2.10.10 and
  2.11.5, no 2.12 release yet); a POST that a browser's cookie authenticates
  must still carry the token (API-token and anonymous requests stay exempt).
* Hostile input core answers with a 500: a NUL in a path is a 404 (the
  database refuses the string), a ``came_from``/``next`` that is not a path
  on this site is dropped before core's login and logout redirect to it.
* A page whose action or auth function says "not found" and whose view does
  not catch it (core's resource form, views list and view form ask the auth
  function of the dataset first) is a 404 in one set of words, not a 500:
  an unknown dataset and one hidden from the visitor look the same (leak 8).
"""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import ckan.plugins.toolkit as tk
from ckan.config.middleware.flask_app import csrf
from flask import Blueprint, current_app, g, request
from flask_login import current_user
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.http import parse_options_header

__all__ = ["satudata_security"]

satudata_security = Blueprint("satudata_security", __name__)

FILE_POLICY = "default-src 'none'; sandbox"
_REDIRECT_ARGS = ("came_from", "next")
# The views exempted from CSRF by declaration (csrf.exempt at import time),
# as they stood before any request could add one: see _remember_declared.
_declared_exempt: frozenset[str] | None = None


@satudata_security.record_once
def _remember_declared(state) -> None:
    global _declared_exempt
    if _declared_exempt is None:  # the first app of the process, before its first request
        _declared_exempt = frozenset(csrf._exempt_views)


# ------------------------------------------------------------------ requests

@satudata_security.before_app_request
def _refuse_nul_in_path():
    """A NUL in an id or name reaches PostgreSQL, which raises: 404 instead."""
    if "\x00" in request.path or any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
        return tk.abort(404)


@satudata_security.before_app_request
def _drop_foreign_redirects():
    """Core's login and logout redirect to ``came_from`` (``next``) when
    ``h.url_is_local`` says yes, which ``\\\\evil.example`` passes (then a
    500 in url_for). Only a path on this site, or a URL of this site, stays."""
    args = request.args
    if not any(not _is_local(v) for key in _REDIRECT_ARGS for v in args.getlist(key)):
        return
    request.args = ImmutableMultiDict(
        [(k, v) for k, v in args.items(multi=True) if k not in _REDIRECT_ARGS or _is_local(v)])


def _is_local(url: str) -> bool:
    if not url or url != url.strip() or "\\" in url or any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return False
    if "\\" in unquote(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme or parts.netloc:
        site = urlsplit(tk.config["ckan.site_url"])
        return parts.scheme in ("http", "https") and parts.netloc == site.netloc
    return url.startswith("/") and not url.startswith("//")


@satudata_security.before_app_request
def _csrf_for_cookie_sessions():
    """Flask-WTF's check, again, for a view CKAN exempted at run time, when the
    browser's cookie authenticates the request."""
    app = current_app
    if not (app.config.get("WTF_CSRF_ENABLED") and app.config.get("WTF_CSRF_CHECK_DEFAULT")):
        return
    if request.method not in app.config.get("WTF_CSRF_METHODS", ()) or not request.endpoint:
        return
    view = app.view_functions.get(request.endpoint)
    if view is None or app.blueprints.get(request.blueprint) in csrf._exempt_blueprints:
        return
    dest = f"{view.__module__}.{view.__name__}"
    if dest not in csrf._exempt_views or dest in (_declared_exempt or ()):
        return  # Flask-WTF's own check runs (or the view was exempted on purpose)
    if _cookie_session():
        csrf.protect()


def _cookie_session() -> bool:
    """A user the browser's cookie (session or remember-me) identified: no
    valid API token did (an invalid one falls back to the cookie). Anonymous
    requests stay exempt, as core means them to be."""
    return current_user.is_authenticated and not g.get("login_via_auth_header")


# ----------------------------------------------------------------- responses

@satudata_security.after_app_request
def _safe_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if 200 <= response.status_code < 300 and _is_file(response):
        filename = _filename(response)
        if filename:
            response.headers.set("Content-Disposition", "attachment", filename=filename)
        else:
            response.headers["Content-Disposition"] = "attachment"
        response.headers["Content-Security-Policy"] = FILE_POLICY
    return response


def _is_file(response) -> bool:
    endpoint = request.endpoint or ""
    return (endpoint.endswith("resource.download") or endpoint.split(".")[0] == "file"
            or request.path.startswith("/uploads/") or "Content-Disposition" in response.headers)


def _filename(response) -> str:
    _value, params = parse_options_header(response.headers.get("Content-Disposition", ""))
    name = params.get("filename") or unquote(request.path.rstrip("/").rsplit("/", 1)[-1])
    return name.replace("\x00", "")


# -------------------------------------------------------------------- errors

@satudata_security.app_errorhandler(tk.ObjectNotFound)
def _not_found_page(error):
    """CKAN's 404 page; the same words whatever was not found (the error's own
    message may differ between an unknown and a hidden dataset)."""
    return current_app.handle_http_exception(NotFound(tk._("Not found")))
