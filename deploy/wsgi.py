"""The portal's WSGI application, for gunicorn (``gunicorn.conf.py``) or uwsgi.

CKAN 2.10+ has no paste entry point any more (``gunicorn --paste ckan.ini``
does not start it): the application is built here from the ini named by
``CKAN_INI`` (CKAN's own variable), as ``ckan run`` builds it.
"""
import configparser
import os
from logging.config import fileConfig

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

CONFIG = os.environ.get("CKAN_INI", "/etc/ckan/default/ckan.ini")
if not os.path.isfile(CONFIG):
    raise RuntimeError(f"CKAN config file not found: {CONFIG} (set CKAN_INI)")

_parser = configparser.ConfigParser(interpolation=None)
_parser.read(CONFIG)
if _parser.has_section("loggers"):  # the ini's logging, when it has any
    fileConfig(CONFIG, disable_existing_loggers=False)

application = make_app(CKANConfigLoader(CONFIG).get_config())
