"""OGC API – Features under /ogc: the resources of Part 1 Core, read by OWSLib and GDAL unchanged."""
import json
import shutil
import subprocess
import sys

import pytest
import shapely
from openapi_spec_validator import validate

from carto.core import licences
from carto.directory import sites
from carto.storage import source_licences

from carto.publish import ogc
from carto.directory.site_schema import SiteData

CONFORMANCE = {f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}"
               for c in ("core", "geojson", "html", "oas30")}
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def links(document: dict, rel: str) -> list[dict]:
    return [k for k in document["links"] if k["rel"] == rel]


def href(document: dict, rel: str, media_type: str) -> str:
    (link,) = [k for k in links(document, rel) if k["type"] == media_type]
    return link["href"]


def error_param(response) -> str:
    body = response.json()
    assert body["code"] and body["description"]
    return body["detail"][0]["loc"][-1]


# --- Resources ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/ogc", "/ogc/"])
def test_the_landing_page_links_the_api_definition_conformance_and_collections(client, path):
    page = client.get(path).json()
    assert href(page, "service-desc", "application/vnd.oai.openapi+json;version=3.0").startswith("http://")
    assert href(page, "service-doc", "text/html")
    assert href(page, "conformance", "application/json").endswith("/ogc/conformance?f=json")
    assert href(page, "data", "application/json").endswith("/ogc/collections?f=json")
    assert href(page, "self", "application/json") and href(page, "alternate", "text/html")
    own = [k for k in page["links"] if k["rel"] != "license"]  # licences live on their publishers' sites
    assert all(k["href"].startswith("http://testserver/ogc") for k in own)  # absolute URLs


def test_conformance_declares_core_geojson_html_and_openapi_3(client):
    assert set(client.get("/ogc/conformance").json()["conformsTo"]) == CONFORMANCE


def test_the_api_definition_is_a_valid_openapi_3_0_document_describing_every_filter(client):
    response = client.get("/ogc/api")
    assert response.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = response.json()
    validate(document)
    assert document["openapi"].startswith("3.0")
    parameters = document["paths"]["/collections/sites/items"]["get"]["parameters"]
    names = {p.get("name") or p["$ref"].split("/")[-1] for p in parameters}
    assert {"bbox", "limit", "offset", "datetime", "f", "activites", "code_commune", "code_epci", "code_pays",
            "code_departement", "pole", "siae", "ea_esat", "ess"} <= names
    (limit,) = [p for p in parameters if p.get("name") == "limit"]
    assert limit["schema"]["maximum"] == ogc.MAX_LIMIT
    assert "/collections/communes/items/{featureId}" in document["paths"]


def test_collections_sites_poles_and_communes_with_their_extent(client):
    body = client.get("/ogc/collections").json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert set(by_id) == {"sites", "poles", "communes"}
    for c in by_id.values():
        assert c["itemType"] == "feature" and c["crs"] == ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"]
        west, south, east, north = c["extent"]["spatial"]["bbox"][0]
        assert -5.3 < west < east < -0.9 and 47.2 < south < north < 48.95  # Brittany
        assert href(c, "items", "application/geo+json").endswith(f"/ogc/collections/{c['id']}/items?f=json")
        assert href(c, "items", "text/html")
    one = client.get("/ogc/collections/sites").json()
    assert one["id"] == "sites" and href(one, "self", "application/json")


def test_items_are_a_geojson_page_with_counts_and_absolute_paging_links(client):
    response = client.get("/ogc/collections/sites/items?limit=50&offset=100")
    assert response.headers["content-type"] == "application/geo+json"
    page = response.json()
    assert page["type"] == "FeatureCollection" and page["timeStamp"].endswith("Z")
    assert page["numberMatched"] == 500 and page["numberReturned"] == len(page["features"]) == 50
    following = href(page, "next", "application/geo+json")
    assert following.startswith("http://testserver/ogc/collections/sites/items?limit=50&cursor=")
    assert following.endswith("&f=json")
    assert href(page, "prev", "application/geo+json").endswith("limit=50&offset=50&f=json")
    assert href(page, "self", "application/geo+json") and href(page, "alternate", "text/html")


