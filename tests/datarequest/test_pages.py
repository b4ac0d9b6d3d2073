"""The data request pages over HTTP with the demo's role users: who sees which
page and form, in Indonesian (English under /en/), errors per field, no 500s."""
import datetime as dt

import pytest

import ckan.model as model
import ckan.plugins.toolkit as tk
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

from ckanext.satudata.demo import data as demo
from ckanext.satudata.model import DataRequest

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

TABLE_SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "jumlah", "type": "integer"}]}


@pytest.fixture
def people():
    list(demo.load_people())


def _auth(name):
    token = helpers.call_action("api_token_create", user=name, name="pages")["token"]
    return {"Authorization": token}


def _call(action, user, **data):
    return helpers.call_action(action, {"user": user, "ignore_auth": False}, **data)


def _file(title="Jumlah penduduk per kecamatan"):
    return _call("satudata_request_create", "forum", title=title, description="Untuk RPJMD.",
                 purpose="Perencanaan (Perbup 48/2021)", area_level="kecamatan", years="2022-2024")


def _sent(title="Jumlah penduduk per kecamatan"):
    req = _file(title)
    _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"])
    _call("satudata_request_recommend", "walidata", id=req["id"], not_needed=True, reason="Data administrasi")
    _call("satudata_request_set_format", "walidata", id=req["id"], table_schema=TABLE_SCHEMA,
          metadata_template={"sdi_unit": "orang", "sdi_frequency": "tahunan"})
    return _call("satudata_request_send", "walidata", id=req["id"])


def _text(response):
    return response.get_data(as_text=True)


def test_pages_render_for_their_roles_in_indonesian(people, app):
    req = _file()
    forum = _auth("forum")
    page = _text(app.get("/permintaan", headers=forum))
    assert "Permintaan Data" in page and "Jumlah penduduk per kecamatan" in page and "Baru" in page
    assert "Ajukan permintaan data" in page
    page = _text(app.get("/permintaan/saya", headers=forum))
    assert "Permintaan saya" in page and f"/permintaan/{req['id']}" in page
    page = _text(app.get("/permintaan/baru", headers=forum))
    assert "Tujuan penggunaan dan dasar hukum" in page and "Kecamatan" in page and "Desa/Kelurahan" in page
    page = _text(app.get(f"/permintaan/{req['id']}", headers=forum))
    assert page.count('class="satudata-step ') == 11
    assert 'data-step="2" data-state="current"' in page and "Kebutuhan data diajukan" in page
    assert 'data-form="dispose"' not in page and 'data-form="cancel"' in page
    page = _text(app.get(f"/permintaan/{req['id']}", headers=_auth("walidata")))
    assert 'data-form="dispose"' in page and 'data-form="reject"' in page and "Dinas Kependudukan dan Pencatatan Sipil" in page
    page = _text(app.get("/en/permintaan/baru", headers=forum))
    assert "File a data request" in page and "Purpose and legal basis" in page


def test_wrong_roles_get_403_or_404(people, app):
    req = _file()
    app.get("/permintaan/kotak-masuk", headers=_auth("forum"), status=403)
    app.get("/permintaan/kotak-masuk", status=401)
    app.get("/permintaan/baru", headers=_auth("produsen-dinkes"), status=403)
    app.get("/permintaan/saya", status=401)
    # a request the user may not see is not found, not forbidden
    app.get(f"/permintaan/{req['id']}", headers=_auth("produsen-dinkes"), status=404)
    app.get(f"/permintaan/{req['id']}", status=404)
    app.get("/permintaan/no-such-request", headers=_auth("walidata"), status=404)
    app.post(f"/permintaan/{req['id']}/dispose", data={"organizations": "disdukcapil"},
             headers=_auth("forum"), status=403)
    app.post("/permintaan/no-such-request/dispose", data={"organizations": "disdukcapil"},
             headers=_auth("walidata"), status=404)
    app.get("/permintaan/instansi/no-such-agency", headers=_auth("walidata"), status=404)
    assert "Jumlah penduduk" not in _text(app.get("/permintaan", headers=_auth("produsen-dinkes")))


