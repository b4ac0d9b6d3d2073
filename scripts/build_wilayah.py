"""Regenerate ckanext/satudata/data/wilayah.csv.gz from the npm package
idn-area-data (Kemendagri administrative areas; data under ODbL).

    python scripts/build_wilayah.py            # npm pack idn-area-data@VERSION
    python scripts/build_wilayah.py PATH       # an unpacked package folder
"""
import csv
import gzip
import io
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

PACKAGE, VERSION = "idn-area-data", "4.0.1"
OUT = pathlib.Path(__file__).resolve().parent.parent / "ckanext" / "satudata" / "data"
LEVELS = (("provinces.csv", "provinsi", None), ("regencies.csv", "kabupaten", "province_code"),
          ("districts.csv", "kecamatan", "regency_code"), ("villages.csv", "desa", "district_code"))


def _package_dir(argv):
    if len(argv) > 1:
        return pathlib.Path(argv[1])
    tmp = pathlib.Path(tempfile.mkdtemp())
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=tmp, check=True, capture_output=True)
    with tarfile.open(next(tmp.glob("*.tgz"))) as tar:
        tar.extractall(tmp, filter="data")
    return tmp / "package"


def main(argv):
    pkg = _package_dir(argv)
    rows, counts = [], {}
    for filename, level, parent_col in LEVELS:
        with open(pkg / "data" / filename, encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                rows.append((rec["code"], rec["name"], level, rec[parent_col] if parent_col else ""))
        counts[level] = sum(1 for r in rows if r[2] == level)
    rows.sort()
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(("code", "name", "level", "parent"))
    writer.writerows(rows)
    with open(OUT / "wilayah.csv.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
            gz.write(text.getvalue().encode("utf-8"))
    meta = json.loads((pkg / "package.json").read_text())
    (OUT / "wilayah.json").write_text(json.dumps({
        "package": PACKAGE, "version": meta["version"], "registry": "npm",
        "code_license": meta.get("license"), "data_license": "ODbL-1.0",
        "basis": "Kemendagri administrative area codes (Permendagri 58/2021 and later Kepmendagri updates)",
        "counts": counts, "generated_with": "python scripts/build_wilayah.py",
    }, indent=2) + "\n")
    print(counts)


if __name__ == "__main__":
    main(sys.argv)
