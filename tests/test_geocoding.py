"""Addresses placed by the Base Adresse Nationale (a local fake answering its documented API):
suggestions for the forms, batch geocoding of imports, and the offline fallbacks."""
import json

import pytest
from sqlmodel import select

from carto.core.settings import Settings
from carto.importers import run_import
from carto.storage.models import PositionPrecision, Site
from carto.territory import geocoder
from carto.territory.geocoder import GeocoderUnavailable, Query
from tests.fake_registers import FakeRegisters


@pytest.fixture
def ban():
    with FakeRegisters() as fake:
        yield fake


def test_search_reads_the_geocodejson_answer(ban):
    found = geocoder.Ban(ban.url, 2).search("12 rue de la motte brulon rennes")
    best = found[0]
    assert (best.label, best.street, best.postcode, best.citycode) == (
        "12 Rue de la Motte Brûlon 35700 Rennes", "12 Rue de la Motte Brûlon", "35700", "35238")
    assert (best.lon, best.lat, best.precision) == (-1.6614, 48.1204, PositionPrecision.address)
    assert ban.requests[0].startswith("/search/?q=12+rue")


def test_a_street_or_a_place_name_is_placed_at_street_precision(ban):
    assert geocoder.Ban(ban.url, 2).search("rue de saint-malo rennes")[0].precision == PositionPrecision.street
    assert geocoder.Ban(ban.url, 2).search("kerprigent lannion")[0].precision == PositionPrecision.street


def test_the_csv_endpoint_answers_one_row_per_query(ban):
    found = geocoder.Ban(ban.url, 2).batch([Query("3 allée du cap", "29000", "Quimper"), Query("nulle part", "", "")])
    assert found[0].citycode == "29232" and found[0].score > 0.5
    assert found[1] is None
    assert ban.requests == ["/search/csv/"]


def test_an_unreachable_or_failing_service_says_so_in_french(ban):
    ban.down = True
    with pytest.raises(GeocoderUnavailable, match="service d'adresses injoignable"):
        geocoder.Ban(ban.url, 2).search("rennes")
    with pytest.raises(GeocoderUnavailable, match="injoignable"):
        geocoder.Ban("http://127.0.0.1:9", 2).batch([Query("x")])


def test_the_setting_chooses_the_service():
    chosen = geocoder.for_settings(Settings(geocoder="ban", geocoder_url="http://addok.local/"))
    assert (type(chosen), chosen.base_url) == (geocoder.Ban, "http://addok.local")
    with pytest.raises(GeocoderUnavailable, match="CARTO_GEOCODER=none"):
        geocoder.for_settings(Settings(geocoder="none")).search("rennes")


# --- the forms' suggestions -------------------------------------------------------------------

def test_suggestions_for_the_forms_name_the_commune_as_the_form_writes_it(client, demo_service, ban):
    demo_service.geocoder = geocoder.Ban(ban.url, 2)
    answer = client.get("/api/geocode", params={"q": "12 rue de la motte brulon"}).json()
    first = answer["addresses"][0]
    assert first["commune"] == "Rennes (35238)" and first["precision"] == "address"
    assert first["street"] == "12 Rue de la Motte Brûlon" and first["postcode"] == "35700"


def test_without_the_service_suggestions_answer_503_with_the_reason(client):
    response = client.get("/api/geocode", params={"q": "12 rue de la motte brulon"})
    assert response.status_code == 503
    assert "Recherche d'adresse indisponible" in response.json()["errors"][0]["msg"]
    assert client.get("/api/geocode", params={"q": "ab"}).status_code == 422


# --- imports ------------------------------------------------------------------------------------

ROWS = [
    ("a1", "Atelier de la Motte", "12 rue de la Motte Brûlon", "35700", "Rennes"),
    ("a2", "Recyclerie du Cap", "3 allée du Cap", "29000", "Quimper"),
    ("a3", "Garage de Kerprigent", "Kerprigent", "22300", "Lannion"),
    ("a4", "Atelier vague", "Rue inconnue Motte", "35000", "Rennes"),      # a poor match
    ("a5", "Atelier sans adresse connue", "Impasse introuvable", "29200", "Brest"),
]


def write_import(tmp_path):
    data = tmp_path / "ateliers.csv"
    data.write_text("id;nom;adresse;cp;ville\n" + "".join(";".join(r) + "\n" for r in ROWS), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("source: ateliers\nkey: id\nfields:\n  name: nom\n  street: adresse\n  postcode: cp\n"
                       "  city: ville\nactivities:\n  default: [velo]\ncsv: {delimiter: ';'}\n", encoding="utf-8")
    return data, mapping


def placed(service) -> dict[str, Site]:
    with service.session() as session:
        return {s.source_key: s for s in session.exec(select(Site).where(Site.source == "ateliers"))}


def test_rows_without_coordinates_are_geocoded_in_one_batch(service, ban, tmp_path):
    service.geocoder = geocoder.Ban(ban.url, 2)
    data, mapping = write_import(tmp_path)
    report = run_import(service, data, "csv", mapping=mapping)
    assert (report.created, report.skipped) == (5, [])
    assert ban.requests == ["/search/csv/"]
    sites = placed(service)
    motte = sites["a1"]
    assert (motte.lon, motte.lat, motte.position_precision, motte.commune_code) == (
        -1.6614, 48.1204, PositionPrecision.address, "35238")
    assert motte.geocode_score == 0.95
    assert sites["a3"].position_precision == PositionPrecision.street
    vague = sites["a4"]  # the BAN's poor guess is not trusted: Rennes's centre, and the report says why
    assert (vague.position_precision, vague.commune_code, vague.geocode_score) == (
        PositionPrecision.commune, "35238", None)
    warnings = dict(report.warnings)  # by line of the file, the header being line 1
    assert "score faible (0.31)" in warnings[5] and "centre de la commune utilisé" in warnings[5]
    assert warnings[6] == "adresse introuvable dans la BAN : centre de la commune utilisé"
    assert sites["a5"].commune_code == "29019"


def test_offline_the_postcode_and_town_give_the_commune_centre(service, tmp_path):
    data, mapping = write_import(tmp_path)
    report = run_import(service, data, "csv", mapping=mapping)
    assert (report.created, report.skipped) == (5, [])
    sites = placed(service)
    assert {s.position_precision for s in sites.values()} == {PositionPrecision.commune}
    assert sites["a2"].commune_code == "29232"
    assert "géocodage impossible (géocodage désactivé (CARTO_GEOCODER=none))" in dict(report.warnings)[2]


def test_gogocarto_elements_with_an_address_and_no_point_are_placed_too(service, ban, tmp_path):
    service.geocoder = geocoder.Ban(ban.url, 2)
    element = {"id": "x1", "name": "Recyclerie du Cap", "status": 1, "categories": ["Recyclerie / Ressourcerie"],
               "address": {"streetAddress": "3 allée du Cap", "postalCode": "29000", "addressLocality": "Quimper"}}
    path = tmp_path / "elements.json"
    path.write_text(json.dumps({"data": [element]}), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("source: ateliers\nactivities:\n  values:\n    Recyclerie / Ressourcerie: [reemploi]\n",
                       encoding="utf-8")
    assert run_import(service, path, "gogocarto", mapping=mapping).created == 1
    assert placed(service)["x1"].position_precision == PositionPrecision.address
