"""Issue 11, leak 8 (existence oracles), the write doors: every action and
page that changes a dataset, its resources, its workflow or its followers
answers an outsider (an anonymous visitor, another agency's producer) for a
hidden SDI dataset exactly as for a dataset that does not exist: the same
status, the same body, never the dataset's id. Whoever may read the dataset
but not change it (an agency member, the PPID on an edit, the Walidata)
keeps the usual refusal: they know it exists."""
from __future__ import annotations

import json
import re
import uuid

import pytest

import ckan.tests.factories as factories
import ckan.tests.helpers as helpers

OUTSIDERS = ("anonymous", "producer_b")
_CSRF = re.compile(r'<meta name="_csrf_token" content="([^"]+)"')
_TOKEN = re.compile(r'name="_csrf_token" (?:value|content)="[^"]+"')  # differs from page to page


class _World:
    """Agency A's hidden (draft) dataset with a resource, its public dataset,
    a portal group agency B's producer administers, agency A's member."""

    def __init__(self, portal):
        self.portal = portal
        p = portal
        self.hidden = self._dataset("kip-tulis-draf")
        self.public = p.walk(self._dataset("kip-tulis-umum"), "submit", "verify", "publish")
        assert (self.public["sdi_status"], self.public["private"]) == ("published", False)
        self.res_id = self.hidden["resources"][0]["id"]
        self.group = helpers.call_action("group_create", {"user": p.sysadmin["name"]}, name="grup-tulis",
                                         users=[{"name": p.producer_b["name"], "capacity": "admin"}])
        self.member_a = factories.User(name="member-tulis-a")
        helpers.call_action("organization_member_create", id=p.org_a["id"], username=self.member_a["name"],
                            role="member")
        p.tokens["member_a"] = helpers.call_action("api_token_create", user=self.member_a["name"],
                                                   name="t")["token"]

    def _dataset(self, name: str) -> dict:
        p = self.portal
        pkg = p.dataset(resource=False, name=name, title=f"Judul {name}")
        helpers.call_action("resource_create", {"user": p.producer_a["name"]}, package_id=pkg["id"],
                            name=f"berkas {name}", format="GeoJSON",
                            url=f"https://data.example.go.id/{name}.geojson")
        return helpers.call_action("package_show", id=pkg["id"])


@pytest.fixture(scope="module")
def world(module_portal):
    import ckan.plugins as plugins

    plugins.load_all()
    try:
        return _World(module_portal)
    finally:
        plugins.unload_all()


class _Client:
    """The action API and pages as one principal (``anonymous`` or a portal user)."""

    def __init__(self, app, world, who: str):
        self.app = app
        self.who = who
        self.headers = {} if who == "anonymous" else {"Authorization": world.portal.tokens[who]}
        self._csrf = None

    def api(self, action: str, **params):
        resp = self.app.post(f"/api/3/action/{action}", json=params, headers=self.headers, status=None)
        return resp.status_code, resp.json

    def get(self, url: str):
        return self.app.get(url, headers=self.headers, status=None)

    def post(self, path: str, form: dict):
        form = dict(form)
        if self.who == "anonymous":  # a browser's form carries the token of its session
            if self._csrf is None:
                self._csrf = _CSRF.search(self.get("/dataset/").get_data(as_text=True)).group(1)
            form["_csrf_token"] = self._csrf
        return self.app.post(path, data=form, headers=self.headers, status=None, follow_redirects=False)


