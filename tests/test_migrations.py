"""Schema migrations: the revisions describe the models exactly, and old databases keep their data.

Run on the backend of the test run (SQLite, or PostgreSQL with CARTO_TEST_DATABASE_URL).
"""
import json
from datetime import datetime

import pytest
from sqlalchemy import MetaData, insert, text
from sqlmodel import SQLModel, select
from typer.testing import CliRunner

from carto.directory import site_json, sites

from carto.query import search, sourcing

from carto.storage import migrate, search_index, tallies
from carto.cli import app
from carto.directory.service import Service
from carto.storage.db import make_engine
from carto.storage.models import Commune, Pole, Site
from carto.query.search import SiteFilter
from carto.core.settings import get_settings
from carto.directory.site_schema import SiteData
from tests.helpers import settings_for

FIRST = "0001"
RENNES_SQUARE = {"type": "Polygon", "coordinates": [[[-1.8, 48.0], [-1.5, 48.0], [-1.5, 48.2], [-1.8, 48.2], [-1.8, 48.0]]]}


@pytest.fixture
def engine(empty_database_url):
    e = make_engine(empty_database_url)
    yield e
    e.dispose()


def revision_of(engine) -> str | None:
    with engine.connect() as conn:
        return migrate.current(conn)


def differences(engine) -> list:
    with engine.connect() as conn:
        return migrate.differences(conn)


