"""Sample data of Kabupaten Sumedang for the demo portal (idempotent).

Agencies, one user per SDI role and realistic datasets walked through the
workflow to several states. Everything goes through the actions, so the
demo exercises the same code as the portal.
"""
from __future__ import annotations

import io
from typing import Iterator

import ckan.model as model
import ckan.plugins.toolkit as tk
from werkzeug.datastructures import FileStorage

from ckanext.satudata.validation import job
from ckanext.satudata.metadata import wilayah

__all__ = ["PASSWORD", "USERS", "load", "load_people"]

PASSWORD = "Sumedang#2026"

ORGANIZATIONS = [
    {"name": "diskominfo", "title": "Dinas Komunikasi dan Informatika", "sdi_agency_code": "2.16.0.00.0.00.01.0000",
     "sdi_ppid_name": "Sekretaris Diskominfo", "sdi_ppid_email": "ppid.diskominfo@sumedangkab.go.id"},
    {"name": "disdukcapil", "title": "Dinas Kependudukan dan Pencatatan Sipil", "sdi_agency_code": "2.12.0.00.0.00.01.0000",
     "sdi_ppid_name": "Sekretaris Disdukcapil", "sdi_ppid_email": "ppid.disdukcapil@sumedangkab.go.id"},
    {"name": "dinas-pendidikan", "title": "Dinas Pendidikan", "sdi_agency_code": "1.01.0.00.0.00.01.0000",
     "sdi_ppid_name": "Sekretaris Dinas Pendidikan", "sdi_ppid_email": "ppid.disdik@sumedangkab.go.id"},
    {"name": "dinas-kesehatan", "title": "Dinas Kesehatan", "sdi_agency_code": "1.02.0.00.0.00.01.0000",
     "sdi_ppid_name": "Sekretaris Dinas Kesehatan", "sdi_ppid_email": "ppid.dinkes@sumedangkab.go.id"},
]

# name, full name, SDI role (and agency), CKAN capacity in an agency
USERS = [
    {"name": "admin", "fullname": "Administrator Portal", "sysadmin": True},
    {"name": "walidata", "fullname": "Walidata Diskominfo", "role": "walidata"},
    {"name": "pembina", "fullname": "Pembina Data BPS Kabupaten Sumedang", "role": "pembina", "institution": "BPS"},
    {"name": "forum", "fullname": "Anggota Forum Satu Data (Bappeda)", "role": "forum"},
    {"name": "produsen-dinkes", "fullname": "Operator Data Dinas Kesehatan", "member": ("dinas-kesehatan", "editor")},
    {"name": "ppid-dinkes", "fullname": "PPID Dinas Kesehatan", "role": "ppid", "organization": "dinas-kesehatan"},
    {"name": "produsen-disdik", "fullname": "Operator Data Dinas Pendidikan", "member": ("dinas-pendidikan", "editor")},
    {"name": "ppid-disdik", "fullname": "PPID Dinas Pendidikan", "role": "ppid", "organization": "dinas-pendidikan"},
    {"name": "produsen-disdukcapil", "fullname": "Operator Data Disdukcapil", "member": ("disdukcapil", "editor")},
    {"name": "ppid-disdukcapil", "fullname": "PPID Disdukcapil", "role": "ppid", "organization": "disdukcapil"},
]

_KECAMATAN = [(a.code, a.name.title()) for a in wilayah.children("32.11")[:6]]

_COMMON = {
    "license_id": "cc-by",
    "sdi_frequency": "tahunan",
    "sdi_presentation_level": "kecamatan",
    "sdi_area_code": "32.11",
    "sdi_collection_method": "kompilasi_produk_administrasi",
    "sdi_data_type": "statistik_sektoral",
}

