"""Each error of a real Frictionless run on a real file, in the words an
agency clerk reads on the resource page: Bahasa Indonesia by default, English
under /en, with the column and the row, and a hint where it helps."""
from __future__ import annotations

import codecs

import pytest
from frictionless import Checklist, checks, validate

from ckanext.satudata.validation import engine, messages
from tests.validation.tables import write

SCHEMA = {
    "fields": [
        {"name": "kode", "type": "string", "constraints": {"required": True, "unique": True, "pattern": "3211[0-9]{3}"}},
        {"name": "kecamatan", "type": "string", "constraints": {"enum": ["Jatinangor", "Wado", "Cimanggung"]}},
        {"name": "jumlah", "type": "integer", "constraints": {"minimum": 0, "maximum": 100000}},
        {"name": "rasio", "type": "number"},
        {"name": "tanggal", "type": "date"},
        {"name": "tahun", "type": "year"},
        {"name": "aktif", "type": "boolean"},
        {"name": "rt", "type": "string", "constraints": {"pattern": "[0-9]{3}"}},
        {"name": "singkatan", "type": "string", "constraints": {"minLength": 3, "maxLength": 5}},
    ],
}
HEADER = "kode,kecamatan,jumlah,rasio,tanggal,tahun,aktif,rt,singkatan"
GOOD = "3211{:03d},Jatinangor,1180,2.5,2024-01-31,2024,true,001,JTN"
CELLS = "\n".join([HEADER] + [GOOD.format(i) for i in range(10)] + [  # rows 2-11 are right
    "3211010,Jatinangor,1.180,2.5,2024-01-31,2024,true,001,JTN",  # 12
    '3211011,wado,12,"2,5",12/01/2024,24,ya,01,AB',  # 13
    ",Wado,-1,15%,2024-01-31,2024,true,002,ABCDEF",  # 14
    "3211000,Wado,200000,1,2024-01-31,2024,false,003,12",  # 15
    "3211012,Wado,10 jiwa,1.234.567,2024-01-31,2024,false,003,WDO",  # 16
    ",,,,,,,,",  # 17
    "3211013,Wado,1,1,2024-01-31,2024,false,003",  # 18
    "3211014,Wado,1,2,5,2024-01-31,2024,false,003,WDO",  # 19
]) + "\n"

