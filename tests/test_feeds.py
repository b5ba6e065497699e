"""Feeds partners follow: the change feed (/api/changes) and the GoGoCarto-compatible elements
(/api/elements.json, /api/taxonomy.json), read back by our own GoGoCarto importer."""
import json

import pytest
import yaml
from sqlmodel import select

from carto.core import opening_hours
from carto.community import contributions
from carto.directory import sites
from carto.directory.site_schema import SiteData
from carto.importers import run_import
from carto.publish.gogocarto import per_day
from carto.storage.models import Site, SiteStatus
from tests.helpers import opened_copy


def published(service) -> list[Site]:
    with service.session() as session:
        return session.exec(select(Site).where(Site.status == SiteStatus.published).order_by(Site.id)).all()


def read_all_changes(client, since=0, limit=1000) -> tuple[list[dict], int]:
    entries = []
    while True:
        page = client.get("/api/changes", params={"since": since, "limit": limit}).json()
        entries += page["changes"]
        since = page["next_since"]
        if not page["has_more"]:
            return entries, since


# --- change feed ---------------------------------------------------------------------------------

def test_from_the_start_the_feed_lists_every_published_site_once(client, demo_service):
    entries, _ = read_all_changes(client, limit=70)
    assert sorted(e["id"] for e in entries) == [s.id for s in published(demo_service)]
    assert {e["action"] for e in entries} == {"created"}
    cursors = [e["cursor"] for e in entries]
    assert cursors == sorted(cursors)
    first = entries[0]["feature"]
    assert first["type"] == "Feature" and first["id"] == entries[0]["id"] and first["properties"]["nom"]


def test_a_partner_resumes_from_its_cursor_and_sees_updates_creations_and_removals(client, demo_service):
    _, cursor = read_all_changes(client)
    assert client.get("/api/changes", params={"since": cursor}).json()["changes"] == []
    renamed, archived = published(demo_service)[:2]
    with demo_service.session() as session:
        site = session.get(Site, renamed.id)
        sites.update(session, site, {"name": "Nouveau nom"}, demo_service.locator, actor="test")
        sites.set_status(session, session.get(Site, archived.id), SiteStatus.archived, actor="test")
        data = SiteData(name="Atelier tout neuf", activities=["velo"], lon=-1.68, lat=48.11)
        created = sites.create(session, data, demo_service.locator, actor="test")
        contributions.propose_site(session, demo_service, SiteData(
            name="Proposition en attente", activities=["velo"], lon=-1.67, lat=48.11),
            contributions.Contributor(contributor_name="Jeanne", contributor_email="jeanne@exemple.org"))
        session.commit()
        created_id = created.id

    entries, after = read_all_changes(client, since=cursor)
    by_id = {e["id"]: e for e in entries}
    assert set(by_id) == {renamed.id, archived.id, created_id}  # the pending proposal is not public
    assert by_id[renamed.id]["action"] == "updated"
    assert by_id[renamed.id]["feature"]["properties"]["nom"] == "Nouveau nom"
    assert by_id[archived.id] == {"cursor": by_id[archived.id]["cursor"], "id": archived.id, "action": "unpublished"}
    assert by_id[created_id]["action"] == "created"
    assert after > cursor
    # The same cursor gives the same answer: a partner that lost a page asks again.
    assert read_all_changes(client, since=cursor)[0] == entries


def test_pages_say_whether_more_follows_and_link_to_the_next(client):
    page = client.get("/api/changes", params={"since": 0, "limit": 5}).json()
    assert len(page["changes"]) == 5 and page["has_more"] is True
    assert f"since={page['next_since']}" in page["next"]


@pytest.mark.parametrize("params", [{"since": -1}, {"since": "abc"}, {"limit": 0}, {"limit": 5000}])
def test_a_bad_cursor_or_limit_is_refused_naming_it(client, params):
    response = client.get("/api/changes", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] in params


# --- GoGoCarto ------------------------------------------------------------------------------------

