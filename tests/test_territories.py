"""Territories: communes loaded from any layer, higher levels dissolved from them, point location."""
import shapely
from sqlmodel import select

from carto.territory.locator import Locator
from carto.storage.models import Commune, Territory


def test_levels_of_brittany_are_built_from_the_communes(session):
    communes = session.exec(select(Commune)).all()
    levels = {}
    for t in session.exec(select(Territory)):
        levels.setdefault(t.level, []).append(t)
    assert len(communes) == 1202
    assert len(levels["epci"]) == 61
    assert len(levels["pays"]) == 21
    assert sorted(t.name for t in levels["departement"]) == [
        "Côtes-d'Armor", "Finistère", "Ille-et-Vilaine", "Morbihan"]


def test_dissolved_levels_share_the_borders_of_their_communes(session):
    communes = {c.code: c for c in session.exec(select(Commune))}
    rennes_metropole = session.get(Territory, ("epci", "243500139"))
    members = [shapely.from_geojson(c.geometry) for c in communes.values() if c.epci_code == "243500139"]
    union = shapely.union_all(members)
    assert rennes_metropole.n_communes == len(members) == 43
    assert shapely.from_geojson(rennes_metropole.geometry).symmetric_difference(union).area < 1e-9
    population = sum(c.population for c in communes.values() if c.dep_code == "29")
    assert session.get(Territory, ("departement", "29")).population == population


def test_island_communes_without_epci_still_have_a_pays(session):
    for name in ("Île-de-Bréhat", "Île-de-Sein", "Ouessant"):
        commune = session.exec(select(Commune).where(Commune.name == name)).one()
        assert commune.epci_code is None and commune.pays_code


def test_known_points_are_placed_in_their_commune_epci_pays_and_pole(session):
    locator = Locator.from_db(session)
    rennes = locator.locate(-1.6778, 48.1173)
    assert (rennes.commune_code, rennes.epci_code, rennes.pays_code, rennes.poles) == (
        "35238", "243500139", "15", ("reso-solidaire",))
    assert session.get(Territory, ("epci", rennes.epci_code)).name == "Rennes Métropole"
    assert session.get(Territory, ("pays", "15")).name == "Pays de Rennes"
    assert locator.locate(-3.5736, 48.2764).commune_code == "29024"
    assert locator.locate(-3.5736, 48.2764).poles == ("adesk",)
    assert locator.locate(-2.9633, 48.0681).commune_code == "56178"
    assert locator.locate(-2.9633, 48.0681).poles == ("adess-centre-bretagne",)


def test_points_outside_brittany_have_no_commune(session):
    locator = Locator.from_db(session)
    assert locator.locate(2.35, 48.85) is None  # Paris
    assert locator.locate(-4.0, 47.5) is None  # at sea
    assert list(locator.locate_many([-1.6778, 2.35], [48.1173, 48.85])) == ["35238", None]


def test_a_locator_of_the_same_communes_reuses_their_outlines_and_one_of_changed_communes_does_not(session):
    """A pôles load makes a new locator of the same communes: their 1,202 outlines are not parsed
    again. A commune whose outline changed (a territories load) is placed by its new one."""
    first, again = Locator.from_db(session), Locator.from_db(session)
    assert again.geometries is first.geometries
    assert again.locate(-1.6778, 48.1173).commune_code == "35238"

    communes = list(session.exec(select(Commune).order_by(Commune.code)))
    rennes = next(c for c in communes if c.code == "35238")
    session.expunge(rennes)
    rennes.geometry = shapely.to_geojson(shapely.box(2.3, 48.8, 2.4, 48.9))  # moved to Paris
    moved = Locator(communes, [])
    assert moved.geometries is not first.geometries
    assert moved.locate(2.35, 48.85).commune_code == "35238"
    assert moved.locate(-1.6778, 48.1173) is None


def test_any_layer_with_an_insee_column_can_be_loaded(tmp_path, service):
    """A GeoPackage in Lambert 93 with ADMIN EXPRESS column names, completed from the attributes table."""
    import geopandas as gpd
    from carto.directory import bootstrap
    from carto.core.settings import SHARED_GEODATA
    layer = gpd.read_file(SHARED_GEODATA / "communes_bretagne_2026.geojson")
    layer = layer[layer["dep"] == "35"][["code", "geometry"]].rename(columns={"code": "INSEE_COM"})
    path = tmp_path / "communes_35.gpkg"
    layer.to_crs(2154).to_file(path)
    counts = bootstrap.load_territories(service, path).territories
    assert counts["commune"] == len(layer) and counts["departement"] == 1
    assert service.locator.locate(-1.6778, 48.1173).epci_code == "243500139"


def test_a_layer_without_insee_code_is_refused_clearly(tmp_path, service):
    import geopandas as gpd
    import pytest
    from carto.directory import bootstrap
    from carto.territory.territory_load import TerritoryLoadError
    path = tmp_path / "bad.geojson"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(path)
    with pytest.raises(TerritoryLoadError, match="code INSEE"):
        bootstrap.load_territories(service, path)


def test_one_matcher_finds_a_commune_by_postcode_and_or_name(session):
    locator = Locator.from_db(session)
    assert [c.code for c in locator.matching_communes(postcode="29270")] == [
        "29024", "29029", "29089", "29152", "29205", "29250"]  # in name order: Carhaix-Plouguer… Saint-Hernin
    assert [c.code for c in locator.matching_communes(name="PLOUHINEC")] == ["29197", "56169"]
    assert [c.code for c in locator.matching_communes(postcode="56680", name="plouhinec")] == ["56169"]
    assert locator.find_commune(name="Plouhinec") is None  # several: no guess
    assert locator.find_commune(postcode=" 29780 ", name="Plouhinec") == "29197"
    assert locator.find_commune(postcode="29780", name="Brest") is None  # both must fit
    assert locator.matching_communes() == [] and locator.matching_communes(name=" - ") == []