# (type, row, column) -> (Indonesian, English): every error of CELLS
CELL_MESSAGES = {
    ("type-error", 12, "jumlah"): (
        "Kolom jumlah baris 12: '1.180' bukan bilangan bulat — tulis tanpa titik ribuan",
        "Column jumlah, row 12: '1.180' is not a whole number — write it without thousands separators"),
    ("constraint-error", 13, "kecamatan"): (
        "Kolom kecamatan baris 13: 'wado' bukan salah satu nilai yang diizinkan: Jatinangor, Wado, Cimanggung"
        " — tulis persis 'Wado' (huruf besar dan kecil dibedakan)",
        "Column kecamatan, row 13: 'wado' is not one of the allowed values: Jatinangor, Wado, Cimanggung"
        " — write it exactly as 'Wado' (upper and lower case differ)"),
    ("type-error", 13, "rasio"): (
        "Kolom rasio baris 13: '2,5' bukan angka — gunakan titik sebagai pemisah desimal, mis. 2.5",
        "Column rasio, row 13: '2,5' is not a number — use a dot as the decimal separator, e.g. 2.5"),
    ("type-error", 13, "tanggal"): (
        "Kolom tanggal baris 13: '12/01/2024' bukan tanggal dengan format TTTT-BB-HH — tulis sebagai 2024-01-12",
        "Column tanggal, row 13: '12/01/2024' is not a date in the format YYYY-MM-DD — write it as 2024-01-12"),
    ("type-error", 13, "tahun"): (
        "Kolom tahun baris 13: '24' bukan tahun empat angka — tulis tahun dengan empat angka, mis. 2024",
        "Column tahun, row 13: '24' is not a four-digit year — write the year with four digits, e.g. 2024"),
    ("type-error", 13, "aktif"): (
        "Kolom aktif baris 13: 'ya' bukan salah satu nilai ya/tidak (true, 1, false, 0)"
        " — tulis true untuk ya dan false untuk tidak",
        "Column aktif, row 13: 'ya' is not one of the yes/no values (true, 1, false, 0)"
        " — write true for yes and false for no"),
    ("constraint-error", 13, "rt"): (
        "Kolom rt baris 13: '01' tidak sesuai dengan pola [0-9]{3}"
        " — Excel mungkin menghapus angka 0 di depan: format kolom sebagai Teks lalu ketik ulang kodenya",
        "Column rt, row 13: '01' does not match the pattern [0-9]{3}"
        " — Excel may have removed a leading zero: format the column as Text and type the code again"),
    ("constraint-error", 13, "singkatan"): (
        "Kolom singkatan baris 13: 'AB' kurang dari 3 karakter",
        "Column singkatan, row 13: 'AB' is shorter than 3 characters"),
    ("constraint-error", 14, "kode"): (
        "Kolom kode baris 14: sel kosong, padahal kolom ini wajib diisi",
        "Column kode, row 14: the cell is empty, but this column must be filled in"),
    ("constraint-error", 14, "jumlah"): (
        "Kolom jumlah baris 14: -1 di bawah nilai minimum 0",
        "Column jumlah, row 14: -1 is below the minimum of 0"),
    ("type-error", 14, "rasio"): (
        "Kolom rasio baris 14: '15%' bukan angka — tulis tanpa tanda persen",
        "Column rasio, row 14: '15%' is not a number — write it without the percent sign"),
    ("constraint-error", 14, "singkatan"): (
        "Kolom singkatan baris 14: 'ABCDEF' lebih dari 5 karakter",
        "Column singkatan, row 14: 'ABCDEF' is longer than 5 characters"),
    ("constraint-error", 15, "jumlah"): (
        "Kolom jumlah baris 15: 200000 di atas nilai maksimum 100000",
        "Column jumlah, row 15: 200000 is above the maximum of 100000"),
    ("constraint-error", 15, "singkatan"): (
        "Kolom singkatan baris 15: '12' kurang dari 3 karakter"
        " — Excel mungkin menghapus angka 0 di depan: format kolom sebagai Teks lalu ketik ulang kodenya",
        "Column singkatan, row 15: '12' is shorter than 3 characters"
        " — Excel may have removed a leading zero: format the column as Text and type the code again"),
    ("unique-error", 15, "kode"): (
        "Kolom kode baris 15: '3211000' sudah ada di baris 2, padahal nilai kolom ini harus unik"
        " — perbaiki atau hapus data gandanya",
        "Column kode, row 15: '3211000' already appears in row 2, but values in this column must be unique"
        " — correct or delete the duplicate"),
    ("type-error", 16, "jumlah"): (
        "Kolom jumlah baris 16: '10 jiwa' bukan bilangan bulat — tulis angkanya saja, tanpa satuan atau teks lain",
        "Column jumlah, row 16: '10 jiwa' is not a whole number — write only the number, without units or other text"),
    ("type-error", 16, "rasio"): (
        "Kolom rasio baris 16: '1.234.567' bukan angka — tulis tanpa titik ribuan",
        "Column rasio, row 16: '1.234.567' is not a number — write it without thousands separators"),
    ("blank-row", 17, None): (
        "Baris 17: baris kosong — hapus baris ini",
        "Row 17: the row is blank — delete the row"),
    ("missing-cell", 18, "singkatan"): (
        "Kolom singkatan baris 18: sel tidak ada (baris ini berisi lebih sedikit nilai daripada baris judul)"
        " — periksa apakah ada pemisah yang hilang atau ganti baris di dalam nilai",
        "Column singkatan, row 18: the cell is missing (the row has fewer values than the header row)"
        " — check the row for a missing separator or a line break inside a value"),
    # row 19's unquoted decimal comma shifts the cells after it by one
    ("type-error", 19, "tanggal"): (
        "Kolom tanggal baris 19: '5' bukan tanggal dengan format TTTT-BB-HH — contoh: 2024-01-31",
        "Column tanggal, row 19: '5' is not a date in the format YYYY-MM-DD — for example 2024-01-31"),
    ("type-error", 19, "tahun"): (
        "Kolom tahun baris 19: '2024-01-31' bukan tahun empat angka — tulis tahun dengan empat angka, mis. 2024",
        "Column tahun, row 19: '2024-01-31' is not a four-digit year — write the year with four digits, e.g. 2024"),
    ("type-error", 19, "aktif"): (
        "Kolom aktif baris 19: '2024' bukan salah satu nilai ya/tidak (true, 1, false, 0)"
        " — tulis true untuk ya dan false untuk tidak",
        "Column aktif, row 19: '2024' is not one of the yes/no values (true, 1, false, 0)"
        " — write true for yes and false for no"),
    ("constraint-error", 19, "rt"): (
        "Kolom rt baris 19: 'false' tidak sesuai dengan pola [0-9]{3} — lihat keterangan kolom pada tabel format",
        "Column rt, row 19: 'false' does not match the pattern [0-9]{3} — see the column's description in the format table"),
    ("extra-cell", 19, 10): (
        "Baris 19, kolom ke-10: ada nilai lebih 'WDO' setelah kolom terakhir — koma di dalam nilai"
        " (misalnya koma desimal) memecahnya menjadi dua: apit nilai dengan tanda kutip ganda atau gunakan"
        " titik untuk desimal",
        "Row 19, column 10: an extra value 'WDO' after the last column — a comma inside a value (such as a"
        " decimal comma) splits it in two: put the value in double quotes or use a dot for decimals"),
}