def test_the_next_page_of_the_sites_starts_where_the_last_one_stopped_not_at_an_offset(client):
    """A client paging through the whole collection (QGIS, GDAL) follows ``next``: a cursor, which the
    name index seeks, where an offset read again every site before the page."""
    by_offset = client.get("/ogc/collections/sites/items?limit=50&offset=150").json()
    page = client.get("/ogc/collections/sites/items?limit=50&offset=100").json()
    following = client.get(href(page, "next", "application/geo+json")).json()
    assert [f["id"] for f in following["features"]] == [f["id"] for f in by_offset["features"]]
    assert following["numberMatched"] == 500 and not links(following, "prev")
    html = client.get(href(page, "next", "text/html"), headers={"Accept": BROWSER_ACCEPT}).text
    assert "la suite de la liste ci-dessous (50)" in html


@pytest.mark.parametrize("query, message", [
    ("cursor=abc", "curseur illisible"),
    ("offset=10&cursor=eyJhIjpbImEiLDFdfQ", "ne se combinent pas"),
])
def test_a_cursor_that_cannot_be_followed_is_a_400_naming_it(client, query, message):
    response = client.get(f"/ogc/collections/sites/items?{query}")
    assert response.status_code == 400 and message in response.text and "cursor" in response.text


def test_following_next_links_gives_every_feature_once(client):
    url, seen = "/ogc/collections/sites/items?limit=30&domaines=mobilite", []
    while url:
        page = client.get(url).json()
        seen += [f["id"] for f in page["features"]]
        url = next((k["href"] for k in links(page, "next") if k["type"] == "application/geo+json"), None)
    assert len(seen) == len(set(seen)) == page["numberMatched"] > 60


def test_a_limit_above_the_maximum_is_lowered_to_it(client):
    page = client.get("/ogc/collections/communes/items?limit=5000").json()
    assert page["numberMatched"] == 1202 and page["numberReturned"] == ogc.MAX_LIMIT


