"""The read API on the 500 demo sites: filters, formats, paging, errors naming the parameter, caching, CORS."""
import re

import pytest

from carto.directory import sites

from carto.query import search
from carto.api import http_cache
from carto.storage.models import SiteStatus
from carto.directory.site_schema import SiteData

RENNES = (-1.6778, 48.1173)
BRITTANY = "-5.2,47.2,-1.0,48.9"


def get_all(client, url: str) -> list[dict]:
    """Every feature of a filtered list, following the cursors."""
    features = []
    while url:
        body = client.get(url).json()
        features += body["features"]
        url = body["next"]
    return features


def error_param(response) -> str:
    """The parameter an error names, after checking the body says something about it."""
    (error,) = response.json()["errors"]
    assert error["msg"]
    return error["loc"][-1]


# --- /api/sites -------------------------------------------------------------------------------

def test_sites_are_a_geojson_feature_collection_with_their_total(client):
    body = client.get("/api/sites").json()
    assert body["type"] == "FeatureCollection"
    assert body["total"] == body["numberMatched"] == 500
    assert body["numberReturned"] == len(body["features"]) == 100  # the default page
    feature = body["features"][0]
    assert feature["type"] == "Feature" and isinstance(feature["id"], int)
    lon, lat = feature["geometry"]["coordinates"]
    assert -5.2 < lon < -1.0 and 47.2 < lat < 48.9  # RFC 7946: longitude first
    assert feature["properties"]["nom"].startswith("[Démo]")
    assert feature["properties"]["activites"]
    assert "search_text" not in feature["properties"]


def test_the_compact_format_carries_only_what_a_marker_needs(client):
    body = client.get("/api/sites?format=compact&limit=1000").json()
    assert body["total"] == len(body["sites"]) == 500
    site_id, lon, lat, name, activities = body["sites"][0]
    assert isinstance(site_id, int) and name.startswith("[Démo]") and activities
    assert -5.2 < lon < -1.0 and 47.2 < lat < 48.9


def _in_box(feature, west, south, east, north):
    lon, lat = feature["geometry"]["coordinates"]
    return west <= lon <= east and south <= lat <= north


def _pole_communes(client, pole_id):
    return set(client.get(f"/api/poles/{pole_id}").json()["properties"]["communes"])


@pytest.mark.parametrize("query, matches", [
    ("activity=velo", lambda f, c: "velo" in f["properties"]["activites"]),
    ("activity=velo&activity=textile", lambda f, c: {"velo", "textile"} & set(f["properties"]["activites"])),
    ("activity=velo,textile", lambda f, c: {"velo", "textile"} & set(f["properties"]["activites"])),
    ("domain=mobilite", lambda f, c: "mobilite" in f["properties"]["domaines"]),
    # « repair café » is a synonym of the activity « réparation » (geodata/taxonomy.yaml)
    ("q=repair cafe", lambda f, c: "repair cafe" in f["properties"]["nom"].lower().replace("é", "e")
     or "reparation" in f["properties"]["activites"]),
    ("bbox=-1.75,48.08,-1.6,48.14", lambda f, c: _in_box(f, -1.75, 48.08, -1.6, 48.14)),
    ("commune=35238", lambda f, c: f["properties"]["code_commune"] == "35238"),
    ("epci=243500139", lambda f, c: f["properties"]["code_epci"] == "243500139"),
    ("pays=15", lambda f, c: f["properties"]["code_pays"] == "15"),
    ("departement=29", lambda f, c: f["properties"]["code_departement"] == "29"),
    ("pole=adesk", lambda f, c: f["properties"]["code_commune"] in _pole_communes(c, "adesk")),
    ("near=-1.6778,48.1173&radius_km=3", lambda f, c: search.distance_km(*RENNES, *f["geometry"]["coordinates"]) <= 3),
    ("siae=true", lambda f, c: f["properties"]["siae"]),
    ("ea=true", lambda f, c: f["properties"]["ea_esat"]),
    ("siae=false&departement=56", lambda f, c: not f["properties"]["siae"] and f["properties"]["code_departement"] == "56"),
])
def test_each_filter_keeps_exactly_the_matching_sites(client, query, matches):
    selected = get_all(client, f"/api/sites?{query}&limit=1000")
    everything = get_all(client, "/api/sites?limit=1000")
    assert 0 < len(selected) < 500
    assert all(matches(f, client) for f in selected)
    selected_ids = {f["id"] for f in selected}
    assert not [f for f in everything if f["id"] not in selected_ids and matches(f, client)]


