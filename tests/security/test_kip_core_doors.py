"""Issue 11, leaks 5 and 8: every core door that lists something derived from
datasets (tags, formats, members, counts, autocomplete, feeds, activity ...)
shows an outsider only what package_search shows them, and a hidden SDI
dataset answers an outsider exactly as a dataset that does not exist.

One catalogue for the module: agency A has one published ``data_umum``
dataset and four hidden ones (draft, submitted, published ``terbatas``,
published ``dikecualikan``), each with its own tag and resource format;
agency B has two published ``data_umum`` datasets. The outsiders are an
anonymous visitor and agency B's producer; every check goes over HTTP."""
from __future__ import annotations

import json
import uuid

import pytest

import ckan.model as model
import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

STATES = ("draft", "submitted", "terbatas", "dikecualikan")
FORMATS = {"draft": "GPKG", "submitted": "KML", "terbatas": "Parquet", "dikecualikan": "SHP"}
SECRET_TAGS = {f"rahasia-{state}" for state in STATES}
OUTSIDERS = ("anonymous", "producer_b")
VOCAB = "kip_kosakata"


class _Catalogue:
    """The module's datasets, groups and extra users (built once, see ``kip``)."""

    def __init__(self, portal):
        self.portal = portal
        p = portal
        self.actors = {p.org_a["id"]: (p.producer_a, p.ppid_a), p.org_b["id"]: (p.producer_b, p.ppid_b)}
        self.hidden = {state: self._hidden(state) for state in STATES}
        self.public = self._published("kip-umum", "terbuka-umum", "GeoJSON", p.org_a)
        self.public_b = [self._published(f"kip-umum-b{i}", "terbuka-b", "GeoJSON", p.org_b) for i in (1, 2)]
        self.readable = {self.public["name"]} | {d["name"] for d in self.public_b}
        self.hidden_ids = {d["id"] for d in self.hidden.values()}
        # A portal group holding every dataset (its admin: agency B's producer),
        # and a parent organization with agency A as its sub-organization.
        def sysadmin():  # a new context per call: actions leave objects in it
            return {"user": p.sysadmin["name"]}

        self.group = helpers.call_action("group_create", sysadmin(), name="grup-kip",
                                         users=[{"name": p.producer_b["name"], "capacity": "admin"}])
        for pkg in [*self.hidden.values(), self.public, *self.public_b]:
            helpers.call_action("member_create", sysadmin(), id=self.group["id"], object=pkg["id"],
                                object_type="package", capacity="public")
        self.parent = factories.Organization(name="pemda-kip", title="Pemerintah Daerah")
        helpers.call_action("member_create", sysadmin(), id=self.parent["id"], object=p.org_a["id"],
                            object_type="group", capacity="public")
        parent_group = helpers.call_action("group_create", sysadmin(), name="grup-induk")
        helpers.call_action("member_create", sysadmin(), id=parent_group["id"], object=self.group["id"],
                            object_type="group", capacity="public")
        # A member of agency A who may read its datasets but not edit them.
        self.member_a = factories.User(name="member-a")
        helpers.call_action("organization_member_create", id=p.org_a["id"], username="member-a", role="member")
        p.tokens["member_a"] = helpers.call_action("api_token_create", user="member-a", name="t")["token"]
        self._vocabulary()

    def _dataset(self, name: str, tag: str, fmt: str, org) -> dict:
        producer = self.actors[org["id"]][0]
        pkg = self.portal.dataset(org=org, by=producer, resource=False, name=name, title=f"Judul {name}",
                                  tags=[{"name": tag}, {"name": "bersama"}])
        helpers.call_action("resource_create", {"user": producer["name"]}, package_id=pkg["id"],
                            name=f"berkas {name}", format=fmt,
                            url=f"https://data.example.go.id/{name}.{fmt.lower()}")
        return pkg

    def _walk(self, pkg: dict, org, classification: str | None = None, publish: bool = True) -> dict:
        producer, ppid = self.actors[org["id"]]
        helpers.call_action("satudata_dataset_submit", {"user": producer["name"]}, id=pkg["id"])
        if classification is None and not publish:
            return helpers.call_action("package_show", id=pkg["id"])
        verify = {}
        if classification:
            verify = {"sdi_classification": classification, "sdi_exemption_basis": "pasal17_h",
                      "sdi_consequence_test": "Uji konsekuensi PPID no. 7"}
        helpers.call_action("satudata_dataset_verify", {"user": ppid["name"]}, id=pkg["id"], **verify)
        helpers.call_action("satudata_dataset_publish", {"user": self.portal.walidata["name"]}, id=pkg["id"])
        return helpers.call_action("package_show", id=pkg["id"])

    def _hidden(self, state: str) -> dict:
        org = self.portal.org_a
        pkg = self._dataset(f"kip-{state}", f"rahasia-{state}", FORMATS[state], org)
        if state == "submitted":
            pkg = self._walk(pkg, org, publish=False)
        elif state in ("terbatas", "dikecualikan"):
            pkg = self._walk(pkg, org, classification=state)
            assert (pkg["sdi_status"], pkg["sdi_classification"], pkg["private"]) == ("published", state, True)
        return helpers.call_action("package_show", id=pkg["id"])

    def _published(self, name: str, tag: str, fmt: str, org) -> dict:
        pkg = self._walk(self._dataset(name, tag, fmt, org), org)
        assert (pkg["sdi_status"], pkg["private"]) == ("published", False)
        return pkg

    def _vocabulary(self) -> None:
        """A tag vocabulary (another extension's): one term on the dikecualikan
        dataset, one on the public one, one on no dataset."""
        from ckan.lib import search
        vocab = helpers.call_action("vocabulary_create", {"user": self.portal.sysadmin["name"]}, name=VOCAB,
                                    tags=[{"name": "kosakata-rahasia"}, {"name": "kosakata-umum"},
                                          {"name": "kosakata-belum-dipakai"}])
        for tag_name, pkg in (("kosakata-rahasia", self.hidden["dikecualikan"]), ("kosakata-umum", self.public)):
            tag = model.Tag.by_name(tag_name, vocab=model.Vocabulary.get(vocab["id"]))
            model.Session.add(model.PackageTag(package=model.Package.get(pkg["id"]), tag=tag))
            model.repo.commit()
            search.rebuild(pkg["id"])


