"""Tests of the Kemendagri area-code reference (ckanext.satudata.wilayah).

Pure Python: no CKAN app, database or plugins needed.
"""
from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import pathlib
import threading
from collections import Counter

import pytest

from ckanext.satudata.metadata import wilayah

DATA_DIR = pathlib.Path(wilayah.__file__).parent / "data"
ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _satudata_plugins():
    """Overrides conftest's autouse CKAN plugin fixture: these tests need none."""


def _rows() -> list[dict[str, str]]:
    with gzip.open(DATA_DIR / "wilayah.csv.gz", "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# Sumedang and Jatinangor


def test_sumedang_regency():
    area = wilayah.get("32.11")
    assert area is not None
    assert "SUMEDANG" in area.name.upper()
    assert area.name == "Kabupaten Sumedang"  # Kabupaten/Kota kept as the source gives it
    assert (area.code, area.level, area.parent) == ("32.11", "kabupaten", "32")
    assert wilayah.name("32") == "Jawa Barat"
    assert wilayah.level("32.11") == "kabupaten"
    assert wilayah.is_valid("32.11")


def test_sumedang_children_are_its_kecamatan():
    kids = wilayah.children("32.11")
    assert len(kids) == 26
    assert [a.code for a in kids] == sorted(a.code for a in kids)
    assert {a.level for a in kids} == {"kecamatan"}
    assert {a.parent for a in kids} == {"32.11"}
    jatinangor = [a for a in kids if a.name == "Jatinangor"]
    assert [a.code for a in jatinangor] == ["32.11.15"]


def test_village_round_trip():
    village = wilayah.get("32.11.15.2001")
    assert village == wilayah.Area("32.11.15.2001", "Cikeruh", "desa", "32.11.15")
    assert wilayah.normalize("3211152001") == village.code
    assert wilayah.get(village.code.replace(".", "")) == village
    assert village in wilayah.children(village.parent)
    assert wilayah.children(village.code) == []


def test_area_is_frozen():
    area = wilayah.get("32.11")
    with pytest.raises(AttributeError):
        area.name = "x"  # type: ignore[misc]


# Codes


@pytest.mark.parametrize("raw, expected", [
    ("3211", "32.11"),
    ("32.11", "32.11"),
    (" 32.11 ", "32.11"),
    ("\t3211\n", "32.11"),
    (3211, "32.11"),
    ("32", "32"),
    ("321115", "32.11.15"),
    ("32.11.15", "32.11.15"),
    ("32.11.15.2001", "32.11.15.2001"),
])
def test_normalize(raw, expected):
    assert wilayah.normalize(raw) == expected


@pytest.mark.parametrize("raw", [
    None, "", "  ", True, "99", "32.99", "32.11.99", "32.11.15.9999", "00",
    "32.1", "321", "32.1115", "32 11", "32-11", "3211x", "32.11.", ".32.11",
    "3211152001 1", "32.11.15.20011", "３２",  # full-width digits are not codes
])
def test_unknown_or_malformed_codes_are_invalid(raw):
    assert wilayah.normalize(raw) is None
    assert wilayah.is_valid(raw) is False
    assert wilayah.get(raw) is None
    assert wilayah.name(raw) is None
    assert wilayah.level(raw) is None
    if raw not in (None, "", "  "):  # blank means "the top" to children()
        assert wilayah.children(raw) == []
    assert wilayah.ancestors(raw) == []
    assert wilayah.bps_code(raw) is None


def test_children_of_nothing_are_the_provinces():
    provinces = wilayah.children(None)
    assert provinces == wilayah.children("")
    assert len(provinces) == 38
    assert {a.level for a in provinces} == {"provinsi"}
    assert {a.parent for a in provinces} == {""}
    assert [a.code for a in provinces][:2] == ["11", "12"]


def test_ancestors_province_first_area_last():
    chain = wilayah.ancestors("3211152001")
    assert [a.code for a in chain] == ["32", "32.11", "32.11.15", "32.11.15.2001"]
    assert [a.level for a in chain] == list(wilayah.LEVELS)
    assert [a.name for a in chain] == ["Jawa Barat", "Kabupaten Sumedang", "Jatinangor", "Cikeruh"]
    assert wilayah.ancestors("32") == [wilayah.get("32")]


# BPS crosswalk


def test_bps_code_for_province_and_regency():
    assert wilayah.bps_code("32") == "32"
    assert wilayah.bps_code("32.11") == "3211"
    assert wilayah.bps_code("3211") == "3211"
    assert wilayah.bps_code("91.71") == "9171"


def test_no_bps_code_for_district_and_village():
    """The source has no BPS district/village codes and they cannot be derived."""
    assert wilayah.bps_code("32.11.15") is None
    assert wilayah.bps_code("32.11.15.2001") is None


def test_from_bps_code():
    assert wilayah.from_bps_code("3211") == wilayah.get("32.11")
    assert wilayah.from_bps_code(" 32 ") == wilayah.get("32")
    assert wilayah.from_bps_code(3211) == wilayah.get("32.11")
    for unknown in ("3299", "99", "32.11", "3211150", "3211150001", "", None, "abcd"):
        assert wilayah.from_bps_code(unknown) is None


def test_bps_round_trip_for_every_province_and_regency():
    provinces = wilayah.children(None)
    regencies = [r for p in provinces for r in wilayah.children(p.code)]
    assert len(regencies) == 514
    for area in provinces + regencies:
        assert wilayah.from_bps_code(wilayah.bps_code(area.code)) == area


# Search


def test_search_by_name_is_case_insensitive():
    for query in ("jatinangor", "JATINANGOR", "  JatiNangor "):
        found = wilayah.search(query)
        assert wilayah.get("32.11.15") in found
        assert all("jatinangor" in a.name.lower() for a in found)


def test_search_orders_higher_levels_first():
    found = wilayah.search("bandung", limit=50)
    assert [a.code for a in found[:3]] == ["32.04", "32.17", "32.73"]  # Kab. Bandung, Bandung Barat, Kota
    ranks = [wilayah.LEVELS.index(a.level) for a in found]
    assert ranks == sorted(ranks)
    assert all("bandung" in a.name.lower() for a in found)


def test_search_filters_and_limit():
    kecamatan = wilayah.search("sumedang", level="kecamatan")
    assert {a.code for a in kecamatan} == {"32.11.17", "32.11.18"}  # Sumedang Selatan, Utara
    villages = wilayah.search("ci", under="32.11.15")
    assert villages and all(a.parent == "32.11.15" and "ci" in a.name.lower() for a in villages)
    assert wilayah.get("32.11.15.2001") in villages  # Cikeruh
    assert wilayah.get("32.11.15") not in wilayah.search("jatinangor", under="32.11.15")
    assert len(wilayah.search("a", limit=7)) == 7
    assert wilayah.search("a", limit=0) == []
    assert wilayah.search("zzzzqq") == []
    assert wilayah.search("jatinangor", under="99") == []
    with pytest.raises(ValueError):
        wilayah.search("x", level="kota")


def test_search_by_code_prefix():
    for query in ("32.11.15", "321115"):
        found = wilayah.search(query, limit=100)
        assert found[0] == wilayah.get("32.11.15")
        assert all(a.code.startswith("32.11.15") for a in found)
        assert len(found) == 1 + len(wilayah.children("32.11.15"))
    provinces = wilayah.search("9", level="provinsi")
    assert [a.code for a in provinces] == ["91", "92", "93", "94", "95", "96"]


def test_empty_search_lists_by_level():
    assert wilayah.search("", level="provinsi", limit=100) == wilayah.children(None)
    assert wilayah.search("", under="32.11", level="kecamatan", limit=100) == wilayah.children("32.11")


# The whole of Indonesia


@pytest.mark.parametrize("code, expected", [
    ("11.01", "Kabupaten Aceh Selatan"),
    ("11.71", "Kota Banda Aceh"),
    ("91.71", "Kota Jayapura"),
    ("95.01", "Kabupaten Jayawijaya"),   # Papua Pegunungan (2022)
    ("96.71", "Kota Sorong"),            # Papua Barat Daya (2022)
])
def test_regencies_outside_sumedang(code, expected):
    area = wilayah.get(code)
    assert area is not None and area.name == expected and area.level == "kabupaten"
    assert wilayah.children(code), f"{code} has no kecamatan"
    district = wilayah.children(code)[0]
    assert wilayah.children(district.code), f"{district.code} has no villages"


def test_counts_match_metadata():
    expected = {"provinsi": 38, "kabupaten": 514, "kecamatan": 7285, "desa": 83762}
    meta = json.loads((DATA_DIR / "wilayah.json").read_text(encoding="utf-8"))
    assert meta["counts"] == expected
    assert wilayah.SOURCE == meta
    assert Counter(row["level"] for row in _rows()) == expected
    # ... and what the module serves, walking the tree through its API.
    seen, todo = Counter(), wilayah.children(None)
    while todo:
        area = todo.pop()
        seen[area.level] += 1
        if area.level != "desa":
            todo.extend(wilayah.children(area.code))
    assert seen == expected


def test_source_metadata():
    assert wilayah.SOURCE["package"] == "idn-area-data"
    assert wilayah.SOURCE["version"] == "4.0.1"
    assert wilayah.SOURCE["data_license"] == "ODbL-1.0"
    assert "300.2.2-2138 Tahun 2025" in wilayah.SOURCE["regulation"]
    assert wilayah.SOURCE["regency_types"] == {"kabupaten": 416, "kota": 98}


def test_table_is_consistent_and_deterministic():
    raw = (DATA_DIR / "wilayah.csv.gz").read_bytes()
    assert raw[4:8] == b"\0\0\0\0"  # gzip mtime 0
    rows = _rows()
    codes = [r["code"] for r in rows]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    known = set()
    for r in rows:
        depth = r["code"].count(".")
        assert r["level"] == wilayah.LEVELS[depth]
        assert r["parent"] == r["code"].rpartition(".")[0]
        assert not r["parent"] or r["parent"] in known
        assert r["name"] == r["name"].strip() and r["name"]
        known.add(r["code"])
    kinds = Counter(r["name"].split()[0] for r in rows if r["level"] == "kabupaten")
    assert kinds == {"Kabupaten": 416, "Kota": 98}


def test_concurrent_first_load_reads_once(monkeypatch):
    calls = []
    real_load = wilayah._load

    def counting_load():
        calls.append(1)
        return real_load()

    monkeypatch.setattr(wilayah, "_load", counting_load)
    monkeypatch.setattr(wilayah, "_index_cache", None)
    monkeypatch.setattr(wilayah, "_name_index_cache", None)
    results = []
    threads = [threading.Thread(target=lambda: results.append(wilayah.search("sumedang")))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(r == results[0] and r for r in results)


# The generator


def _generator():
    spec = importlib.util.spec_from_file_location("build_wilayah", ROOT / "scripts" / "build_wilayah.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _fake_package(root: pathlib.Path, villages: str) -> pathlib.Path:
    gen = _generator()
    (root / "data").mkdir(parents=True)
    (root / "package.json").write_text(json.dumps(
        {"name": gen.PACKAGE, "version": gen.VERSION, "license": "MIT"}))
    files = {
        "provinces.csv": "code,name\n32,Jawa Barat\n",
        "regencies.csv": "code,province_code,name\n3211,32,Kabupaten Sumedang\n",
        "districts.csv": "code,regency_code,name\n321115,3211,Jatinangor\n",
        "villages.csv": villages,
    }
    for filename, text in files.items():
        (root / "data" / filename).write_text(text, encoding="utf-8")
    return root


def test_generator_dots_plain_codes_and_is_deterministic(tmp_path):
    gen = _generator()
    pkg = _fake_package(tmp_path / "pkg", 'code,district_code,name\n3211152001,321115,"Ciker""uh,  X"\n')
    gen.build(pkg, tmp_path / "a")
    gen.build(pkg, tmp_path / "b")
    first = (tmp_path / "a" / "wilayah.csv.gz").read_bytes()
    assert first == (tmp_path / "b" / "wilayah.csv.gz").read_bytes()
    text = gzip.decompress(first).decode("utf-8")
    assert text == ("code,name,level,parent\n32,Jawa Barat,provinsi,\n"
                    "32.11,Kabupaten Sumedang,kabupaten,32\n32.11.15,Jatinangor,kecamatan,32.11\n"
                    '32.11.15.2001,"Ciker""uh, X",desa,32.11.15\n')
    meta = json.loads((tmp_path / "a" / "wilayah.json").read_text())
    assert meta["counts"] == {"provinsi": 1, "kabupaten": 1, "kecamatan": 1, "desa": 1}


@pytest.mark.parametrize("villages", [
    "code,district_code,name\n32.11.15.201,32.11.15,Short\n",         # malformed code
    "code,district_code,name\n32.11.16.2001,32.11.16,Orphan\n",       # unknown parent
    "code,district_code,name\n32.11.15.2001,32.11.15,A\n32.11.15.2001,32.11.15,B\n",  # duplicate
])
def test_generator_rejects_bad_data(tmp_path, villages):
    gen = _generator()
    pkg = _fake_package(tmp_path / "pkg", villages)
    with pytest.raises(SystemExit):
        gen.build(pkg, tmp_path / "out")
    assert not (tmp_path / "out" / "wilayah.csv.gz").exists()