def test_near_sorts_by_distance(client):
    features = client.get(f"/api/sites?near={RENNES[0]},{RENNES[1]}&limit=50").json()["features"]
    distances = [f["properties"]["distance_km"] for f in features]
    assert distances == sorted(distances) and distances[0] < 2


def test_offset_pages_and_cursor_pages_give_every_site_once_in_the_same_order(client):
    by_offset = [f["id"] for offset in (0, 200, 400)
                 for f in client.get(f"/api/sites?limit=200&offset={offset}").json()["features"]]
    by_cursor = [f["id"] for f in get_all(client, "/api/sites?limit=200")]
    assert by_offset == by_cursor and len(set(by_cursor)) == 500
    last = client.get("/api/sites?limit=200&offset=400").json()
    assert last["next_cursor"] is None and last["next"] is None


def test_cursor_pages_of_a_distance_sorted_list(client):
    first = client.get(f"/api/sites?near={RENNES[0]},{RENNES[1]}&limit=30&format=compact").json()
    second = client.get(f"/api/sites?near={RENNES[0]},{RENNES[1]}&limit=30&format=compact"
                        f"&cursor={first['next_cursor']}").json()
    whole = client.get(f"/api/sites?near={RENNES[0]},{RENNES[1]}&limit=60&format=compact").json()
    assert [s[0] for s in first["sites"] + second["sites"]] == [s[0] for s in whole["sites"]]


def test_a_cursor_page_is_not_shifted_by_a_site_added_before_it(client, demo_service):
    first = client.get("/api/sites?limit=100").json()
    expected = client.get("/api/sites?limit=100&offset=100").json()["features"]
    with demo_service.session() as session:
        sites.create(session, SiteData(name="[Démo] AAA en tête de liste", activities=["velo"],
                                       lon=RENNES[0], lat=RENNES[1]), demo_service.locator, actor="test")
        session.commit()
    after = client.get(first["next"]).json()
    assert [f["id"] for f in after["features"]] == [f["id"] for f in expected]
    assert after["total"] == 501


def test_limit_is_100_by_default_and_at_most_1000(client):
    assert client.get("/api/sites?limit=1000").json()["numberReturned"] == 500
    response = client.get("/api/sites?limit=1001")
    assert response.status_code == 422 and error_param(response) == "limit"


@pytest.mark.parametrize("query, status, param", [
    ("bbox=-1,48,-2,49", 400, "bbox"),  # west > east
    ("bbox=-2,49,-1,48", 400, "bbox"),  # south > north
    ("bbox=-2,48,-1,200", 400, "bbox"),  # latitude 200
    ("bbox=-2,48,-1", 400, "bbox"),
    ("bbox=ouest,sud,est,nord", 400, "bbox"),
    ("bbox=-2,48,-1,nan", 400, "bbox"),
    ("limit=-1", 422, "limit"),
    ("limit=0", 422, "limit"),
    ("limit=dix", 422, "limit"),
    ("offset=-1", 422, "offset"),
    ("activity=parapente", 400, "activity"),
    ("activity=velo,parapente", 400, "activity"),
    ("domain=loisirs", 400, "domain"),
    ("pole=pole-inexistant", 404, "pole"),
    ("commune=99999", 404, "commune"),
    ("epci=200000000", 404, "epci"),
    ("pays=99", 404, "pays"),
    ("departement=75", 404, "departement"),
    ("near=-1.6,200", 400, "near"),
    ("near=ici", 400, "near"),
    ("radius_km=5", 400, "radius_km"),  # without near
    ("near=-1.6,48.1&radius_km=-1", 400, "radius_km"),
    ("near=-1.6,48.1&radius_km=1001", 400, "radius_km"),
    ("siae=peut-etre", 400, "siae"),
    ("q=" + "x" * 201, 400, "q"),
    ("format=xml", 422, "format"),
    ("cursor=pas-un-curseur", 400, "cursor"),
    ("cursor=eyJwIjogMn0&offset=5", 400, "cursor"),
    ("cursor=eyJwIjogMn0", 400, "cursor"),  # a distance cursor without near
])
def test_bad_input_is_a_client_error_naming_the_parameter(client, query, status, param):
    response = client.get(f"/api/sites?{query}")
    assert response.status_code == status
    assert error_param(response) == param


