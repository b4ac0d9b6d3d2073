"""Benchmark: ckanext.satudata.validation.engine.validate_file vs the frictionless CLI.

Generates a Sumedang-like population table (default 100,000 rows) and its
Table Schema in a temporary directory, then validates it

  (a) with the engine (validate_file) in a child process, and
  (b) with ``frictionless validate --schema`` in a child process,

and prints wall time and peak RSS of each plus the engine/CLI ratios. The
CLI's time includes interpreter start-up and the frictionless import; a
``frictionless --help`` run measures that baseline, and the job is also
compared with the CLI minus it.
Peak RSS comes from os.wait4() on each child, so one measurement cannot
leak into the other (RUSAGE_CHILDREN keeps the maximum over all children).

With ``--job INI`` it also validates the file **in the job**, on real services:
it creates an organization, a dataset and a CSV resource with the file
uploaded (``resource_create``, which queues the job) in that CKAN
database, runs ``ckan jobs worker --burst`` as a child on a queue of its own,
and reports the job's time (RQ started -> ended), the worker's wall time
(with CKAN start-up) and the worker's peak RSS (worker and work horse), then
purges what it created. Use the test database and hold the tests' lock:

  flock .var/pytest.lock .venv/bin/python bench/bench_validate.py --job test.ini --repeat 3

Usage: .venv/bin/python bench/bench_validate.py [--rows N] [--repeat N] [--keep] [--job INI]
``measure_engine(csv_path, schema_path)``, ``measure_cli(...)`` and
``JobBench`` are reusable.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

KECAMATAN = [
    "Jatinangor", "Cimanggung", "Tanjungsari", "Sukasari", "Pamulihan", "Rancakalong",
    "Sumedang Selatan", "Sumedang Utara", "Ganeas", "Situraja", "Cisitu", "Darmaraja",
    "Cibugel", "Wado", "Jatinunggal", "Jatigede", "Tomo", "Ujungjaya", "Conggeang",
    "Paseh", "Cimalaka", "Cisarua", "Tanjungkerta", "Tanjungmedar", "Buahdua", "Surian",
]

SCHEMA = {
    "fields": [
        {"name": "no", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {"name": "kode_wilayah", "type": "string",
         "constraints": {"required": True, "pattern": "3211[0-9]{6}"}},
        {"name": "nama_kecamatan", "type": "string", "constraints": {"required": True}},
        {"name": "nama_desa", "type": "string"},
        {"name": "tahun", "type": "integer", "constraints": {"minimum": 2000, "maximum": 2100}},
        {"name": "jumlah_penduduk", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "laki_laki", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "perempuan", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "jumlah_kk", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "luas_km2", "type": "number", "constraints": {"minimum": 0}},
        {"name": "tanggal_update", "type": "date"},
        {"name": "status_data", "type": "string",
         "constraints": {"enum": ["sementara", "tetap"]}},
    ],
    "primaryKey": ["no"],
}


def generate(directory: Path, rows: int, seed: int = 39) -> tuple[Path, Path]:
    """Write data.csv and schema.json into ``directory``."""
    rng = random.Random(seed)
    csv_path = directory / "data.csv"
    schema_path = directory / "schema.json"
    schema_path.write_text(json.dumps(SCHEMA, indent=2), encoding="utf-8")
    names = [field["name"] for field in SCHEMA["fields"]]
    with open(csv_path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(names) + "\r\n")
        for i in range(1, rows + 1):
            kec = (i - 1) % len(KECAMATAN)
            desa = (i // len(KECAMATAN)) % 300 + 1
            male = rng.randint(800, 9000)
            female = rng.randint(800, 9000)
            out.write(
                f"{i},3211{kec + 1:03d}{desa:03d},{KECAMATAN[kec]},Desa {desa},"
                f"{2015 + i % 10},{male + female},{male},{female},{(male + female) // 3},"
                f"{rng.uniform(1, 40):.2f},2024-{i % 12 + 1:02d}-{i % 28 + 1:02d},"
                f"{'tetap' if i % 7 else 'sementara'}\r\n"
            )
    return csv_path, schema_path


def _run(argv: list[str], cwd: Path | None = None) -> dict:
    """Run a child; return wall seconds, its own peak RSS (MB), exit code, stdout."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        err.seek(0)
        return {
            "wall_seconds": round(wall, 3),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),  # less noisy than wall
            "max_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
            "exit_code": proc.returncode,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace")[-2000:],
        }


_ENGINE_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from ckanext.satudata.validation.engine import validate_file
t1 = time.perf_counter()
schema = json.load(open(sys.argv[2], encoding="utf-8"))
report = validate_file(sys.argv[1], table_schema=schema)
t2 = time.perf_counter()
print(json.dumps({"import_seconds": round(t1 - t0, 3), "validate_seconds": round(t2 - t1, 3),
                  "status": report["status"], "row_count": report["row_count"],
                  "error_count": report["error_count"], "fatal": report["fatal"]}))