@pytest.fixture(scope="module")
def kip(module_portal):
    import ckan.plugins as plugins

    plugins.load_all()
    try:
        return _Catalogue(module_portal)
    finally:
        plugins.unload_all()


class _Client:
    """The action API and pages as one principal (``anonymous`` or a portal user)."""

    def __init__(self, app, kip, who: str):
        self.app = app
        self.who = who
        self.headers = {} if who == "anonymous" else {"Authorization": kip.portal.tokens[who]}

    def raw(self, action: str, post: bool = False, **params):
        if post:
            return self.app.post(f"/api/3/action/{action}", json=params, headers=self.headers, status=None)
        query = {k: json.dumps(v) if isinstance(v, (list, dict, bool)) else v for k, v in params.items()}
        return self.app.get(f"/api/3/action/{action}", query_string=query, headers=self.headers, status=None)

    def __call__(self, action: str, **params):
        resp = self.raw(action, **params)
        assert resp.status_code == 200, (action, params, resp.get_data(as_text=True)[:500])
        return resp.json["result"]

    def get(self, url: str, **query):
        return self.app.get(url, query_string=query or None, headers=self.headers, status=None)

    def util(self, path: str, **query) -> list:
        resp = self.get(f"/api/2/util/{path}", **query)
        assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
        return resp.json["ResultSet"]["Result"]


@pytest.fixture(params=OUTSIDERS)
def outsider(request, kip, app) -> _Client:
    return _Client(app, kip, request.param)


# ------------------------------------------------------------------ leak 5