DATASETS = [
    {
        "name": "jumlah-penduduk-per-kecamatan",
        "title": "Jumlah Penduduk per Kecamatan di Kabupaten Sumedang",
        "owner_org": "disdukcapil",
        "notes": "Jumlah penduduk menurut kecamatan dan jenis kelamin berdasarkan data administrasi kependudukan.",
        "sdi_urusan": "2.12", "sdi_sector": "kependudukan", "sdi_measure": "jumlah", "sdi_unit": "orang",
        "sdi_standard_code": "SP00011.00.00",
        "sdi_concept": "Penduduk adalah WNI dan orang asing yang bertempat tinggal di Indonesia.",
        "sdi_definition": "Jumlah penduduk yang tercatat dalam database kependudukan per akhir tahun.",
        "sdi_dimension": "kecamatan, jenis kelamin",
        "sdi_period_start": "2022", "sdi_period_end": "2024",
        "sdi_source": "Sistem Informasi Administrasi Kependudukan (SIAK)",
        "sdi_responsible_person": "Kepala Bidang Pengelolaan Informasi Administrasi Kependudukan",
        "sdi_contact_email": "disdukcapil@sumedangkab.go.id",
        "sdi_classification": "data_umum", "sdi_priority": "true",
        "tags": [{"name": "penduduk"}, {"name": "kecamatan"}],
        "csv": "kode_wilayah,kecamatan,tahun,laki_laki,perempuan,jumlah\n" + "".join(
            f"{code},{name},2024,{41000 + i * 977},{40200 + i * 951},{81200 + i * 1928}\n"
            for i, (code, name) in enumerate(_KECAMATAN)),
        "walk": ["submit", "verify", "publish"],
        "by": "produsen-disdukcapil",
    },
    {
        "name": "angka-partisipasi-sekolah",
        "title": "Angka Partisipasi Sekolah (APS) Kabupaten Sumedang",
        "owner_org": "dinas-pendidikan",
        "notes": "Angka partisipasi sekolah menurut kelompok umur sekolah.",
        "sdi_urusan": "1.01", "sdi_sector": "pendidikan", "sdi_measure": "persentase", "sdi_unit": "persen",
        "sdi_standard_code": "SP00321.00.00",
        "sdi_concept": "Partisipasi sekolah penduduk usia sekolah.",
        "sdi_definition": "Proporsi penduduk kelompok umur tertentu yang masih bersekolah terhadap penduduk kelompok umur yang sama.",
        "sdi_formula": "APS = (penduduk usia x yang bersekolah / penduduk usia x) x 100",
        "sdi_interpretation": "Semakin tinggi APS, semakin besar penduduk usia sekolah yang bersekolah.",
        "sdi_period_start": "2023", "sdi_period_end": "2024", "sdi_presentation_level": "kabupaten",
        "sdi_source": "Dapodik", "sdi_responsible_person": "Kepala Bidang Pembinaan SD",
        "sdi_contact_email": "disdik@sumedangkab.go.id", "sdi_classification": "data_umum",
        "tags": [{"name": "pendidikan"}],
        "csv": "kelompok_umur,tahun,aps\n7-12,2024,99.61\n13-15,2024,94.12\n16-18,2024,71.35\n",
        "walk": ["submit", "verify"],
        "by": "produsen-disdik",
    },
    {
        "name": "jumlah-puskesmas",
        "title": "Jumlah Puskesmas per Kecamatan",
        "owner_org": "dinas-kesehatan",
        "notes": "Jumlah puskesmas rawat inap dan non rawat inap menurut kecamatan.",
        "sdi_urusan": "1.02", "sdi_sector": "kesehatan", "sdi_measure": "jumlah", "sdi_unit": "unit",
        "sdi_standard_code": "SP00542.00.00",
        "sdi_concept": "Puskesmas adalah fasilitas pelayanan kesehatan tingkat pertama.",
        "sdi_definition": "Banyaknya puskesmas yang beroperasi pada akhir tahun.",
        "sdi_period_start": "2024", "sdi_period_end": "2024",
        "sdi_source": "Profil Kesehatan Kabupaten Sumedang", "sdi_responsible_person": "Kepala Seksi Pelayanan Kesehatan Primer",
        "sdi_contact_email": "dinkes@sumedangkab.go.id", "sdi_classification": "data_umum",
        "tags": [{"name": "kesehatan"}, {"name": "puskesmas"}],
        "csv": "kode_wilayah,kecamatan,tahun,rawat_inap,non_rawat_inap\n" + "".join(
            f"{code},{name},2024,{i % 2},{1 + i % 3}\n" for i, (code, name) in enumerate(_KECAMATAN)),
        "walk": ["submit"],
        "by": "produsen-dinkes",
    },
    {
        "name": "kasus-gizi-buruk-balita",
        "title": "Kasus Gizi Buruk pada Balita per Desa",
        "owner_org": "dinas-kesehatan",
        "notes": "Data terbatas: kasus gizi buruk balita menurut desa, dibagipakaikan kepada Dinas Pendidikan.",
        "sdi_urusan": "1.02", "sdi_sector": "kesehatan", "sdi_measure": "jumlah", "sdi_unit": "kasus",
        "sdi_standard_code": "SP00610.00.00",
        "sdi_concept": "Gizi buruk pada balita.", "sdi_definition": "Balita dengan indeks BB/TB kurang dari -3 SD.",
        "sdi_period_start": "2024", "sdi_period_end": "2024", "sdi_presentation_level": "desa",
        "sdi_source": "e-PPGBM", "sdi_responsible_person": "Kepala Seksi Gizi",
        "sdi_contact_email": "dinkes@sumedangkab.go.id", "sdi_classification": "terbatas",
        "sdi_shared_with": "dinas-pendidikan",
        "verify": {"sdi_exemption_basis": "pasal17_h",
                   "sdi_consequence_test": "Uji konsekuensi PPID Dinkes No. 01/2024: data per desa dapat mengungkap identitas balita."},
        "tags": [{"name": "gizi"}],
        "csv": "kode_wilayah,desa,tahun,kasus\n32.11.01.2001,Cimungkal,2024,2\n",
        "walk": ["submit", "verify", "publish"],
        "by": "produsen-dinkes",
    },
    {
        "name": "jumlah-sekolah-dasar",
        "title": "Jumlah Sekolah Dasar per Kecamatan",
        "owner_org": "dinas-pendidikan",
        "notes": "Draf: jumlah SD negeri dan swasta.",
        "sdi_urusan": "1.01", "sdi_sector": "pendidikan", "sdi_measure": "jumlah", "sdi_unit": "unit",
        "sdi_classification": "data_umum",
        "csv": "kecamatan,tahun,sd_negeri,sd_swasta\nJatinangor,2024,38,6\n",
        "walk": [],
        "by": "produsen-disdik",
    },
]