"""


def measure_engine(csv_path, schema_path) -> dict:
    """Validate with the engine in a child process; time and peak RSS."""
    result = _run([sys.executable, "-c", _ENGINE_CHILD, str(csv_path), str(schema_path)], cwd=ROOT)
    if result["exit_code"] != 0:
        raise RuntimeError(f"engine run failed: {result['stderr']}")
    result.update(json.loads(result.pop("stdout").strip().splitlines()[-1]))
    result.pop("stderr")
    return result


def measure_cli(csv_path, schema_path) -> dict:
    """Validate with ``frictionless validate --schema`` in a child process."""
    csv_path, schema_path = Path(csv_path), Path(schema_path)
    # relative names: frictionless refuses absolute paths as "not safe"
    argv = [sys.executable, "-m", "frictionless", "validate", csv_path.name,
            "--schema", os.path.relpath(schema_path, csv_path.parent), "--json"]
    result = _run(argv, cwd=csv_path.parent)
    try:
        report = json.loads(result.pop("stdout"))
        result["valid"] = report.get("valid")
        result["row_count"] = report["tasks"][0]["stats"].get("rows") if report.get("tasks") else None
        result["error_count"] = report["stats"]["errors"]
    except (ValueError, KeyError, IndexError):
        raise RuntimeError(f"CLI run failed: {result['stderr']}") from None
    result.pop("stderr")
    return result


def measure_cli_baseline() -> dict:
    """``python -m frictionless --help``: interpreter start and frictionless
    import, which every CLI run pays before it reads a byte."""
    return _run([sys.executable, "-m", "frictionless", "--help"], cwd=ROOT)


_BENCH_QUEUE = "satudata-bench"

# CKAN work of the job variant, in short-lived children: the bench process stays
# small, because Linux carries a parent's peak RSS into its children's ru_maxrss.
_CKAN_CHILD = """
import json, sys, uuid
from pathlib import Path
from ckan.cli import load_config
from ckan.config.middleware import make_app
ini, step, arg = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
app = make_app(load_config(ini))._wsgi_app
import ckan.model as model
import ckan.plugins.toolkit as tk
from ckan.lib import jobs
from ckanext.satudata.validation import service
with app.test_request_context():
    user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    context = lambda: {"user": user, "ignore_auth": True}
    out = {}
    if step == "create":  # organization, dataset, resource: its creation queues the validation
        from werkzeug.datastructures import FileStorage
        from tests.conftest import complete_metadata
        suffix = uuid.uuid4().hex[:8]
        org = tk.get_action("organization_create")(context(), {"name": "bench-org-" + suffix})
        pkg = tk.get_action("package_create")(context(), complete_metadata(
            name="bench-validasi-" + suffix, owner_org=org["id"]))
        csv_path = Path(arg["csv"])
        with open(csv_path, "rb") as data:
            res = tk.get_action("resource_create")(context(), {
                "package_id": pkg["id"], "name": csv_path.name, "format": "CSV", "url": "",
                "schema": Path(arg["schema"]).read_text(encoding="utf-8"),
                "upload": FileStorage(data, filename=csv_path.name, content_type="text/csv")})
        out = {"org_id": org["id"], "package_id": pkg["id"], "resource_id": res["id"]}
    elif step == "enqueue":
        service.enqueue(arg["resource_id"])
    elif step == "report":
        row = service.report_for(arg["resource_id"])
        job = jobs.job_from_id(row.job_id)
        report = row.report or {}
        out = {"job_seconds": round((job.ended_at - job.started_at).total_seconds(), 3),
               "validate_seconds": (report.get("stats") or {}).get("seconds"), "status": row.status,
               "row_count": report.get("row_count"), "error_count": report.get("error_count")}
    elif step == "purge":  # the rows, the index entry and the uploaded file
        import os
        from ckan.lib import uploader
        service.delete(arg["resource_id"])
        path = uploader.get_resource_uploader({"id": arg["resource_id"], "url_type": "upload"}).get_path(
            arg["resource_id"])
        if os.path.exists(path):
            os.remove(path)
        tk.get_action("dataset_purge")(context(), {"id": arg["package_id"]})
        tk.get_action("organization_purge")(context(), {"id": arg["org_id"]})