def test_tag_doors_list_only_tags_of_datasets_the_reader_may_see(kip, outsider):
    """tag_list (plain, all_fields, query), tag_search, tag_autocomplete and the
    util autocomplete (v2 and unversioned) drop the tags of hidden datasets;
    a tag that a visible dataset also carries stays."""
    listed = {
        "tag_list": set(outsider("tag_list")),
        "tag_list all_fields": {t["name"] for t in outsider("tag_list", all_fields=True)},
        "tag_list query": set(outsider("tag_list", query="rahasia")),
        "tag_search": {t["name"] for t in outsider("tag_search", query="rahasia")["results"]},
        "tag_autocomplete": set(outsider("tag_autocomplete", q="rahasia")),
        "/api/2/util/tag/autocomplete": {r["Name"] for r in outsider.util("tag/autocomplete", incomplete="rahasia")},
    }
    resp = outsider.get("/api/util/tag/autocomplete", incomplete="rahasia")
    listed["/api/util/tag/autocomplete"] = {r["Name"] for r in resp.json["ResultSet"]["Result"]}
    assert {door: tags & SECRET_TAGS for door, tags in listed.items()} == {door: set() for door in listed}
    assert outsider("tag_search", query="rahasia")["count"] == 0
    assert {"terbuka-umum", "terbuka-b", "bersama"} <= listed["tag_list"]
    assert sorted(outsider("tag_autocomplete", q="terbuka")) == ["terbuka-b", "terbuka-umum"]
    everything = outsider("tag_search", query="a")
    assert everything["count"] == len(everything["results"]) == len({t for t in listed["tag_list"] if "a" in t})
    assert outsider("tag_search", query="a", limit=2, offset=1)["results"] == everything["results"][1:3]
    assert outsider("tag_autocomplete", q="a", limit=2, offset=1) == \
        outsider("tag_autocomplete", q="a")[1:3]


def test_tag_show_of_a_hidden_tag_answers_as_an_unknown_tag(kip, outsider):
    unknown = outsider.raw("tag_show", id="tidak-pernah-ada")
    for tag in SECRET_TAGS:
        hidden = outsider.raw("tag_show", id=tag)
        assert (hidden.status_code, hidden.json) == (unknown.status_code, unknown.json) == (404, unknown.json), tag
    shown = outsider("tag_show", id="bersama", include_datasets=True)
    assert {d["name"] for d in shown["packages"]} == kip.readable  # core: public datasets only


def test_vocabulary_tags_of_hidden_datasets_are_not_listed(kip, outsider):
    """Tags of a vocabulary: the one only a hidden dataset carries is gone;
    the one on no dataset stays (it is not derived from a dataset)."""
    expected = {"kosakata-umum", "kosakata-belum-dipakai"}
    shown = {t["name"] for t in outsider("vocabulary_show", id=VOCAB)["tags"]}
    listed = [v for v in outsider("vocabulary_list") if v["name"] == VOCAB]
    assert shown == expected
    assert {t["name"] for t in listed[0]["tags"]} == expected
    assert set(outsider("tag_list", vocabulary_id=VOCAB)) == expected
    assert set(outsider("tag_autocomplete", q="kosakata", vocabulary_id=VOCAB)) == expected
    assert {t["name"] for t in outsider("tag_search", query="kosakata", vocabulary_id=VOCAB)["results"]} == expected
    unknown = outsider.raw("tag_show", id="tidak-ada", vocabulary_id=VOCAB)
    hidden = outsider.raw("tag_show", id="kosakata-rahasia", vocabulary_id=VOCAB)
    assert (hidden.status_code, hidden.json) == (unknown.status_code, unknown.json)
    assert hidden.status_code == 404


def test_format_autocomplete_lists_only_formats_of_readable_resources(kip, outsider):
    for fmt in FORMATS.values():
        assert outsider("format_autocomplete", q=fmt) == [], fmt
        assert outsider.util("resource/format_autocomplete", incomplete=fmt) == [], fmt
    assert outsider("format_autocomplete", q="geojs") == ["geojson"]


def test_member_list_names_no_hidden_dataset(kip, outsider):
    """An organization's and a group's members: no id of a hidden dataset."""
    agency = outsider("member_list", id="agency-a", object_type="package")
    assert {m[0] for m in agency} == {kip.public["id"]}
    everything = outsider("member_list", id="agency-a")
    assert not {m[0] for m in everything} & kip.hidden_ids
    group = outsider("member_list", id="grup-kip", object_type="package")
    assert {m[0] for m in group} == {kip.public["id"]} | {d["id"] for d in kip.public_b}


