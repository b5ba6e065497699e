"""The write path of sites: validation, territory assignment at write time, history, versions."""
import pytest
from pydantic import ValidationError

from carto.directory import sites
from carto.storage.models import PositionPrecision, SiteStatus
from carto.directory.site_schema import SiteData, check_siret

RENNES = (-1.6778, 48.1173)


def data(**overrides) -> SiteData:
    fields = {"name": "Atelier Vélo Solidaire", "activities": ["velo"], "lon": RENNES[0], "lat": RENNES[1]}
    return SiteData(**(fields | overrides))


def test_a_site_gets_its_territories_when_written(service, session):
    site = sites.create(session, data(), service.locator, actor="test")
    assert (site.commune_code, site.commune_name, site.epci_code, site.pays_code, site.dep_code) == (
        "35238", "Rennes", "243500139", "15", "35")
    assert site.position_precision == PositionPrecision.address
    assert sites.activities_of(session, site.id) == ["velo"]


def test_a_site_known_only_by_its_commune_sits_at_the_commune_centre(service, session):
    site = sites.create(session, data(lon=None, lat=None, commune_code="29024"), service.locator, actor="test")
    assert site.commune_code == "29024"
    assert site.position_precision == PositionPrecision.commune
    assert service.locator.locate(site.lon, site.lat).commune_code == "29024"


def test_an_unknown_commune_is_refused(service, session):
    with pytest.raises(sites.SiteError) as err:
        sites.create(session, data(lon=None, lat=None, commune_code="99999"), service.locator, actor="test")
    assert err.value.field == "commune_code"


def test_a_point_outside_brittany_is_refused_unless_an_administrator_flags_it(service, session):
    with pytest.raises(sites.SiteError, match="en dehors") as err:
        sites.create(session, data(lon=2.35, lat=48.85), service.locator, actor="test")
    assert err.value.field == "lon"
    site = sites.create(session, data(lon=2.35, lat=48.85), service.locator, actor="admin", allow_outside=True)
    assert site.outside_territory and site.commune_code is None


def test_every_write_is_a_version_with_what_changed(service, session):
    site = sites.create(session, data(), service.locator, actor="test")
    diff = sites.update(session, site, {"name": "Atelier Vélo de Carhaix", "lon": -3.5736, "lat": 48.2764},
                        service.locator, actor="user:1", expected_version=1)
    assert diff["name"] == ["Atelier Vélo Solidaire", "Atelier Vélo de Carhaix"]
    assert diff["commune_code"] == ["35238", "29024"]
    assert site.version == 2 and site.pays_code == "06"
    sites.set_status(session, site, SiteStatus.archived, actor="user:1")
    versions = sites.history(session, site.id)
    assert [(v.version, v.action, v.actor) for v in versions] == [
        (1, "create", "test"), (2, "update", "user:1"), (3, "status", "user:1")]
    assert versions[1].snapshot["name"] == "Atelier Vélo de Carhaix"
    assert versions[2].changes == {"status": ["published", "archived"]}


def test_an_update_that_changes_nothing_writes_no_version(service, session):
    site = sites.create(session, data(), service.locator, actor="test")
    assert sites.update(session, site, {"name": "Atelier Vélo Solidaire"}, service.locator, actor="t") == {}
    assert site.version == 1


def test_a_write_based_on_an_old_version_is_refused(service, session):
    site = sites.create(session, data(), service.locator, actor="test")
    sites.update(session, site, {"name": "Nouveau nom"}, service.locator, actor="a", expected_version=1)
    with pytest.raises(sites.VersionConflict):
        sites.update(session, site, {"name": "Autre nom"}, service.locator, actor="b", expected_version=1)
    assert site.name == "Nouveau nom"


def test_bad_values_in_an_update_leave_the_site_as_it_was(service, session):
    site = sites.create(session, data(), service.locator, actor="test")
    with pytest.raises(ValidationError):
        sites.update(session, site, {"name": "Ok", "website": "javascript:alert(1)"}, service.locator, actor="t")
    assert site.name == "Atelier Vélo Solidaire" and site.version == 1


@pytest.mark.parametrize("field, value, message", [
    ("activities", [], "at least 1"),
    ("activities", ["inconnue"], "activité inconnue"),
    ("website", "ftp://exemple.org", "http"),
    ("website", "javascript:alert(1)", "http"),
    ("email", "pas-une-adresse", "e-mail"),
    ("website", "https://www.exemple .fr", "espace"),
    ("website", "https://exemple", "exemple.fr"),
    ("website", "https://@/", "exemple.fr"),
    ("siret", "1234", "14 chiffres"),
    ("siret", "83284597800029", "clé de contrôle"),
    ("name", "x" * 201, "200"),
    ("postcode", "3500", "pattern"),
    ("lat", 200, "less than or equal"),
])
def test_invalid_fields_are_named_in_the_error(field, value, message):
    with pytest.raises(ValidationError) as err:
        data(**{field: value})
    assert err.value.errors()[0]["loc"][0] == field
    assert message in str(err.value)


def test_siret_key_accepts_real_numbers_and_la_poste():
    assert check_siret("832 845 978 00028") == "83284597800028"  # Cap Ressourcerie, Crach
    assert check_siret("35600000000048") == "35600000000048"  # La Poste's head office: Luhn
    assert check_siret("35600000000010") == "35600000000010"  # a post office: digit sum multiple of 5


def test_a_position_needs_both_coordinates_or_a_commune():
    with pytest.raises(ValidationError, match="lon et lat"):
        data(lat=None)
    with pytest.raises(ValidationError, match="position manquante"):
        data(lon=None, lat=None)