TEMPLATE_HINT = (" — gunakan nama kolom dari tabel format (unduh templatnya)",
                 " — use the column names of the format table (download the template)")
# file name, content, schema, engine options -> {(type, row, column): (Indonesian, English)}
FILES = [
    ("labels.csv", "kode,,kecamatan,kecamatan,lain\n", SCHEMA, {}, {
        ("blank-label", 1, 2): ("Baris judul, kolom ke-2: kolom tidak bernama" + TEMPLATE_HINT[0],
                                "Header row, column 2: the column has no name" + TEMPLATE_HINT[1]),
        ("incorrect-label", 1, "jumlah"): (
            "Baris judul, kolom ke-3: kolom bernama 'kecamatan', padahal format meminta jumlah di sini"
            + TEMPLATE_HINT[0],
            "Header row, column 3: the column is named 'kecamatan', but the format expects jumlah here"
            + TEMPLATE_HINT[1]),
        ("duplicate-label", 1, 4): (
            "Baris judul, kolom ke-4: nama kolom 'kecamatan' dipakai dua kali (juga di kolom ke-3)" + TEMPLATE_HINT[0],
            "Header row, column 4: the column name 'kecamatan' is used twice (also in column 3)" + TEMPLATE_HINT[1]),
        ("missing-label", 1, "singkatan"): (
            "Baris judul: kolom singkatan dari format tidak ada" + TEMPLATE_HINT[0],
            "Header row: the column singkatan of the format is missing" + TEMPLATE_HINT[1]),
    }),
    ("extra.csv", HEADER + ",lain\n", SCHEMA, {}, {
        ("extra-label", 1, 10): (
            "Baris judul, kolom ke-10: kolom 'lain' tidak ada dalam format" + TEMPLATE_HINT[0],
            "Header row, column 10: the column 'lain' is not in the format" + TEMPLATE_HINT[1]),
    }),
    ("case.csv", "kode,Kecamatan\n", {"fields": SCHEMA["fields"][:2], "fieldsMatch": "exact"}, {}, {
        ("incorrect-label", 1, "kecamatan"): (
            "Baris judul, kolom ke-2: kolom bernama 'Kecamatan', padahal format meminta kecamatan di sini"
            " — perhatikan huruf besar-kecil dan spasi pada nama kolom",
            "Header row, column 2: the column is named 'Kecamatan', but the format expects kecamatan here"
            " — mind upper and lower case and spaces in column names"),
    }),
    ("blank-header.csv", "\n3211001,Wado\n", SCHEMA, {}, {
        ("blank-header", 1, None): (
            "Baris judul: baris pertama kosong, padahal harus berisi nama kolom" + TEMPLATE_HINT[0],
            "Header row: the first row is empty, but it must hold the column names" + TEMPLATE_HINT[1]),
    }),
    ("key.csv", "a,b\n1,x\n,y\n1,z\n",
     {"fields": [{"name": "a", "type": "integer"}, {"name": "b"}], "primaryKey": ["a"]}, {}, {
        ("primary-key", 3, None): ("Baris 3: kolom kunci (a) kosong", "Row 3: the key columns (a) are empty"),
        ("primary-key", 4, None): (
            "Baris 4: kolom kunci (a) bernilai sama dengan baris 2 — perbaiki atau hapus data gandanya",
            "Row 4: the key columns (a) have the same values as in row 2 — correct or delete the duplicate"),
    }),
    ("scan.csv", b"%PDF-1.4 not a table", SCHEMA, {}, {
        ("format-error", None, None): (
            "Berkas ini bukan CSV melainkan dokumen PDF"
            " — simpan atau ekspor tabel sebagai CSV (UTF-8) atau XLSX lalu unggah lagi",
            "The file is not CSV but a PDF document"
            " — save or export the table as CSV (UTF-8) or XLSX and upload it again"),
    }),
    ("laporan.pdf", "a,b\n", SCHEMA, {}, {
        ("format-error", None, None): ("Format .pdf tidak didukung: unggah CSV, TSV, XLSX, atau XLS",
                                       "The format .pdf is not supported: upload CSV, TSV, XLSX or XLS"),
    }),
    ("table.xlsx", "a,b\n1,2\n", SCHEMA, {}, {
        ("format-error", None, None): (
            "Berkas dinyatakan sebagai XLSX tetapi berupa berkas teks (mungkin CSV): perbaiki format sumber daya",
            "The file was declared as XLSX but is a text file (perhaps CSV): correct the resource's format"),
    }),
    ("empty.csv", b"", SCHEMA, {}, {
        ("source-error", None, None): ("Berkas kosong (0 bita).", "The file is empty (0 bytes)."),
    }),
    ("utf16.csv", codecs.BOM_UTF16_LE + "kode,kecamatan\n1,x\n".encode("utf-16-le") + b"\x00", SCHEMA, {}, {
        ("encoding-error", None, None): (
            'Karakter berkas tidak dapat dibaca dalam pengodean teksnya — simpan ulang berkas sebagai "CSV UTF-8"',
            'The characters of the file could not be read in its text encoding — save the file again as "CSV UTF-8"'),
    }),
    ("wide.csv", "kode,kecamatan,jumlah\n1,x,2\n", SCHEMA, {"max_columns": 2}, {
        ("too-many-columns", None, None): (
            "Tabel memiliki lebih dari 2 kolom, batas terbanyak yang dibaca validator"
            " — sisakan hanya kolom yang ada di tabel format",
            "The table has more than 2 columns, the most the validator reads"
            " — keep only the columns of the format table"),
    }),
    ("bad-schema.csv", "kode\n1\n", {"fields": [{"name": "kode", "type": "nope"}]}, {}, {
        ("schema-error", None, None): (
            "Table Schema permintaan tidak sah sehingga berkas tidak dapat diperiksa"
            " — minta Walidata memperbaiki format permintaan",
            "The request's Table Schema is not valid, so the file could not be checked"
            " — ask the Walidata to correct the request's format"),
    }),
]