def search_indexes(engine) -> set[str]:
    """The indexes kept beside the models by ``carto.storage.search_index`` (virtual tables on SQLite)."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            return set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE sql LIKE 'CREATE VIRTUAL%'").scalars())
        return set(conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'site'").scalars())


def test_the_migrations_build_exactly_the_tables_of_the_models(engine):
    """If this fails after a change to carto/models.py: ``carto db revision -m "…"``, read, commit."""
    assert migrate.upgrade(engine) == (None, migrate.head())
    assert differences(engine) == []
    expected = set(search_index.SQLITE_TABLES if engine.dialect.name == "sqlite" else search_index.PG_INDEXES)
    assert expected <= search_indexes(engine)


def test_a_new_database_is_created_at_the_newest_revision(empty_database_url):
    service = Service.open(settings_for(empty_database_url))
    assert revision_of(service.engine) == migrate.head()
    assert differences(service.engine) == []
    service.engine.dispose()


def test_a_database_made_before_migrations_is_adopted_when_it_matches_the_models(engine):
    SQLModel.metadata.create_all(engine)
    assert revision_of(engine) is None
    migrate.prepare(engine)
    assert revision_of(engine) == migrate.head()


def insert_first_release_data(engine) -> int:
    """Rows as the first release (revision 0001) wrote them, indexes included."""
    tables = MetaData()
    tables.reflect(engine)
    now = datetime(2025, 3, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(insert(tables.tables["commune"]), [dict(
            code="35238", nom="Rennes", dep="35", population=225081, codes_postaux="35000,35200,35700",
            epci_code="243500139", pays_code="15", lon=-1.6778, lat=48.1173, geometry=json.dumps(RENNES_SQUARE))])
        conn.execute(insert(tables.tables["pole"]), [dict(
            id="reso-solidaire", nom="Réso solidaire", departements="35", coverage_pays=["15"], updated_at=now)])
        conn.execute(insert(tables.tables["polecommune"]), [dict(pole_id="reso-solidaire", commune_code="35238")])
        site = dict(
            name="Atelier vélo de l'Œuvre", description="Réparation de vélos", street="", postcode="35000",
            commune_code="35238", epci_code="243500139", pays_code="15", dep_code="35", commune_name="Rennes",
            search_text="atelier velo de l'oeuvre reparation de velos rennes", outside_territory=False,
            lon=-1.6778, lat=48.1173, position_precision="address", siae=True, ea_esat=False,
            serves_individuals=True, serves_professionals=False, labels=["ess"], status="published",
            is_demo=False, created_at=now, updated_at=now, version=1)
        site_id = conn.execute(insert(tables.tables["site"]).values(site)).inserted_primary_key[0]
        conn.execute(insert(tables.tables["siteactivity"]), [dict(site_id=site_id, activity="velo")])
        conn.execute(insert(tables.tables["siteversion"]), [dict(
            site_id=site_id, version=1, action="create", actor="cli", changed_at=now, changes={}, snapshot={"name": site["name"]})])
        if engine.dialect.name == "sqlite":  # what the first release's write path indexed beside the row
            conn.exec_driver_sql("INSERT INTO site_fts(rowid, body) VALUES (?, ?)", (site_id, site["search_text"]))
            conn.exec_driver_sql("CREATE VIRTUAL TABLE site_rtree USING rtree(id, minx, maxx, miny, maxy)")
            conn.exec_driver_sql("INSERT INTO site_rtree VALUES (?, -1.6778, -1.6778, 48.1173, 48.1173)", (site_id,))
    return site_id


def test_an_old_database_is_upgraded_with_its_data_intact(engine, empty_database_url):
    migrate.upgrade(engine, FIRST)
    search_index.create(engine)
    site_id = insert_first_release_data(engine)
    with engine.connect() as conn:
        before = [tuple(r) for r in conn.execute(text("SELECT id, name, lon, lat, status, labels FROM site"))]
    assert migrate.upgrade(engine) == (FIRST, migrate.head())
    assert differences(engine) == []

    service = Service.open(settings_for(empty_database_url))
    with service.session() as session:
        old = session.get(Site, site_id)
        assert [(old.id, old.name, old.lon, old.lat, old.status.value, old.labels)] == [
            (i, n, x, y, s, json.loads(labels) if isinstance(labels, str) else labels) for i, n, x, y, s, labels in before]
        assert old.ess is True  # proposed on Carto ESS itself (no source): an ESS structure (0017)
        rennes, pole = session.get(Commune, "35238"), session.get(Pole, "reso-solidaire")  # columns renamed (0023)
        assert (rennes.name, rennes.dep_code, rennes.postcodes) == ("Rennes", "35", "35000,35200,35700")
        assert (pole.name, pole.dep_codes) == ("Réso solidaire", "35")
        [row] = session.exec(select(*site_json.FEATURE_COLUMNS).where(Site.id == site_id)).all()
        assert row.feature_json == site_json.stored(old, ["velo"])["feature_json"].encode()  # as the write path stores it
        properties = json.loads(service.pieces.feature(row))["properties"]
        assert properties["nom"] == old.name
        # A ticked SIAE of old is a declared status, never a verified one (0026).
        assert (old.siae, old.siae_verification, properties["siae_statut"]) == (True, None, "declared")
        assert [s.id for s in search.find(session, SiteFilter(q="oeuvre velo", bbox=(-2, 48, -1, 49))).sites] == [site_id]
        assert [s.id for s in search.find(session, SiteFilter(pole="reso-solidaire")).sites] == [site_id]
        assert sourcing.available_labels(session) == ["ess"] and tallies.differences(session) == []  # counted (0037)
        new = sites.create(session, SiteData(name="Recyclerie neuve", activities=["reemploi"], lon=-1.68, lat=48.11),
                           service.locator, actor="test")
        session.commit()
        assert new.id > site_id and new.commune_code == "35238"
        assert [v.actor for v in sites.history(session, site_id)] == ["cli"]
    service.engine.dispose()


def test_an_outdated_database_is_refused_until_upgraded(engine, empty_database_url):
    migrate.upgrade(engine, FIRST)
    with pytest.raises(migrate.SchemaOutdated, match="carto db upgrade"):
        Service.open(settings_for(empty_database_url))


def test_the_command_line_tells_and_upgrades_the_revision(monkeypatch, empty_database_url):
    monkeypatch.setenv("CARTO_DATABASE_URL", empty_database_url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert "aucune révision" in runner.invoke(app, ["db", "current"]).output
        assert f"base vide → {FIRST}" in runner.invoke(app, ["db", "upgrade", FIRST]).output
        refused = runner.invoke(app, ["coverage"])
        assert refused.exit_code == 1 and "carto db upgrade" in refused.output
        assert f"{FIRST} → {migrate.head()}" in runner.invoke(app, ["db", "upgrade"]).output
        assert "(à jour)" in runner.invoke(app, ["db", "current"]).output
    finally:
        get_settings.cache_clear()

