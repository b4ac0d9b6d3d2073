"""The extension's pages: one Blueprint per concept, collected by tk.blanket.blueprints."""
from ckanext.satudata.views.dataset import satudata

__all__ = ["satudata"]