def _say(app, lang: str, error: dict, schema: dict | None = SCHEMA, delimiter: str | None = ",") -> dict:
    """The error as the page in ``lang`` describes it."""
    with app.flask_app.test_request_context("/en/dataset/" if lang == "en" else "/dataset/",
                                            environ_overrides={"CKAN_LANG": lang}):
        return messages.describe(error, schema, delimiter)


def _key(error: dict) -> tuple:
    return error["type"], error["row"], error["field"] or error["column"]


@pytest.fixture(scope="module")
def cells_report(tmp_path_factory):
    return engine.validate_file(write(tmp_path_factory.mktemp("cells"), "cells.csv", CELLS), table_schema=SCHEMA)


def test_the_cell_errors_are_those_described(cells_report):
    assert [_key(e) for e in cells_report["errors"]] == list(CELL_MESSAGES)


@pytest.mark.parametrize("key", list(CELL_MESSAGES))
def test_a_cell_error_in_indonesian_and_english(app, cells_report, key):
    error = next(e for e in cells_report["errors"] if _key(e) == key)
    stored = dict(error)
    indonesian, english = CELL_MESSAGES[key]
    assert _say(app, "id", error)["message"] == indonesian
    assert _say(app, "en", error)["message"] == english
    assert error == stored  # the stored report keeps frictionless' own words


@pytest.mark.parametrize("name, content, schema, options, expected", FILES, ids=[f[0] for f in FILES])
def test_header_table_and_file_errors_in_indonesian_and_english(app, tmp_path, name, content, schema, options,
                                                                expected):
    report = engine.validate_file(write(tmp_path, name, content), table_schema=schema, **options)
    found = {_key(e): e for e in report["errors"]}
    for key, (indonesian, english) in expected.items():
        assert key in found, (key, list(found))
        assert _say(app, "id", found[key], schema)["message"] == indonesian
        assert _say(app, "en", found[key], schema)["message"] == english


