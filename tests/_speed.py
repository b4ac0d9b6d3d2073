"""A faster suite on the same real services: what conftest.py's hook and
fixtures use.

- pytest-xdist: each worker (``gw0``, ``gw1``...) gets its own database, Solr
  ``site_id``, Redis db, storage, SMTP port and web port, derived from the run's
  (the slot's) CKAN_* variables before CKAN's plugin reads the config in
  ``pytest_sessionstart``; subprocesses (``ckan run``, ``ckan jobs worker``)
  inherit them.
- The plugins of test.ini are loaded once and stay loaded, and the Flask app of
  the ``app`` fixture is built once; a test with a ``ckan_config`` (or
  ``with_plugins``) mark reloads them under its config through CKAN's
  ``with_plugins`` and gets its own app, as before, and the next test loads
  test.ini's plugins back.
- An empty database is one ``TRUNCATE ... CASCADE`` of every table but the
  alembic version tables, as long as the schema is the migrated one of the
  session's first, full reset.
"""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
from urllib.parse import urlsplit, urlunsplit


ROOT = pathlib.Path(__file__).resolve().parents[1]
RELOAD_MARKS = ("ckan_config", "with_plugins", "provide_plugin")
# The Redis dbs of slots 0..8 are 1..9; worker K >= 1 of slot S takes 1 + S + 9 K
# when the server has that many databases, else it shares the slot's db (its
# queues are apart all the same: they are named after the worker's site_id).
_REDIS_SLOTS = 9


# ------------------------------------------------------------------ xdist workers

def _ini_value(ini: str, key: str) -> str | None:
    import configparser
    parser = configparser.ConfigParser(defaults={"here": str(pathlib.Path(ini).resolve().parent)})
    parser.read(ini)
    return parser.get("app:main", key, fallback=None)


def _redis_databases(url: str) -> int:
    try:
        import redis
        return int(redis.Redis.from_url(url).config_get("databases")["databases"])
    except Exception:  # CONFIG refused or Redis down: the default of redis.conf
        return 16


def _worker_env(worker: int, ini: str) -> dict[str, str]:
    """The CKAN_* variables of xdist worker ``worker``, from the run's own."""
    def base(env: str, key: str) -> str:
        value = os.environ.get(env) or _ini_value(ini, key)
        assert value, f"neither {env} nor {key} in {ini}"
        return value

    suffix = f"_gw{worker}"
    db_url = urlsplit(base("CKAN_SQLALCHEMY_URL", "sqlalchemy.url"))
    redis_url = urlsplit(base("CKAN_REDIS_URL", "ckan.redis.url"))
    redis_db = int(redis_url.path.strip("/") or 0)
    if worker and redis_db + _REDIS_SLOTS * worker < _redis_databases(urlunsplit(redis_url)):
        redis_db += _REDIS_SLOTS * worker
    smtp_host, smtp_port = base("CKAN_SMTP_SERVER", "smtp.server").rsplit(":", 1)
    web_port = int(os.environ.get("SATUDATA_TEST_WEB_PORT", "5055"))
    return {
        "CKAN_SQLALCHEMY_URL": urlunsplit(db_url._replace(path=db_url.path + suffix)),
        "CKAN_SITE_ID": base("CKAN_SITE_ID", "ckan.site_id") + suffix.replace("_", "-"),
        "CKAN_REDIS_URL": urlunsplit(redis_url._replace(path=f"/{redis_db}")),
        "CKAN_STORAGE_PATH": base("CKAN_STORAGE_PATH", "ckan.storage_path") + suffix.replace("_", "-"),
        # a slot owns ten ports from its SMTP and web ports on: the run's own,
        # then one SMTP port and two web ports (tests use port and port + 1) per worker
        "CKAN_SMTP_SERVER": f"{smtp_host}:{int(smtp_port) + 1 + worker}",
        "SATUDATA_TEST_WEB_PORT": str(web_port + 2 + 2 * worker),
    }


def configure_worker(config) -> None:
    """conftest's ``pytest_configure``: runs before CKAN's plugin loads test.ini
    (``pytest_sessionstart``)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    env = _worker_env(int(re.fullmatch(r"gw(\d+)", worker).group(1)), config.option.ckan_ini or "test.ini")
    os.environ.update(env)
    pathlib.Path(env["CKAN_STORAGE_PATH"]).mkdir(parents=True, exist_ok=True)
    database = urlsplit(env["CKAN_SQLALCHEMY_URL"]).path.strip("/")
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "ensure-db", database],
                   check=True, stdout=subprocess.DEVNULL)


def parametrize_id(val, argname) -> str | None:
    """xdist workers must collect the same test ids: a ZIP parameter (an XLSX
    built at import) carries its build time, so it is named by its argument and
    not by its bytes; any other value keeps pytest's id."""
    if isinstance(val, bytes) and val.startswith(b"PK\x03\x04"):
        return f"{argname}-zip"
    return None


