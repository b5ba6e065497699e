"""Pôles ESS: coverage from pays or from an uploaded polygon, and the coverage report."""
import json

import pytest
import shapely

from carto.directory import sites
from carto.directory.site_schema import SiteData
from carto.territory import poles
from carto.territory.locator import Locator
from tests.helpers import add


def test_the_nineteen_poles_cover_brittany_but_three_communes(session):
    report = poles.coverage_report(session)
    assert len(report.poles) == 19
    assert sorted(c.name for c in report.uncovered) == ["Camoël", "Férel", "Pénestin"]
    assert report.covered_twice == []
    assert sum(p.communes for p in report.poles) == 1202 - 3


def test_a_pole_covering_two_pays_has_both(session):
    summary = {p.pole.id: p for p in poles.coverage_report(session).poles}
    ouest = summary["adess-ouest-cotes-darmor"]
    assert ouest.pole.coverage_pays == ["10", "18"]
    assert ouest.population > 150_000


def test_an_uploaded_polygon_replaces_the_pays_and_can_overlap(session):
    # A square around Rennes given to the Pays de Brocéliande pôle: Rennes becomes covered twice.
    square = shapely.box(-1.75, 48.05, -1.60, 48.15)
    poles.set_coverage(session, "pole-ess-broceliande", geojson=json.dumps(shapely.geometry.mapping(square)))
    report = poles.coverage_report(session)
    twice = {c.code: ids for c, ids in report.covered_twice}
    assert twice["35238"] == ["pole-ess-broceliande", "reso-solidaire"]
    assert Locator.from_db(session).locate(-1.6778, 48.1173).poles == ("pole-ess-broceliande", "reso-solidaire")


def test_coverage_back_to_pays_is_just_data(session):
    poles.set_coverage(session, "reso-solidaire", pays=[])
    assert "Rennes" in [c.name for c in poles.coverage_report(session).uncovered]
    poles.set_coverage(session, "reso-solidaire", pays=["15"])
    assert "Rennes" not in [c.name for c in poles.coverage_report(session).uncovered]


def test_the_sites_outside_every_pole_are_counted_and_the_first_listed_in_name_order(service, session):
    add(service, session, "Ressourcerie de Rennes")  # covered by RÉSO solidaire
    add(service, session, "Zèbre vélo de Pénestin", lon=-2.4773, lat=47.4820)
    add(service, session, "Atelier de Férel", lon=-2.3426, lat=47.4822)
    for name in ("Boutique parisienne", "Cyclerie parisienne"):
        sites.create(session, SiteData(name=name, activities=["velo"], lon=2.35, lat=48.85), service.locator,
                     actor="admin", allow_outside=True)
    everyone = poles.coverage_report(session, listed=None)
    assert [s.name for s in everyone.sites_outside] == [
        "Atelier de Férel", "Boutique parisienne", "Cyclerie parisienne", "Zèbre vélo de Pénestin"]
    assert everyone.outside_count == 4
    first = poles.coverage_report(session, listed=2)
    assert [s.name for s in first.sites_outside] == ["Atelier de Férel", "Boutique parisienne"]
    assert first.outside_count == 4 and first.sites_outside[1].commune_name == ""


@pytest.mark.parametrize("bad", ["not json", '{"type": "Point", "coordinates": [0, 0]}'])
def test_a_coverage_that_is_not_a_polygon_is_refused(session, bad):
    with pytest.raises(poles.PoleError):
        poles.set_coverage(session, "reso-solidaire", geojson=bad)


def test_unknown_pole_is_refused(session):
    with pytest.raises(poles.PoleError, match="inconnu"):
        poles.set_coverage(session, "nope", pays=["15"])