def test_elements_in_gogofull(client, demo_service):
    response = client.get("/api/elements.json")
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    assert document["ontology"] == "gogofull"
    assert document["licence"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    first_site = published(demo_service)[0]
    assert [e["id"] for e in document["data"]] == [str(s.id) for s in published(demo_service)]
    element = document["data"][0]
    assert element["name"] == first_site.name
    assert element["geo"] == {"latitude": first_site.lat, "longitude": first_site.lon}
    assert element["address"]["postalCode"] == first_site.postcode
    assert element["address"]["addressLocality"] == first_site.commune_name
    assert element["opening_hours"] == first_site.opening_hours
    assert element["url"].endswith(f"/sites/{first_site.id}")
    assert element["status"] == 1 and element["categories"]


def test_elements_in_gogocompact_and_gogosync(client, demo_service):
    compact = client.get("/api/elements.json", params={"ontology": "gogocompact"}).json()
    assert compact["mapping"] == ["id", ["name"], "latitude", "longitude", "categories"]
    site = published(demo_service)[0]
    with demo_service.session() as session:
        slugs = sites.activities_of(session, site.id)
    assert compact["data"][0] == [str(site.id), [site.name], site.lat, site.lon, slugs]
    sync = client.get("/api/elements.json", params={"ontology": "gogosync"}).json()
    assert set(sync["data"][0]) == {"id", "createdAt", "updatedAt"}
    assert client.get("/api/elements.json", params={"ontology": "rdf"}).status_code == 422


def test_one_element_and_an_unknown_one(client, demo_service):
    site = published(demo_service)[3]
    assert client.get(f"/api/elements/{site.id}").json()["data"]["name"] == site.name
    assert client.get("/api/elements/99999999").status_code == 404


def test_the_taxonomy_in_gogocarto_form(client, demo_service):
    tree = client.get("/api/taxonomy.json").json()
    domains = tree[0]["options"]
    assert [d["id"] for d in domains] == [d.slug for d in demo_service.taxonomy.domains]
    first = demo_service.taxonomy.domains[0]
    assert [a["name"] for a in domains[0]["subcategories"][0]["options"]] == [a.label for a in first.activities]
    assert domains[0]["color"] == first.color


@pytest.mark.parametrize("hours, days", [
    ("Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00",
     {d: "09:00-12:00 & 14:00-18:00" for d in ("Mo", "Tu", "We", "Th", "Fr")} | {"Sa": "10:00-12:00"}),
    ("Mo-Fr 09:00-18:00; We 14:00-18:00; PH off",
     {"Mo": "09:00-18:00", "Tu": "09:00-18:00", "We": "14:00-18:00", "Th": "09:00-18:00", "Fr": "09:00-18:00"}),
    ("Sa-Mo 10:00-12:00", {"Mo": "10:00-12:00", "Sa": "10:00-12:00", "Su": "10:00-12:00"}),
    ("Jun-Aug Mo 10:00-12:00", None),       # GoGoCarto has no months: only the raw value says it
    ('Mo "sur rendez-vous"', None),
    ("Sa[1] 10:00-12:00", None),
    (None, None),
])
def test_opening_hours_per_day(hours, days):
    assert per_day(hours) == days


@pytest.fixture
def target(test_databases, reference_db, tmp_path):
    """A second database (territories, no site), beside the demo one of the same test."""
    folder = tmp_path / "target"
    folder.mkdir()
    yield from opened_copy(test_databases, reference_db, folder)


def test_the_feed_imported_by_our_gogocarto_importer_keeps_every_field_both_formats_have(
        client, demo_service, target, tmp_path):
    feed = tmp_path / "elements.json"
    feed.write_bytes(client.get("/api/elements.json").content)
    # What a Carto ESS instance importing this feed writes: our activity labels are its categories.
    labels = {a.label: [a.slug] for d in demo_service.taxonomy.domains for a in d.activities}
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(yaml.safe_dump({"source": "carto-ess", "activities": {"values": labels}}, allow_unicode=True),
                       encoding="utf-8")
    report = run_import(target, feed, "gogocarto", mapping=mapping)
    originals = published(demo_service)
    assert (report.created, report.skipped) == (len(originals), [])

    with demo_service.session() as source, target.session() as copies:
        imported = {s.source_key: s for s in copies.exec(select(Site).where(Site.source == "carto-ess"))}
        for original in originals:
            copy = imported[str(original.id)]
            for name in ("name", "description", "street", "postcode", "website", "phone", "email",
                         "lon", "lat", "commune_code"):
                assert getattr(copy, name) == getattr(original, name), (name, original.id)
            assert sites.activities_of(copies, copy.id) == sites.activities_of(source, original.id)
            if per_day(original.opening_hours):  # GoGoCarto's per-day hours carry the same meaning
                assert _same_hours(copy.opening_hours, original.opening_hours), original.opening_hours


def _same_hours(a: str, b: str) -> bool:
    weekly = [str(opening_hours.parse(h).engine.normalize()).replace("; PH closed", "") for h in (a, b)]
    return weekly[0] == weekly[1]


def test_gogocarto_clients_options_are_ignored_as_gogocarto_does(client):
    response = client.get("/api/elements.json", params={"ontology": "gogosync", "token": "x", "bounds": "-5,47,-1,49"})
    assert response.status_code == 200 and response.json()["data"]
    assert client.get("/api/changes", params={"sinse": 3}).status_code == 400  # the change feed is strict


def test_a_cursor_beyond_any_history_row_is_refused_naming_it(client):
    response = client.get("/api/changes", params={"since": 2**31})
    assert response.status_code in (400, 422)
    assert "since" in response.text
