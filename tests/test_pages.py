"""The public pages as a browser without JavaScript (or a search engine) receives them."""
import gzip
import re

import pytest

from carto.directory import sites

from carto.query import search

from carto.views import folium_assets, list_view
from carto.storage.models import SiteStatus
from carto.query.search import SiteFilter
from carto.directory.site_schema import SiteData

RENNES = (-1.6778, 48.1173)
RESULT = re.compile(r'<li class="carto-result"')
RESULT_LINK = re.compile(r'<h2><a href="/sites/(\d+)">')


def add_site(service, status=SiteStatus.published, credit=None, **fields):
    data = {"name": "Atelier Vélo Solidaire", "activities": ["velo"], "lon": RENNES[0], "lat": RENNES[1]} | fields
    with service.session() as session:
        site = sites.create(session, SiteData(**data), service.locator, actor="test", status=status, credit=credit)
        session.commit()
        return site.id


def result_ids(html: str) -> list[int]:
    return [int(i) for i in RESULT_LINK.findall(html)]


# --- A site's page ------------------------------------------------------------------------------

def test_a_site_page_shows_every_public_field_in_plain_french(client, demo_service):
    site_id = add_site(
        demo_service, credit="Réseau Vélo Bretagne (licence ouverte)",
        activities=["velo", "reparation"], description="Ateliers d'autoréparation.\nVente de vélos d'occasion.",
        street="12 rue de Paris", postcode="35000", website="https://velo.example.org", email="contact@velo.example.org",
        phone="02 99 00 00 00", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; PH off",
        siret="73282932000074", legal_form="association", siae=True, serves_professionals=True,
        labels=["Répar'acteurs"])
    r = client.get(f"/sites/{site_id}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "<h1>Atelier Vélo Solidaire</h1>" in html
    assert "<title>Atelier Vélo Solidaire à Rennes — Carto ESS Bretagne</title>" in html
    for text in ("Atelier et réemploi de vélos", "Réparation", "Ateliers d&#39;autoréparation.",
                 "12 rue de Paris", "35000 Rennes", 'href="https://velo.example.org"',
                 'href="mailto:contact@velo.example.org"', 'href="tel:0299000000"',
                 "Du lundi au vendredi : 9 h – 12 h et 14 h – 18 h", "Samedi : 10 h – 12 h",
                 "Fermé les jours fériés", "Association", "73282932000074", "SIAE — déclaré, non vérifié",
                 "Particuliers et professionnels", "Répar&#39;acteurs",
                 "Source : Réseau Vélo Bretagne (licence ouverte)", "Structure de l&#39;ESS"):
        assert text in html, text
    # Where it is: commune, EPCI, pays, département and pôle, each leading to the list of its sites.
    for level, code, name in (("commune", "35238", "Rennes"), ("epci", "243500139", "Rennes Métropole"),
                              ("pays", "15", "Pays de Rennes"), ("departement", "35", "Ille-et-Vilaine"),
                              ("pole", "reso-solidaire", "RÉSO solidaire")):
        assert f'<a href="/liste?{level}={code}">{name}</a>' in html
    assert f'href="/sites/{site_id}/modifier">Proposer une modification</a>' in html
    assert f'href="/sites/{site_id}/signaler">Signaler' in html
    assert f'<link rel="canonical" href="http://127.0.0.1:8000/sites/{site_id}">' in html
    assert f"site={site_id}" in html  # "Voir sur la carte" opens the map on it


def test_a_site_page_has_a_small_map_served_by_us_and_lets_people_zoom(client):
    html = client.get("/sites/1").text
    assert 'class="carto-site-map"' in html and "L.map(" in html
    # The only absolute address is the canonical link, which loads nothing.
    assert folium_assets.external_assets(html) == ["http://127.0.0.1:8000/sites/1"]
    assert "user-scalable=no" not in html and "maximum-scale" not in html


def test_the_source_credit_line_is_shown_only_when_there_is_one(client, demo_service):
    assert "Source :" not in client.get(f"/sites/{add_site(demo_service)}").text
    assert "Source : Données fictives de démonstration" in client.get("/sites/1").text


@pytest.mark.parametrize("path", ["/sites/999999", "/sites/abc", "/sites/-1"])
def test_an_unknown_site_is_a_french_404_page(client, path):
    r = client.get(path)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "<h1>Page introuvable</h1>" in r.text and "n&#39;est plus publié" in r.text


@pytest.mark.parametrize("status", [SiteStatus.pending, SiteStatus.refused, SiteStatus.archived])
def test_a_site_that_is_not_published_is_a_404(client, demo_service, status):
    site_id = add_site(demo_service, status=status, name="Site en attente de modération")
    r = client.get(f"/sites/{site_id}")
    assert r.status_code == 404 and "Site en attente de modération" not in r.text
    assert site_id not in result_ids(client.get("/liste?q=moderation").text)


def test_a_name_with_markup_is_shown_as_text_everywhere(client, demo_service):
    evil = "<script>alert(1)</script>"
    site_id = add_site(demo_service, name=evil, description=f"</script>{evil}", street='"><img src=x onerror=alert(2)>')
    for path in (f"/sites/{site_id}", "/liste?q=alert", "/?q=" + evil, "/liste?q=" + evil):
        html = client.get(path).text
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
    # The JSON-LD block of the site page cannot be closed early by the data it carries.
    ld = re.search(r'<script type="application/ld\+json">(.*?)</script>', client.get(f"/sites/{site_id}").text, re.S)
    assert "\\u003cscript\\u003e" in ld.group(1)


# --- The list --------------------------------------------------------------------------------

def test_the_list_is_paginated_by_twenty_in_name_order(client):
    first, second = client.get("/liste").text, client.get("/liste?page=2").text
    assert "<strong>500 sites</strong>, par ordre alphabétique — page 1 sur 25" in first
    assert len(RESULT.findall(first)) == 20 and len(RESULT.findall(second)) == 20
    assert not set(result_ids(first)) & set(result_ids(second))
    assert '<ol class="carto-results" start="21">' in second
    assert '<a href="/liste?page=2" aria-current="page">' in second
    assert '<a href="/liste" rel="prev">« Précédente</a>' in second
    assert '<a href="/liste?page=3" rel="next">Suivante »</a>' in second
    last = client.get("/liste?page=25").text
    assert len(RESULT.findall(last)) == 20 and "Suivante" not in last
    beyond = client.get("/liste?page=26")
    assert beyond.status_code == 200 and "Aucun site ne correspond à cette page" in beyond.text


def test_the_list_takes_the_same_filters_as_the_map_and_the_api(client):
    for query in ("domain=mobilite", "activity=velo&activity=textile", "pole=adesk", "epci=243500139",
                  "q=recyclerie", "siae=true", "ea=true&departement=29", "pays=15&domain=dechets"):
        api = client.get(f"/api/sites?{query}&limit=1000").json()
        html = client.get(f"/liste?{query}").text
        total = api["numberMatched"]
        assert f"<strong>{total} site{'s' if total > 1 else ''}</strong>" in html, query
        expected = api["features"][:20]  # in the API's order: by name, or by relevance with q
        assert result_ids(html) == [f["id"] for f in expected], query


def test_the_list_says_which_filters_are_active_and_prefills_the_form(client):
    html = client.get("/liste?domain=mobilite&activity=textile&epci=243500139&q=v%C3%A9lo&siae=true").text
    assert ("Filtres : Textile seconde vie · Mobilité durable · Recherche : «\u00a0vélo\u00a0» · EPCI : Rennes Métropole · "
            "Structures d&#39;insertion (SIAE).") in html
    assert 'name="q" type="search" value="vélo"' in html
    assert re.search(r'name="activity" value="textile" checked', html)
    assert re.search(r'name="activity" value="velo" checked', html)
    assert not re.search(r'name="activity" value="reemploi" checked', html)
    assert '<option value="243500139" selected>Rennes Métropole</option>' in html
    assert 'name="siae" value="true" checked' in html


def test_the_list_is_sorted_by_distance_from_the_map_centre(client):
    html = client.get("/liste?near=-1.6778,48.1173&domain=mobilite").text
    assert "du plus proche au plus éloigné de Rennes" in html
    distances = [float(d.replace(",", ".")) * (1 if unit == "km" else 0.001)
                 for d, unit in re.findall(r"— à ([\d,]+) (km|m)</span>", html)]
    assert len(distances) == 20 and distances == sorted(distances) and distances[0] < 5
    page_two = client.get("/liste?near=-1.6778,48.1173&domain=mobilite&page=2").text
    assert 'href="/liste?domain=mobilite&amp;near=-1.6778%2C48.1173&amp;page=3"' in page_two
    # "Carte" goes back to the map, centred where the list was sorted, with the same filters.
    assert 'href="/?domain=mobilite&amp;lat=48.1173&amp;lon=-1.6778&amp;zoom=13"' in html


def test_without_the_map_the_list_can_be_sorted_around_a_commune_or_a_postcode(client):
    html = client.get("/liste?autour=chateaulin&domain=mobilite").text
    assert "du plus proche au plus éloigné de Châteaulin" in html
    assert 'name="autour" type="search" value="chateaulin"' in html
    assert 'href="/liste?domain=mobilite&amp;autour=chateaulin&amp;page=2"' in html
    # Five digits are a postcode before an INSEE code: 22300 is Lannion's postcode (and another commune's code).
    assert "du plus proche au plus éloigné de Lannion" in client.get("/liste?autour=22300").text
    # What the visitor types wins over the map's centre; an unknown place says so and sorts by name.
    assert "de Quimper" in client.get("/liste?autour=quimper&near=-1.6778,48.1173").text
    html = client.get("/liste?autour=Xyzzy").text
    assert "Aucune commune ni adresse ne correspond à «&nbsp;Xyzzy&nbsp;»" in html and "par ordre alphabétique" in html


@pytest.mark.parametrize("near", [(-1.6778, 48.1173), (-3.5736, 48.2764), (-5.1, 48.45)])
def test_sorting_around_a_point_gives_the_pages_of_a_full_sort(demo_service, near):
    with demo_service.session() as session:
        for page in (1, 3, 25):
            quick = list_view.list_page(session, demo_service.taxonomy, demo_service.locator, SiteFilter(near=near), page)
            full = search.find(session, SiteFilter(near=near), limit=20, offset=(page - 1) * 20)
            assert quick.total == full.total == 500
            assert [i.site.id for i in quick.items] == [s.id for s in full.sites]
            assert [i.distance_km for i in quick.items] == [full.distances[s.id] for s in full.sites]


def test_a_bad_filter_in_a_hand_made_address_gets_a_french_error_page(client):
    r = client.get("/liste?activity=nimporte")
    assert r.status_code == 400 and "text/html" in r.headers["content-type"]
    assert "activity : activité inconnue : « nimporte »" in r.text
    assert client.get("/liste?pole=inconnu").status_code == 404
    r = client.get("/liste?page=0")
    assert r.status_code == 422 and "page" in r.text and "<h1>Demande incorrecte</h1>" in r.text


def test_the_list_works_without_javascript(client):
    html = client.get("/liste").text
    # Its scripts only add to it: the header's links folded into a menu on phones (without it they
    # wrap) and « Autour de moi » (without it, a commune or an address is typed).
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/js/list.js">', '<script src="/static/js/menu.js">']
    assert re.search(r'<button type="button" id="carto-list-locate"[^>]*hidden>', html)
    assert '<nav class="carto-site-nav" id="carto-site-nav" aria-label="Rubriques">' in html
    assert '<form id="carto-filters" class="carto-filters" action="/liste" method="get"' in html
    assert '<main id="contenu"' in html and '<a class="carto-skip" href="#contenu">' in html


# --- The map page ------------------------------------------------------------------------------

def test_the_map_page_lets_people_zoom_and_loads_only_our_assets(client):
    html = client.get("/").text
    assert html.count('name="viewport"') == 1
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert folium_assets.external_assets(html) == []
    assert "jquery" not in html and "bootstrap" not in html  # folium's defaults the map does not need
    assert "Contours : IGN Admin Express, INSEE COG" in html


def test_the_map_page_ships_no_site_record_and_stays_small(client):
    r = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert "[Démo]" not in r.text  # sites come by viewport from /api/sites
    assert len(gzip.compress(r.content)) < 60_000


def test_the_map_page_form_reflects_a_shared_address(client):
    html = client.get("/?domain=dechets&q=ressourcerie&pole=adesk&lat=48.2&lon=-3.5&zoom=11&site=3").text
    assert 'name="q" type="search" value="ressourcerie"' in html
    assert re.search(r'name="activity" value="reemploi" checked', html)
    assert not re.search(r'name="activity" value="velo" checked', html)
    assert '<option value="adesk" selected>ADESK Centre Ouest Bretagne</option>' in html
    # The map starts on the shared view instead of fitting Brittany first.
    assert "center: [48.2, -3.5]" in html and '"zoom": 11' in html and "fitBounds" not in html
    assert "fitBounds" in client.get("/?lat=nan&lon=-3.5&zoom=11").text  # a broken view is ignored


# --- Wording helpers -----------------------------------------------------------------------------

def test_page_links_show_the_ends_and_the_neighbourhood_of_the_current_page():
    assert list_view.page_numbers(1, 1) == [1]
    assert list_view.page_numbers(1, 25) == [1, 2, 3, None, 25]
    assert list_view.page_numbers(10, 25) == [1, None, 8, 9, 10, 11, 12, None, 25]
    assert list_view.page_numbers(4, 25) == [1, 2, 3, 4, 5, 6, None, 25]


def test_distances_are_worded_the_french_way():
    assert [list_view.distance_fr(km) for km in (0.347, 2.44, 37.4)] == ["350 m", "2,4 km", "37 km"]


def test_the_pole_areas_come_apart_from_the_page_in_light_outlines(client):
    areas = client.get("/carte/zones-poles.geojson").json()
    assert len(areas["features"]) == 19
    assert {"id": "adesk", "nom": "ADESK Centre Ouest Bretagne"} in [
        {"id": f["id"], "nom": f["properties"]["nom"]} for f in areas["features"]]
    full = client.get("/api/poles").content
    assert len(client.get("/carte/zones-poles.geojson").content) < len(full) / 3


# --- Popups, opening state, domains without sites -----------------------------------------------

def test_a_map_popup_gets_the_address_opening_state_and_actions_of_its_site(client):
    response = client.get("/sites/1/bulle")
    assert response.status_code == 200 and response.headers["cache-control"] == "public, max-age=60"
    html = response.text
    assert re.search(r"<address>.*\d{5} \w", html)
    assert 'href="https://www.openstreetmap.org/directions?route=%3B' in html and 'href="geo:' in html
    assert 'data-share="http://127.0.0.1:8000/sites/1"' in html and 'data-favourite="1"' in html
    embedded = client.get("/sites/1/bulle?embed=1&lang=en").text
    assert "data-favourite" not in embedded and 'target="_blank"' in embedded and "Directions" in embedded
    assert client.get("/sites/999999/bulle").status_code == 404


def test_the_site_page_and_the_list_say_whether_a_site_is_open_now(client):
    site = client.get("/sites/1").text
    assert re.search(r'class="carto-open is-(open|closed)".*(Ouvert maintenant, ferme|Fermé, ouvre)', site)
    assert re.search(r"(Ouvert maintenant|Fermé, ouvre)", client.get("/liste").text)


def test_a_domain_without_sites_is_announced_rather_than_offered(client):
    html = client.get("/").text
    assert re.search(r"Alimentation et agriculture <em>: bientôt</em>", html)
    assert 'data-domain="alimentation"' not in html and 'data-domain="mobilite"' in html


def test_an_unknown_territory_has_no_outline(client):
    assert client.get("/carte/contour/epci/243500139.geojson").json()["bbox"][0] < -1.4
    assert client.get("/carte/contour/epci/000000000.geojson").status_code == 404
    assert client.get("/carte/contour/planete/1.geojson").status_code == 404


def test_the_poles_index_lists_every_pole_with_its_territory(client):
    html = client.get("/poles").text
    assert len(re.findall(r'<th scope="row"><a href="/poles/[\w-]+">', html)) == 19
    assert re.search(r'<a href="/poles/reso-solidaire">RÉSO solidaire</a></th>\s*<td>[^<]*Pays de Rennes', html)
    assert '<a href="/poles" aria-current="page">Pôles ESS</a>' in html


def test_the_basemap_layers_come_from_our_own_geodata(client):
    land = client.get("/carte/fond/terre.geojson").json()
    assert sorted(f["properties"]["nom"] for f in land["features"]) == ["Côtes-d'Armor", "Finistère", "Ille-et-Vilaine", "Morbihan"]
    towns = client.get("/carte/fond/villes.geojson").json()["features"]
    assert towns[0]["properties"]["nom"] == "Rennes" and len(towns) == 1202  # most populous first
    assert client.get("/carte/fond/routes.geojson").status_code == 404


def test_the_list_is_sorted_around_a_street_address_when_an_address_service_answers(client, demo_service):
    from carto.territory import geocoder
    from tests.fake_registers import FakeRegisters
    with FakeRegisters() as ban:
        demo_service.geocoder = geocoder.Ban(ban.url, 2)
        html = client.get("/liste", params={"autour": "12 rue de la motte brulon"}).text
    assert "du plus proche au plus éloigné de 12 Rue de la Motte Brûlon 35700 Rennes" in html
    first = re.search(r'<span class="carto-distance"> — à ([^<]+)</span>', html).group(1)
    assert re.fullmatch(r"\d+ m|[0-3],\d km", first)  # a site of Rennes, close by


def test_without_an_address_service_an_unknown_place_says_why(client):
    html = client.get("/liste", params={"autour": "12 rue de la motte brulon"}).text
    assert "Aucune commune ni adresse ne correspond à «&nbsp;12 rue de la motte brulon&nbsp;» (" in html
    assert "par ordre alphabétique" in html
