"""Benchmark: ckanext.satudata.tabular.validate_file vs the frictionless CLI.

Generates a Sumedang-like population table (default 100,000 rows) and its
Table Schema in a temporary directory, then validates it

  (a) with the engine (validate_file) in a child process, and
  (b) with ``frictionless validate --schema`` in a child process,

and prints wall time and peak RSS of each plus the engine/CLI ratios.
Peak RSS comes from os.wait4() on each child, so one measurement cannot
leak into the other (RUSAGE_CHILDREN keeps the maximum over all children).

Usage: .venv/bin/python bench/bench_validate.py [--rows N] [--repeat N] [--keep]
``measure_engine(csv_path, schema_path)`` and ``measure_cli(...)`` are
reusable (e.g. by a CKAN-job variant of this benchmark).
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
from ckanext.satudata.tabular import validate_file
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


def _median(runs: list[dict]) -> dict:
    return sorted(runs, key=lambda run: run["wall_seconds"])[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate N runs of each and report the median (noisy hosts)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)

    directory = Path(tempfile.mkdtemp(prefix="satudata-bench-"))
    try:
        csv_path, schema_path = generate(directory, args.rows)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"data: {args.rows:,} rows, {size_mb:.1f} MB ({csv_path})")
        engines, clis = [], []
        for _ in range(max(1, args.repeat)):
            engines.append(measure_engine(csv_path, schema_path))
            clis.append(measure_cli(csv_path, schema_path))
        engine, cli = _median(engines), _median(clis)
        if args.repeat > 1:
            print("engine wall runs:", [run["wall_seconds"] for run in engines])
            print("cli wall runs:   ", [run["wall_seconds"] for run in clis])
        print(f"engine: {engine['wall_seconds']:.2f} s wall, {engine['cpu_seconds']:.2f} s CPU "
              f"(validate_file {engine['validate_seconds']:.2f} s), "
              f"peak RSS {engine['max_rss_mb']:.1f} MB, status={engine['status']}, "
              f"rows={engine['row_count']}, errors={engine['error_count']}")
        print(f"cli:    {cli['wall_seconds']:.2f} s wall, {cli['cpu_seconds']:.2f} s CPU, "
              f"peak RSS {cli['max_rss_mb']:.1f} MB, "
              f"valid={cli['valid']}, rows={cli['row_count']}, errors={cli['error_count']}")
        print(f"ratio engine/cli: wall {engine['wall_seconds'] / cli['wall_seconds']:.2f}, "
              f"CPU {engine['cpu_seconds'] / cli['cpu_seconds']:.2f}, "
              f"peak RSS {engine['max_rss_mb'] / cli['max_rss_mb']:.2f}")
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
