"""Tables the engine, schema and fetcher tests share: the Sumedang population
table, its Table Schema, and the shape every engine report must have."""
from __future__ import annotations

import json


SCHEMA = {
    "fields": [
        {"name": "kode_wilayah", "type": "string",
         "constraints": {"required": True, "pattern": "3211[0-9]{3}"}},
        {"name": "nama_kecamatan", "type": "string", "constraints": {"required": True}},
        {"name": "tahun", "type": "integer", "constraints": {"minimum": 2000, "maximum": 2100}},
        {"name": "jumlah_penduduk", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "laki_laki", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "perempuan", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "status_data", "type": "string",
         "constraints": {"enum": ["sementara", "tetap"]}},
    ],
    "primaryKey": ["kode_wilayah", "tahun"],
}
HEADER = "kode_wilayah,nama_kecamatan,tahun,jumlah_penduduk,laki_laki,perempuan,status_data"
ROWS = [
    "3211010,Jatinangor,2023,125000,63000,62000,tetap",
    "3211020,Cimanggung,2023,98000,49500,48500,tetap",
    "3211030,Tanjungsari,2023,87000,43000,44000,sementara",
]


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return str(path)


def csv_text(*rows, header=HEADER):
    return "\n".join([header, *rows]) + "\n"


def check(report):
    """Every report must be plain JSON with the documented shape."""
    json.dumps(report)
    assert set(report) == {
        "valid", "status", "format", "encoding", "delimiter", "row_count",
        "error_count", "errors", "fatal", "stats", "frictionless_version",
    }
    assert report["status"] in ("success", "failure", "error")
    assert report["valid"] is (report["status"] == "success")
    assert (report["fatal"] is not None) is (report["status"] == "error")
    for error in report["errors"]:
        assert set(error) == {"type", "row", "column", "field", "cell", "message", "note"}
        assert error["message"]
    return report


def types_of(report):
    return [error["type"] for error in report["errors"]]


def only(report, type_):
    found = [error for error in report["errors"] if error["type"] == type_]
    assert found, f"no {type_} in {report['errors']}"
    return found