def _ctx(user: str) -> dict:
    return {"user": user, "ignore_auth": False}


def _site_ctx() -> dict:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"], "ignore_auth": True}


def _ensure_user(spec: dict) -> str:
    user = model.User.get(spec["name"])
    if user is None:
        tk.get_action("user_create")(_site_ctx(), {
            "name": spec["name"], "fullname": spec["fullname"], "password": PASSWORD,
            "email": f"{spec['name']}@sumedangkab.go.id",
        })
        user = model.User.get(spec["name"])
    if spec.get("sysadmin") and not user.sysadmin:
        user.sysadmin = True
        model.repo.commit()
    return f"{spec['name']} / {PASSWORD}"


def _ensure_org(spec: dict) -> None:
    if model.Group.get(spec["name"]) is None:
        tk.get_action("organization_create")(_ctx("admin"), dict(spec))


def _ppid_of(org_name: str) -> str:
    return next(u["name"] for u in USERS if u.get("role") == "ppid" and u.get("organization") == org_name)


def _ensure_dataset(spec: dict) -> str:
    existing = model.Package.get(spec["name"])
    if existing is not None and existing.state == "active":
        return _walk(spec, existing.id)
    data = dict(_COMMON)
    data.update({k: v for k, v in spec.items() if k not in ("csv", "walk", "by", "verify")})
    pkg = tk.get_action("package_create")(_ctx(spec["by"]), data)
    upload = FileStorage(io.BytesIO(spec["csv"].encode("utf-8")), filename=f"{spec['name']}.csv",
                         content_type="text/csv")
    res = tk.get_action("resource_create")(_ctx(spec["by"]), {
        "package_id": pkg["id"], "name": f"{spec['name']}.csv", "format": "CSV", "upload": upload, "url": "",
    })
    # Validate now (the job's own code) so the walk below passes the compliance check.
    job.run(res["id"])
    return _walk(spec, pkg["id"])


_REACHED = {"submit": "submitted", "verify": "verified", "publish": "published"}
_ORDER = ("draft", "submitted", "verified", "published")


def _walk(spec: dict, pkg_id: str) -> str:
    """Take the dataset along its walk from wherever it stands (reruns resume)."""
    actions = tk.get_action
    current = model.Package.get(pkg_id).extras.get("sdi_status") or "draft"
    pkg = {"id": pkg_id}
    for step in spec["walk"]:
        if _ORDER.index(_REACHED[step]) <= _ORDER.index(current if current in _ORDER else "draft"):
            continue
        actor = {"submit": spec["by"], "verify": _ppid_of(spec["owner_org"]), "publish": "walidata"}[step]
        params = {"id": pkg["id"]}
        if step == "verify":
            params["note"] = "Data dan metadata sesuai."
            params.update(spec.get("verify", {}))
        actions(f"satudata_dataset_{step}")(_ctx(actor), params)
    status = model.Package.get(pkg["id"]).extras.get("sdi_status")
    return f"{spec['name']} ({status})"


_FORMAT = {"fields": [{"name": "kode_wilayah", "type": "string"}, {"name": "kecamatan", "type": "string"},
                      {"name": "tahun", "type": "integer"}, {"name": "jumlah", "type": "integer"}]}

