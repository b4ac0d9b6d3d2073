"""Benchmark: ckanext-satudata against plain CKAN, side by side in one run (issue 15).

  .venv/bin/python bench/bench_vs_plain.py [--datasets 2000] [--requests 10000] [--calls 400]
                                           [--warmup 20] [--quick] [--profile] [--out bench/results]

Two portals on the same running PostgreSQL, Solr and Redis (scripts/services.sh):

* PLAIN: CKAN 2.12 with ``activity scheming_datasets`` and scheming's default
  dataset schema (``ckanext.scheming:ckan_dataset.yaml``);
* SATUDATA: test.ini's plugins (``activity scheming_datasets
  scheming_organizations satudata``) and the SDI schema.

Each has a database, ``ckan.site_id`` and storage of its own, derived from the
run's (the test slot's) ``CKAN_*`` variables, or test.ini's values when they are
unset: database ``<db>_vsplain`` / ``<db>_vssdi``, site_id ``<site_id>-vsplain`` /
``<site_id>-vssdi``, storage ``.var/bench/storage-<site_id>``, web ports
``SATUDATA_TEST_WEB_PORT + 8`` and ``+ 9`` (a slot owns ten ports from its web
port on; its pytest workers use the first six). Both sides use the slot's Redis
db: the 16 Redis dbs are all taken by the slots and their workers, and CKAN's
queues are named after the site_id, so the sides do not meet there. The inis
are written to ``.var/bench/`` (``use = config:test.ini`` plus the overrides);
every child process (``ckan db init``, the loader, gunicorn) gets its side's
``CKAN_*`` variables too, since CKAN reads them over the ini.

Steps:

1. Drops what a previous run left (both databases, their Solr documents by
   site_id, their Redis queues), creates the databases (``scripts/services.sh
   ensure-db``) and migrates them as ``ckan db init`` does (core, activity and
   on SATUDATA satudata; in the loading process, which has CKAN started anyway).
2. Loads the same data into each side, both sides at once (one process each):
   6 agencies, a producer (editor) per agency, the members of 1, 50 and 500
   organizations (the 494 extra organizations and the memberships are
   bulk-inserted copies of rows the actions made), API tokens; on SATUDATA the
   PPIDs, the Walidata and 5 Forum members (``satudata_role_grant``). Then N
   datasets with the same titles, notes, tags and a JSON resource: one in 20
   (at least one per agency) is made by the actions (``package_create`` and,
   on SATUDATA, ``satudata_dataset_submit/verify/publish`` by the producer,
   the PPID and the Walidata: complete SDI metadata, walked to published); the
   others are copies of those rows (package, resources, tags, memberships,
   workflow events) bulk-inserted and indexed by CKAN's own indexer, the
   documents posted to Solr in batches (as bench/bench_requests.py does). Also
   the three datasets ``package_update`` edits (1, 20 and 100 resources) and,
   on SATUDATA, one complete draft per timed transition, and the 10,000 data
   requests of ``satudata_request_list`` (bench_requests.Bench.requests).
3. Serves each side with gunicorn (deploy/gunicorn.conf.py and deploy/wsgi.py,
   2 sync workers, worker recycling off so that a restart does not land in one
   side's timings) and times over HTTP, with API tokens, interleaved: for each
   operation, call i on PLAIN then call i on SATUDATA, ``--warmup`` untimed
   rounds first, then ``--calls`` timed rounds. SATUDATA alone: each workflow
   transition and ``satudata_request_list``.
4. Writes ``<out>/vs-plain.md`` and ``<out>/vs-plain.json``: median and p95 per
   side, the ratio satudata / plain of the medians (and of the p95s), the
   target of each row and whether it is met; machine and versions.
5. Drops the databases, the Solr documents and Redis queues of both sites, and
   the storage.

Exit status: 0 when the run completed (missed targets are printed and marked in
the table), non-zero on an error (a failed request, a service that did not start).
``--profile`` adds a cProfile, in-process on each side, of ``package_create``,
``package_update`` (20 resources), ``package_search`` (1,000 rows) and, on
SATUDATA, each transition: ``<out>/vs-plain-profile.txt``.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import http.cookiejar
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # bench.bench_requests
VAR = ROOT / ".var"
WORK = VAR / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
SIDES = ("plain", "satudata")
SUFFIX = {"plain": "vsplain", "satudata": "vssdi"}
PORT_OFFSET = {"plain": 8, "satudata": 9}
PASSWORD = "Bench-pass-2026"
EXTRA_ORGS = 499  # the member of 500 organizations: an agency plus these
FORUM_USERS = 5
UPDATE_SIZES = (1, 20, 100)
SEARCH_ROWS = (20, 100, 1000)
MEMBER_OF = (1, 50, 500)
TITLE_TOPICS = ["Jumlah penduduk", "Angka kemiskinan", "Produksi padi", "Jumlah sekolah", "Angka stunting",
                "Tenaga kesehatan", "Luas lahan sawah", "Penerima bansos", "Panjang jalan", "Indeks pembangunan manusia"]
KECAMATAN = ["Jatinangor", "Cimanggung", "Tanjungsari", "Sukasari", "Pamulihan", "Rancakalong", "Ganeas",
             "Situraja", "Cisitu", "Darmaraja", "Cibugel", "Wado", "Jatinunggal", "Jatigede", "Tomo"]
# ratio targets (satudata / plain, medians), issue 15
TARGETS = {"create": 1.15, "update": 1.15, "show": 1.10, "search": 1.10, "page": 1.15}
TRANSITION_P95_MS = 100
REQUEST_LIST_P95_MS = 100


def log(message: str) -> None:
    print(f"[bench-vs-plain {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ============================================================ environment

def _ini_value(key: str) -> str:
    import configparser
    parser = configparser.ConfigParser(defaults={"here": str(ROOT)})
    parser.read(ROOT / "test.ini")
    return parser.get("app:main", key)


BASE_VARS = {"CKAN_SQLALCHEMY_URL": "sqlalchemy.url", "CKAN_SITE_ID": "ckan.site_id",
             "CKAN_REDIS_URL": "ckan.redis.url", "CKAN_SOLR_URL": "solr_url", "CKAN_SMTP_SERVER": "smtp.server"}


def _base(var: str) -> str:
    """The run's value of ``var`` (the slot's CKAN_* variable, else test.ini's);
    a child process reads its parent's from BENCH_BASE_*, its own CKAN_* being the side's."""
    return os.environ.get(f"BENCH_BASE_{var}") or os.environ.get(var) or _ini_value(BASE_VARS[var])


def side_env(side: str) -> dict[str, str]:
    """The CKAN_* variables (and port) of one side, derived from the run's own."""
    db_url = urlsplit(_base("CKAN_SQLALCHEMY_URL"))
    site_id = f"{_base('CKAN_SITE_ID')}-{SUFFIX[side]}"
    port = int(os.environ.get("SATUDATA_TEST_WEB_PORT", "5055")) + PORT_OFFSET[side]
    return {
        "CKAN_SQLALCHEMY_URL": urlunsplit(db_url._replace(path=f"{db_url.path}_{SUFFIX[side]}")),
        "CKAN_SITE_ID": site_id,
        "CKAN_REDIS_URL": _base("CKAN_REDIS_URL"),
        "CKAN_SOLR_URL": _base("CKAN_SOLR_URL"),
        "CKAN_STORAGE_PATH": str(WORK / f"storage-{site_id}"),
        "CKAN_SITE_URL": f"http://127.0.0.1:{port}",
        "CKAN_SMTP_SERVER": _base("CKAN_SMTP_SERVER"),
        "BENCH_PORT": str(port),
    }


