"""The suite's own machinery (tests/_speed.py): plugins loaded once, reloaded
under a test's ``ckan_config`` mark and back after it; the Flask app built once
for test.ini's config; clean_db leaves an empty, migrated database.
The tests of this module run in order, on one worker."""
import pytest

import ckan.model as model
import ckan.plugins as plugins
import ckan.plugins.toolkit as tk
from ckan.plugins import core
from sqlalchemy import text

from tests import _speed

PLUGINS = ["activity", "scheming_datasets", "scheming_organizations", "satudata"]
_seen = {}


def test_the_plugins_of_test_ini_are_loaded(app):
    assert list(core._PLUGINS) == PLUGINS
    assert tk.config.get("ckanext.satudata.requests_per_day") == 10
    assert tk.get_action("satudata_request_create")
    _seen["app"] = app.app


def test_the_next_test_keeps_them_and_the_app(app):
    assert list(core._PLUGINS) == PLUGINS
    assert app.app is _seen["app"]


@pytest.mark.ckan_config("ckanext.satudata.requests_per_day", "3")
def test_a_config_mark_reloads_them_under_its_config(app):
    # the declared int, as the plugins' loading converts it at start-up
    assert tk.config.get("ckanext.satudata.requests_per_day") == 3
    assert list(core._PLUGINS) == PLUGINS
    assert app.app is not _seen["app"]


def test_after_it_test_ini_is_back(app):
    assert list(core._PLUGINS) == PLUGINS and plugins.plugin_loaded("satudata")
    assert tk.config.get("ckanext.satudata.requests_per_day") == 10
    assert app.app is _seen["app"]
    assert app.get("/api/3/action/status_show").json["success"]


def test_a_plugin_unloaded_by_a_test_is_loaded_for_the_next():
    plugins.unload_all()


def test_so_this_one_has_them():
    assert list(core._PLUGINS) == PLUGINS
    assert tk.get_action("satudata_request_create")


def test_clean_db_empties_every_table_but_the_migration_versions(clean_db):
    from tests.conftest import Portal

    Portal()
    model.Session.remove()
    _speed.empty_database()
    with model.meta.engine.connect() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars().all()
        assert "satudata_role_grant" in tables and "activity" in tables
        for table in tables:
            rows = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            assert (rows == 1) if table.endswith("alembic_version") else (rows == 0), table