# ------------------------------------------------------------------ plugins

def needs_reload(node) -> bool:
    """A test whose config marks must be in place when the plugins load."""
    return any(any(True for _ in node.iter_markers(name)) for name in RELOAD_MARKS)


def ensure_plugins() -> None:
    """test.ini's plugins loaded (load them if a reloading test, or a CLI run,
    left them unloaded or a different set)."""
    import ckan.plugins as plugins
    from ckan.common import config
    from ckan.plugins import core

    wanted = config.get("ckan.plugins")
    wanted = wanted.split() if isinstance(wanted, str) else list(wanted)
    if list(core._PLUGINS) != wanted:
        plugins.load_all()


class _AppCache:
    """The Flask app of test.ini's config (``app`` fixture), built once: CKAN
    builds one per test, loading every plugin again each time. Plugins are
    singletons, so a reload re-registers the same objects, and a test with a
    ``ckan_config`` mark gets an app of its own. Each test gets a new client
    (new cookies)."""
    flask_app = None

    @classmethod
    def get(cls):
        import ckan.tests.helpers as helpers
        from ckan.common import config

        config["testing"] = True  # as helpers._get_test_app
        if cls.flask_app is None:
            cls.flask_app = helpers._get_test_app().app
        return helpers.CKANTestApp(cls.flask_app)


test_app = _AppCache.get


# ------------------------------------------------------------------ database

class _Schema:
    """The tables and alembic versions of the migrated database."""
    fingerprint: tuple | None = None


def _fingerprint(conn) -> tuple:
    from sqlalchemy import text
    tables = tuple(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")).scalars())
    versions = tuple(
        (table, tuple(sorted(conn.execute(text(f'SELECT version_num FROM "{table}"')).scalars())))
        for table in tables if table.endswith("alembic_version"))
    return tables, versions


def full_reset() -> None:
    """CKAN's reset (tables dropped or emptied, core migrations), then the
    activity and satudata migrations, as CKAN's ``clean_db`` plus
    ``migrate_db_for``."""
    import ckan.model as model
    import ckan.tests.helpers as helpers
    from ckan.cli.db import _run_migrations

    ensure_plugins()  # the plugins' migrations are found through the loaded plugins
    helpers.reset_db()
    _run_migrations("activity")
    _run_migrations("satudata")
    model.Session.remove()
    with model.meta.engine.connect() as conn:
        _Schema.fingerprint = _fingerprint(conn)


def ensure_database() -> None:
    """The session's first test starts on the migrated schema (a worker's
    database may be new), whether it empties the database or not."""
    if _Schema.fingerprint is None:
        full_reset()


def empty_database() -> None:
    """The migrated schema with no rows: the session's first call resets in full;
    later ones truncate every table but the alembic versions, unless a test
    changed the schema (then in full again)."""
    import ckan.model as model
    from sqlalchemy import exc, text
    from sqlalchemy.orm import close_all_sessions

    if _Schema.fingerprint is None:
        return full_reset()
    close_all_sessions()  # as CKAN's reset_db: no session of ours holds a lock
    model.Session.remove()
    try:
        with model.meta.engine.begin() as conn:
            tables, versions = _fingerprint(conn)
            if (tables, versions) == _Schema.fingerprint:
                conn.execute(text("SET LOCAL lock_timeout = '10s'"))
                names = ", ".join(f'"{t}"' for t in tables if not t.endswith("alembic_version"))
                conn.execute(text(f"TRUNCATE {names} CASCADE"))
                return
    except exc.OperationalError as error:
        if getattr(error.orig, "pgcode", None) != "55P03":  # lock_not_available
            raise
        # a connection left open holds a table: delete row by row instead, which
        # waits only for row locks, as CKAN's reset does
    full_reset()


def reset_site_queues() -> None:
    """Empty and delete this site's job queues (CKAN's ``reset_queues`` does every
    queue of the Redis db, which xdist workers may share)."""
    from ckan.lib import jobs
    for queue in jobs.get_all_queues():
        queue.empty()
        queue.delete()