def test_an_empty_territory_is_an_empty_list_not_an_error(client):
    body = client.get("/api/sites?commune=22001").json()  # Allineuc: known, small, without demo site
    assert body["total"] == 0 and body["features"] == []


def test_one_site_by_id_and_only_if_published(client, demo_service):
    site_id = client.get("/api/sites?limit=1").json()["features"][0]["id"]
    feature = client.get(f"/api/sites/{site_id}").json()
    assert feature["type"] == "Feature" and feature["id"] == site_id
    with demo_service.session() as session:
        sites.set_status(session, session.get(sites.Site, site_id), SiteStatus.pending, actor="test")
        session.commit()
    hidden = client.get(f"/api/sites/{site_id}")
    assert hidden.status_code == 404 and error_param(hidden) == "site_id"
    assert client.get("/api/sites/999999").status_code == 404
    assert client.get("/api/sites/abc").status_code == 422


# --- /api/taxonomy ---------------------------------------------------------------------------

def test_taxonomy_counts_follow_the_filters_but_not_the_activity_filter_itself(client):
    tree = client.get("/api/taxonomy?departement=29&activity=velo").json()["domains"]
    counts = {a["slug"]: a["count"] for d in tree for a in d["activities"]}
    for slug in ("velo", "reemploi", "textile"):
        total = client.get(f"/api/sites?departement=29&activity={slug}&limit=1").json()["total"]
        assert counts[slug] == total
    assert counts["reemploi"] > 0  # not cut by activity=velo: the panel shows what another tick would add
    everywhere = client.get("/api/taxonomy").json()["domains"]
    assert sum(a["count"] for d in everywhere for a in d["activities"]) >= 500


def test_taxonomy_counts_of_a_frequent_word_are_null_and_those_of_a_rare_one_given(client, monkeypatch):
    from carto.query import search
    monkeypatch.setattr(search, "COUNT_LIMIT", 40)  # the 500 demo sites: « atelier » matches more
    frequent = client.get("/api/sites?q=atelier&limit=1").json()
    assert not frequent["total_exact"]
    tree = client.get("/api/taxonomy?q=atelier").json()["domains"]
    assert all(a["count"] is None for d in tree for a in d["activities"])
    fewer = client.get("/api/sites?q=atelier&departement=22&limit=1").json()  # counted, those of one activity too
    velo = client.get("/api/sites?q=atelier&departement=22&activity=velo&limit=1").json()
    assert fewer["total_exact"] and velo["total"] > 0
    tree = client.get("/api/taxonomy?q=atelier&departement=22&activity=velo").json()["domains"]
    assert {a["slug"]: a["count"] for d in tree for a in d["activities"]}["velo"] == velo["total"]


def test_taxonomy_refuses_the_same_bad_filters(client):
    response = client.get("/api/taxonomy?bbox=1,2,0,3")
    assert response.status_code == 400 and error_param(response) == "bbox"


# --- /api/poles ------------------------------------------------------------------------------

def test_poles_with_their_coverage_areas(client):
    body = client.get("/api/poles").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 19
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in body["features"])
    light = client.get("/api/poles?geometry=false").json()
    assert all(f["geometry"] is None for f in light["features"])


def test_one_pole_lists_the_communes_it_covers(client):
    pole = client.get("/api/poles/reso-solidaire").json()
    assert pole["id"] == "reso-solidaire" and "35238" in pole["properties"]["communes"]
    assert set(pole["properties"]) == {"nom", "departements", "courriel", "telephone", "site_web", "adresse",
                                       "pays_couverts", "source", "couverture", "n_communes", "communes"}
    assert pole["properties"]["couverture"] == "pays" and "15" in pole["properties"]["pays_couverts"]
    missing = client.get("/api/poles/pole-inexistant")
    assert missing.status_code == 404 and error_param(missing) == "pole_id"