@pytest.mark.parametrize("query, check", [
    ("bbox=-1.75,48.08,-1.6,48.14", lambda p: -1.75 <= p["lon"] <= -1.6 and 48.08 <= p["lat"] <= 48.14),
    ("bbox=-1.75,48.08,0,-1.6,48.14,100", lambda p: -1.75 <= p["lon"] <= -1.6 and 48.08 <= p["lat"] <= 48.14),
    # Queryables are named after the properties they test (OGC API – Features Part 3).
    ("activites=velo", lambda p: "velo" in p["activites"]),
    ("domaines=mobilite", lambda p: "mobilite" in p["domaines"]),
    ("code_commune=35238", lambda p: p["code_commune"] == "35238"),
    ("code_epci=243500139", lambda p: p["code_epci"] == "243500139"),
    ("code_pays=06", lambda p: p["code_pays"] == "06"),
    ("code_departement=22", lambda p: p["code_departement"] == "22"),
    ("siae=true&code_departement=35", lambda p: p["siae"] and p["code_departement"] == "35"),
    ("ea_esat=false&pole=adesk", lambda p: not p["ea_esat"] and p["code_pays"] == "06"),
    # « friperie » is a synonym of the activity « textile » (geodata/taxonomy.yaml)
    ("q=friperie", lambda p: "friperie" in p["nom"].lower() or "textile" in p["activites"]),
])
def test_site_filters(client, query, check):
    page = client.get(f"/ogc/collections/sites/items?{query}&limit=1000").json()
    assert 0 < page["numberMatched"] < 500 and page["numberReturned"] == page["numberMatched"]
    for feature in page["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert check(feature["properties"] | {"lon": lon, "lat": lat})


def test_commune_filters_and_box(client):
    page = client.get("/ogc/collections/communes/items?epci=243500139&limit=100").json()
    assert page["numberMatched"] == 43
    assert {f["properties"]["epci"] for f in page["features"]} == {"243500139"}
    assert page["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    named = client.get("/ogc/collections/communes/items?nom=quimper").json()["features"]
    assert [f["id"] for f in named] == ["29232", "29233"]  # Quimper, then Quimperlé
    boxed = client.get("/ogc/collections/communes/items?bbox=-1.68,48.11,-1.67,48.12").json()
    assert [f["id"] for f in boxed["features"]] == ["35238"]  # a box inside Rennes
    deps = client.get("/ogc/collections/communes/items?departement=29&code=29019,35238").json()
    assert [f["properties"]["nom"] for f in deps["features"]] == ["Brest"]


def test_poles_by_box(client):
    everything = client.get("/ogc/collections/poles/items").json()
    assert everything["numberMatched"] == 19
    carhaix = client.get("/ogc/collections/poles/items?bbox=-3.58,48.27,-3.57,48.28").json()
    assert [f["id"] for f in carhaix["features"]] == ["adesk"]


def test_datetime_is_checked_then_matches_everything(client):
    for value in ("2024-06-01T12:00:00Z", "2024-01-01T00:00:00Z/..", "../2030-01-01T00:00:00%2B01:00"):
        assert client.get(f"/ogc/collections/sites/items?datetime={value}&limit=1").json()["numberMatched"] == 500
    response = client.get("/ogc/collections/sites/items?datetime=hier")
    assert response.status_code == 400 and error_param(response) == "datetime"


def test_one_feature_of_each_collection(client):
    site_id = client.get("/ogc/collections/sites/items?limit=1").json()["features"][0]["id"]
    feature = client.get(f"/ogc/collections/sites/items/{site_id}").json()
    assert feature["type"] == "Feature" and feature["id"] == site_id
    assert href(feature, "collection", "application/json").endswith("/ogc/collections/sites?f=json")
    assert href(feature, "self", "application/geo+json") and href(feature, "alternate", "text/html")
    assert client.get("/ogc/collections/communes/items/29024").json()["properties"]["nom"] == "Carhaix-Plouguer"
    assert client.get("/ogc/collections/poles/items/adesk").json()["properties"]["nom"]


@pytest.mark.parametrize("path, param", [
    ("/ogc/collections/inconnue", "collectionId"),
    ("/ogc/collections/inconnue/items", "collectionId"),
    ("/ogc/collections/sites/items/999999", "featureId"),
    ("/ogc/collections/sites/items/abc", "featureId"),
    ("/ogc/collections/communes/items/99999", "featureId"),
])
def test_unknown_collections_and_features_are_404(client, path, param):
    response = client.get(path)
    assert response.status_code == 404 and error_param(response) == param


@pytest.mark.parametrize("query, param", [
    ("bbox=-1,48,-2,49", "bbox"),
    ("bbox=-2,48,-1,200", "bbox"),
    ("bbox=1,2,3", "bbox"),
    ("limit=0", "limit"),
    ("limit=-1", "limit"),
    ("limit=beaucoup", "limit"),
    ("offset=-5", "offset"),
    ("activites=parapente", "activites"),
    ("code_commune=99999", "code_commune"),  # a property filter: an unknown code is an invalid value (400)
    ("pole=inconnu", "pole"),
    ("siae=peut-etre", "siae"),
    ("ea_esat=peut-etre", "ea_esat"),
    ("activity=velo", "activity"),  # the name of the /api parameter: not a property
    ("f=xml", "f"),
    ("departemnt=29", "departemnt"),  # a parameter the API does not define
])
def test_bad_parameters_are_400_naming_the_parameter(client, query, param):
    response = client.get(f"/ogc/collections/sites/items?{query}")
    assert response.status_code == 400 and error_param(response) == param


def test_unknown_parameters_are_refused_on_every_resource(client):
    assert client.get("/ogc/conformance?limit=5").status_code == 400
    assert client.get("/ogc/collections/communes/items?activity=velo").status_code == 400


# --- Formats ---------------------------------------------------------------------------------

@pytest.mark.parametrize("headers, query, expected", [
    ({}, "", "application/geo+json"),  # JSON by default
    ({"Accept": "*/*"}, "", "application/geo+json"),
    ({"Accept": "application/geo+json, application/json"}, "", "application/geo+json"),  # GDAL
    ({"Accept": BROWSER_ACCEPT}, "", "text/html; charset=utf-8"),
    ({"Accept": "text/html;q=0.5, application/json"}, "", "application/geo+json"),
    ({"Accept": BROWSER_ACCEPT}, "&f=json", "application/geo+json"),  # f wins over Accept
    ({}, "&f=html", "text/html; charset=utf-8"),
])
def test_the_format_follows_f_then_the_accept_header(client, headers, query, expected):
    response = client.get(f"/ogc/collections/sites/items?limit=3{query}", headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == expected


def test_json_and_html_of_the_same_url_have_distinct_etags(client):
    as_json = client.get("/ogc/collections/sites/items?limit=3")
    as_html = client.get("/ogc/collections/sites/items?limit=3", headers={"Accept": BROWSER_ACCEPT})
    assert as_json.headers["ETag"] != as_html.headers["ETag"]
    assert "Accept" in as_json.headers["Vary"]
    again = client.get("/ogc/collections/sites/items?limit=3", headers={"If-None-Match": as_json.headers["ETag"]})
    assert again.status_code == 304
    assert as_json.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path, text", [
    ("/ogc", "Collections de données"),
    ("/ogc/conformance", "ogcapi-features-1/1.0/conf/core"),
    ("/ogc/api", "GET /collections/sites/items"),
    ("/ogc/collections", "Pôles ESS de Bretagne"),
    ("/ogc/collections/communes", "Parcourir les objets"),
    ("/ogc/collections/sites/queryables", "departement"),
    ("/ogc/collections/sites/items?limit=10&offset=10", "Page suivante"),
    ("/ogc/collections/communes/items/29024", "Carhaix-Plouguer"),
])
def test_every_resource_has_a_plain_french_html_view(client, path, text):
    response = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert '<html lang="fr">' in response.text and text in response.text
    assert 'rel="alternate"' in response.text  # the JSON of the same resource


def test_html_views_escape_what_contributors_wrote(client, demo_service):
    with demo_service.session() as session:
        site = sites.create(session, SiteData(name="Vélo <script>alert(1)</script> & Cie", activities=["velo"],
                                              lon=-1.6778, lat=48.1173), demo_service.locator, actor="test")
        session.commit()
        site_id = site.id
    for path in (f"/ogc/collections/sites/items/{site_id}?f=html", "/ogc/collections/sites/items?q=cie&f=html"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_errors_in_html_for_browsers(client):
    response = client.get("/ogc/collections/sites/items?bbox=1,2", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 400 and "Demande incorrecte" in response.text and "bbox" in response.text


# --- Generic clients against a live server -------------------------------------------------------

def test_owslib_reads_the_api_unchanged(live_server):
    from owslib.ogcapi.features import Features
    service = Features(live_server.url + "/ogc")
    assert set(service.conformance()["conformsTo"]) == CONFORMANCE
    assert service.feature_collections() == ["sites", "poles", "communes"]
    page = service.collection_items("sites", bbox=[-1.75, 48.08, -1.6, 48.14], limit=5)
    assert page["numberMatched"] > 5 and len(page["features"]) == 5
    feature = service.collection_item("sites", str(page["features"][0]["id"]))
    assert feature["properties"]["commune"] == "Rennes"
    assert "/collections/sites/items" in service.api()["paths"]
    assert "activites" in service.collection_queryables("sites")["properties"]
    assert service.collection("communes")["extent"]["spatial"]["bbox"]


# GDAL is driven from another process: pyogrio keeps the GIL while GDAL fetches pages, so it could not
# be served by the live server's thread in this one.
GDAL_READ = """
import json, sys
import geopandas
url, layer, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
if "bbox" in options:
    options["bbox"] = tuple(options["bbox"])
frame = geopandas.read_file("OAPIF:" + url, layer=layer, **options)
print(json.dumps({"rows": len(frame), "crs": frame.crs.to_epsg(), "columns": list(frame.columns),
                  "bounds": list(frame.total_bounds), "names": frame.get("nom", frame.get("name")).tolist()}))
"""


def gdal_read(url: str, layer: str, **options) -> dict:
    done = subprocess.run([sys.executable, "-c", GDAL_READ, url, layer, json.dumps(options)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_gdal_oapif_driver_is_available():
    import pyogrio
    assert "OAPIF" in pyogrio.list_drivers()


def test_gdal_reads_every_site_page_after_page(live_server):
    result = gdal_read(live_server.url + "/ogc", "sites", PAGE_SIZE=100)  # five pages, following "next"
    assert result["rows"] == 500 and result["crs"] == 4326
    assert {"nom", "code_commune", "activites"} <= set(result["columns"])
    west, south, east, north = result["bounds"]
    assert -5.2 < west < east < -1.0 and 47.2 < south < north < 48.9


def test_gdal_reads_communes_and_poles_and_passes_the_box(live_server):
    communes = gdal_read(live_server.url + "/ogc", "communes", PAGE_SIZE=500)
    assert communes["rows"] == 1202
    boxed = gdal_read(live_server.url + "/ogc", "sites", bbox=(-1.75, 48.08, -1.6, 48.14))
    assert 0 < boxed["rows"] < 500
    poles = gdal_read(live_server.url + "/ogc", "poles")
    assert poles["rows"] == 19


# --- Licences ----------------------------------------------------------------------------------

def test_licences_are_linked_from_the_landing_page_collections_items_and_each_site(client, demo_service):
    etalab = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/"
    for path in ("/ogc", "/ogc/collections", "/ogc/collections/sites", "/ogc/collections/sites/items",
                 "/ogc/collections/communes/items?limit=1", "/ogc/collections/poles/items/reso-solidaire"):
        assert [k["href"] for k in links(client.get(path).json(), "license")] == [etalab], path
    with demo_service.session() as session:
        odbl = sites.create(session, SiteData(name="Recyclerie de Carteco", activities=["reemploi"], lon=-1.68,
                                              lat=48.11), demo_service.locator, actor="test", source="carteco")
        source_licences.record(session, "carteco", licences.ODBL)
        session.commit()
        odbl_id = odbl.id
    collection = client.get("/ogc/collections/sites").json()
    assert [k["href"] for k in links(collection, "license")] == [licences.ODBL.url]  # share-alike binds it
    one = client.get(f"/ogc/collections/sites/items/{odbl_id}").json()
    assert [k["href"] for k in links(one, "license")] == [licences.ODBL.url]
    own = next(f["id"] for f in client.get("/ogc/collections/sites/items", params={"limit": 5}).json()["features"]
               if f["properties"]["source"] == "demo")
    assert [k["href"] for k in links(client.get(f"/ogc/collections/sites/items/{own}").json(), "license")] == [etalab]
    assert client.get("/ogc/api").json()["info"]["license"]["url"] == etalab
    assert client.get("/openapi.json").json()["info"]["license"]["url"] == etalab


# --- Polygons ----------------------------------------------------------------------------------

def clockwise_rings(feature: dict) -> int:
    """Rings against RFC 7946's right-hand rule: exteriors clockwise, or holes counter-clockwise."""
    wrong = 0
    for polygon in feature["geometry"]["coordinates"]:
        for n, ring in enumerate(polygon):
            wrong += shapely.is_ccw(shapely.LinearRing(ring)) != (n == 0)
    return wrong


@pytest.mark.parametrize("collection,count", [("communes", 1202), ("poles", 19)])
def test_areas_are_multipolygons_wound_by_the_right_hand_rule(client, collection, count, tmp_path):
    page = client.get(f"/ogc/collections/{collection}/items", params={"limit": 1000}).json()
    features = page["features"]
    if collection == "communes":
        features += client.get(f"/ogc/collections/{collection}/items",
                               params={"limit": 1000, "offset": 1000}).json()["features"]
    assert len(features) == count
    assert {f["geometry"]["type"] for f in features} == {"MultiPolygon"}
    assert sum(clockwise_rings(f) for f in features) == 0
    if shutil.which("ogrinfo"):  # Debian's GDAL types the layer from its features
        path = tmp_path / f"{collection}.geojson"
        path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
        info = subprocess.run(["ogrinfo", "-ro", "-so", "-al", str(path)], capture_output=True, text=True, check=True)
        assert "Geometry: Multi Polygon" in info.stdout and "Warning" not in info.stderr