def _api_doors(ref: str, res: str, by: str, public: str) -> dict:
    """Each write action's call for a dataset ``ref`` (by ``by``: name or id)
    and a resource ``res`` of it."""
    return {
        "package_update": ("package_update", {"id": ref, "title": "Judul baru"}),
        "package_patch": ("package_patch", {"id": ref, "notes": "Catatan baru"}),
        "package_revise": ("package_revise", {"match": {by: ref}, "update": {"notes": "Catatan baru"}}),
        "package_delete": ("package_delete", {"id": ref}),
        "dataset_purge": ("dataset_purge", {"id": ref}),
        "package_owner_org_update": ("package_owner_org_update", {"id": ref, "organization_id": "agency-b"}),
        "resource_create": ("resource_create", {"package_id": ref, "name": "baru",
                                                "url": "https://data.example.go.id/baru.csv"}),
        "resource_update": ("resource_update", {"id": res, "name": "baru",
                                                "url": "https://data.example.go.id/baru.csv"}),
        "resource_patch": ("resource_patch", {"id": res, "name": "baru"}),
        "resource_delete": ("resource_delete", {"id": res}),
        "resource_view_create": ("resource_view_create", {"resource_id": res, "title": "Gambar",
                                                          "view_type": "image_view"}),
        "resource_view_reorder": ("resource_view_reorder", {"id": res, "order": []}),
        "resource_create_default_resource_views": ("resource_create_default_resource_views",
                                                   {"resource": {"id": res}, "package": {"id": ref}}),
        "package_create_default_resource_views": ("package_create_default_resource_views",
                                                  {"package": {"id": ref}}),
        "package_resource_reorder": ("package_resource_reorder", {"id": ref, "order": [res]}),
        "package_collaborator_create": ("package_collaborator_create", {"id": ref, "user_id": "producer-b",
                                                                        "capacity": "member"}),
        "package_collaborator_delete": ("package_collaborator_delete", {"id": ref, "user_id": "producer-b"}),
        "package_relationship_create subject": ("package_relationship_create",
                                                {"subject": ref, "object": public, "type": "links_to"}),
        "package_relationship_create object": ("package_relationship_create",
                                               {"subject": public, "object": ref, "type": "links_to"}),
        "package_relationship_update": ("package_relationship_update",
                                        {"subject": ref, "object": public, "type": "links_to"}),
        "package_relationship_delete": ("package_relationship_delete",
                                        {"subject": ref, "object": public, "type": "links_to"}),
        "member_create": ("member_create", {"id": "grup-tulis", "object": ref, "object_type": "package",
                                            "capacity": "public"}),
        "member_delete": ("member_delete", {"id": "grup-tulis", "object": ref, "object_type": "package"}),
        "follow_dataset": ("follow_dataset", {"id": ref}),
        "unfollow_dataset": ("unfollow_dataset", {"id": ref}),
        "satudata_dataset_submit": ("satudata_dataset_submit", {"id": ref}),
        "satudata_dataset_verify": ("satudata_dataset_verify", {"id": ref}),
        "satudata_dataset_reject": ("satudata_dataset_reject", {"id": ref, "reason": "Perbaiki"}),
        "satudata_dataset_publish": ("satudata_dataset_publish", {"id": ref}),
        "satudata_dataset_unpublish": ("satudata_dataset_unpublish", {"id": ref, "reason": "Tarik"}),
        "resource_validation_show": ("resource_validation_show", {"resource_id": res}),
        "resource_validation_run": ("resource_validation_run", {"resource_id": res}),
        "resource_validation_delete": ("resource_validation_delete", {"resource_id": res}),
    }


