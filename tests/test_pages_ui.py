"""What every page shares (issue 14, items 8 and 10): no request to another
host (Gravatar is unreachable from an intranet), one date format ("9 Desember
2026, 09.04 WIB") in the portal's time zone, core strings CKAN's Indonesian
catalogue lacks translated by the extension's, booleans as "Ya"/"Tidak", and
the resource form's last button saying it saves a draft."""
import datetime as dt
import re

import pytest

import ckan.plugins.toolkit as tk
import ckan.tests.helpers as helpers

from ckanext.satudata import dates

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")

# src/href of what the browser fetches by itself: images, scripts, styles, frames
_FETCHED = re.compile(r'<(?:img|script|iframe|source|link)\b[^>]*?\b(?:src|href)="([^"]+)"', re.I)


def _auth(user):
    token = helpers.call_action("api_token_create", user=user["name"], name="t")["token"]
    return {"Authorization": token}


def _outside(page: str) -> list[str]:
    found = [url for url in _FETCHED.findall(page)
             if re.match(r"(https?:)?//", url) and not url.startswith(tk.config.get("ckan.site_url"))]
    if "gravatar.com" in page:
        found.append("gravatar.com")
    return found


def test_no_page_fetches_from_another_host(portal, app):
    # CKAN's factories give users and agencies pictures on picsum.photos: the
    # agencies' go (an agency's logo is the portal's own choice), the users' stay
    for org in (portal.org_a, portal.org_b):
        helpers.call_action("organization_patch", {"user": portal.sysadmin["name"]}, id=org["id"], image_url="")
    pkg = portal.walk(portal.dataset(name="ui-lokal"), "submit", "verify", "publish")
    res = pkg["resources"][0]["id"]
    paths = ["/", "/dataset/", f"/dataset/{pkg['name']}", f"/dataset/{pkg['name']}/resource/{res}",
             "/satudata/tugas", "/permintaan", "/dashboard/datasets", "/user/producer-a", "/organization/"]
    for user in (None, portal.producer_a, portal.walidata, portal.sysadmin):
        headers = _auth(user) if user else {}
        for path in paths:
            response = app.get(path, headers=headers)
            if response.status_code >= 400:
                continue  # e.g. the tasks page asks anonymous visitors to log in
            assert _outside(response.get_data(as_text=True)) == [], (user and user["name"], path)
    # the logged-in header shows the placeholder picture, not Gravatar's
    page = app.get("/dataset/", headers=_auth(portal.producer_a)).get_data(as_text=True)
    assert "placeholder-user.png" in page


def test_user_image_and_gravatar_helpers_stay_local(portal, app):
    assert helpers.call_action("user_show", id=portal.producer_a["id"])["image_url"].startswith("https://")
    with app.flask_app.test_request_context():
        assert "placeholder-user.png" in str(tk.h.user_image(portal.producer_a["id"]))
        helpers.call_action("user_patch", {"user": portal.sysadmin["name"]}, id=portal.producer_a["id"], image_url="")
        assert "placeholder-user.png" in str(tk.h.user_image(portal.producer_a["id"]))
        assert "gravatar" not in str(tk.h.gravatar("0" * 32))


@pytest.mark.parametrize("locale, with_hours, expected", [
    ("id", True, "9 Desember 2026, 09.04 WIB"),
    ("en", True, "9 December 2026, 09:04 WIB"),
    ("id", False, "9 Desember 2026"),
])
def test_one_date_format(app, locale, with_hours, expected):
    moment = dt.datetime(2026, 12, 9, 2, 4, 31)  # naive UTC, as CKAN stores it
    with app.flask_app.test_request_context("/dataset/", environ_overrides={"CKAN_LANG": locale}):
        assert tk.h.render_datetime(moment, with_hours=with_hours) == expected
        assert tk.h.render_datetime(moment.isoformat(), with_hours=with_hours) == expected
        assert tk.h.render_datetime(None) == "" and tk.h.render_datetime("bukan tanggal") == ""
        assert tk.h.render_datetime(dt.date(2026, 12, 9)) == expected.split(",")[0]
        assert tk.h.time_ago_from_timestamp(moment) == (expected if with_hours else expected + ", 09.04 WIB")
        # an explicit format is still core's
        assert tk.h.render_datetime(moment, date_format="%Y-%m-%d") == "2026-12-09"


@pytest.mark.ckan_config("ckanext.satudata.timezone", "Asia/Jayapura")
def test_the_date_is_in_the_portals_time_zone(app):
    with app.flask_app.test_request_context("/dataset/", environ_overrides={"CKAN_LANG": "id"}):
        assert dates.render(dt.datetime(2026, 12, 9, 2, 4), with_hours=True) == "9 Desember 2026, 11.04 WIT"


def test_core_strings_are_indonesian(portal, app):
    """CKAN's own Indonesian catalogue lacks these; the extension's, merged
    over it at runtime, has them."""
    pkg = portal.dataset(name="ui-inti")
    headers = _auth(portal.producer_a)
    page = app.get("/dataset/", headers=headers).get_data(as_text=True)
    assert "Urutkan menurut" in page and "Nama (A–Z)" in page and "Order by" not in page
    page = app.get("/dataset/?q=tidakadasatupun", headers=headers).get_data(as_text=True)
    assert "Tidak ada dataset yang ditemukan" in page
    page = app.get(f"/dataset/{pkg['name']}", headers=headers).get_data(as_text=True)
    assert "Data dan Sumber Daya" in page and "Data and Resources" not in page
    page = app.get("/user/login").get_data(as_text=True)
    assert "Ingat saya" in page and "Remember me" not in page
    page = app.get("/en/user/login").get_data(as_text=True)
    assert "Remember me" in page


def test_the_new_resource_form_saves_a_draft(portal, app):
    pkg = helpers.call_action("package_create", {"user": portal.producer_a["name"]},
                              name="ui-draf", title="Draf", owner_org=portal.org_a["id"], state="draft")
    page = app.get(f"/dataset/{pkg['name']}/resource/new", headers=_auth(portal.producer_a)).get_data(as_text=True)
    button = re.search(r'<button[^>]*value="go-metadata"[^>]*>(.*?)</button>', page, re.S).group(1)
    assert button.strip() == "Simpan sebagai draf"
    assert ">Terbitkan<" not in page


def test_a_boolean_shows_ya_or_tidak(portal, app):
    pkg = portal.dataset(name="ui-prioritas", sdi_priority="true")
    response = app.get(f"/dataset/{pkg['name']}", headers=_auth(portal.producer_a))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))[:600]
    row = re.search(r"Data Prioritas</th>\s*<td[^>]*>(.*?)</td>", page, re.S)
    assert row and row.group(1).strip() == "Ya", row and row.group(1)
    assert ">True<" not in page
