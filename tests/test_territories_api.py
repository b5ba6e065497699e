"""GET /api/territories/{level}: find a commune, EPCI, pays or département by name, code or postcode."""
import pytest


def names(client, level: str, query: str) -> list[str]:
    return [t["nom"] for t in client.get(f"/api/territories/{level}?{query}").json()["territories"]]


@pytest.mark.parametrize("q, first", [
    ("quimp", "Quimper"),  # a prefix; the most populated first (before Quimperlé)
    ("QUIMPER", "Quimper"),
    ("pleyber", "Pleyber-Christ"),
    ("Plouguer", "Carhaix-Plouguer"),  # a whole word of the name before names merely starting so
    ("carhaix", "Carhaix-Plouguer"),
    ("plœuc", "Plœuc-L'Hermitage"),
    ("ploeuc hermitage", "Plœuc-L'Hermitage"),
    ("gommenech", "Gommenec'h"),  # the apostrophe may be left out
    ("st malo", "Saint-Malo"),
    ("saint-brieuc", "Saint-Brieuc"),
    ("treguier", "Tréguier"),
    ("29024", "Carhaix-Plouguer"),  # an INSEE code
    ("29410", "Pleyber-Christ"),  # a postcode
])
def test_a_commune_is_found_by_the_start_of_its_name_accents_and_case_aside(client, q, first):
    assert names(client, "communes", f"q={q}")[0] == first


def test_digits_match_an_insee_code_before_a_postcode(client):
    found = names(client, "communes", "q=29270")
    assert found[0] == "Saint-Urbain"  # INSEE 29270
    assert "Carhaix-Plouguer" in found[1:]  # postcode 29270


def test_an_unknown_name_finds_nothing(client):
    body = client.get("/api/territories/communes?q=atlantide").json()
    assert body["total"] == 0 and body["territories"] == []


def test_a_commune_tells_its_parents_centre_and_box(client):
    (rennes,) = client.get("/api/territories/communes?code=35238").json()["territories"]
    assert rennes["nom"] == "Rennes" and rennes["population"] > 200_000
    assert (rennes["epci"], rennes["pays"], rennes["departement"]) == ("243500139", "15", "35")
    assert "35000" in rennes["codes_postaux"]
    west, south, east, north = rennes["bbox"]
    lon, lat = rennes["centre"]
    assert west < lon < east and south < lat < north
    assert west < -1.6778 < east and south < 48.1173 < north
    assert "geometry" not in rennes


def test_communes_by_postcode(client):
    found = names(client, "communes", "postcode=29270")
    assert "Carhaix-Plouguer" in found and len(found) > 1  # a postcode is shared by several communes
    wrong_level = client.get("/api/territories/epci?postcode=29270")
    assert wrong_level.status_code == 400
    assert wrong_level.json()["errors"][0]["loc"] == ["query", "postcode"]
    malformed = client.get("/api/territories/communes?postcode=2927")
    assert malformed.status_code == 422 and malformed.json()["errors"][0]["loc"] == ["query", "postcode"]


def test_several_codes_at_once(client):
    body = client.get("/api/territories/communes?code=29019,29024&code=35238").json()
    assert sorted(t["code"] for t in body["territories"]) == ["29019", "29024", "35238"]


def test_epci_pays_and_departements(client):
    (metropole,) = client.get("/api/territories/epci?q=rennes metropole").json()["territories"]
    assert metropole["code"] == "243500139" and metropole["type"] == "METRO"
    assert metropole["pays"] == ["15"] and metropole["departements"] == ["35"]
    assert metropole["n_communes"] == 43
    assert names(client, "pays", "q=cornouaille") == ["Pays de Cornouaille"]
    assert client.get("/api/territories/pays?q=rennes").json()["territories"][0]["departements"] == ["35"]
    deps = client.get("/api/territories/departements").json()
    assert deps["total"] == 4
    assert sorted(t["code"] for t in deps["territories"]) == ["22", "29", "35", "56"]
    assert names(client, "departements", "q=finistere") == ["Finistère"]
    assert names(client, "departements", "q=29") == ["Finistère"]


def test_geometry_only_when_asked(client):
    (commune,) = client.get("/api/territories/communes?code=29024&geometry=true").json()["territories"]
    assert commune["geometry"]["type"] in ("Polygon", "MultiPolygon")
    one = client.get("/api/territories/epci/243500139").json()
    assert one["nom"] == "Rennes Métropole" and one["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_pages_of_territories(client):
    first = client.get("/api/territories/communes?limit=100").json()
    assert first["total"] == 1202 and len(first["territories"]) == 100
    codes = {t["code"] for offset in range(0, 1300, 200)
             for t in client.get(f"/api/territories/communes?limit=200&offset={offset}").json()["territories"]}
    assert len(codes) == 1202
    assert client.get("/api/territories/communes?limit=0").status_code == 422
    assert client.get("/api/territories/communes?limit=201").status_code == 422


def test_levels_and_unknown_names_of_levels_or_codes(client):
    levels = client.get("/api/territories").json()["levels"]
    assert {lv["level"]: lv["count"] for lv in levels} == {"communes": 1202, "epci": 61, "pays": 21,
                                                            "departements": 4}
    unknown_level = client.get("/api/territories/regions?q=bretagne")
    assert unknown_level.status_code == 404
    (error,) = unknown_level.json()["errors"]
    assert error["loc"] == ["path", "level"] and "communes" in error["msg"]
    unknown_code = client.get("/api/territories/communes/99999")
    assert unknown_code.status_code == 404 and unknown_code.json()["errors"][0]["loc"] == ["path", "code"]