def _page_doors(ref: str, res: str) -> dict:
    """Each write page: (method, URL, form)."""
    return {
        "GET edit": ("GET", f"/dataset/edit/{ref}", None),
        "POST edit": ("POST", f"/dataset/edit/{ref}", {"title": "Judul baru", "save": ""}),
        "GET resources": ("GET", f"/dataset/resources/{ref}", None),
        "GET resource new": ("GET", f"/dataset/{ref}/resource/new", None),
        "POST resource new": ("POST", f"/dataset/{ref}/resource/new",  # (core's form always sends an id)
                              {"id": "", "name": "baru", "url": "https://data.example.go.id/baru.csv",
                               "save": "again"}),
        "GET resource edit": ("GET", f"/dataset/{ref}/resource/{res}/edit", None),
        "POST resource edit": ("POST", f"/dataset/{ref}/resource/{res}/edit",
                               {"name": "baru", "url": "https://data.example.go.id/baru.csv", "save": ""}),
        "GET resource delete": ("GET", f"/dataset/{ref}/resource/{res}/delete", None),
        "POST resource delete": ("POST", f"/dataset/{ref}/resource/{res}/delete", {}),
        "GET resource views": ("GET", f"/dataset/{ref}/resource/{res}/views", None),
        "GET resource new_view": ("GET", f"/dataset/{ref}/resource/{res}/new_view?view_type=image_view", None),
        "GET delete": ("GET", f"/dataset/delete/{ref}", None),
        "POST delete": ("POST", f"/dataset/delete/{ref}", {}),
        "GET groups": ("GET", f"/dataset/groups/{ref}", None),
        "POST groups": ("POST", f"/dataset/groups/{ref}", {"group_added": "grup-tulis"}),
        "GET collaborators": ("GET", f"/dataset/collaborators/{ref}", None),
        "GET collaborators new": ("GET", f"/dataset/collaborators/{ref}/new", None),
        "GET followers": ("GET", f"/dataset/followers/{ref}", None),
        "POST follow": ("POST", f"/dataset/follow/{ref}", {}),
        "POST unfollow": ("POST", f"/dataset/unfollow/{ref}", {}),
        **{f"POST transition {action}": ("POST", f"/dataset/{ref}/satudata/transition",
                                         {"action": action, "note": "Catatan"})
           for action in ("submit", "verify", "reject", "publish", "unpublish")},
    }


def _page_text(resp, *refs: str) -> str:
    text = resp.get_data(as_text=True)
    for ref in refs:
        text = text.replace(ref, "REF")
    return _TOKEN.sub("", text)


def _answers(client: _Client, world, ref: str, res: str, by: str, only=None) -> dict:
    """Each door's answer (or those ``only`` names): (status, JSON body) from
    the API, (status, page text with the address's references taken out)
    from a page."""
    answers = {}
    for door, (action, params) in _api_doors(ref, res, by, world.public["name"]).items():
        if only is None or door in only:
            answers[door] = client.api(action, **params)
    for door, (method, url, form) in _page_doors(ref, res).items():
        if only is not None and door not in only:
            continue
        resp = client.get(url) if method == "GET" else client.post(url, form)
        answers[door] = (resp.status_code, _page_text(resp, ref, res))
    return answers


# package_update and package_delete look the dataset up before asking its
# auth function, each with core's own words for an unknown one: the chains
# of logic/action/dataset.py must answer both as "Dataset not found".
CHAINED_IN_DATASET_PY = ("package_update", "package_delete")


def _unchanged(world) -> None:
    """No door wrote anything: the hidden dataset is as it was made."""
    pkg = helpers.call_action("package_show", id=world.hidden["id"])
    assert (pkg["state"], pkg["sdi_status"], pkg["title"], pkg["notes"], pkg["owner_org"]) == \
        ("active", "draft", world.hidden["title"], world.hidden["notes"], world.hidden["owner_org"])
    assert [(r["id"], r["name"]) for r in pkg["resources"]] == [(world.res_id, world.hidden["resources"][0]["name"])]
    assert pkg["groups"] == [] and pkg.get("relationships_as_subject", []) == []
    assert helpers.call_action("dataset_follower_count", id=pkg["id"]) == 0


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("by", ("name", "id"))
def test_a_hidden_dataset_answers_every_write_door_as_one_that_does_not_exist(world, app, who, by):
    """By name and by id, each write action and page answers an outsider
    for agency A's draft exactly as for a dataset (resource) that does not
    exist; no answer is a success or a 500, none holds the dataset's id, and
    nothing is written."""
    client = _Client(app, world, who)
    pkg = world.hidden
    unknown_ref = "tidak-ada-dataset-tulis" if by == "name" else str(uuid.uuid4())
    hidden = _answers(client, world, pkg[by], world.res_id, by)
    unknown = _answers(client, world, unknown_ref, str(uuid.uuid4()), by)
    compared = [door for door in hidden if door not in CHAINED_IN_DATASET_PY]
    assert {door: hidden[door] for door in compared if hidden[door] != unknown[door]} == {}
    assert {door: hidden[door][0] for door in hidden if not 400 <= hidden[door][0] < 500} == {}
    assert {door: (hidden[door][0], unknown[door][0]) for door in CHAINED_IN_DATASET_PY} == \
        {door: (404, 404) for door in CHAINED_IN_DATASET_PY}
    for door, (status, body) in hidden.items():
        text = json.dumps(body) if isinstance(body, dict) else body
        assert pkg["id"] not in text and world.res_id not in text, door
    _unchanged(world)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_package_update_and_delete_answer_a_hidden_dataset_in_the_words_of_an_unknown_one(world, app, who):
    client = _Client(app, world, who)
    for door in CHAINED_IN_DATASET_PY:
        action, params = _api_doors(world.hidden["name"], world.res_id, "name", world.public["name"])[door]
        unknown_params = _api_doors("tidak-ada-dataset-tulis", "x", "name", world.public["name"])[door][1]
        assert client.api(action, **params) == client.api(action, **unknown_params), door