def ini_path(side: str) -> Path:
    return WORK / f"{side_env(side)['CKAN_SITE_ID']}.ini"


def write_ini(side: str) -> Path:
    env = side_env(side)
    lines = ["[app:main]", f"use = config:{ROOT / 'test.ini'}",
             f"sqlalchemy.url = {env['CKAN_SQLALCHEMY_URL']}",
             f"ckan.site_id = {env['CKAN_SITE_ID']}",
             f"ckan.site_url = {env['CKAN_SITE_URL']}",
             f"ckan.redis.url = {env['CKAN_REDIS_URL']}",
             f"solr_url = {env['CKAN_SOLR_URL']}",
             f"ckan.storage_path = {env['CKAN_STORAGE_PATH']}"]
    if side == "plain":
        lines += ["ckan.plugins = activity scheming_datasets",
                  "scheming.dataset_schemas = ckanext.scheming:ckan_dataset.yaml",
                  "scheming.presets = ckanext.scheming:presets.json"]
    # test.ini's logging sections, for gunicorn's wsgi.py (fileConfig)
    text = (ROOT / "test.ini").read_text()
    lines.append("")
    lines.append(text[text.index("[loggers]"):])
    path = ini_path(side)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path


def child_env(side: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({f"BENCH_BASE_{var}": _base(var) for var in BASE_VARS})
    env.update({k: v for k, v in side_env(side).items() if k.startswith("CKAN_")})
    env["CKAN_INI"] = str(ini_path(side))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _run(cmd: list[str], side: str, what: str) -> None:
    done = subprocess.run(cmd, env=child_env(side), cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} ({side}) failed with {done.returncode}:\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-3000:]}")


# ============================================================ set-up and clean-up

def _pg_admin_url(side: str) -> tuple[str, str]:
    url = urlsplit(side_env(side)["CKAN_SQLALCHEMY_URL"])
    return urlunsplit(url._replace(path="/postgres")), url.path.strip("/")


def drop_side(side: str) -> None:
    """The side's database, Solr documents, Redis queues and storage, gone."""
    import psycopg2
    import redis
    import requests

    env = side_env(side)
    admin, database = _pg_admin_url(side)
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    conn.close()
    site = env["CKAN_SITE_ID"]
    response = requests.post(f"{env['CKAN_SOLR_URL']}/update?commit=true",
                             json={"delete": {"query": f'site_id:"{site}"'}}, timeout=120)
    response.raise_for_status()
    conn = redis.Redis.from_url(env["CKAN_REDIS_URL"])
    for key in conn.scan_iter(match=f"*{site}*"):
        if key.startswith(b"rq:queue:"):
            for job_id in conn.lrange(key, 0, -1):
                conn.delete(b"rq:job:" + job_id)
        conn.delete(key)
    shutil.rmtree(env["CKAN_STORAGE_PATH"], ignore_errors=True)


def create_side(side: str) -> None:
    _, database = _pg_admin_url(side)
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "ensure-db", database], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    Path(side_env(side)["CKAN_STORAGE_PATH"]).mkdir(parents=True, exist_ok=True)
    write_ini(side)


def migrate(side: str) -> None:
    """``ckan db init``'s migrations (core, activity and, on SATUDATA, satudata), in
    the loader's process: a ``ckan`` process of its own would start CKAN again."""
    from ckan.cli.db import _run_migrations

    _run_migrations(None)
    _run_migrations("activity")
    if side == "satudata":
        _run_migrations("satudata")


# ============================================================ loading (in a child process per side)