def test_a_public_request_shows_others_only_title_status_and_public_datasets(people, app):
    req = _file()
    _call("satudata_request_patch", "walidata", id=req["id"], is_public=True)
    page = _text(app.get(f"/permintaan/{req['id']}", headers=_auth("produsen-dinkes")))
    assert "Jumlah penduduk per kecamatan" in page and 'data-request-status="submitted"' in page
    assert "Untuk RPJMD." not in page and "satudata-step " not in page and 'data-form=' not in page


def test_the_form_files_a_request(people, app):
    response = app.post("/permintaan/baru", headers=_auth("forum"), follow_redirects=True, data={
        "title": "Angka partisipasi sekolah", "description": "APS per kecamatan", "purpose": "RPJMD",
        "needed_by": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
        "indicators": "APS 7-12\nAPS 13-15", "area_level": "kecamatan", "years": "2021-2024"})
    page = _text(response)
    assert "Permintaan data Anda telah diajukan" in page
    assert "Angka partisipasi sekolah" in page and "APS 13-15" in page
    req = _call("satudata_request_list", "forum", requester="forum")["results"][0]
    assert req["title"] == "Angka partisipasi sekolah"
    full = _call("satudata_request_show", "forum", id=req["id"])
    assert (full["indicators"], full["area_level"], full["years"]) == (["APS 7-12", "APS 13-15"], "kecamatan",
                                                                       "2021-2024")


def test_bad_input_on_the_form_shows_the_field_errors(people, app):
    response = app.post("/permintaan/baru", headers=_auth("forum"), data={
        "title": "", "description": "x", "purpose": "y", "years": "tahun lalu", "needed_by": "2001-01-01",
        "area_level": "benua"})
    assert response.status_code == 200
    page = _text(response)
    assert "Tahun ditulis seperti 2020-2024 atau 2021, 2023" in page
    assert "error-block" in page and 'id="field-title"' in page
    assert "Wajib diisi" in page  # the empty title
    assert 'value="tahun lalu"' in page  # the input is kept
    assert _call("satudata_request_list", "walidata")["count"] == 0


def test_step_forms_call_the_actions_and_flash(people, app):
    req = _file()
    walidata = _auth("walidata")
    page = _text(app.post(f"/permintaan/{req['id']}/dispose", headers=walidata, follow_redirects=True,
                          data={"organizations": ["no-such-agency"]}))
    assert "Perangkat daerah tidak dikenal: no-such-agency" in page
    page = _text(app.post(f"/permintaan/{req['id']}/dispose", headers=walidata, follow_redirects=True,
                          data={"organizations": ["disdukcapil", "dinas-kesehatan"], "note": "Sesuai arsitektur"}))
    assert "Permintaan telah didisposisikan ke perangkat daerah" in page
    assert _call("satudata_request_show", "walidata", id=req["id"])["status"] == "dispositioned"
    app.post(f"/permintaan/{req['id']}/ask_recommendation", headers=walidata, data={"pembina": "pembina"})
    page = _text(app.get(f"/permintaan/{req['id']}", headers=_auth("pembina")))
    assert 'data-form="recommend"' in page and 'data-form="dispose"' not in page
    page = _text(app.post(f"/permintaan/{req['id']}/recommend", headers=_auth("pembina"), follow_redirects=True,
                          data={"number": "B-1/32110/2026"}))
    assert "Wajib diisi" in page  # date and text missing
    app.post(f"/permintaan/{req['id']}/recommend", headers=_auth("pembina"),
             data={"number": "B-1/32110/2026", "date": "2026-11-20", "text": "Gunakan SIAK"})
    page = _text(app.post(f"/permintaan/{req['id']}/set_format", headers=walidata, follow_redirects=True,
                          data={"table_schema": '{"fields": [{"name": "x", "type": "bogus"}]}'}))
    assert "Table Schema tidak valid" in page
    app.post(f"/permintaan/{req['id']}/set_format", headers=walidata,
             data={"table_schema": '{"fields": [{"name": "kecamatan", "type": "string"}]}',
                   "metadata_template": '{"sdi_unit": "orang"}'})
    page = _text(app.post(f"/permintaan/{req['id']}/comment", headers=_auth("forum"), follow_redirects=True,
                          data={"comment": "Mohon disegerakan"}))
    assert "Mohon disegerakan" in page and "Komentar Anda telah ditambahkan" in page
    page = _text(app.post(f"/permintaan/{req['id']}/follow", headers=_auth("pembina"), follow_redirects=True))
    assert 'data-action="unfollow"' in page
    page = _text(app.get(f"/permintaan/{req['id']}", headers=walidata))
    assert "B-1/32110/2026" in page and "<code>kecamatan</code>" in page and 'data-form="send"' in page
    assert "Rekomendasi diminta" in page  # the history names the events
    assert [s["state"] for s in _call("satudata_request_timeline", "forum", id=req["id"])["steps"]][:5] == [
        "done", "done", "done", "done", "current"]


