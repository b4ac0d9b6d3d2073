"""Every user-facing string of the extension has an Indonesian translation,
in its own catalogue or in CKAN's (the default UI language is Bahasa Indonesia)."""
import gettext
import os

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import ckan

import ckanext.satudata as satudata

_ROOT = os.path.dirname(satudata.__file__)
_METHODS = [("tests/**", "ignore"), ("**.py", "python"), ("**/templates/**.html", "ckan")]
_KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "ungettext": (1, 2)}


def _msgids() -> dict[str, str]:
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            _ROOT, method_map=_METHODS, keywords=_KEYWORDS):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def test_every_msgid_is_translated_to_indonesian():
    with open(os.path.join(_ROOT, "i18n", "id", "LC_MESSAGES", "ckanext-satudata.po"), "rb") as f:
        ours = {(m.id if isinstance(m.id, str) else m.id[0]): m.string for m in read_po(f) if m.id}
    core = gettext.translation("ckan", localedir=os.path.join(os.path.dirname(ckan.__file__), "i18n"),
                               languages=["id"])
    msgids = _msgids()
    assert len(msgids) > 300  # the extraction really ran over code and templates
    missing = [f"{where} {msgid!r}" for msgid, where in msgids.items()
               if not ours.get(msgid) and core.gettext(msgid) == msgid]
    assert missing == []
