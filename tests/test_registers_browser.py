"""In a real browser, against local fakes of the registers: the forms' address field proposes the
BAN's addresses, choosing one fills the address and places the point, and a SIRET fills the empty
fields from Sirene; without the services the form says so."""
import pytest
from sqlmodel import select

from carto.storage.models import PositionPrecision, Site
from carto.territory import geocoder
from tests.fake_registers import FakeRegisters

pytestmark = pytest.mark.browser


@pytest.fixture
def ban(demo_service):
    with FakeRegisters() as fake:
        demo_service.geocoder = geocoder.Ban(fake.url, 2)
        yield fake


def test_choosing_a_suggestion_fills_the_address_and_places_the_point(live_server, page, demo_service, ban):
    page.goto(live_server.url + "/proposer")
    page.locator("#f-street").press_sequentially("12 rue de la motte brulon", delay=20)
    options = page.locator("#cf-address-list").get_by_role("option")
    options.first.wait_for()
    assert options.first.inner_text() == "12 Rue de la Motte Brûlon 35700 Rennes"
    page.locator("#f-street").press("ArrowDown")
    page.locator("#f-street").press("Enter")
    assert page.input_value("#f-street") == "12 Rue de la Motte Brûlon"
    assert page.input_value("#f-postcode") == "35700"
    assert page.input_value("#f-commune") == "Rennes (35238)"
    assert (page.input_value("#f-lat"), page.input_value("#f-lon")) == ("48.120400", "-1.661400")
    assert "Adresse choisie" in page.locator("#cf-address-status").inner_text()
    assert page.external_requests == []

    page.fill("#f-name", "Atelier de la Motte")
    page.check("#act-velo")
    page.fill("#f-contributor_name", "Jeanne")
    page.fill("#f-contributor_email", "jeanne@contributrice.example")
    page.check("#f-consent")
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la proposition").click()
    assert "/suivi/" in page.url, page.locator("main").inner_text()[:1000]
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.name == "Atelier de la Motte")).one()
    assert (site.lon, site.lat, site.position_precision, site.commune_code) == (
        -1.6614, 48.1204, PositionPrecision.address, "35238")


def test_a_street_suggestion_keeps_its_precision_until_the_point_is_moved(live_server, page, ban):
    page.goto(live_server.url + "/proposer")
    page.locator("#f-street").press_sequentially("rue de saint-malo rennes", delay=20)
    page.locator("#cf-address-list").get_by_role("option").first.wait_for()
    page.locator("#cf-address-list").get_by_role("option").first.click()
    assert page.input_value("#f-position_precision") == "street"
    page.locator("#f-position").click()  # placed by hand: exactly where one clicked
    assert page.input_value("#f-position_precision") == ""


def test_without_the_service_the_form_says_so_and_still_works(live_server, page, ban):
    ban.down = True
    page.goto(live_server.url + "/proposer")
    page.locator("#f-street").press_sequentially("12 rue de la motte", delay=20)
    status = page.locator("#cf-address-status")
    status.filter(has_text="indisponible").wait_for()
    assert "indiquez sa commune" in status.inner_text()
    assert page.locator("#cf-address-list").get_by_role("option").count() == 0


def test_a_siret_fills_the_empty_fields_from_sirene_and_says_its_state(live_server, page, demo_service, ban):
    from carto.directory import sirene
    demo_service.sirene = sirene.Api(ban.url, 2, rate=1000)
    ban.companies["44306184100047"] = {
        "siren": "443061841", "nom_complet": "RECYCLERIE DU PAYS DE RENNES", "nature_juridique": "9220",
        "complements": {"est_ess": True},
        "matching_etablissements": [{"siret": "44306184100047", "etat_administratif": "A", "date_fermeture": None,
                                     "activite_principale": "38.32Z", "adresse": "12 RUE DE LA MOTTE 35700 RENNES",
                                     "code_postal": "35700", "libelle_commune": "RENNES"}]}
    page.goto(live_server.url + "/proposer")
    page.fill("#f-name", "La Recyclerie")  # typed by the contributor: kept
    page.fill("#f-siret", "443 061 841 00047")
    page.locator("#f-siret").blur()
    status = page.locator("#cf-siret-status")
    status.filter(has_text="Sirene : actif").wait_for()
    assert "ESS : oui, forme : Association déclarée" in status.inner_text()
    assert page.input_value("#f-name") == "La Recyclerie"
    assert page.input_value("#f-street") == "12 RUE DE LA MOTTE"
    assert page.input_value("#f-commune") == "Rennes (35238)"
    assert page.input_value("#f-legal_form") == "association"
    assert status.get_by_role("link").get_attribute("href").endswith("/etablissement/44306184100047")