print(json.dumps(out))
"""


class JobBench:
    """The validation job on a real CKAN: a resource with the file uploaded,
    validated by a ``ckan jobs worker --burst`` child per measure()."""

    def __init__(self, ini: Path, csv_path: Path, schema_path: Path, workdir: Path):
        # the same configuration, with validation jobs on a queue of their own
        self.ini = workdir / "bench.ini"
        self.ini.write_text(f"[app:main]\nuse = config:{ini.resolve()}\n"
                            f"ckanext.satudata.validation.queue = {_BENCH_QUEUE}\n", encoding="utf-8")
        self.csv_path, self.schema_path = csv_path, schema_path
        self.ids: dict = {}

    def _ckan(self, step: str, **arg) -> dict:
        result = _run([sys.executable, "-c", _CKAN_CHILD, str(self.ini), step, json.dumps(arg)], cwd=ROOT)
        if result["exit_code"] != 0:
            raise RuntimeError(f"CKAN step {step} failed: {result['stderr']}")
        return json.loads(result["stdout"].strip().splitlines()[-1])

    def create(self) -> None:
        self.ids = self._ckan("create", csv=str(self.csv_path), schema=str(self.schema_path))

    def measure(self, first: bool) -> dict:
        """Run one queued validation in a burst worker; time, peak RSS and the report."""
        if not first:
            self._ckan("enqueue", resource_id=self.ids["resource_id"])
        ckan = Path(sys.executable).with_name("ckan")
        result = _run([str(ckan), "-c", str(self.ini), "jobs", "worker", "--burst", _BENCH_QUEUE], cwd=ROOT)
        if result["exit_code"] != 0:
            raise RuntimeError(f"worker failed: {result['stderr']}")
        result.pop("stdout")
        result.pop("stderr")
        result.update(self._ckan("report", resource_id=self.ids["resource_id"]))
        return result

    def purge(self) -> None:
        if self.ids:
            self._ckan("purge", **self.ids)


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["wall_seconds"])[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate N runs of each and report the median (noisy hosts)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--job", type=Path, metavar="INI",
                        help="also validate in the job, on the CKAN of this config (e.g. test.ini)")
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="satudata-bench-"))
    try:
        csv_path, schema_path = generate(directory, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"data: {args.rows:,} rows, {size_mb:.1f} MB ({csv_path})")
        job_bench = None
        if args.job:
            job_bench = JobBench(args.job, csv_path, schema_path, directory)
            job_bench.create()
        engines, clis, jobs, baselines = [], [], [], []
        try:
            for i in range(max(1, args.repeat)):
                engines.append(measure_engine(csv_path, schema_path))
                clis.append(measure_cli(csv_path, schema_path))
                baselines.append(measure_cli_baseline())
                if job_bench:
                    jobs.append(job_bench.measure(first=i == 0))
        finally:
            if job_bench:
                job_bench.purge()
        engine, cli = _median(engines), _median(clis)
        baseline = sorted(run["wall_seconds"] for run in baselines)[len(baselines) // 2]
        cli_work = max(cli["wall_seconds"] - baseline, 1e-6)
        if args.repeat > 1:
            print("engine wall runs:", [run["wall_seconds"] for run in engines])
            print("cli wall runs:   ", [run["wall_seconds"] for run in clis])
            if jobs:
                print("job runs (s):    ", [run["job_seconds"] for run in jobs])
        print(f"engine: {engine['wall_seconds']:.2f} s wall, {engine['cpu_seconds']:.2f} s CPU "
              f"(validate_file {engine['validate_seconds']:.2f} s), "
              f"peak RSS {engine['max_rss_mb']:.1f} MB, status={engine['status']}, "
              f"rows={engine['row_count']}, errors={engine['error_count']}")
        print(f"cli:    {cli['wall_seconds']:.2f} s wall, {cli['cpu_seconds']:.2f} s CPU, "
              f"peak RSS {cli['max_rss_mb']:.1f} MB, "
              f"valid={cli['valid']}, rows={cli['row_count']}, errors={cli['error_count']}")
        print(f"cli baseline (frictionless --help: start-up and import): {baseline:.2f} s wall; "
              f"cli minus baseline {cli_work:.2f} s")
        print(f"ratio engine/cli: wall {engine['wall_seconds'] / cli['wall_seconds']:.2f}, "
              f"CPU {engine['cpu_seconds'] / cli['cpu_seconds']:.2f}, "
              f"peak RSS {engine['max_rss_mb'] / cli['max_rss_mb']:.2f}")
        if jobs:
            job = sorted(jobs, key=lambda run: run["job_seconds"])[len(jobs) // 2]
            print(f"job:    {job['job_seconds']:.2f} s in the job (RQ started->ended; validate_file "
                  f"{job['validate_seconds']:.2f} s), worker process {job['wall_seconds']:.2f} s wall "
                  f"with CKAN start-up, {job['cpu_seconds']:.2f} s CPU, peak RSS {job['max_rss_mb']:.1f} MB "
                  f"(worker + work horse), status={job['status']}, rows={job['row_count']}, "
                  f"errors={job['error_count']}")
            print(f"ratio job/cli: job time {job['job_seconds'] / cli['wall_seconds']:.2f}, "
                  f"worker process wall {job['wall_seconds'] / cli['wall_seconds']:.2f}, "
                  f"peak RSS {job['max_rss_mb'] / cli['max_rss_mb']:.2f}")
            print(f"ratio job/(cli - baseline): job time {job['job_seconds'] / cli_work:.2f}, "
                  f"validate_file in the job {job['validate_seconds'] / cli_work:.2f}")
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