# Data requests at different steps; "upto" is the last preparation step taken.
REQUESTS = [
    {"title": "Kasus gizi buruk balita per kecamatan", "orgs": ["dinas-kesehatan"], "upto": "send",
     "recommend": {"not_needed": True, "reason": "Data administrasi puskesmas, bukan kegiatan survei."},
     "link": "kasus-gizi-buruk-balita", "purpose": "Penyusunan RAD Pangan dan Gizi (Perbup 48/2021)"},
    {"title": "Angka partisipasi sekolah menurut kecamatan", "orgs": ["dinas-pendidikan"], "upto": "send",
     "recommend": {"number": "B-045/32110/VS.300/2026", "date": "2026-10-02",
                   "text": "Gunakan data Dapodik; tidak perlu survei."},
     "link": "angka-partisipasi-sekolah", "purpose": "Evaluasi RPJMD bidang pendidikan"},
    {"title": "Jumlah tenaga kesehatan per puskesmas", "orgs": ["dinas-kesehatan"], "upto": "ask",
     "purpose": "Perencanaan kebutuhan SDM kesehatan"},
    {"title": "Jumlah penduduk miskin per desa", "orgs": [], "upto": "file",
     "purpose": "Penetapan sasaran program perlindungan sosial"},
]


def _ensure_request(spec: dict) -> str:
    """File the request as the forum member and take it along the Walidata's steps."""
    from ckanext.satudata.model import DataRequest

    existing = model.Session.query(DataRequest).filter_by(title=spec["title"]).first()
    if existing is not None:
        return f"{spec['title']} ({existing.status})"
    act = tk.get_action
    req = act("satudata_request_create")(_ctx("forum"), {
        "title": spec["title"], "description": f"{spec['title']} untuk tahun 2022-2024.",
        "purpose": spec["purpose"], "area_level": "kecamatan", "years": "2022-2024"})
    order = ("file", "dispose", "ask", "recommend", "format", "send")
    reached = order.index(spec["upto"])
    if reached >= 1:
        act("satudata_request_dispose")(_ctx("walidata"), {"id": req["id"], "organizations": spec["orgs"],
                                                          "note": "Sesuai Arsitektur Data"})
    recommendation = spec.get("recommend") or {}
    if reached >= 2 and not recommendation.get("not_needed"):
        act("satudata_request_ask_recommendation")(_ctx("walidata"), {"id": req["id"], "pembina": "pembina"})
    if reached >= 3:
        actor = "walidata" if recommendation.get("not_needed") else "pembina"
        act("satudata_request_recommend")(_ctx(actor), {"id": req["id"], **recommendation})
    if reached >= 4:
        act("satudata_request_set_format")(_ctx("walidata"), {"id": req["id"], "table_schema": _FORMAT,
                                                             "metadata_template": {"sdi_frequency": "tahunan"}})
    if reached >= 5:
        act("satudata_request_send")(_ctx("walidata"), {"id": req["id"]})
    if spec.get("link"):
        org = model.Package.get(spec["link"]).owner_org
        producer = next(u["name"] for u in USERS if (u.get("member") or ("",))[0] == model.Group.get(org).name)
        act("satudata_request_link_dataset")(_ctx(producer), {"id": req["id"], "dataset_id": spec["link"]})
    status = model.Session.get(DataRequest, req["id"]).status
    return f"{spec['title']} ({status})"


def load() -> Iterator[str]:
    """Create what is missing; yield one line per object for the console."""
    yield from load_people()
    for spec in DATASETS:
        yield "dataset " + _ensure_dataset(spec)
    for spec in REQUESTS:
        yield "request " + _ensure_request(spec)


def load_people() -> Iterator[str]:
    """The agencies and one user per SDI role (the tests use them too)."""
    for spec in USERS:
        if spec["name"] == "admin":
            yield "user " + _ensure_user(spec)
    for spec in ORGANIZATIONS:
        _ensure_org(spec)
        yield f"agency {spec['name']}"
    for spec in USERS:
        if spec["name"] == "admin":
            continue
        login = _ensure_user(spec)
        if spec.get("member"):
            org, capacity = spec["member"]
            tk.get_action("organization_member_create")(_site_ctx(), {"id": org, "username": spec["name"], "role": capacity})
        if spec.get("role"):
            grant = {"user": spec["name"], "role": spec["role"]}
            if spec.get("organization"):
                grant["organization"] = spec["organization"]
            if spec.get("institution"):
                grant["institution"] = spec["institution"]
            tk.get_action("satudata_role_grant")(_site_ctx(), grant)
        yield f"user {login} ({spec.get('role') or (spec.get('member') or ('',))[0]})"
