"""The step forms of the request page over HTTP (issue 14, items 5, 6 and 11):
a form posted with an error comes back with its input and the error beside the
field, in the page's language only; the Table Schema form builds the schema
from a table of columns (or takes raw JSON) and saves a stored schema unchanged
as it was; the disposition and the Pembina are chosen by name; anonymous
visitors are told what /permintaan is."""
import html
import re

import pytest

import ckan.tests.helpers as helpers

from ckanext.satudata.demo import data as demo

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

TABLE_SCHEMA = {"fields": [{"name": "kecamatan", "type": "string"}, {"name": "jumlah", "type": "integer"}]}
# words of the other language that must not appear in a page's error messages
_ENGLISH = re.compile(r"\b(the|must|missing|value|unknown|invalid|field|not|choose|at least|is|of)\b", re.I)
_INDONESIAN = re.compile(r"\b(tidak|harus|wajib|diisi|kolom|pilih|dikenal|bukan|nilai|dengan|yang)\b", re.I)


@pytest.fixture
def people():
    list(demo.load_people())


def _auth(name):
    token = helpers.call_action("api_token_create", user=name, name="forms")["token"]
    return {"Authorization": token}


def _call(action, user, **data):
    return helpers.call_action(action, {"user": user, "ignore_auth": False}, **data)


def _file(title="Jumlah penduduk per kecamatan"):
    return _call("satudata_request_create", "forum", title=title, description="Untuk RPJMD.",
                 purpose="Perencanaan (Perbup 48/2021)")


def _upto(status, title="Jumlah penduduk per kecamatan"):
    req = _file(title)
    if status == "submitted":
        return req
    req = _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"])
    if status == "dispositioned":
        return req
    req = _call("satudata_request_ask_recommendation", "walidata", id=req["id"], pembina="pembina")
    if status == "awaiting_recommendation":
        return req
    req = _call("satudata_request_recommend", "pembina", id=req["id"], number="B-1/2026", date="2026-11-20",
                text="Gunakan data administrasi")
    assert status == "recommended"
    return req


def _form(page, key):
    """The HTML of one form of the page."""
    assert f'id="satudata-form-{key}"' in page, key
    return page.split(f'id="satudata-form-{key}"', 1)[1].split("</form>", 1)[0]


def _beside(form, field_id):
    """The markup of the field's form group: from its input to the end of the group."""
    start = form.index(f'id="{field_id}"')
    end = form.find('class="form-group', start)
    return form[start:end if end != -1 else len(form)]


def _errors(markup):
    return [html.unescape(m) for m in re.findall(r'class="error-block[^"]*">(.*?)</', markup, re.S)]