def _counts(groups: list[dict]) -> dict[str, int]:
    return {g["name"]: g["package_count"] for g in groups if g["name"] in ("agency-a", "agency-b", "grup-kip")}


def test_dataset_counts_per_agency_and_group_count_only_readable_datasets(kip, outsider):
    """Counts (and the order by count) of organization_show, the lists with
    all_fields, organization_list_for_user and group_list_authz with
    include_dataset_count, sub-organizations in organization_show, group_show."""
    visible = {"agency-a": 1, "agency-b": 2, "grup-kip": 3}
    assert outsider("organization_show", id="agency-a")["package_count"] == 1
    assert outsider("group_show", id="grup-kip")["package_count"] == 3
    assert _counts(outsider("organization_list", all_fields=True)) == {"agency-a": 1, "agency-b": 2}
    assert _counts(outsider("group_list", all_fields=True)) == {"grup-kip": 3}
    # anyone may list the organizations of any user, the sysadmin's are all of them
    of_sysadmin = outsider("organization_list_for_user", id=kip.portal.sysadmin["name"], include_dataset_count=True)
    assert _counts(of_sysadmin) == {"agency-a": 1, "agency-b": 2}
    # sub-organizations and sub-groups: the show schemas drop core's unlabelled count
    parent = outsider("organization_show", id="pemda-kip")
    assert [sorted(g) for g in parent["groups"]] == [["capacity", "name"]]
    assert [sorted(g) for g in outsider("group_show", id="grup-induk")["groups"]] == [["capacity", "name"]]
    # ordered by the number of datasets the reader may see: B (2) before A (1)
    for sort in ("package_count", "package_count desc", "packages"):
        names = [n for n in outsider("organization_list", sort=sort) if n in visible]
        assert names == ["agency-b", "agency-a"], sort
        full = outsider("organization_list", sort=sort, all_fields=True)
        assert [(g["name"], g["package_count"]) for g in full if g["name"] in visible] == \
            [("agency-b", 2), ("agency-a", 1)]
    assert [n for n in outsider("organization_list", sort="package_count asc") if n in visible] == \
        ["agency-a", "agency-b"]
    assert [n for n in outsider("organization_list", sort="package_count", limit=1)] == ["agency-b"]
    assert [n for n in outsider("organization_list", sort="package_count", limit=1, offset=1)] == ["agency-a"]


def test_group_list_authz_counts_only_readable_datasets(kip, app):
    """Agency B's producer administers the portal group: its count is what they may read."""
    client = _Client(app, kip, "producer_b")
    assert _counts(client("group_list_authz", include_dataset_count=True)) == {"grup-kip": 3}


def test_organization_page_orders_agencies_by_readable_datasets(kip, outsider):
    page = outsider.get("/organization/", sort="package_count desc").get_data(as_text=True)
    assert page.index("/organization/agency-b") < page.index("/organization/agency-a")


def test_doors_core_already_filters(kip, outsider):
    """Recorded so that a change in core or here shows: these doors apply the
    permission labels (or public-only) already."""
    secret_names = {d["name"] for d in kip.hidden.values()}
    found = {
        "package_list": set(outsider("package_list")),
        "current_package_list_with_resources": {d["name"] for d in outsider("current_package_list_with_resources")},
        "package_autocomplete": {d["name"] for d in outsider("package_autocomplete", q="kip")},
        "/api/2/util/dataset/autocomplete": {d["name"] for d in outsider.util("dataset/autocomplete",
                                                                                incomplete="kip")},
        "resource_search": {r["package_id"] for r in outsider("resource_search", query="url:data.example")["results"]},
        "group_package_show": {d["name"] for d in outsider("group_package_show", id="grup-kip")},
        "organization_show include_datasets": {d["name"] for d in outsider(
            "organization_show", id="agency-a", include_datasets=True)["packages"]},
    }
    found["resource_search"] = {model.Package.get(i).name for i in found["resource_search"]}
    assert {door: names & secret_names for door, names in found.items()} == {door: set() for door in found}
    assert found["package_autocomplete"] == kip.readable
    search = outsider("package_search", rows=0, **{"facet.field": ["tags", "res_format", "organization",
                                                                    "license_id", "groups"],
                                                   "facet.limit": -1})
    assert not set(search["facets"]["tags"]) & SECRET_TAGS
    assert not {f.lower() for f in search["facets"]["res_format"]} & {f.lower() for f in FORMATS.values()}
    assert search["facets"]["organization"] == {"agency-a": 1, "agency-b": 2}
    assert search["facets"]["groups"] == {"grup-kip": 3}
    pages = {url: outsider.get(url).get_data(as_text=True) for url in (
        "/dataset/", "/dataset/?tags=rahasia-draft", "/organization/agency-a", "/group/grup-kip", "/",
        "/feeds/dataset.atom", "/feeds/custom.atom?q=kip", "/feeds/tag/rahasia-dikecualikan.atom",
        "/feeds/organization/agency-a.atom", "/feeds/group/grup-kip.atom")}
    for url, text in pages.items():
        leaked = [s for s in [*secret_names, *SECRET_TAGS, *kip.hidden_ids] if s in text and s not in url]
        assert leaked == [], url