def test_the_inbox_lists_new_overdue_and_waiting_requests(people, app):
    fresh = _file("Permintaan baru masuk")
    late = _file("Permintaan yang terlambat")
    _call("satudata_request_dispose", "walidata", id=late["id"], organizations=["disdukcapil"])
    waiting = _file("Permintaan menunggu rekomendasi")
    _call("satudata_request_dispose", "walidata", id=waiting["id"], organizations=["disdukcapil"])
    _call("satudata_request_ask_recommendation", "walidata", id=waiting["id"])
    row = model.Session.get(DataRequest, late["id"])
    row.step_due = dt.datetime.utcnow() - dt.timedelta(days=3)
    model.repo.commit()
    page = _text(app.get("/permintaan/kotak-masuk", headers=_auth("walidata")))
    sections = {key: page.split(f'data-section="{key}"')[1].split("</section>")[0]
                for key in ("new", "overdue", "awaiting_recommendation")}
    assert fresh["title"] in sections["new"] and late["title"] not in sections["new"]
    assert late["title"] in sections["overdue"] and "Terlambat" in sections["overdue"]
    assert fresh["title"] not in sections["overdue"]
    assert waiting["title"] in sections["awaiting_recommendation"]
    page = _text(app.get("/permintaan?overdue=true", headers=_auth("walidata")))
    assert late["title"] in page and fresh["title"] not in page


def test_the_agency_list_prefills_a_dataset_for_the_request(people, app):
    req = _sent()
    producer = _auth("produsen-disdukcapil")
    page = _text(app.get("/permintaan/instansi/disdukcapil", headers=producer))
    assert "Buat dataset untuk permintaan ini" in page and "kecamatan, jumlah" in page
    org_id = helpers.call_action("organization_show", id="disdukcapil")["id"]
    link = page.split('data-action="create-dataset" href="')[1].split('"')[0].replace("&amp;", "&")
    assert f"sdi_request_id={req['id']}" in link and f"owner_org={org_id}" in link and "sdi_unit=orang" in link
    form = _text(app.get(link, headers=producer))
    assert f'name="sdi_request_id" value="{req["id"]}"' in form
    assert 'value="orang"' in form and "Dataset ini memenuhi permintaan data" in form
    # another agency's producer sees the request nowhere and gets no button
    page = _text(app.get("/permintaan/instansi/disdukcapil", headers=_auth("produsen-dinkes")))
    assert "Buat dataset untuk permintaan ini" not in page and req["title"] not in page
    # the request page offers the same button to the producer
    page = _text(app.get(f"/permintaan/{req['id']}", headers=producer))
    assert 'data-action="create-dataset"' in page and 'data-form="link_dataset"' in page


def test_header_links_to_the_requests(people, app):
    page = _text(app.get("/dataset/", headers=_auth("produsen-dinkes")))
    assert 'href="/permintaan"' in page and "Permintaan Data" in page


