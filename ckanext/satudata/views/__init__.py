"""The extension's pages: one Blueprint per concept, collected by tk.blanket.blueprints."""
from ckanext.satudata.views.workflow import satudata
from ckanext.satudata.views.request import satudata_request
from ckanext.satudata.views.roles import satudata_roles
from ckanext.satudata.views.security import satudata_security
from ckanext.satudata.views.validation import satudata_validation

__all__ = ["satudata", "satudata_request", "satudata_roles", "satudata_security", "satudata_validation"]
