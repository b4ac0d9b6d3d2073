"""What a resource may carry: an uploaded file's bytes match its declared
format and hold no markup that runs script; a URL parses (issue 11, leak 4).

Downloads already go out as attachments a browser may not sniff or run
script in (views/security.py). This check keeps a producer from storing HTML
or SVG under a data format's name in the first place (a reviewer who opens
the file locally, or a proxy that drops the headers, would render it), and
refuses active content in the XML formats the portal accepts.

Called from IResourceController.before_resource_create/_update, before core
writes anything: a refusal is a ValidationError on ``upload`` (or ``url``),
409 over the API, and leaves no resource and no file.
"""
from __future__ import annotations

import codecs
import os
import re
from typing import Any
from urllib.parse import urlsplit

import ckan.plugins.toolkit as tk
from werkzeug.datastructures import FileStorage

__all__ = ["check_resource"]

# Browsers sniff at most the first 1445 bytes (WHATWG MIME Sniffing); a
# little more costs nothing.
_HEAD_BYTES = 4096
_CHUNK = 1 << 20  # even, so UTF-16 text stays aligned
_OVERLAP = 256

# Declared formats whose bytes are XML (the open-format vocabulary has XML and KML).
_XML_FORMATS = frozenset({"xml", "kml", "gml", "gpx", "rdf"})

_UTF16 = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# A document that is HTML (the unambiguous openers of WHATWG MIME Sniffing's
# HTML rule; <table> or <p> may open an XML data file too) or SVG; any other
# start tag, prolog or comment is some XML.
_HTML_START = re.compile(rb"<(?:!doctype\s+html|html|head|body|script|iframe)[\s>/]", re.I)
_SVG = re.compile(rb"<(?:[\w.-]+:)?svg[\s>/]|<!doctype\s+svg|http://www\.w3\.org/2000/svg", re.I)
_XML_START = re.compile(rb"<(?:\?xml|!doctype|!--|[a-z_][\w.:-]*(?:\s[^<>]*)?/?>)", re.I)
_XHTML = re.compile(rb"<(?:[\w.-]+:)?html[\s>/]|http://www\.w3\.org/1999/xhtml", re.I)
# Markup that has no place in the first kilobytes of a CSV, JSON or spreadsheet.
_HTML_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:html|body|script|iframe|frame|frameset|object|embed|svg|math)[\s>/]",
                       re.I)
# Markup that runs script when rendered: script-bearing elements (in any
# namespace), event-handler attributes, script URLs.
_EVENTS = (rb"load|unload|beforeunload|error|abort|click|dblclick|auxclick|contextmenu|mouse\w+|pointer\w+|"
           rb"touch\w+|key\w+|focus\w*|blur|change|input|invalid|submit|reset|select\w*|search|drag\w*|drop|"
           rb"wheel|scroll\w*|resize|hashchange|message\w*|popstate|pageshow|pagehide|storage|toggle|beforetoggle|"
           rb"copy|cut|paste|beforeinput|animation\w+|transition\w+|begin|end|repeat|play\w*|pause|ended|"
           rb"canplay\w*|loadstart|loadeddata|loadedmetadata|progress|seek\w+|stalled|suspend|timeupdate|"
           rb"volumechange|waiting|readystatechange|afterprint|beforeprint|show|activate|zoom|securitypolicyviolation|"
           rb"formdata|slotchange|cancel|close|online|offline")
_ACTIVE = re.compile(
    rb"<(?:[\w.-]+:)?(?:script|iframe|frame|object|embed|applet|foreignobject|handler|listener)[\s>/]"
    rb"|[\s\"'/]on(?:" + _EVENTS + rb")\s*="
    rb"|(?:java|vb)script\s*:|data\s*:\s*text/html",
    re.I)


def check_resource(data_dict: dict[str, Any]) -> None:
    """Raise ``ValidationError`` for a URL that does not parse or an upload
    whose content does not match its declared format or carries script."""
    url = data_dict.get("url")
    upload = data_dict.get("upload")
    upload = upload if isinstance(upload, FileStorage) and upload else None  # core ignores a file-less field
    if isinstance(url, str) and url and upload is None:
        try:
            urlsplit(url).port  # noqa: B018 -- an unbalanced [ or a port out of range raise here
        except ValueError:
            raise tk.ValidationError({"url": [tk._("This URL cannot be parsed")]})
    if upload is not None:
        problem = _problem(upload, _declared_format(data_dict, upload))
        if problem:
            raise tk.ValidationError({"upload": [problem]})


def _declared_format(data_dict: dict[str, Any], upload: FileStorage) -> str:
    """The format field, or, when empty, the file's extension (as core guesses it)."""
    fmt = data_dict.get("format")
    if isinstance(fmt, str) and fmt.strip():
        return fmt.strip().lower()
    return os.path.splitext(upload.filename or "")[1].lstrip(".").lower()


def _problem(upload: FileStorage, declared: str) -> str | None:
    stream = upload.stream
    start = stream.tell()
    try:
        head, encoding = _decode(stream.read(_HEAD_BYTES))
        kind = _sniff(head)
        if declared in _XML_FORMATS:
            if kind in ("html", "svg"):
                return _mismatch(kind, declared)
            if kind == "xml" and _has_active_content(stream, start, encoding):
                return _active()
            return None
        if kind is not None or _HTML_TAG.search(head):
            return _mismatch(kind or "html", declared)
        return None
    finally:
        stream.seek(start)


def _decode(raw: bytes) -> tuple[bytes, str | None]:
    """The head as UTF-8 bytes (UTF-16 text is re-encoded; a UTF-8 BOM dropped)."""
    for bom, encoding in _UTF16:
        if raw.startswith(bom):
            return raw[len(bom):].decode(encoding, "ignore").encode("utf-8"), encoding
    return raw.removeprefix(codecs.BOM_UTF8), None


def _sniff(head: bytes) -> str | None:
    """``html``, ``svg``, ``xml`` (any other markup), or None (not markup)."""
    text = head.lstrip()
    if _SVG.search(head):
        return "svg"
    if _HTML_START.match(text) or _XHTML.search(head):
        return "html"
    if _XML_START.match(text):
        return "xml"  # passive unless the scan finds script
    return None


def _has_active_content(stream, start: int, encoding: str | None) -> bool:
    """Scan the whole file in chunks (a script may sit anywhere)."""
    stream.seek(start)
    tail = b""
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return False
        if encoding:
            chunk = chunk.decode(encoding, "ignore").encode("utf-8")
        if _ACTIVE.search(tail + chunk):
            return True
        tail = chunk[-_OVERLAP:]


def _mismatch(kind: str, declared: str) -> str:
    return tk._("The file's content is %(kind)s, not the declared format %(format)s") % {
        "kind": kind.upper(), "format": declared.upper() or tk._("(none)")}


def _active() -> str:
    return tk._("The file contains active content (scripts, event handlers or script links), "
                "which the portal does not store")