def test_activity_streams_name_no_hidden_dataset(kip, outsider):
    """Core filters activity lists by their permission labels (kept by the
    workflow): no activity of a hidden dataset in the organization's, the
    portal's or the group's stream."""
    for action, params in (("organization_activity_list", {"id": "agency-a"}),
                           ("recently_changed_packages_activity_list", {}),
                           ("group_activity_list", {"id": "grup-kip"})):
        objects = {a["object_id"] for a in outsider(action, limit=100, **params)}
        assert not objects & kip.hidden_ids, action
        assert kip.public["id"] in objects or action == "group_activity_list", action
    if outsider.who != "anonymous":  # (anonymous visitors see no user details)
        objects = {a["object_id"] for a in outsider("user_activity_list", id="producer-a", limit=100)}
        assert not objects & kip.hidden_ids


def test_user_doors_count_only_readable_datasets(kip, app):
    """user_show's datasets and number_created_packages, user_list: a logged-in
    outsider sees agency A's producer's public dataset only (anonymous visitors
    get no user details: ckan.auth.public_user_details is false)."""
    client = _Client(app, kip, "producer_b")
    user = client("user_show", id="producer-a", include_datasets=True)
    assert {d["name"] for d in user["datasets"]} == {kip.public["name"]}
    assert user["number_created_packages"] == 1
    listed = {u["name"]: u["number_created_packages"] for u in client("user_list")}
    assert listed["producer-a"] == 1
    anonymous = _Client(app, kip, "anonymous")
    assert anonymous.raw("user_show", id="producer-a").status_code == 403
    # not derived from datasets: the same for everyone
    sysadmin = _Client(app, kip, "sysadmin")
    assert anonymous("license_list") == sysadmin("license_list")
    assert set(anonymous("status_show")) == {"site_title", "site_description", "site_url", "ckan_version",
                                             "error_emails_to", "locale_default", "extensions"}


def test_readers_still_see_what_outsiders_do_not(kip, app):
    """The filters are per reader: agency A's producer and the Walidata get
    the hidden tags, formats, members and counts."""
    for who in ("producer_a", "walidata"):
        client = _Client(app, kip, who)
        assert set(client("tag_autocomplete", q="rahasia")) == SECRET_TAGS, who
        assert client("format_autocomplete", q="kml") == ["kml"], who
        assert {m[0] for m in client("member_list", id="agency-a", object_type="package")} >= kip.hidden_ids, who
        assert _counts(client("organization_list", all_fields=True))["agency-a"] == 5, who
    sysadmin = _Client(app, kip, "sysadmin")
    assert set(sysadmin("tag_list")) >= SECRET_TAGS


# ------------------------------------------------------------------ leak 8

