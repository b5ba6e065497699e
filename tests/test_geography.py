"""A new geography every January (INSEE COG): loading a layer places every site again, in the
same transaction, and every process serves the new geography without restart.

The layer is built like a real COG change from the reference one: two communes merged into a new
code, Rennes moved to Vitré's EPCI and pays (so its pôle changes too).
"""
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlmodel import select
from typer.testing import CliRunner

from carto.cli import app
from carto.core.settings import SHARED_GEODATA
from carto.directory import bootstrap, geography, sites
from carto.directory.service import Service
from carto.directory.site_schema import SiteData
from carto.storage.db import session_scope
from carto.storage.models import Commune, Site, SiteVersion
from tests.helpers import make_client

CESSON, THORIGNE, MERGED = "35051", "35334", "35999"
RENNES, VITRE, BREST = "35238", "35360", "29019"
MERGED_NAME = "Val-de-Vilaine-Test"


@pytest.fixture
def cog_layer(tmp_path):
    """The reference layer with Cesson-Sévigné and Thorigné-Fouillard merged into 35999 and Rennes
    moved to Vitré's EPCI and pays; every attribute in the layer itself."""
    layer = gpd.read_file(SHARED_GEODATA / "communes_bretagne_2026.geojson")
    merged = layer[layer["code"].isin([CESSON, THORIGNE])]
    new = merged.iloc[[0]].copy()
    new["code"], new["nom"] = MERGED, MERGED_NAME
    new["population"] = int(merged["population"].sum())
    new["geometry"] = [shapely.union_all(merged.geometry.values)]
    layer = pd.concat([layer[~layer["code"].isin([CESSON, THORIGNE])], new], ignore_index=True)
    vitre = layer[layer["code"] == VITRE].iloc[0]
    rennes = layer["code"] == RENNES
    for column in ("epci_code", "epci_nom", "epci_type", "pays_code", "pays_nom"):
        layer.loc[rennes, column] = vitre[column]
    path = tmp_path / "communes_cog.geojson"
    gpd.GeoDataFrame(layer, crs=4326).to_file(path)
    return path, vitre


@pytest.fixture
def placed(service):
    """One site in each merged commune, one in Rennes, one in Brest (unchanged)."""
    ids = {}
    with session_scope(service.engine) as session:
        for code in (CESSON, THORIGNE, RENNES, BREST):
            lon, lat = service.locator.centre(code)
            site = sites.create(session, SiteData(name=f"Ressourcerie {code}", activities=["reemploi"],
                                                  lon=lon, lat=lat), service.locator, actor="test")
            ids[code] = site.id
    return ids


def stored(service, site_id: int) -> Site:
    with service.session() as session:
        return session.get(Site, site_id)


def test_a_dry_run_reports_the_moves_and_writes_nothing(service, placed, cog_layer):
    before = {code: stored(service, i) for code, i in placed.items()}
    report = bootstrap.load_territories(service, cog_layer[0], dry_run=True)
    assert report.dry_run and report.sites == 4 and report.changed == 3
    assert {m.site_id for m in report.moves["commune_code"]} == {placed[CESSON], placed[THORIGNE]}
    assert [(m.site_id, m.after) for m in report.moves["epci_code"]] == [(placed[RENNES], cog_layer[1]["epci_code"])]
    assert [m.site_id for m in report.moves["pays_code"]] == [placed[RENNES]]
    assert [m.site_id for m in report.moves["poles"]] == [placed[RENNES]]
    with service.session() as session:
        assert session.get(Commune, CESSON) is not None and session.get(Commune, MERGED) is None
    for code, site in before.items():
        after = stored(service, site.id)
        assert (after.commune_code, after.epci_code, after.version) == (site.commune_code, site.epci_code, 1)