def test_a_duplicate_row_from_frictionless_duplicate_row_check(app, tmp_path):
    """The engine runs frictionless' baseline checks; a duplicate-row error
    (its optional check) is described all the same."""
    write(tmp_path, "dup.csv", "kecamatan,jumlah\nWado,1\nJatinangor,2\nWado,1\n")
    report = validate("dup.csv", basepath=str(tmp_path), checklist=Checklist(checks=[checks.duplicate_row()]))
    error, = [e for e in report.tasks[0].errors if e.type == "duplicate-row"]
    stored = {"type": error.type, "row": error.row_number, "column": None, "field": None, "cell": None,
              "message": error.message, "note": error.note}
    assert _say(app, "id", stored, None)["message"] == "Baris 4: baris ini sama dengan baris 2 — hapus baris ini"
    assert _say(app, "en", stored, None)["message"] == "Row 4: the row is the same as row 2 — delete the row"


def test_a_semicolon_file_with_a_decimal_comma_in_a_whole_number(app, tmp_path):
    schema = {"fields": [{"name": "kecamatan"}, {"name": "jumlah", "type": "integer"}]}
    report = engine.validate_file(write(tmp_path, "titik-koma.csv", "kecamatan;jumlah\nWado;12,5\n"),
                                  table_schema=schema)
    assert report["delimiter"] == ";"
    error, = report["errors"]
    assert _say(app, "id", error, schema, ";")["message"] == \
        "Kolom jumlah baris 2: '12,5' bukan bilangan bulat — bilangan bulat tidak memakai angka desimal"
    assert _say(app, "en", error, schema, ";")["message"] == \
        "Column jumlah, row 2: '12,5' is not a whole number — a whole number has no decimal part"


def test_a_custom_date_format_is_named_and_shown_by_example(app, tmp_path):
    schema = {"fields": [{"name": "tanggal", "type": "date", "format": "%d/%m/%Y"}]}
    report = engine.validate_file(write(tmp_path, "tanggal.csv", "tanggal\n2024-01-31\n"), table_schema=schema)
    error, = report["errors"]
    assert _say(app, "id", error, schema)["message"] == \
        "Kolom tanggal baris 2: '2024-01-31' bukan tanggal dengan format HH/BB/TTTT — contoh: 31/01/2024"
    assert _say(app, "en", error, None)["message"] == \
        "Column tanggal, row 2: '2024-01-31' is not a date in the format DD/MM/YYYY — for example 31/01/2024"


def test_the_html_message_emphasises_the_column_and_escapes_the_cell(app, cells_report):
    error = next(e for e in cells_report["errors"] if _key(e) == ("type-error", 12, "jumlah"))
    html = str(_say(app, "id", dict(error, field="jumlah <i>"))["html"])
    assert html == ("Kolom <strong>jumlah &lt;i&gt;</strong> baris 12: &#39;1.180&#39; bukan bilangan bulat"
                    ' — <span class="satudata-validation-hint">tulis tanpa titik ribuan</span>')
    html = str(_say(app, "en", dict(error, cell="<script>1</script>"))["html"])
    assert html == "Column <strong>jumlah</strong>, row 12: &#39;&lt;script&gt;1&lt;/script&gt;&#39; is not a whole number"


def test_an_error_type_without_its_own_words_gets_its_title(app):
    error = {"type": "sequential-value", "row": 7, "column": 1, "field": "no", "cell": "9",
             "message": "The cell 9 in row at position 7 and field no at position 1 does not conform to the sequence",
             "note": "the value is not sequential"}
    assert _say(app, "id", error, None)["message"] == "Kolom no baris 7: Nilai tidak berurutan"
    assert _say(app, "en", error, None)["message"] == "Column no, row 7: Value out of sequence"


def test_the_format_table_lists_each_column_rules_in_both_languages(app):
    schema = dict(SCHEMA, primaryKey=["kode"])
    for lang, expected in (("id", {
        "kode": ("teks", True, True, ["pola 3211[0-9]{3}"]),
        "jumlah": ("bilangan bulat", False, False, ["minimum 0", "maksimum 100000"]),
        "tanggal": ("tanggal (TTTT-BB-HH)", False, False, []),
        "aktif": ("ya/tidak", False, False, ["tulis true untuk ya dan false untuk tidak"]),
        "singkatan": ("teks", False, False, ["paling sedikit 3 karakter", "paling banyak 5 karakter"]),
    }), ("en", {
        "kecamatan": ("text", False, False, ["one of: Jatinangor, Wado, Cimanggung"]),
        "jumlah": ("whole number", False, False, ["minimum 0", "maximum 100000"]),
        "tanggal": ("date (YYYY-MM-DD)", False, False, []),
    })):
        with app.flask_app.test_request_context("/", environ_overrides={"CKAN_LANG": lang}):
            columns = {c["name"]: c for c in messages.columns(schema)}
        assert list(columns) == [f["name"] for f in SCHEMA["fields"]]
        for name, (type_label, required, unique, rules) in expected.items():
            c = columns[name]
            assert (c["type_label"], c["required"], c["unique"], c["rules"]) == (type_label, required, unique, rules)
    assert columns["kode"]["key"] and columns["tanggal"]["example"] == "2024-01-31"