def test_the_edit_page_for_the_requester_then_the_walidata(people, app):
    req = _file()
    forum, walidata = _auth("forum"), _auth("walidata")
    page = _text(app.get(f"/permintaan/{req['id']}", headers=forum))
    assert f'data-action="edit" href="/permintaan/{req["id"]}/ubah"' in page and ">Ubah<" in page
    form = _text(app.get(f"/permintaan/{req['id']}/ubah", headers=forum))
    assert 'value="Jumlah penduduk per kecamatan"' in form and "Untuk RPJMD." in form and 'value="2022-2024"' in form
    # field errors under their fields, the input kept, nothing saved
    response = app.post(f"/permintaan/{req['id']}/ubah", headers=forum,
                        data={"title": "", "description": "Untuk RPJMD.", "purpose": "Perencanaan", "years": "kemarin"})
    page = _text(response)
    assert response.status_code == 200 and "error-block" in page and "Wajib diisi" in page
    assert "Tahun ditulis seperti 2020-2024 atau 2021, 2023" in page and 'value="kemarin"' in page
    assert _call("satudata_request_show", "forum", id=req["id"])["years"] == "2022-2024"
    page = _text(app.post(f"/permintaan/{req['id']}/ubah", headers=forum, follow_redirects=True, data={
        "title": "Jumlah penduduk per desa", "description": "Untuk RPJMD.", "purpose": "Perencanaan",
        "indicators": "Laki-laki\nPerempuan", "area_level": "desa", "years": "2023"}))
    assert "Permintaan data telah disimpan" in page and "Jumlah penduduk per desa" in page
    saved = _call("satudata_request_show", "forum", id=req["id"])
    assert (saved["title"], saved["indicators"], saved["area_level"], saved["years"]) == (
        "Jumlah penduduk per desa", ["Laki-laki", "Perempuan"], "desa", "2023")
    # once dispositioned, only the Walidata edits
    _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"])
    assert 'data-action="edit"' not in _text(app.get(f"/permintaan/{req['id']}", headers=forum))
    app.get(f"/permintaan/{req['id']}/ubah", headers=forum, status=403)
    app.post(f"/permintaan/{req['id']}/ubah", headers=forum, data={"title": "x"}, status=403)
    producer = _auth("produsen-disdukcapil")
    assert 'data-action="edit"' not in _text(app.get(f"/permintaan/{req['id']}", headers=producer))
    app.get(f"/permintaan/{req['id']}/ubah", headers=producer, status=403)
    app.get(f"/permintaan/{req['id']}/ubah", headers=_auth("produsen-dinkes"), status=404)
    assert 'data-action="edit"' in _text(app.get(f"/permintaan/{req['id']}", headers=walidata))
    app.post(f"/permintaan/{req['id']}/ubah", headers=walidata, data={
        "title": "Jumlah penduduk per desa 2023", "description": "Untuk RPJMD.", "purpose": "Perencanaan"})
    assert _call("satudata_request_show", "walidata", id=req["id"])["title"] == "Jumlah penduduk per desa 2023"
    # closed: nobody edits
    _call("satudata_request_reject", "walidata", id=req["id"], reason="Sudah ada")
    assert 'data-action="edit"' not in _text(app.get(f"/permintaan/{req['id']}", headers=walidata))
    app.get(f"/permintaan/{req['id']}/ubah", headers=walidata, status=403)


def test_the_walidata_makes_a_request_public_and_back(people, app):
    req = _file()
    walidata, forum = _auth("walidata"), _auth("forum")
    assert 'data-form="public"' not in _text(app.get(f"/permintaan/{req['id']}", headers=forum))
    page = _text(app.get(f"/permintaan/{req['id']}", headers=walidata))
    assert 'data-form="public"' in page and 'data-action="make_public"' in page and 'data-request-public="true"' not in page
    # the requester may edit but not publish: the action refuses, nothing changes
    page = _text(app.post(f"/permintaan/{req['id']}/public", headers=forum, follow_redirects=True,
                          data={"is_public": "true"}))
    assert "Hanya Walidata" in page
    assert _call("satudata_request_show", "walidata", id=req["id"])["is_public"] is False
    app.post(f"/permintaan/{req['id']}/public", headers=_auth("produsen-dinkes"), data={"is_public": "true"},
             status=403)
    page = _text(app.post(f"/permintaan/{req['id']}/public", headers=walidata, follow_redirects=True,
                          data={"is_public": "true"}))
    assert "Permintaan kini publik" in page and 'data-action="make_private"' in page
    assert 'data-request-public="true"' in page and ">Publik<" in page
    assert _call("satudata_request_show", "walidata", id=req["id"])["is_public"] is True
    # the badge in the list, also for those who see only the public part
    for who in ("forum", "produsen-dinkes"):
        row = _text(app.get("/permintaan", headers=_auth(who))).split(f'data-request-id="{req["id"]}"')[1]
        assert 'data-request-public="true"' in row.split("</tr>")[0]
    page = _text(app.get(f"/permintaan/{req['id']}", headers=_auth("produsen-dinkes")))
    assert 'data-request-public="true"' in page and 'data-form="public"' not in page
    page = _text(app.post(f"/permintaan/{req['id']}/public", headers=walidata, follow_redirects=True,
                          data={"is_public": "false"}))
    assert "Permintaan tidak lagi publik" in page and 'data-request-public="true"' not in page
    assert _call("satudata_request_show", "walidata", id=req["id"])["is_public"] is False
    app.get(f"/permintaan/{req['id']}", headers=_auth("produsen-dinkes"), status=404)