def test_the_sites_follow_a_new_geography_with_a_version_that_says_why(service, placed, cog_layer):
    old_epci = stored(service, placed[RENNES]).epci_code
    old_poles = service.locator.placement(RENNES).poles
    report = bootstrap.load_territories(service, cog_layer[0])
    assert report.changed == 3 and not report.dry_run
    for code in (CESSON, THORIGNE):
        site = stored(service, placed[code])
        assert (site.commune_code, site.commune_name, site.version) == (MERGED, MERGED_NAME, 2)
        assert site.search_text.endswith("| val de vilaine vilain test") and MERGED_NAME in site.feature_json
    rennes = stored(service, placed[RENNES])
    assert (rennes.epci_code, rennes.pays_code) == (cog_layer[1]["epci_code"], cog_layer[1]["pays_code"])
    assert stored(service, placed[BREST]).version == 1
    with service.session() as session:
        version = session.exec(select(SiteVersion).where(SiteVersion.site_id == placed[RENNES],
                                                         SiteVersion.version == 2)).one()
    assert (version.actor, version.action) == (geography.ACTOR, geography.ACTION)
    assert version.changes["epci_code"] == [old_epci, cog_layer[1]["epci_code"]]
    assert version.changes["poles"] == [list(old_poles), list(service.locator.placement(RENNES).poles)]


def test_a_running_server_serves_the_new_geography_at_once(service, placed, cog_layer):
    """Another process (its own service, opened before the load) follows the data version."""
    other = Service.open(service.settings)
    try:
        with make_client(other) as client:
            assert client.get("/api/sites", params={"commune": CESSON}).status_code == 200
            etag = client.get("/api/sites").headers["etag"]
            bootstrap.load_territories(service, cog_layer[0])
            assert client.get("/api/sites", headers={"If-None-Match": etag}).status_code == 200
            found = client.get("/api/sites", params={"commune": MERGED}).json()["features"]
            assert sorted(f["id"] for f in found) == sorted([placed[CESSON], placed[THORIGNE]])
            by_epci = client.get("/api/sites", params={"epci": cog_layer[1]["epci_code"]}).json()["features"]
            assert placed[RENNES] in [f["id"] for f in by_epci]
            gone = client.get("/api/sites", params={"commune": CESSON})
            assert gone.status_code == 404 and "inconnue" in gone.text and CESSON in gone.text
            assert MERGED_NAME in client.get(f"/sites/{placed[CESSON]}").text
            item = client.get(f"/ogc/collections/sites/items/{placed[THORIGNE]}", params={"f": "json"}).json()
            assert item["properties"]["commune"] == MERGED_NAME
            export = client.get("/api/exports/sites.csv").text
            assert export.count(MERGED_NAME) == 2
    finally:
        other.engine.dispose()


def test_the_command_prints_the_report_and_a_dry_run_says_so(service, placed, cog_layer, monkeypatch):
    monkeypatch.setenv("CARTO_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CARTO_GEODATA", str(SHARED_GEODATA))
    from carto.core.settings import get_settings
    get_settings.cache_clear()
    try:
        dry = CliRunner().invoke(app, ["territories", "load", str(cog_layer[0]), "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "rien n'a été écrit" in dry.output and "Changement d'EPCI : 1 site" in dry.output
        assert stored(service, placed[RENNES]).version == 1
        done = CliRunner().invoke(app, ["territories", "load", str(cog_layer[0])])
        assert done.exit_code == 0, done.output
        assert "mise à jour de la géographie" in done.output and f"#{placed[RENNES]} Ressourcerie" in done.output
        assert stored(service, placed[RENNES]).version == 2
    finally:
        get_settings.cache_clear()


def test_a_site_left_outside_every_commune_loses_its_commune_name(service, placed, tmp_path):
    layer = gpd.read_file(SHARED_GEODATA / "communes_bretagne_2026.geojson")
    path = tmp_path / "without_brest.geojson"
    layer[layer["code"] != BREST].to_file(path)
    report = bootstrap.load_territories(service, path)
    assert [m.site_id for m in report.outside] == [placed[BREST]]
    brest = stored(service, placed[BREST])
    assert (brest.commune_code, brest.commune_name, brest.outside_territory) == (None, "", True)
    assert "brest" not in brest.search_text and "Brest" not in brest.feature_json and brest.search_text.endswith("| ")