def test_the_commune_and_poles_at_a_point(client):
    body = client.get(f"/api/poles/at?lon={RENNES[0]}&lat={RENNES[1]}").json()
    assert body["commune"]["code"] == "35238" and body["commune"]["epci"] == "243500139"
    assert "reso-solidaire" in [p["id"] for p in body["poles"]]
    carhaix = client.get("/api/poles/at?lon=-3.5736&lat=48.2764").json()
    assert [p["id"] for p in carhaix["poles"]] == ["adesk"]
    at_sea = client.get("/api/poles/at?lon=-6.5&lat=48.0").json()
    assert at_sea == {"commune": None, "poles": []}
    bad = client.get("/api/poles/at?lon=-1.6&lat=200")
    assert bad.status_code == 422 and error_param(bad) == "lat"


# --- Caching and CORS ------------------------------------------------------------------------

def test_responses_carry_a_weak_etag_and_a_matching_request_gets_304(client):
    first = client.get("/api/sites?limit=5")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and "max-age" in first.headers["Cache-Control"]
    again = client.get("/api/sites?limit=5", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    other = client.get("/api/sites?limit=5", headers={"If-None-Match": 'W/"autre-version"'})
    assert other.status_code == 200


def test_the_etag_changes_when_a_site_is_written(client, demo_service):
    etag = client.get("/api/sites?limit=5").headers["ETag"]
    with demo_service.session() as session:
        site = session.get(sites.Site, search.find(session, search.SiteFilter(), limit=1).sites[0].id)
        sites.update(session, site, {"name": "[Démo] Nouveau nom"}, demo_service.locator, actor="test")
        session.commit()
    after = client.get("/api/sites?limit=5", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag


def test_a_stored_response_is_replayed_only_while_the_data_is_unchanged(client, demo_service):
    url = "/api/sites?format=compact&limit=1000"
    first = client.get(url)
    assert client.get(url).content == first.content
    site_id = first.json()["sites"][0][0]
    with demo_service.session() as session:
        sites.update(session, session.get(sites.Site, site_id), {"name": "[Démo] Renommé"}, demo_service.locator,
                     actor="test")
        session.commit()
    renamed = {row[0]: row[3] for row in client.get(url).json()["sites"]}
    assert renamed[site_id] == "[Démo] Renommé"


def test_stored_responses_depend_on_the_host_their_links_name(client):
    url = "/api/sites?limit=10"
    assert client.get(url).json()["next"].startswith("http://testserver/")
    assert client.get(url, headers={"Host": "carte.example"}).json()["next"].startswith("http://carte.example/")


def test_the_response_store_keeps_within_its_byte_budget():
    store = http_cache.ResponseStore(max_bytes=10, max_entry=6)
    store.put(("a",), "v1", [], b"12345")
    store.put(("b",), "v1", [], b"12345")
    assert store.get(("a",), "v1") == ([], b"12345")  # a is now the most recently used
    store.put(("c",), "v1", [], b"123")  # over budget: b goes
    assert store.get(("b",), "v1") is None and store.get(("c",), "v1") is not None
    assert store.get(("a",), "v2") is None  # another data version: not valid any more
    store.put(("d",), "v1", [], b"1234567")  # larger than an entry may be: not kept
    assert store.get(("d",), "v1") is None and store.size <= 10


def test_errors_are_not_cached(client):
    response = client.get("/api/sites?bbox=1,2,0,3")
    assert "ETag" not in response.headers and "Cache-Control" not in response.headers


@pytest.mark.parametrize("path", ["/api/sites?limit=1", "/api/sites/1", "/api/taxonomy", "/api/poles?geometry=false",
                                  "/api/poles/at?lon=-1.6&lat=48.1", "/api/territories/communes?q=brest",
                                  "/api/sites?bbox=1,2,0,3", "/api/sourcing?territory=Rennes+M%C3%A9tropole",
                                  "/api/stats/pole"])
def test_read_endpoints_may_be_called_from_any_origin(client, path):
    response = client.get(path, headers={"Origin": "https://partenaire.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/api/sourcing?territory=Rennes+M%C3%A9tropole", "/api/stats/pole"])
def test_buyers_and_statistics_answers_are_cacheable_too(client, path):
    etag = client.get(path).headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304


def test_a_preflight_request_is_answered_for_read_endpoints_only(client):
    headers = {"Origin": "https://partenaire.example", "Access-Control-Request-Method": "GET",
               "Access-Control-Request-Headers": "if-none-match"}
    response = client.options("/api/sites", headers=headers)
    assert response.status_code == 204
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in client.get("/", headers=headers).headers


@pytest.mark.parametrize("path,params,unknown", [
    ("/api/sites", {"es": "false"}, "es"),
    ("/api/sites", {"activity": "velo", "limite": "3"}, "limite"),
    ("/api/sourcing", {"territoire": "Rennes"}, "territoire"),
    ("/api/exports/sites.csv", {"sep": ";", "separateur": ","}, "separateur"),
    ("/api/taxonomy", {"x": "1"}, "x"),
])
def test_unknown_parameters_are_a_400_naming_them(client, path, params, unknown):
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert unknown in response.text and "paramètre inconnu" in response.text


def test_the_ess_flag_is_public_and_filters_every_door(client, demo_service):
    with demo_service.session() as session:
        shop = sites.create(session, SiteData(name="Réparateur artisan", activities=["reparation"], lon=-1.68,
                                              lat=48.11), demo_service.locator, actor="test", source="lvao",
                            ess=False)
        session.commit()
        shop_id = shop.id
    everything = client.get("/api/sites", params={"limit": 1000}).json()
    assert everything["total"] == 501 and {f["properties"]["ess"] for f in everything["features"]} == {True, False}
    assert [f["id"] for f in client.get("/api/sites", params={"ess": "false"}).json()["features"]] == [shop_id]
    assert client.get("/api/sites", params={"ess": "true"}).json()["total"] == 500
    assert client.get("/api/sites", params={"ess": "all"}).json()["total"] == 501
    assert client.get("/api/sites", params={"ess": "peut-être"}).status_code == 400
    assert [f["id"] for f in client.get("/ogc/collections/sites/items", params={"ess": "false"}).json()["features"]] == [shop_id]
    assert "ess" in client.get("/ogc/collections/sites/queryables").json()["properties"]
    assert client.get("/api/sourcing", params={"ess": "false"}).json()["numberMatched"] == 1
    assert client.get(f"/api/sites/{shop_id}").json()["properties"]["ess"] is False
    # The public map and list show ESS structures unless asked, and say when others are included.
    assert "Réparateur artisan" not in client.get("/liste", params={"q": "artisan"}).text
    listed = client.get("/liste", params={"q": "artisan", "ess": "all"}).text
    assert "Réparateur artisan" in listed and "hors ESS" in listed
    # The site page and the supplier search's table say it in words.
    assert "Hors ESS (artisan, commerce, collectivité…)" in client.get(f"/sites/{shop_id}").text
    row = re.search(r'<tr>\s*<th scope="row"><a href="/sites/(\d+)">.*?</tr>', client.get(
        "/sourcing", params={"q": "artisan", "territory": "Rennes"}).text, re.S)
    assert row.group(1) == str(shop_id) and "<td>Hors ESS (artisan, commerce, collectivité…)</td>" in row.group(0)


@pytest.mark.parametrize("query,param,words", [
    ({"limit": "abc"}, "limit", "nombre entier attendu"),
    ({"limit": "0"}, "limit", "au moins 1"),
    ({"format": "xml"}, "format", "valeur attendue"),
    ({"bbox": "1,2,3"}, "bbox", "4 nombres"),
    ({"pole": "atlantide"}, "pole", "pôle inconnu"),
])
def test_api_errors_are_problem_details_in_french_naming_the_parameter(client, query, param, words):
    response = client.get("/api/sites", params=query)
    assert response.status_code in (400, 404, 422)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == response.status_code and body["title"] and body["instance"] == "/api/sites"
    assert body["detail"].startswith(f"{param} : ") and words in body["detail"]
    assert body["errors"][0]["loc"] == ["query", param] and words in body["errors"][0]["msg"]
    assert "Input should" not in response.text


def test_an_unknown_api_path_is_a_problem_too_and_pages_keep_french_html(client):
    missing = client.get("/api/nulle-part")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert client.get("/sites/999999").headers["content-type"].startswith("text/html")
    ogc = client.get("/ogc/collections/sites/items", params={"limit": "abc"}).json()
    assert ogc["code"] == "InvalidParameterValue" and ogc["description"] == "limit : nombre entier attendu"
