"""bench/bench_vs_plain.py runs end to end: with --quick sizes it builds both
portals on the test services (in the slot's own databases, site_ids and ports),
serves them with gunicorn, times every operation on both sides, writes the
Markdown and JSON report and leaves nothing behind."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import psycopg2
import requests

from bench import bench_vs_plain as bench
from tests.conftest import complete_metadata

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _operations() -> list[str]:
    return (["package_create"] + [f"package_update, {n} resource{'s' * (n > 1)}" for n in bench.UPDATE_SIZES]
            + ["package_show, anonymous", "package_show, agency member"]
            + [f"package_search rows={rows}, anonymous" for rows in bench.SEARCH_ROWS]
            + [f"package_search rows=20, member of {n} org{'s' * (n > 1)}" for n in bench.MEMBER_OF]
            + ["GET /dataset", "dataset page", "organization page"])


def test_the_sdi_fields_are_those_of_complete_metadata():
    assert bench.SDI_METADATA == {k: v for k, v in complete_metadata().items() if k.startswith("sdi_")}


def test_a_quick_run_compares_both_sides_and_cleans_up(tmp_path):
    env = dict(os.environ)
    # the slot's own web ports (an xdist worker's SATUDATA_TEST_WEB_PORT is moved
    # into them; the bench takes the slot's last two)
    env["SATUDATA_TEST_WEB_PORT"] = str(5055 + 10 * int(os.environ.get("SATUDATA_TEST_SLOT") or 0))
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_vs_plain.py"), "--quick",
                           "--out", str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]

    report = json.loads((tmp_path / "vs-plain.json").read_text())
    assert list(report["operations"]) == _operations()
    for name, row in report["operations"].items():
        for side in ("plain", "satudata"):
            assert row[side]["n"] == 2, name
            assert 0 < row[side]["median_ms"] <= row[side]["p95_ms"], name
        assert row["ratio"] == round(row["satudata"]["median_ms"] / row["plain"]["median_ms"], 3), name
        assert isinstance(row["met"], bool) and row["target"] in bench.TARGETS.values(), name
    assert set(report["satudata_only"]) == {"satudata_dataset_submit", "satudata_dataset_verify",
                                            "satudata_dataset_publish", "satudata_request_list overdue, Walidata",
                                            "satudata_request_list, Forum member"}
    assert all(row["n"] == 2 for row in report["satudata_only"].values())
    assert report["parameters"]["datasets"] == 20 and report["parameters"]["requests"] == 200
    assert {"cpus", "cpu_model", "ram_gb", "python", "ckan", "postgresql", "solr"} <= set(report["machine"])
    markdown = (tmp_path / "vs-plain.md").read_text()
    assert all(f"| {name} |" in markdown for name in _operations())
    assert "Targets missed:" in markdown

    # nothing left: both databases and both sites' Solr documents are gone
    sites = [bench.side_env(side)["CKAN_SITE_ID"] for side in bench.SIDES]
    admin, _ = bench._pg_admin_url("plain")
    conn = psycopg2.connect(admin)
    with conn.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database")
        names = {row[0] for row in cur.fetchall()}
    conn.close()
    assert not {bench._pg_admin_url(side)[1] for side in bench.SIDES} & names
    solr = bench.side_env("plain")["CKAN_SOLR_URL"]
    for site in sites:
        found = requests.get(f"{solr}/select", params={"q": f'site_id:"{site}"', "rows": 0, "wt": "json"},
                             timeout=30).json()["response"]["numFound"]
        assert found == 0, site