@pytest.mark.parametrize("error", [
    {},
    {"type": "constraint-error", "row": 3, "field": "kode", "cell": "x", "note": None},
    {"type": "type-error", "row": "3", "column": None, "field": None, "cell": None, "note": 5},
    {"type": "duplicate-label", "row": 1, "column": 2, "cell": None},
    {"type": "format-error", "message": None},
])
def test_an_odd_stored_error_still_gets_a_sentence(app, error):
    """Reports stored by older versions, or cut short, never break the page."""
    for lang in ("id", "en"):
        described = _say(app, lang, error, {"fields": "not a list"})
        assert described["message"] and described["label"]


def test_the_api_adds_the_messages_beside_frictionless_report(portal, app, clean_queues):
    """resource_validation_show keeps the stored report as frictionless gave
    it and adds ``messages`` in the request's language."""
    import json

    import ckan.tests.helpers as helpers
    from ckan.lib import jobs

    from tests.conftest import upload

    pkg = portal.dataset(name="api-messages", resource=False)
    res = helpers.call_action("resource_create", {"user": portal.producer_a["name"]}, package_id=pkg["id"],
                              name="data.csv", format="CSV", schema=json.dumps(SCHEMA), url="",
                              upload=upload(CELLS, "data.csv"))
    jobs.Worker(["default", "satudata_validation"]).work(burst=True)
    token = helpers.call_action("api_token_create", user=portal.producer_a["name"], name="t")["token"]
    for prefix, lang in (("", 0), ("/en", 1)):
        result = app.get(f"{prefix}/api/3/action/resource_validation_show?resource_id={res['id']}",
                         headers={"Authorization": token}).json["result"]
        errors = result["report"]["errors"]
        assert errors[0]["message"].startswith('Type error in the cell "1.180" in row "12"')  # frictionless' own
        assert [(m["type"], m["row"], m["column"]) for m in result["messages"]] == list(CELL_MESSAGES)
        assert [m["message"] for m in result["messages"]] == [pair[lang] for pair in CELL_MESSAGES.values()]
        assert result["messages"][0]["hint"] == ("tulis tanpa titik ribuan", "write it without thousands separators")[lang]
        assert result["error_message"] is None


def test_an_extra_cell_of_a_tab_separated_file_is_not_blamed_on_a_comma(app, tmp_path):
    schema = {"fields": [{"name": "kecamatan"}, {"name": "jumlah", "type": "integer"}]}
    report = engine.validate_file(write(tmp_path, "lebih.tsv", "kecamatan\tjumlah\nWado\t12\tlebih\n"),
                                  table_schema=schema)
    error, = report["errors"]
    assert _say(app, "id", error, schema, report["delimiter"])["message"] == \
        "Baris 2, kolom ke-3: ada nilai lebih 'lebih' setelah kolom terakhir" \
        " — hapus nilai itu, atau tambahkan kolomnya ke baris judul"
    assert _say(app, "en", error, schema, report["delimiter"])["message"] == \
        "Row 2, column 3: an extra value 'lebih' after the last column" \
        " — delete the value, or add its column to the header row"


def test_values_under_no_heading_in_a_spreadsheet(app, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["kecamatan", "jumlah"])
    book.active.append(["Wado", 12, "lebih"])
    book.save(tmp_path / "lebih.xlsx")
    schema = {"fields": [{"name": "kecamatan"}, {"name": "jumlah", "type": "integer"}]}
    report = engine.validate_file(str(tmp_path / "lebih.xlsx"), table_schema=schema)
    error, = report["errors"]
    assert _say(app, "id", error, schema, report["delimiter"])["message"] == \
        "Baris judul, kolom ke-3: kolom tidak bernama dan tidak ada dalam format" \
        " — hapus isi kolom ini, atau beri nama sesuai tabel format"
    assert _say(app, "en", error, schema, report["delimiter"])["message"] == \
        "Header row, column 3: the column has no name and is not in the format" \
        " — delete the values of this column, or name it as in the format table"