# Doors a reader of the hidden dataset who may not change it is refused at (403).
READER_REFUSALS = ("package_update", "package_patch", "package_delete", "dataset_purge", "resource_update",
                   "resource_patch", "resource_delete", "package_owner_org_update", "satudata_dataset_submit",
                   "satudata_dataset_publish", "resource_validation_delete", "GET edit", "POST edit",
                   "GET resources", "GET resource new", "GET resource edit", "GET resource delete",
                   "GET resource views", "POST delete", "POST transition submit", "POST transition publish")


@pytest.mark.parametrize("who", ("member_a", "ppid_a", "walidata"))
def test_readers_who_may_not_write_keep_their_refusal(world, app, who):
    """Agency A's member, its PPID and the Walidata read the draft: they are
    refused (403) as before, not told it is missing (they know it exists)."""
    client = _Client(app, world, who)
    assert client.api("package_show", id=world.hidden["name"])[0] == 200
    answers = _answers(client, world, world.hidden["name"], world.res_id, "name", only=READER_REFUSALS)
    expected = [d for d in READER_REFUSALS if not (who == "walidata" and "publish" in d)]
    assert {door: answers[door][0] for door in expected} == {door: 403 for door in expected}
    if who == "walidata":  # a draft cannot be published: the Walidata may ask, the workflow refuses
        assert answers["satudata_dataset_publish"][0] == 409
    _unchanged(world)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_are_refused_on_public_data_as_before(world, app, who):
    """The published public dataset exists for everyone: its write doors
    refuse an outsider (403), and its page (whose templates ask the write
    auth functions) renders."""
    client = _Client(app, world, who)
    pkg = world.public
    res_id = pkg["resources"][0]["id"]
    for action, params in (("package_update", {"id": pkg["name"], "title": "x"}),
                           ("package_patch", {"id": pkg["name"], "notes": "x"}),
                           ("package_delete", {"id": pkg["name"]}),
                           ("resource_delete", {"id": res_id}),
                           ("satudata_dataset_unpublish", {"id": pkg["name"], "reason": "x"}),
                           ("resource_validation_delete", {"resource_id": res_id})):
        assert client.api(action, **params)[0] == 403, action
    assert client.get(f"/dataset/{pkg['name']}").status_code == 200
    assert client.get(f"/dataset/{pkg['name']}/resource/{res_id}").status_code == 200
    if who != "anonymous":
        assert client.get(f"/dataset/edit/{pkg['name']}").status_code == 403
        assert client.get(f"/dataset/{pkg['name']}/resource/new").status_code == 403


def test_the_producing_agency_still_writes(world, app):
    """Agency A's producer edits its draft through the same doors."""
    client = _Client(app, world, "producer_a")
    status, body = client.api("resource_patch", id=world.res_id, description="Diperbarui oleh produsen")
    assert status == 200, body
    assert client.get(f"/dataset/edit/{world.hidden['name']}").status_code == 200
    assert client.get(f"/dataset/{world.hidden['name']}/resource/new").status_code == 200
    assert client.get(f"/dataset/resources/{world.hidden['name']}").status_code == 200