def _answers(client: _Client, pkg_ref: str, res_ref: str, secret_id: str) -> dict:
    """Each door's answer for a dataset named ``pkg_ref`` and a resource
    ``res_ref``: (status, JSON body) for the API, (status, whether the page
    holds ``secret_id`` other than where the address names it) for pages."""
    def api(action, post=False, **params):
        resp = client.raw(action, post=post, **params)
        return resp.status_code, resp.json

    def page(url):
        resp = client.get(url)
        text = resp.get_data(as_text=True).replace(pkg_ref, "REF").replace(res_ref, "RES")
        return resp.status_code, secret_id in text

    doors = {
        "package_show": api("package_show", id=pkg_ref),
        "resource_show": api("resource_show", id=res_ref),
        "resource_view_list": api("resource_view_list", id=res_ref),
        "package_activity_list": api("package_activity_list", id=pkg_ref),
        "satudata_dataset_history": api("satudata_dataset_history", id=pkg_ref),
        "satudata_dataset_compliance": api("satudata_dataset_compliance", id=pkg_ref),
        "package_relationships_list": api("package_relationships_list", id=pkg_ref),
        "dataset_follower_count": api("dataset_follower_count", id=pkg_ref),
        "am_following_dataset": api("am_following_dataset", id=pkg_ref),
        "package_collaborator_list": api("package_collaborator_list", id=pkg_ref),
        "follow_dataset": api("follow_dataset", post=True, id=pkg_ref),
        "page": page(f"/dataset/{pkg_ref}"),
        "resource page": page(f"/dataset/{pkg_ref}/resource/{res_ref}"),
        "download": page(f"/dataset/{pkg_ref}/resource/{res_ref}/download/berkas.csv"),
        "activity page": page(f"/dataset/activity/{pkg_ref}"),
    }
    return doors


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("state", STATES)
def test_a_hidden_dataset_answers_as_one_that_does_not_exist(kip, app, who, state):
    """By name and by id, every door answers an outsider as for an unknown
    dataset (404, "Dataset not found"), and no answer holds the dataset's id."""
    client = _Client(app, kip, who)
    pkg = kip.hidden[state]
    res_id = pkg["resources"][0]["id"]
    for by in ("name", "id"):
        unknown_ref = "tidak-ada-dataset-ini" if by == "name" else str(uuid.uuid4())
        hidden = _answers(client, pkg[by], res_id, pkg["id"])
        unknown = _answers(client, unknown_ref, str(uuid.uuid4()), pkg["id"])
        assert hidden == unknown, by
        assert hidden["package_show"] == (404, hidden["package_show"][1]), by
        assert hidden["package_show"][1]["error"]["message"].endswith("Dataset tidak ditemukan")
        for door in ("page", "resource page", "download", "activity page"):
            assert hidden[door] == (404, False), (by, door)
        assert pkg["id"] not in json.dumps(hidden).replace(pkg[by], "") or by == "id"


@pytest.mark.parametrize("who", ("producer_a", "ppid_a", "walidata", "member_a", "sysadmin"))
def test_readers_and_agency_members_keep_their_answers(kip, app, who):
    """Whoever may read a hidden dataset reads it through the same doors; an
    agency member who may not edit gets the usual 403 for an edit."""
    client = _Client(app, kip, who)
    for state, pkg in kip.hidden.items():
        res_id = pkg["resources"][0]["id"]
        assert client("package_show", id=pkg["name"])["id"] == pkg["id"], state
        assert client("resource_show", id=res_id)["id"] == res_id, state
        assert client("satudata_dataset_history", id=pkg["name"]), state
        assert client.get(f"/dataset/{pkg['name']}").status_code == 200, state
        assert client.get(f"/dataset/activity/{pkg['name']}").status_code == 200, state
    if who == "member_a":
        resp = client.raw("package_patch", post=True, id=kip.hidden["draft"]["id"], notes="x")
        assert resp.status_code == 403


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_keep_their_answers_on_public_data(kip, app, who):
    """The public dataset: read as before; templates asking h.check_access
    do not meet a 404; package_collaborator_list refuses (anonymous: no 500)."""
    client = _Client(app, kip, who)
    pkg = kip.public
    assert client("package_show", id=pkg["name"])["id"] == pkg["id"]
    assert client.get(f"/dataset/{pkg['name']}").status_code == 200
    assert client.get(f"/dataset/activity/{pkg['name']}").status_code == 200
    assert client("satudata_dataset_compliance", id=pkg["name"])["passed"] is True
    assert client.raw("package_collaborator_list", id=pkg["name"]).status_code == 403
