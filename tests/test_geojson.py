"""Public GeoJSON of a site: the JSON stored with each write (carto.directory.site_json) is the feature of the
site as read back, whichever path wrote it, and pages put it together into valid documents."""
import json
import random
from datetime import date

from sqlmodel import select

from carto.directory import bulk, public_fields, reserved_status, site_json, sites

from carto.query import search
from carto.storage.db import session_scope
from carto.directory.demo import fake_siret
from carto.storage.models import LegalForm, PositionPrecision, Site, SiteStatus
from carto.directory.site_schema import SiteData
from carto.core.taxonomy import Activity, Domain, Taxonomy

FULL = SiteData(
    name="Atelier « Œuvre » complet", activities=["velo", "reemploi"], description="Tout rempli\n\"cité\"",
    street="1 rue de Rennes", postcode="35000", lon=-1.6778, lat=48.1173,
    position_precision=PositionPrecision.address, website="https://exemple.fr", email="contact@exemple.fr",
    phone="02 99 00 00 00", opening_hours="Mo-Fr 09:00-18:00", siret=fake_siret(random.Random(1)),
    legal_form=LegalForm.cooperative, siae=True, ea_esat=True, serves_professionals=True,
    labels=["ess", "refashion"], verified_at=date(2026, 3, 1))


def reference(site: Site) -> dict:
    """What pydantic writes for the public fields, under their public names: the meaning of every
    value in a feature (times in UTC to the second)."""
    dumped = site.model_dump(include=set(public_fields.FEATURE_READ), mode="json")
    properties = {f.name: dumped[f.attribute] for f in public_fields.STORED}
    return properties | reserved_status.public_fields(dumped) | {"date_maj": site.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def expected_feature(site: Site, activities: list[str], taxonomy: Taxonomy) -> dict:
    domains = sorted({taxonomy.activities[a].domain for a in activities})
    return {"type": "Feature", "id": site.id, "geometry": {"type": "Point", "coordinates": [site.lon, site.lat]},
            "properties": reference(site) | {"activites": sorted(activities), "domaines": domains}}


def assert_stored_json_is_the_feature(service, session, ids=None) -> int:
    """Every site's stored feature and marker, put together, against the site read back."""
    query = select(Site).where(Site.id.in_(ids)) if ids else select(Site)
    objects = {s.id: s for s in session.exec(query)}
    activities = search.activities_by_site(session, list(objects))
    rows = session.exec(select(*site_json.FEATURE_COLUMNS).where(Site.id.in_(list(objects)))).all()
    markers = {r.id: r for r in session.exec(select(*site_json.MARKER_COLUMNS).where(Site.id.in_(list(objects))))}
    assert len(rows) == len(objects)
    for row in rows:
        site = objects[row.id]
        feature = json.loads(service.pieces.feature(row))
        assert feature == expected_feature(site, activities[site.id], service.taxonomy)
        assert json.loads(service.pieces.site_feature(site)) == feature
        marker = [site.id, round(site.lon, 5), round(site.lat, 5), site.name, sorted(activities[site.id])]
        assert json.loads(service.pieces.marker(markers[row.id])) == json.loads(service.pieces.site_marker(site)) == marker
    return len(rows)


def test_the_stored_json_of_every_demo_site_is_its_feature(demo_service):
    with demo_service.session() as session:
        assert assert_stored_json_is_the_feature(demo_service, session) == 500


def test_the_stored_json_follows_each_write_of_a_site(service):
    with session_scope(service.engine) as session:
        site_id = sites.create(session, FULL, service.locator, actor="test").id
    with session_scope(service.engine) as session:
        assert_stored_json_is_the_feature(service, session, [site_id])
        site = session.get(Site, site_id)
        sites.update(session, site, {"name": "Atelier renommé", "activities": ["textile"], "lon": -1.68,
                                     "lat": 48.11, "website": None}, service.locator, actor="user:1")
        sites.set_status(session, site, SiteStatus.archived, actor="user:1")
    with service.session() as session:
        assert assert_stored_json_is_the_feature(service, session, [site_id]) == 1
        row = session.exec(select(*site_json.FEATURE_COLUMNS).where(Site.id == site_id)).one()
        properties = json.loads(service.pieces.feature(row))["properties"]
        assert (properties["nom"], properties["activites"], properties["statut"], properties["version"]) == (
            "Atelier renommé", ["textile"], "archived", 3)


def test_bulk_writes_store_the_same_json(service):
    with session_scope(service.engine) as session:
        fields = FULL.model_dump()
        acts = fields.pop("activities")
        rows = [bulk.new_row(dict(fields, name=f"Lot {i}"), source="lot", source_key=str(i)) for i in range(3)]
        assert bulk.place(rows, service.locator) == [None] * 3
        ids = bulk.insert_sites(session, rows, [acts] * 3, actor="test")
    with session_scope(service.engine) as session:
        assert_stored_json_is_the_feature(service, session, ids)
        stored = [session.get(Site, i) for i in ids]
        before = [sites.snapshot(session, s) for s in stored]
        rewritten = [s.model_dump() | {"phone": "02 23 00 00 00"} for s in stored]
        bulk.rewrite_sites(session, rewritten, [["velo"]] * 3, before, actor="import:lot")
    with service.session() as session:
        assert assert_stored_json_is_the_feature(service, session, ids) == 3
        assert {s.version for s in session.exec(select(Site).where(Site.id.in_(ids)))} == {2}


def test_domains_follow_the_taxonomy_without_rewriting_sites(demo_service):
    moved = Taxonomy((Domain("tout", "Tout", "#000000", "black", "circle", None, tuple(
        Activity(a.slug, a.label, a.icon, "tout") for a in demo_service.taxonomy.activities.values())),))
    with demo_service.session() as session:
        row = session.exec(select(*site_json.FEATURE_COLUMNS).where(Site.activity_slugs != "").limit(1)).one()
        assert json.loads(demo_service.pieces.feature(row))["properties"]["domaines"] != ["tout"]
        assert json.loads(site_json.Pieces(moved).feature(row))["properties"]["domaines"] == ["tout"]


def test_a_page_is_one_valid_document_with_its_items_last():
    items = ['[1,-1.6,48.1,"A",[]]'.encode(), '[2,-1.7,48.2,"B «»",[]]'.encode()]  # UTF-8, as pages hold them
    body = site_json.document({"total": 2, "next": None}, "sites", site_json.separated(items))
    assert json.loads(body) == {"total": 2, "next": None, "sites": [[1, -1.6, 48.1, "A", []], [2, -1.7, 48.2, "B «»", []]]}
    assert json.loads(site_json.document({"total": 0}, "sites", [])) == {"total": 0, "sites": []}


def test_a_distance_is_the_last_property_of_a_feature(demo_service):
    with demo_service.session() as session:
        row = session.exec(select(*site_json.FEATURE_COLUMNS).limit(1)).one()
    properties = json.loads(demo_service.pieces.feature(row, 1.234))["properties"]
    assert list(properties)[-3:] == ["activites", "domaines", "distance_km"] and properties["distance_km"] == 1.234
