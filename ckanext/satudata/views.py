"""The extension's pages: one Blueprint; request -> action -> template."""
from __future__ import annotations

from flask import Blueprint

satudata = Blueprint("satudata", __name__)