def test_the_inbox_is_the_walidatas(people, app):
    sysadmin = factories.Sysadmin()
    assert helpers.call_auth("satudata_request_inbox", {"user": "walidata", "model": model})
    assert helpers.call_auth("satudata_request_inbox", {"user": sysadmin["name"], "model": model})
    for user in ("forum", "pembina", "produsen-disdukcapil"):
        with pytest.raises(tk.NotAuthorized):
            helpers.call_auth("satudata_request_inbox", {"user": user, "model": model})
    app.get("/permintaan/kotak-masuk", headers=_auth("walidata"), status=200)
    app.get("/permintaan/kotak-masuk", headers=_auth("pembina"), status=403)
    assert 'href="/permintaan/kotak-masuk"' in _text(app.get("/permintaan", headers=_auth("walidata")))
    assert 'href="/permintaan/kotak-masuk"' not in _text(app.get("/permintaan", headers=_auth("forum")))


def test_the_dataset_form_names_the_request_it_fulfils(people, app):
    req = _sent("Jumlah kelahiran per kecamatan")
    org_id = helpers.call_action("organization_show", id="disdukcapil")["id"]
    form = _text(app.get(f"/dataset/new?owner_org={org_id}&sdi_request_id={req['id']}",
                         headers=_auth("produsen-disdukcapil")))
    assert f'<a href="/permintaan/{req["id"]}" data-request-id="{req["id"]}">Jumlah kelahiran per kecamatan</a>' in form
    # a request the user may not see: the id travels, its title is not shown
    other_org = helpers.call_action("organization_show", id="dinas-kesehatan")["id"]
    form = _text(app.get(f"/dataset/new?owner_org={other_org}&sdi_request_id={req['id']}",
                         headers=_auth("produsen-dinkes")))
    assert f'name="sdi_request_id" value="{req["id"]}"' in form
    assert "Jumlah kelahiran per kecamatan" not in form and f'href="/permintaan/{req["id"]}"' not in form


def test_the_organization_page_links_its_members_to_its_requests(people, app):
    link = 'href="/permintaan/instansi/disdukcapil"'
    assert link in _text(app.get("/organization/disdukcapil", headers=_auth("produsen-disdukcapil")))
    page = _text(app.get("/organization/about/disdukcapil", headers=_auth("produsen-disdukcapil")))
    assert link in page and "Permintaan Data" in page
    assert link not in _text(app.get("/organization/disdukcapil", headers=_auth("produsen-dinkes")))
    assert link not in _text(app.get("/organization/disdukcapil"))


@pytest.mark.parametrize("path", ["/permintaan/a%00b", "/permintaan/a%00b/ubah", "/en/permintaan/a%1Bb"])
def test_a_malformed_request_id_in_the_url_is_not_found(people, app, path):
    app.get(path, headers=_auth("walidata"), status=404)


def test_forms_with_control_characters_or_blanks_are_field_errors_not_500s(people, app):
    req = _file()
    response = app.post("/permintaan/baru", headers=_auth("forum"), data={
        "title": "Judul\x00", "description": "   ", "purpose": "\r\n", "needed_by": "2030-01-01junk"})
    assert response.status_code == 200
    page = _text(response)
    assert "Karakter kontrol tidak diperbolehkan" in page and "Wajib diisi" in page
    assert _call("satudata_request_list", "walidata")["count"] == 1
    page = _text(app.post(f"/permintaan/{req['id']}/comment", headers=_auth("forum"), follow_redirects=True,
                          data={"comment": "Halo\x00"}))
    assert "Karakter kontrol tidak diperbolehkan" in page
    assert _call("satudata_request_comment_list", "forum", id=req["id"]) == []
    app.post("/permintaan/a%00b/comment", headers=_auth("forum"), data={"comment": "x"}, status=404)
    page = _text(app.get("/permintaan?q=data_umum%00&limit=", headers=_auth("walidata")))
    assert "Karakter kontrol tidak diperbolehkan" in page