def titles(n: int, seed: int) -> list[tuple[str, str]]:
    """The same N (title, notes) on both sides."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        topic, kec = rng.choice(TITLE_TOPICS), rng.choice(KECAMATAN)
        year = 2019 + i % 6
        out.append((f"{topic} Kecamatan {kec} {year} ({i})",
                    f"{topic} menurut desa di Kecamatan {kec}, Kabupaten Sumedang, tahun {year}."))
    return out


# Every field an SDI dataset needs to be submitted: tests/conftest.py's
# complete_metadata() (tests/bench checks they agree; `tests` is not importable
# here: CKAN's own ckan/tests shadows it once CKAN is loaded).
SDI_METADATA = {
    "sdi_responsible_person": "Kepala Bidang PIAK",
    "sdi_contact_email": "disdukcapil@sumedangkab.go.id",
    "sdi_urusan": "2.12",
    "sdi_sector": "kependudukan",
    "sdi_data_type": "statistik_sektoral",
    "sdi_classification": "data_umum",
    "sdi_standard_code": "SP00011.00.00",
    "sdi_concept": "Penduduk",
    "sdi_definition": "Jumlah penduduk tercatat",
    "sdi_measure": "jumlah",
    "sdi_unit": "orang",
    "sdi_frequency": "tahunan",
    "sdi_period_start": "2022",
    "sdi_period_end": "2024",
    "sdi_presentation_level": "kecamatan",
    "sdi_area_code": "32.11",
    "sdi_collection_method": "kompilasi_produk_administrasi",
    "sdi_source": "SIAK",
}


def resources(count: int, tag: str = "data") -> list[dict]:
    return [{"name": f"{tag}-{k}.json", "format": "JSON", "url": f"http://data.example.go.id/{tag}-{k}.json",
             "description": f"Sumber {k}"} for k in range(count)]


def dataset_payload(side: str, name: str, title: str, notes: str, org_id: str, n_resources: int = 1,
                    draft: bool = False) -> dict:
    """The same dataset on both sides; SATUDATA's with its SDI metadata. A
    ``draft`` is private on PLAIN too (an SDI draft is private until
    published), so that both sides list and count the same datasets."""
    data = {"name": name, "title": title, "notes": notes, "license_id": "cc-by", "owner_org": org_id,
            "tags": [{"name": "penduduk"}], "resources": resources(n_resources)}
    if side == "satudata":
        data = dict(SDI_METADATA, **data)
    elif draft:
        data["private"] = True
    return data


class Loader:
    """One side's data, through the actions and bulk copies (run inside the side's config)."""

    def __init__(self, side: str, args):
        self.side, self.args = side, args
        self.sdi = side == "satudata"
        self.rng = random.Random(args.seed)
        self.now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self.out: dict = {"side": side}

    def act(self, action: str, as_user: str | None = None, /, **data):
        """``action`` as ``as_user``, or as the site user without auth checks."""
        import ckan.model as model
        import ckan.plugins.toolkit as tk
        context = {"user": as_user} if as_user else {"user": self.site, "ignore_auth": True}
        try:
            return tk.get_action(action)(context, data)
        finally:
            model.Session.remove()

    def user(self, name: str) -> dict:
        return self.act("user_create", name=name, email=f"{name}@sumedangkab.go.id", password=PASSWORD,
                        fullname=name.replace("-", " ").title())

    def token(self, name: str) -> str:
        return self.act("api_token_create", user=name, name="bench")["token"]

    # ------------------------------------------------------------ people

    def people(self) -> None:
        import ckan.plugins.toolkit as tk
        from bench.bench_requests import AGENCIES

        self.site = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
        self.orgs, self.producers, self.ppids = [], [], []
        tokens = {}
        for name, title in AGENCIES:
            self.orgs.append(self.act("organization_create", name=name, title=title))
            producer = self.user(f"produsen-{name}")
            self.act("organization_member_create", id=name, username=producer["name"], role="editor")
            self.producers.append(producer)
            if self.sdi:
                ppid = self.user(f"ppid-{name}")
                self.act("satudata_role_grant", user=ppid["name"], role="ppid", organization=name)
                self.ppids.append(ppid)
                tokens[f"ppid-{name}"] = self.token(ppid["name"])
        tokens["producer"] = self.token(self.producers[0]["name"])
        if self.sdi:
            self.walidata = self.user("walidata")
            self.act("satudata_role_grant", user="walidata", role="walidata")
            tokens["walidata"] = self.token("walidata")
            self.forum = []
            for i in range(1, FORUM_USERS + 1):
                member = self.user(f"forum-{i}")
                self.act("satudata_role_grant", user=member["name"], role="forum")
                self.forum.append(member)
            tokens["forum"] = self.token("forum-1")
        for count in MEMBER_OF:
            member = self.user(f"anggota-{count}")
            self.act("organization_member_create", id=self.orgs[0]["name"], username=member["name"], role="member")
            tokens[f"member-{count}"] = self.token(member["name"])
        self.extra_orgs()
        self.out["tokens"] = tokens
        self.out["orgs"] = [o["name"] for o in self.orgs]

    def extra_orgs(self) -> None:
        """499 organizations (copies of an agency's row) and the memberships of
        the members of 50 and 500 organizations (copies of a membership row)."""
        import ckan.model as model
        from sqlalchemy import select

        group = model.group_table
        member = model.member_table
        row = dict(model.Session.execute(select(group).where(group.c.name == self.orgs[0]["name"])).mappings().one())
        org_rows = []
        for i in range(EXTRA_ORGS):
            new = dict(row, id=str(uuid.uuid4()), name=f"unit-{i:03d}", title=f"Unit Kerja {i:03d}")
            org_rows.append(new)
        model.Session.execute(group.insert(), org_rows)
        members = []
        for count in MEMBER_OF[1:]:
            user_id = model.User.get(f"anggota-{count}").id
            base = dict(model.Session.execute(select(member).where(
                member.c.table_id == user_id, member.c.table_name == "user")).mappings().one())
            for org in org_rows[:count - 1]:
                members.append(dict(base, id=str(uuid.uuid4()), group_id=org["id"]))
        model.Session.execute(member.insert(), members)
        model.Session.commit()
        model.Session.remove()

    # ------------------------------------------------------------ datasets

    def walk(self, pkg_id: str, org_index: int, steps=("submit", "verify", "publish")) -> None:
        actors = {"submit": self.producers[org_index]["name"], "verify": self.ppids[org_index]["name"],
                  "publish": self.walidata["name"]}
        for step in steps:
            self.act(f"satudata_dataset_{step}", actors[step], id=pkg_id)

    def create(self, i: int, title: str, notes: str, n_resources: int = 1, name: str | None = None,
               draft: bool = False) -> dict:
        org_index = i % len(self.orgs)
        name = name or f"data-{i:05d}"
        return self.act("package_create", self.producers[org_index]["name"], **dataset_payload(
            self.side, name, title, notes, self.orgs[org_index]["id"], n_resources, draft))

    def datasets(self) -> None:
        n = self.args.datasets
        shared = titles(n, self.args.seed)
        real = min(n, max(len(self.orgs), n // 20))
        made = []
        started = time.perf_counter()
        for i in range(real):
            pkg = self.create(i, *shared[i])
            if self.sdi:
                self.walk(pkg["id"], i % len(self.orgs))
            made.append(pkg["id"])
        self.out["by_actions"] = real
        self.out["actions_seconds"] = round(time.perf_counter() - started, 1)
        started = time.perf_counter()
        self.copies(made[:len(self.orgs)], [(f"data-{i:05d}", *shared[i]) for i in range(real, n)], private=False)
        self.out["copies_seconds"] = round(time.perf_counter() - started, 1)
        self.out["show"] = made[0]  # a published dataset of agency 0 (the producer's and the members')
        # package_update's datasets: drafts of agency 0 on SATUDATA
        self.out["update"] = {}
        for size in UPDATE_SIZES:
            pkg = self.create(0, f"Dataset yang disunting ({size} sumber)", "Disunting berulang kali.", size,
                              name=f"sunting-{size}", draft=True)
            self.out["update"][str(size)] = pkg["name"]
        # SATUDATA's drafts for the timed transitions; on PLAIN the same private
        # datasets, so that an agency member's searches see as many on both sides
        pool = self.args.warmup + self.args.calls
        draft = self.create(0, "Draf untuk transisi", "Draf lengkap.", 1, name="transisi-00000", draft=True)
        names = [(f"transisi-{k:05d}", f"Draf untuk transisi {k}", "Draf lengkap.") for k in range(1, pool)]
        self.copies([draft["id"]], names, private=True)
        self.out["transitions"] = ["transisi-00000"] + [name for name, _, _ in names]

    def copies(self, template_ids: list[str], names: list[tuple[str, str, str]], private: bool) -> None:
        """Bulk copies of the template datasets (rows of package, resource,
        package_tag, member, satudata_dataset_event), indexed with CKAN's indexer."""
        import ckan.model as model
        from ckan.lib.search import index as search_index
        from ckan.logic import package_show_default_and_custom_schemas
        from sqlalchemy import select, table, column

        if not names:
            return
        S = model.Session
        templates = []
        for pkg_id in template_ids:
            rows = {"package": dict(S.execute(select(model.package_table).where(
                model.package_table.c.id == pkg_id)).mappings().one())}
            rows["resource"] = [dict(r) for r in S.execute(select(model.resource_table).where(
                model.resource_table.c.package_id == pkg_id)).mappings()]
            rows["package_tag"] = [dict(r) for r in S.execute(select(model.package_tag_table).where(
                model.package_tag_table.c.package_id == pkg_id)).mappings()]
            rows["member"] = [dict(r) for r in S.execute(select(model.member_table).where(
                model.member_table.c.table_id == pkg_id)).mappings()]
            if self.sdi:
                from ckanext.satudata.model import DatasetEvent
                rows["event"] = [dict(r) for r in S.execute(select(DatasetEvent.__table__).where(
                    DatasetEvent.__table__.c.package_id == pkg_id)).mappings()]
            both = package_show_default_and_custom_schemas({"user": self.site}, pkg_id)
            templates.append((rows, both))
        S.remove()

        inserts: dict[str, list] = {"package": [], "resource": [], "package_tag": [], "member": [], "event": []}
        docs_in = []
        for k, (name, title, notes) in enumerate(names):
            rows, both = templates[k % len(templates)]
            pkg_id = str(uuid.uuid4())
            created = self.now - dt.timedelta(days=self.rng.uniform(1, 730))
            inserts["package"].append(dict(rows["package"], id=pkg_id, name=name, title=title, notes=notes,
                                           private=private, metadata_created=created, metadata_modified=created))
            res_ids = {}
            for r in rows["resource"]:
                res_ids[r["id"]] = str(uuid.uuid4())
                inserts["resource"].append(dict(r, id=res_ids[r["id"]], package_id=pkg_id))
            for r in rows["package_tag"]:
                inserts["package_tag"].append(dict(r, id=str(uuid.uuid4()), package_id=pkg_id))
            for r in rows["member"]:
                inserts["member"].append(dict(r, id=str(uuid.uuid4()), table_id=pkg_id))
            for r in rows.get("event", []):
                inserts["event"].append(dict(r, id=str(uuid.uuid4()), package_id=pkg_id))
            pair = []
            for d in both:
                d = copy.deepcopy(d)
                d.update(id=pkg_id, name=name, title=title, notes=notes, private=private,
                         metadata_created=created.isoformat(), metadata_modified=created.isoformat())
                for res in d.get("resources") or []:
                    res["id"], res["package_id"] = res_ids.get(res["id"], str(uuid.uuid4())), pkg_id
                pair.append(d)
            docs_in.append(pair)
        tables = {"package": model.package_table, "resource": model.resource_table,
                  "package_tag": model.package_tag_table, "member": model.member_table}
        if self.sdi:
            from ckanext.satudata.model import DatasetEvent
            tables["event"] = DatasetEvent.__table__
        for key, tbl in tables.items():
            rows = inserts[key]
            for start in range(0, len(rows), 2000):
                S.execute(tbl.insert(), rows[start:start + 2000])
        S.commit()
        S.remove()

        docs = []

        class _Collect:
            def add(self, docs_=None, commit=False, **kwargs):
                docs.extend(docs_ or kwargs.get("docs") or [])

        real = search_index.make_connection
        search_index.make_connection = lambda *a, **k: _Collect()
        try:
            index = search_index.PackageSearchIndex()
            for default, custom in docs_in:
                index.update_dict(dict(default, with_custom_schema=custom), defer_commit=True)
                if len(docs) >= 500:
                    real().add(docs=docs, commit=False)
                    docs.clear()
        finally:
            search_index.make_connection = real
        if docs:
            real().add(docs=docs, commit=False)
        real().commit(waitSearcher=True)
        S.remove()

    def requests(self) -> None:
        """``--requests`` data requests, bulk-inserted by bench_requests.Bench.requests."""
        from bench.bench_requests import Bench

        bench = Bench.__new__(Bench)
        bench.rng, bench.now, bench.n_requests = self.rng, self.now, self.args.requests
        bench.forum, bench.orgs = self.forum, self.orgs
        stats = bench.requests()
        self.out["requests"] = {"count": self.args.requests, "overdue": stats["overdue"]}

    def run(self) -> dict:
        self.people()
        self.datasets()
        if self.sdi:
            self.requests()
        return self.out


def _in_side(side: str, args, work) -> None:
    """Run ``work(app)`` inside the side's CKAN config (this process's CKAN_* are the side's)."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(str(ini_path(side))))._wsgi_app
    with app.test_request_context():
        work(app)


def load_main(side: str, args) -> int:
    result = {}

    def work(_app):
        started = time.perf_counter()
        migrate(side)
        result["migrate_seconds"] = round(time.perf_counter() - started, 1)
        result.update(Loader(side, args).run())

    _in_side(side, args, work)
    (WORK / f"{side}-fixture.json").write_text(json.dumps(result, indent=1))
    return 0


def profile_main(side: str, args) -> int:
    """cProfile of package_create, package_update (20 resources), a search of
    1,000 rows and (SATUDATA) each transition, in-process."""
    import cProfile
    import io
    import pstats

    fixture = json.loads((WORK / f"{side}-fixture.json").read_text())
    out = io.StringIO()

    def work(_app):
        import ckan.model as model
        import ckan.plugins.toolkit as tk

        agency = fixture["orgs"][0]
        producer = f"produsen-{agency}"
        org = tk.get_action("organization_show")({"ignore_auth": True}, {"id": agency})["id"]
        calls = args.profile_calls
        operations = [
            ("package_create", lambda k: (producer, "package_create", dataset_payload(
                side, f"profil-{k:04d}", f"Profil {k}", "Profil.", org, draft=True))),
            ("package_update (20 resources)", lambda k: (producer, "package_update", _update_payload(
                side, fixture, 20, k, org))),
            ("package_search rows=1000, anonymous", lambda k: (
                "", "package_search", {"q": "*:*", "rows": 1000})),
        ]
        if side == "satudata":
            drafts = [tk.get_action("package_create")({"user": producer}, dataset_payload(
                side, f"profil-transisi-{k:04d}", f"Profil transisi {k}", "Profil.", org, draft=True))["id"]
                for k in range(calls)]  # the timed run used the fixture's drafts
            model.Session.remove()
            operations += [
                (f"satudata_dataset_{step}", lambda k, step=step, who=who: (
                    who, f"satudata_dataset_{step}", {"id": drafts[k]}))
                for step, who in (("submit", producer), ("verify", f"ppid-{agency}"), ("publish", "walidata"))
            ]
        for label, make in operations:
            warm = 0 if label.startswith("satudata_dataset_") else 3
            for k in range(warm):
                user, action, data = make(10_000 + k)
                tk.get_action(action)({"user": user}, data)
                model.Session.remove()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            for k in range(calls):
                user, action, data = make(k)
                profiler.enable()
                tk.get_action(action)({"user": user}, data)
                profiler.disable()
                model.Session.remove()
            elapsed = (time.perf_counter() - started) / calls * 1000
            stream = io.StringIO()
            stats = pstats.Stats(profiler, stream=stream)
            stats.sort_stats("cumulative").print_stats(
                r"ckanext|ckan/logic/action|ckan/lib/search/__init__|ckan/lib/search/index|ckan/model/modification"
                r"|sqlalchemy/orm/session.py.*(commit|flush)|_execute_context|navl|pysolr.py.*(_send_request|add)"
                r"|ckan/lib/dictization", 45)
            out.write(f"===== {side}: {label}, {calls} calls, {elapsed:.1f} ms per call (in-process, wall) "
                      f"=====\n")
            out.write("\n".join(line for line in stream.getvalue().splitlines()[4:] if line.strip()))
            out.write("\n\n")

    _in_side(side, args, work)
    (WORK / f"{side}-profile.txt").write_text(out.getvalue())
    return 0


def _update_payload(side: str, fixture: dict, size: int, k: int, org_id: str) -> dict:
    """package_update of the ``size``-resource dataset: its create payload, a new
    note, the resources with their ids (a client that edits and saves)."""
    name = fixture["update"][str(size)]
    data = dataset_payload(side, name, f"Dataset yang disunting ({size} sumber)",
                           f"Disunting berulang kali ({k}).", org_id, size, draft=True)
    data["id"] = fixture["update_ids"][str(size)] if "update_ids" in fixture else name
    if "update_resources" in fixture:
        for res, res_id in zip(data["resources"], fixture["update_resources"][str(size)]):
            res["id"] = res_id
    return data


# ============================================================ serving and timing

class Server:
    def __init__(self, side: str):
        self.side = side
        self.port = int(side_env(side)["BENCH_PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = WORK / f"gunicorn-{side}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        import socket
        with socket.socket() as probe:  # a server left over from an interrupted run would answer for this side
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"port {self.port} ({self.side}) is taken by another process: stop it first")
        env = child_env(self.side)
        env.update(SATUDATA_BIND=f"127.0.0.1:{self.port}", SATUDATA_WEB_WORKERS="2",
                   SATUDATA_WEB_MAX_REQUESTS="0", SATUDATA_ACCESS_LOG=str(self.log),
                   SATUDATA_ERROR_LOG=str(self.log))
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
                                         env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True)

    def wait(self, seconds: int = 120) -> None:
        import requests
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn ({self.side}) exited with {self.proc.returncode}: "
                                   f"{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.base}/api/3/action/status_show", timeout=5).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn ({self.side}) did not answer on {self.base}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # gunicorn's quick shutdown (TERM waits for the workers)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Client:
    """requests.Session to one side, no cookies kept (every call is a fresh visitor or a token)."""

    def __init__(self, server: Server, fixture: dict):
        import requests
        self.base, self.fixture = server.base, fixture
        self.http = requests.Session()
        self.http.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        headers = {"Authorization": self.fixture["tokens"][token]} if token else {}
        started = time.perf_counter()
        response = self.http.request(method, self.base + path, headers=headers, timeout=300, **kwargs)
        body = response.content
        elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{method} {self.base}{path} answered {response.status_code}: {body[:1500]!r}")
        if path.startswith("/api/"):
            data = json.loads(body)
            if not data.get("success"):
                raise RuntimeError(f"{method} {self.base}{path}: {body[:1500]!r}")
            return elapsed, len(body), data["result"]
        return elapsed, len(body), None

    def action(self, action: str, token: str | None = None, get: bool = False, **data):
        if get:
            return self.call("GET", f"/api/3/action/{action}", token, params=data)
        return self.call("POST", f"/api/3/action/{action}", token, json=data)


def _stats(seconds: list[float]) -> dict:
    values = sorted(s * 1000 for s in seconds)
    p95 = values[min(len(values) - 1, max(0, round(0.95 * len(values)) - 1))]
    return {"n": len(values), "median_ms": round(statistics.median(values), 2), "p95_ms": round(p95, 2),
            "max_ms": round(values[-1], 2)}


def operations(clients: dict[str, Client]) -> list[tuple[str, str, object]]:
    """(name, kind, call(side, client, k)) for the interleaved operations."""
    ops = []
    counter = {"create": 0}

    def create(side, client, k):
        org = client.fixture["org_ids"][0]
        return client.action("package_create", "producer", **dataset_payload(
            side, f"baru-{k:05d}", f"Dataset baru {k}", "Dibuat lewat API.", org, draft=True))
    ops.append(("package_create", "create", create))
    for size in UPDATE_SIZES:
        def update(side, client, k, size=size):
            return client.action("package_update", "producer", **_update_payload(
                side, client.fixture, size, k, client.fixture["org_ids"][0]))
        ops.append((f"package_update, {size} resource{'s' * (size > 1)}", "update", update))
    ops.append(("package_show, anonymous", "show",
                lambda side, c, k: c.action("package_show", None, get=True, id=c.fixture["show"])))
    ops.append(("package_show, agency member", "show",
                lambda side, c, k: c.action("package_show", "member-1", get=True, id=c.fixture["show"])))
    for rows in SEARCH_ROWS:
        ops.append((f"package_search rows={rows}, anonymous", "search",
                    lambda side, c, k, rows=rows: c.action("package_search", None, get=True, q="*:*", rows=rows)))
    for count in MEMBER_OF:
        ops.append((f"package_search rows=20, member of {count} org{'s' * (count > 1)}", "search",
                    lambda side, c, k, count=count: c.action("package_search", f"member-{count}", get=True,
                                                             q="*:*", rows=20, include_private="true")))
    ops.append(("GET /dataset", "page", lambda side, c, k: c.call("GET", "/dataset/")))
    ops.append(("dataset page", "page", lambda side, c, k: c.call("GET", f"/dataset/{c.fixture['show_name']}")))
    ops.append(("organization page", "page",
                lambda side, c, k: c.call("GET", f"/organization/{c.fixture['orgs'][0]}")))
    del counter
    return ops


def measure(clients: dict[str, Client], warmup: int, calls: int) -> dict:
    results = {}
    for name, kind, op in operations(clients):
        timings = {side: [] for side in SIDES}
        sizes = {side: [] for side in SIDES}
        for k in range(warmup + calls):
            for side in SIDES:  # A, B, A, B ...
                elapsed, size, _ = op(side, clients[side], k)
                if k >= warmup:
                    timings[side].append(elapsed)
                    sizes[side].append(size)
        row = {"kind": kind, "target": TARGETS[kind]}
        for side in SIDES:
            row[side] = _stats(timings[side])
            row[side]["bytes"] = round(statistics.mean(sizes[side]))
        row["ratio"] = round(row["satudata"]["median_ms"] / row["plain"]["median_ms"], 3)
        row["ratio_p95"] = round(row["satudata"]["p95_ms"] / row["plain"]["p95_ms"], 3)
        row["met"] = row["ratio"] <= row["target"]
        results[name] = row
        log(f"{name:<44} plain {row['plain']['median_ms']:7.1f}/{row['plain']['p95_ms']:7.1f} ms  "
            f"satudata {row['satudata']['median_ms']:7.1f}/{row['satudata']['p95_ms']:7.1f} ms  "
            f"ratio {row['ratio']:.2f} (target <= {row['target']:.2f}: {'met' if row['met'] else 'MISSED'})")
    return results


def measure_sdi_only(client: Client, warmup: int, calls: int) -> dict:
    results = {}
    pool = client.fixture["transitions"]
    who = {"submit": "producer", "verify": f"ppid-{client.fixture['orgs'][0]}", "publish": "walidata"}
    for step in ("submit", "verify", "publish"):
        timings = []
        for k, name in enumerate(pool[:warmup + calls]):
            elapsed, _, result = client.action(f"satudata_dataset_{step}", who[step], id=name)
            if k >= warmup:
                timings.append(elapsed)
        row = {"kind": "transition", **_stats(timings), "target_p95_ms": TRANSITION_P95_MS}
        row["met"] = row["p95_ms"] <= TRANSITION_P95_MS
        results[f"satudata_dataset_{step}"] = row
    for label, token, data in (("satudata_request_list overdue, Walidata", "walidata", {"overdue": "true"}),
                               ("satudata_request_list, Forum member", "forum", {})):
        timings = []
        for k in range(warmup + calls):
            elapsed, _, _ = client.action("satudata_request_list", token, get=True, **data)
            if k >= warmup:
                timings.append(elapsed)
        row = {"kind": "request_list", **_stats(timings), "target_p95_ms": REQUEST_LIST_P95_MS}
        row["met"] = row["p95_ms"] <= REQUEST_LIST_P95_MS
        results[label] = row
    for name, row in results.items():
        log(f"{name:<44} satudata {row['median_ms']:7.1f}/{row['p95_ms']:7.1f} ms "
            f"(p95 target <= {row['target_p95_ms']} ms: {'met' if row['met'] else 'MISSED'})")
    return results


def complete_fixture(client: Client) -> None:
    """Ids the timing needs, read over HTTP once (organization ids, the update
    datasets' resource ids, the shown dataset's name)."""
    fx = client.fixture
    fx["org_ids"] = [client.action("organization_show", None, get=True, id=o)[2]["id"] for o in fx["orgs"][:1]]
    fx["show_name"] = client.action("package_show", None, get=True, id=fx["show"])[2]["name"]
    fx["update_ids"], fx["update_resources"] = {}, {}
    for size, name in fx["update"].items():
        pkg = client.action("package_show", "producer", get=True, id=name)[2]
        fx["update_ids"][size] = pkg["id"]
        fx["update_resources"][size] = [r["id"] for r in pkg["resources"]]


# ============================================================ report

def machine() -> dict:
    import ckan
    import psycopg2
    import requests

    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "ckan": ckan.__version__,
            "platform": platform.platform()}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu_model"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    try:
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    env = side_env("plain")
    conn = psycopg2.connect(_pg_admin_url("plain")[0])
    with conn.cursor() as cur:
        cur.execute("SHOW server_version")
        info["postgresql"] = cur.fetchone()[0]
    conn.close()
    solr_root = env["CKAN_SOLR_URL"].rsplit("/", 1)[0]
    try:
        system = requests.get(f"{solr_root}/admin/info/system?wt=json", timeout=10).json()
        info["solr"] = system["lucene"]["solr-spec-version"]
    except Exception as error:  # noqa: BLE001 - reported, not fatal
        info["solr"] = f"unknown ({type(error).__name__})"
    import redis
    info["redis"] = redis.Redis.from_url(env["CKAN_REDIS_URL"]).info()["redis_version"]
    import gunicorn
    info["gunicorn"] = gunicorn.__version__
    return info


def write_report(out: Path, report: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "vs-plain.json").write_text(json.dumps(report, indent=1) + "\n")
    m, p = report["machine"], report["parameters"]
    lines = [
        "# ckanext-satudata against plain CKAN (bench/bench_vs_plain.py)",
        "",
        f"{report['date']}; {p['datasets']:,} datasets per side (SATUDATA: all published), "
        f"{p['requests']:,} data requests; {p['calls']} timed calls per operation and side after "
        f"{p['warmup']} warm-up calls, interleaved (plain, satudata, plain, ...), over HTTP with API tokens; "
        "gunicorn, 2 sync workers per side (deploy/gunicorn.conf.py).",
        "",
        f"Machine: {m['cpus']} CPUs ({m.get('cpu_model', '?')}), {m.get('ram_gb', '?')} GB RAM, load average at "
        f"the end {m.get('load_average')} (shared with other work: the numbers are noisy). Python {m['python']}, "
        f"CKAN {m['ckan']}, PostgreSQL {m['postgresql']}, Solr {m['solr']}, Redis {m['redis']}, "
        f"gunicorn {m['gunicorn']}.",
        "",
        "| operation | plain median | plain p95 | satudata median | satudata p95 | ratio (median) | ratio (p95) "
        "| bytes plain / satudata | target | |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, row in report["operations"].items():
        lines.append(
            f"| {name} | {row['plain']['median_ms']:.1f} ms | {row['plain']['p95_ms']:.1f} ms | "
            f"{row['satudata']['median_ms']:.1f} ms | {row['satudata']['p95_ms']:.1f} ms | "
            f"**{row['ratio']:.3f}** | {row['ratio_p95']:.3f} | {row['plain']['bytes']:,} / "
            f"{row['satudata']['bytes']:,} | <= {row['target']:.2f} | {'met' if row['met'] else '**missed**'} |")
    lines += ["", "SATUDATA only:", "",
              "| operation | median | p95 | target (p95) | |", "|---|---:|---:|---:|---|"]
    for name, row in report["satudata_only"].items():
        lines.append(f"| {name} | {row['median_ms']:.1f} ms | {row['p95_ms']:.1f} ms | <= {row['target_p95_ms']} ms "
                     f"| {'met' if row['met'] else '**missed**'} |")
    missed = report["missed"]
    lines += ["", "Targets missed: " + ("; ".join(missed) if missed else "none") + ".", ""]
    lines += ["Load: " + "; ".join(f"{side}: migrations {v.get('migrate_seconds', '?')} s, "
                                   f"{v['by_actions']} datasets by the actions in {v['actions_seconds']} s, "
                                   f"the rest copied and indexed in {v['copies_seconds']} s"
                                   for side, v in report["load"].items()) + ".", ""]
    (out / "vs-plain.md").write_text("\n".join(lines))


# ============================================================ main

def _parallel(work, *items):
    with ThreadPoolExecutor(len(items)) as pool:
        return [f.result() for f in [pool.submit(work, item) for item in items]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=400, help="timed calls per operation and side")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="20 datasets, 200 requests, 2 calls, no warm-up (a smoke run)")
    parser.add_argument("--profile", action="store_true", help="cProfile package_create/update on each side")
    parser.add_argument("--profile-calls", type=int, default=30)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    parser.add_argument("--keep", action="store_true", help="leave the databases and index (debugging)")
    parser.add_argument("--render", type=Path, metavar="JSON",
                        help="only write <out>/vs-plain.md again from a vs-plain.json")
    parser.add_argument("--_load", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--_profile", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.datasets, args.requests, args.calls, args.warmup = 20, 200, 2, 0
    if args.render:
        write_report(args.out, json.loads(args.render.read_text()))
        return 0
    if args._load:
        return load_main(args._load, args)
    if args._profile:
        return profile_main(args._profile, args)

    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "start"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for side in SIDES:
        log(f"{side}: database {urlsplit(side_env(side)['CKAN_SQLALCHEMY_URL']).path.strip('/')}, "
            f"site_id {side_env(side)['CKAN_SITE_ID']}, port {side_env(side)['BENCH_PORT']}, "
            f"Redis {side_env(side)['CKAN_REDIS_URL']}")
    servers = {side: Server(side) for side in SIDES}
    try:
        _parallel(drop_side, *SIDES)
        _parallel(create_side, *SIDES)
        log(f"databases created ({time.perf_counter() - t0:.0f} s); migrating and loading")
        flags = ["--datasets", str(args.datasets), "--requests", str(args.requests), "--calls", str(args.calls),
                 "--warmup", str(args.warmup), "--seed", str(args.seed)]
        _parallel(lambda side: _run([sys.executable, str(Path(__file__).resolve()), "--_load", side, *flags],
                                    side, "loading"), *SIDES)
        fixtures = {side: json.loads((WORK / f"{side}-fixture.json").read_text()) for side in SIDES}
        log(f"loaded {args.datasets:,} datasets per side ({time.perf_counter() - t0:.0f} s)")
        for server in servers.values():
            server.start()
        for server in servers.values():
            server.wait()
        clients = {side: Client(servers[side], fixtures[side]) for side in SIDES}
        for client in clients.values():
            complete_fixture(client)
        log(f"serving ({time.perf_counter() - t0:.0f} s); timing")
        operations_result = measure(clients, args.warmup, args.calls)
        sdi_only = measure_sdi_only(clients["satudata"], args.warmup, args.calls)
        for client in clients.values():
            client.http.close()
        _parallel(Server.stop, *servers.values())
        profile_text = None
        if args.profile:
            for side in SIDES:
                (WORK / f"{side}-fixture.json").write_text(json.dumps(fixtures[side], indent=1))
            _parallel(lambda side: _run([sys.executable, str(Path(__file__).resolve()), "--_profile", side,
                                         "--profile-calls", str(args.profile_calls)], side, "profile"), *SIDES)
            profile_text = "\n".join((WORK / f"{side}-profile.txt").read_text() for side in SIDES)
        missed = [name for name, row in {**operations_result, **sdi_only}.items() if not row["met"]]
        report = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "parameters": {"datasets": args.datasets, "requests": args.requests, "calls": args.calls,
                           "warmup": args.warmup, "seed": args.seed, "quick": args.quick},
            "sides": {side: {"plugins": "activity scheming_datasets" if side == "plain" else
                             "activity scheming_datasets scheming_organizations satudata",
                             "site_id": side_env(side)["CKAN_SITE_ID"]} for side in SIDES},
            "machine": machine(),
            "load": {side: {k: fixtures[side][k] for k in ("migrate_seconds", "by_actions", "actions_seconds",
                                                           "copies_seconds")}
                     for side in SIDES},
            "operations": operations_result,
            "satudata_only": sdi_only,
            "missed": missed,
            "seconds": round(time.perf_counter() - t0, 1),
        }
        write_report(args.out, report)
        if profile_text:
            (args.out / "vs-plain-profile.txt").write_text(profile_text)
        log(f"wrote {args.out / 'vs-plain.md'} and vs-plain.json ({time.perf_counter() - t0:.0f} s)")
        if missed:
            log("targets MISSED: " + ", ".join(missed))
        else:
            log("every target met")
        return 0
    finally:
        _parallel(Server.stop, *servers.values())
        if not args.keep:
            _parallel(drop_side, *SIDES)
            for side in SIDES:
                for name in (f"{side}-fixture.json", f"{side}-profile.txt"):
                    (WORK / name).unlink(missing_ok=True)
            log(f"cleaned up ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    sys.exit(main())