def _one_language(page, locale):
    """Every error message of the page (beside fields and above forms) is in the page's language."""
    texts = _errors(page) + [html.unescape(re.sub(r"<[^>]+>", " ", m)) for m in re.findall(
        r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', page, re.S)]
    assert texts
    other = _ENGLISH if locale == "id" else _INDONESIAN
    for text in texts:
        # field names and JSON places (fields[0].type, "bogus") are nobody's language
        words = re.sub(r'"[^"]*"|\S*[\[\]._]\S*', "", text)
        assert not other.search(words), text


PREFIX = {"id": "", "en": "/en"}


@pytest.mark.parametrize("locale", ["id", "en"])
def test_recommendation_forms_keep_input_and_show_errors_beside_fields(people, app, locale):
    req = _upto("awaiting_recommendation")
    url = f"{PREFIX[locale]}/permintaan/{req['id']}"
    response = app.post(f"{url}/recommend", headers=_auth("pembina"),
                        data={"number": "B-77/32110/2026", "date": "20-11-2026", "text": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    form = _form(page, "recommend")
    assert 'value="B-77/32110/2026"' in form and 'value="20-11-2026"' in form
    date_error = {"id": "Tanggal ditulis dengan format TTTT-BB-HH", "en": "Date must be written as YYYY-MM-DD"}[locale]
    assert _errors(_beside(form, "field-date")) == [date_error]
    assert _errors(_beside(form, "field-number")) == []
    assert 'href="#satudata-form-recommend"' in page  # the top of the page points to the form
    _one_language(page, locale)
    assert _call("satudata_request_show", "walidata", id=req["id"])["status"] == "awaiting_recommendation"
    # the Walidata's "not needed" form: a reason is required
    page = app.post(f"{url}/recommend", headers=_auth("walidata"),
                    data={"not_needed": "true", "reason": "   "}).get_data(as_text=True)
    form = _form(page, "not_needed")
    assert _errors(_beside(form, "field-not-needed-reason"))
    assert _errors(_form(page, "recommend")) == [] if 'id="satudata-form-recommend"' in page else True
    _one_language(page, locale)


@pytest.mark.parametrize("locale", ["id", "en"])
def test_reject_cancel_and_comment_keep_their_text(people, app, locale):
    req = _file()
    url = f"{PREFIX[locale]}/permintaan/{req['id']}"
    long = "x" * 10001
    for user, step, key, field in (("walidata", "reject", "reject", "field-reject-reason"),
                                   ("forum", "cancel", "cancel", "field-cancel-reason"),
                                   ("forum", "comment", "comment_create", "field-comment")):
        name = "comment" if step == "comment" else "reason"
        response = app.post(f"{url}/{step}", headers=_auth(user), data={name: "Alasan panjang " + long})
        assert response.status_code == 200, step
        page = response.get_data(as_text=True)
        form = _form(page, key)
        assert "Alasan panjang xxxx" in form  # the text is kept
        messages = _errors(_beside(form, field))
        assert messages == [{"id": "Paling banyak 10000 karakter", "en": "At most 10000 characters"}[locale]], step
        _one_language(page, locale)
    assert _call("satudata_request_show", "forum", id=req["id"])["status"] == "submitted"
    assert _call("satudata_request_comment_list", "forum", id=req["id"]) == []


@pytest.mark.parametrize("locale", ["id", "en"])
def test_disposition_and_pembina_keep_their_choice(people, app, locale):
    req = _file()
    url = f"{PREFIX[locale]}/permintaan/{req['id']}"
    walidata = _auth("walidata")
    page = app.get(url, headers=walidata).get_data(as_text=True)
    form = _form(page, "dispose")
    # agencies by title, sorted, searchable (CKAN's bundled select2 through its autocomplete module)
    assert 'data-module="autocomplete"' in form
    titles = re.findall(r'<option value="[^"]+"[^>]*>([^<]+)</option>', form)
    assert "Dinas Kependudukan dan Pencatatan Sipil" in titles and titles == sorted(titles, key=str.lower)
    response = app.post(f"{url}/dispose", headers=walidata,
                        data={"organizations": ["disdukcapil", "no-such-agency"], "note": "Sesuai arsitektur data"})
    page = response.get_data(as_text=True)
    form = _form(page, "dispose")
    assert '<option value="disdukcapil" selected>' in form and 'value="Sesuai arsitektur data"' in form
    assert _errors(_beside(form, "field-organizations")) == [
        {"id": "Perangkat daerah tidak dikenal: no-such-agency", "en": "Unknown agency: no-such-agency"}[locale]]
    _one_language(page, locale)
    page = app.post(f"{url}/dispose", headers=walidata, data={"note": "Tanpa instansi"}).get_data(as_text=True)
    assert _errors(_beside(_form(page, "dispose"), "field-organizations"))
    assert _call("satudata_request_show", "walidata", id=req["id"])["status"] == "submitted"

    # the Pembina Data by name, from those holding the role
    _call("satudata_request_dispose", "walidata", id=req["id"], organizations=["disdukcapil"])
    page = app.get(url, headers=walidata).get_data(as_text=True)
    form = _form(page, "ask_recommendation")
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]+)</option>', form))
    assert set(options) == {"", "pembina"} and "BPS" in options["pembina"]
    response = app.post(f"{url}/ask_recommendation", headers=walidata,
                        data={"pembina": "forum", "note": "Mohon rekomendasi"})
    page = response.get_data(as_text=True)
    form = _form(page, "ask_recommendation")
    assert 'value="Mohon rekomendasi"' in form
    assert _errors(_beside(form, "field-pembina")) == [
        {"id": "forum bukan Pembina Data", "en": "forum is not a Pembina Data"}[locale]]
    _one_language(page, locale)
    app.post(f"{url}/ask_recommendation", headers=walidata, data={"pembina": "pembina"})
    assert _call("satudata_request_show", "walidata", id=req["id"])["pembina"] == "pembina"


def _rows(fields):
    """The column table's posted fields."""
    data = {"table_schema_mode": "columns"}
    for n, row in enumerate(fields):
        data.update({f"fields__{n}__{k}": v for k, v in row.items()})
    return data


def test_the_column_table_builds_the_table_schema(people, app):
    req = _upto("recommended")
    walidata = _auth("walidata")
    page = app.get(f"/permintaan/{req['id']}", headers=walidata).get_data(as_text=True)
    form = _form(page, "set_format")
    assert 'name="fields__0__name"' in form and 'name="table_schema_mode" value="columns"' in form
    data = _rows([
        {"name": "kecamatan", "title": "Kecamatan", "type": "string", "required": "true", "unique": "true",
         "enum": "Jatinangor, Tanjungsari", "description": "Nama kecamatan"},
        {"name": "tahun", "type": "year", "minimum": "2020", "maximum": "2030"},
        {"name": "jumlah", "type": "integer", "required": "true", "minimum": "0"},
        {"name": "kode", "type": "string", "pattern": r"32\.11\.\d{2}"},
        {"name": "", "type": "string"},  # an empty row is skipped
    ])
    data["metadata_template"] = '{"sdi_unit": "orang", "sdi_frequency": "tahunan"}'
    response = app.post(f"/permintaan/{req['id']}/set_format", headers=walidata, data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Format dataset telah disimpan" in page
    # the metadata template as the dataset form labels it, not raw field names and codes
    shown = page.split('data-field="sdi_frequency">', 1)[1].split("</dd>", 1)[0]
    assert "Frekuensi Pemutakhiran" in shown and "Tahunan" in shown and "tahunan" not in shown
    stored = _call("satudata_request_show", "walidata", id=req["id"])["table_schema"]
    assert stored == {"fields": [
        {"name": "kecamatan", "title": "Kecamatan", "type": "string", "description": "Nama kecamatan",
         "constraints": {"required": True, "unique": True, "enum": ["Jatinangor", "Tanjungsari"]}},
        {"name": "tahun", "type": "year", "constraints": {"minimum": 2020, "maximum": 2030}},
        {"name": "jumlah", "type": "integer", "constraints": {"required": True, "minimum": 0}},
        {"name": "kode", "type": "string", "constraints": {"pattern": r"32\.11\.\d{2}"}},
    ]}


@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_column_table_shows_errors_in_their_cells(people, app, locale):
    req = _upto("recommended")
    url = f"{PREFIX[locale]}/permintaan/{req['id']}"
    data = _rows([
        {"name": "kecamatan", "type": "string", "title": "Kecamatan"},
        {"name": "", "type": "integer", "title": "Tanpa nama"},
        {"name": "jumlah", "type": "integer", "minimum": "sepuluh"},
        {"name": "kecamatan", "type": "string"},
        {"name": "rasio", "type": "number", "minimum": "5", "maximum": "1", "pattern": "(("},
    ])
    response = app.post(f"{url}/set_format", headers=_auth("walidata"), data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    form = _form(page, "set_format")
    # the input is kept, row by row
    assert 'name="fields__1__title" value="Tanpa nama"' in form and 'name="fields__2__minimum" value="sepuluh"' in form

    def cell(n, column):
        start = form.index(f'name="fields__{n}__{column}"')
        return _errors(form[start:form.index("</td>", start)])

    assert cell(1, "name") == [{"id": "Beri nama kolom ini", "en": "Give the column a name"}[locale]]
    assert cell(2, "minimum") == [{"id": "Harus berupa bilangan bulat", "en": "Must be a whole number"}[locale]]
    assert cell(0, "name") == []
    _one_language(page, locale)
    assert _call("satudata_request_show", "walidata", id=req["id"])["table_schema"] is None
    # once the cells are right, the schema's own checks land in their rows
    data = _rows([{"name": "kecamatan", "type": "string"}, {"name": "kecamatan", "type": "string"},
                  {"name": "rasio", "type": "number", "minimum": "5", "maximum": "1"},
                  {"name": "kode", "type": "string", "pattern": "(("}])
    page = app.post(f"{url}/set_format", headers=_auth("walidata"), data=data).get_data(as_text=True)
    form = _form(page, "set_format")
    assert cell(1, "name") and cell(2, "maximum") and cell(3, "pattern") and cell(0, "name") == []
    assert {"id": "Ekspresi reguler tidak valid", "en": "Invalid regular expression"}[locale] in cell(3, "pattern")[0]
    _one_language(page, locale)


@pytest.mark.parametrize("locale", ["id", "en"])
def test_raw_json_is_the_advanced_option(people, app, locale):
    req = _upto("recommended")
    url = f"{PREFIX[locale]}/permintaan/{req['id']}"
    bad = '{"fields": [{"name": "x", "type": "bogus"}]}'
    response = app.post(f"{url}/set_format", headers=_auth("walidata"),
                        data={"table_schema_mode": "json", "table_schema": bad, "metadata_template": '{"nope": 1}'})
    page = response.get_data(as_text=True)
    form = _form(page, "set_format")
    assert 'value="json" data-mode-choice="json" checked' in form
    assert html.unescape(form.split('name="table_schema"', 1)[1].split(">", 1)[1].split("</textarea>")[0]) == bad
    schema_error = _errors(_beside(form, "field-table_schema"))
    assert len(schema_error) == 1 and {"id": "Table Schema tidak valid", "en": "Invalid Table Schema"}[locale] in \
        schema_error[0] and '"bogus"' in schema_error[0]
    assert _errors(_beside(form, "field-metadata_template"))
    _one_language(page, locale)
    app.post(f"{url}/set_format", headers=_auth("walidata"),
             data={"table_schema_mode": "json", "table_schema": '{"fields": [{"name": "x", "type": "integer"}],'
                                                                 ' "missingValues": ["", "-"]}'})
    assert _call("satudata_request_show", "walidata", id=req["id"])["table_schema"] == {
        "fields": [{"name": "x", "type": "integer"}], "missingValues": ["", "-"]}


def test_a_stored_schema_saved_unchanged_is_stored_identical(people, app):
    """Everything the table does not show, and the way the stored values are
    written (no type, required false, numbers as text), survives a save."""
    req = _upto("recommended")
    schema = {
        "fields": [
            {"name": "kode", "title": "Kode wilayah", "type": "string", "format": "default",
             "constraints": {"required": False, "minLength": 5, "pattern": "32\\.11.*"}, "rdfType": "http://x/kode"},
            {"name": "tanpa_tipe", "description": "tipe tidak ditulis"},
            {"name": "jumlah", "type": "integer", "bareNumber": False,
             "constraints": {"minimum": "0", "enum": [1, 2, 3]}},
            {"name": "rasio", "type": "number", "decimalChar": ",", "constraints": {"maximum": 1.5}},
            {"name": "tanggal", "type": "date", "format": "%d/%m/%Y", "constraints": {}},
        ],
        "primaryKey": ["kode"], "missingValues": ["", "-"], "x-catatan": {"versi": 2},
    }
    _call("satudata_request_set_format", "walidata", id=req["id"], table_schema=schema,
          metadata_template={"sdi_unit": "orang"})
    walidata = _auth("walidata")
    page = app.get(f"/permintaan/{req['id']}", headers=walidata).get_data(as_text=True)
    form = _form(page, "set_format")
    # post the form exactly as the page drew it
    data = {}
    for tag in re.findall(r"<(?:input|select|textarea)[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or "_csrf" in name.group(1):
            continue
        name = name.group(1)
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if " checked" in tag:
                data[name] = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
        elif tag.startswith("<select"):
            body = form[form.index(tag):].split("</select>", 1)[0]
            chosen = re.search(r'<option value="([^"]*)" selected', body)
            data[name] = html.unescape(chosen.group(1)) if chosen else ""
        elif tag.startswith("<textarea"):
            data[name] = html.unescape(form[form.index(tag) + len(tag):].split("</textarea>", 1)[0])
        else:
            value = re.search(r'value="([^"]*)"', tag)
            data[name] = html.unescape(value.group(1)) if value else ""
    assert data["table_schema_mode"] == "columns" and data["fields__1__type"] == ""
    response = app.post(f"/permintaan/{req['id']}/set_format", headers=walidata, data=data)
    assert "Format dataset telah disimpan" in response.get_data(as_text=True)
    stored = _call("satudata_request_show", "walidata", id=req["id"])
    assert stored["table_schema"] == schema and stored["metadata_template"] == {"sdi_unit": "orang"}
    # one change in the table changes that one value
    data["fields__2__minimum"] = "10"
    data["fields__0__required"] = "true"
    app.post(f"/permintaan/{req['id']}/set_format", headers=walidata, data=data)
    stored = _call("satudata_request_show", "walidata", id=req["id"])["table_schema"]
    schema["fields"][2]["constraints"]["minimum"] = 10
    schema["fields"][0]["constraints"]["required"] = True
    assert stored == schema


@pytest.mark.parametrize("locale", ["id", "en"])
def test_anonymous_visitors_learn_what_requests_are(people, app, locale):
    page = app.get(f"{PREFIX[locale]}/permintaan").get_data(as_text=True)
    assert 'data-intro="anonymous"' in page and 'data-action="login"' in page
    texts = {"id": ("Apa itu permintaan data?", "Masuk untuk mengajukan permintaan data"),
             "en": ("What is a data request?", "Log in to file a data request")}[locale]
    assert all(t in page for t in texts)
    login = re.search(r'data-action="login" href="([^"]+)"', page).group(1)
    assert "/user/login" in html.unescape(login) and "came_from=" in login
    # the header links to the requests for everyone
    assert f'href="{PREFIX[locale]}/permintaan"' in app.get(f"{PREFIX[locale]}/dataset/").get_data(as_text=True)
    # a Forum member gets the button instead; a producer is told who files requests
    forum = app.get(f"{PREFIX[locale]}/permintaan", headers=_auth("forum")).get_data(as_text=True)
    assert "data-intro=" not in forum
    producer = app.get(f"{PREFIX[locale]}/permintaan", headers=_auth("produsen-dinkes")).get_data(as_text=True)
    assert 'data-intro="member"' in producer


@pytest.mark.parametrize("locale", ["id", "en"])
def test_an_agency_list_without_requests_to_show_says_so(people, app, locale):
    """Outsiders never see which requests went to an agency (not even public
    ones: the agencies are not part of what a public request shows), and are
    told so; its staff see its requests, or that none was sent."""
    req = _upto("dispositioned")
    _call("satudata_request_patch", "walidata", id=req["id"], is_public=True)
    url = f"{PREFIX[locale]}/permintaan/instansi/disdukcapil"
    text = {"id": "Tidak ada permintaan data untuk ditampilkan: permintaan yang dikirim ke Dinas Kependudukan dan "
                  "Pencatatan Sipil hanya ditampilkan kepada pegawainya.",
            "en": "No data requests to list: the requests sent to Dinas Kependudukan dan Pencatatan Sipil are shown "
                  "to its staff only."}[locale]
    for headers in ({}, _auth("produsen-dinkes")):
        page = app.get(url, headers=headers).get_data(as_text=True)
        assert 'data-empty="public"' in page and text in page and req["title"] not in page
        assert f'<a href="{PREFIX[locale]}/permintaan">' in page
    # its own staff see the request; an agency with nothing sent says that to them
    page = app.get(url, headers=_auth("produsen-disdukcapil")).get_data(as_text=True)
    assert req["title"] in page and "data-empty" not in page
    page = app.get(f"{PREFIX[locale]}/permintaan/instansi/dinas-kesehatan",
                   headers=_auth("produsen-dinkes")).get_data(as_text=True)
    assert 'data-empty="member"' in page and {
        "id": "Belum ada permintaan data yang dikirim ke perangkat daerah ini.",
        "en": "No data requests have been sent to this agency yet."}[locale] in page
