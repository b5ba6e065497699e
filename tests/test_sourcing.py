"""Supplier search for public buyers: territory or radius, activities, reserved contracts, sort, API and page."""
import html as html_text
import json
import re

from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from carto.directory import sites

from carto.query import params, search, sourcing
from carto.storage.models import Commune, LegalForm, Site, SiteStatus
from carto.directory.site_schema import SiteData
from carto.query.params import ParamError
from tests.helpers import found

RENNES_METROPOLE = "243500139"
BREST = (-4.4861, 48.3904)


def published(session) -> list[Site]:
    return list(session.exec(select(Site).where(Site.status == SiteStatus.published)))


def run(service, session, **params) -> sourcing.Results:
    return sourcing.run(session, sourcing.parse(service, session, **params))


def add(service, session, name, lon=-1.6778, lat=48.1173, activities=("reemploi",), **fields) -> Site:
    return sites.create(session, SiteData(name=name, activities=list(activities), lon=lon, lat=lat, **fields),
                        service.locator, actor="test")


# --- Territory ---------------------------------------------------------------------------------

def test_search_by_epci_returns_exactly_the_sites_whose_commune_is_in_it(demo_service):
    with demo_service.session() as session:
        epci_of = dict(session.exec(select(Commune.code, Commune.epci_code)).all())
        expected = {s.id for s in published(session) if epci_of.get(s.commune_code) == RENNES_METROPOLE}
        by_key = run(demo_service, session, zone=f"epci:{RENNES_METROPOLE}")
        by_name = run(demo_service, session, territory="rennes metropole")
        assert len(expected) > 20
        assert set(found(session, by_key)) == expected
        assert list(found(session, by_name)) == list(found(session, by_key))


@pytest.mark.parametrize("zone", ["commune:35238", f"epci:{RENNES_METROPOLE}", "pays:15", "departement:35"])
def test_a_territorys_pages_are_priced_against_its_own_index_in_name_order(demo_service, zone):
    """Its index holds its sites in name order (``ix_site_epci``…): a page walks it when that is cheaper
    than sorting the matches, priced against the territory's sites, not the whole table's (at
    1,000,000 sites an EPCI's 2,000 markers were sorted from its 6,600 sites: 16 → 11 ms)."""
    with demo_service.session() as session:
        every = run(demo_service, session, zone=zone)
        bikes = run(demo_service, session, zone=zone, activity="velo")
    assert every.walked == every.total > 0 and bikes.walked == every.total > bikes.total


def test_a_pole_covers_the_sites_of_its_communes(demo_service):
    with demo_service.session() as session:
        results = run(demo_service, session, territory="RÉSO solidaire")
        sites_found = session.exec(select(Site).where(Site.id.in_(found(session, results)))).all()
    assert results.criteria.place.key == "pole:reso-solidaire"
    assert {s.pays_code for s in sites_found} == {"15"}  # the pôle covers the Pays de Rennes


@pytest.mark.parametrize("typed, key", [
    ("Rennes", "commune:35238"), ("35000", "commune:35238"), ("rennes métropole", f"epci:{RENNES_METROPOLE}"),
    ("Pays de Rennes", "pays:15"), ("ille-et-vilaine", "departement:35"), ("35", "departement:35"),
    ("st malo", "commune:35288"), ("ADESK", "pole:adesk"), ("Plouhinec (commune, 29)", "commune:29197")])
def test_territories_are_found_by_name_or_code_accents_aside(service, session, typed, key):
    assert sourcing.resolve_place(service, session, typed).key == key


def test_an_ambiguous_name_offers_the_choices_and_an_unknown_one_says_so(service, session):
    with pytest.raises(ParamError) as ambiguous:
        sourcing.parse(service, session, territory="Plouhinec")
    assert ambiguous.value.param == "territory"
    assert sorted(p.label for p in ambiguous.value.choices) == ["Plouhinec (commune, 29)", "Plouhinec (commune, 56)"]
    with pytest.raises(ParamError, match="aucun territoire") as unknown:
        sourcing.parse(service, session, territory="Atlantide")
    assert unknown.value.param == "territory"


# --- Radius ------------------------------------------------------------------------------------

def test_a_radius_search_sorts_by_distance_and_keeps_exactly_the_sites_within(demo_service):
    with demo_service.session() as session:
        results = run(demo_service, session, around="Brest", radius_km="15")
        centre = results.criteria.centre
        within = {s.id for s in published(session) if search.distance_km(*centre, s.lon, s.lat) <= 15}
        positions = {s.id: (s.lon, s.lat) for s in published(session)}
        farthest_first = run(demo_service, session, around="Brest", radius_km="15", sort="-distance")
        nearest, farthest = found(session, results), found(session, farthest_first)
    distances = list(nearest.values())
    assert len(distances) > 10 and distances == sorted(distances) and distances[-1] <= 15
    assert set(nearest) == within and results.total == len(within)
    assert list(farthest.values()) == sorted(distances, reverse=True)
    assert distances == [round(search.distance_km(*centre, *positions[i]), 3) for i in nearest]


def test_a_radius_around_a_point_and_inside_a_territory_combine(demo_service):
    with demo_service.session() as session:
        around_point = run(demo_service, session, near=f"{BREST[0]},{BREST[1]}", radius_km="30")
        and_in_epci = run(demo_service, session, near=f"{BREST[0]},{BREST[1]}", radius_km="30",
                          territory="Brest Métropole")
        epci = session.exec(select(Site.epci_code).where(Site.id.in_(found(session, and_in_epci)))).all()
    assert 0 < and_in_epci.total < around_point.total
    assert set(epci) == {"242900314"}


@pytest.mark.parametrize("params, field", [
    ({"radius_km": "10"}, "radius_km"), ({"around": "Brest", "radius_km": "-3"}, "radius_km"),
    ({"around": "Brest", "radius_km": "dix"}, "radius_km"), ({"near": "200,48"}, "near"),
    ({"sort": "distance"}, "sort"), ({"sort": "prix"}, "sort"), ({"activity": "plomberie"}, "activity"),
    ({"domain": "culture"}, "domain"), ({"reserved": "esat"}, "reserved"), ({"public": "enfants"}, "public"),
    ({"legal_form": "sarl"}, "legal_form"), ({"zone": "region:53"}, "zone"), ({"zone": "epci:000"}, "zone"),
    ({"around": "Plouhinec", "radius_km": "5"}, "around")])
def test_bad_criteria_name_the_field_at_fault(service, session, params, field):
    with pytest.raises(ParamError) as error:
        sourcing.parse(service, session, **params)
    assert error.value.param == field


# --- Buyer filters -----------------------------------------------------------------------------

def test_reserved_contracts_public_legal_form_and_labels(service, session):
    add(service, session, "Chantier d'insertion", siae=True, labels=["Le Rab"])
    add(service, session, "ESAT des Vergers", ea_esat=True, legal_form=LegalForm.association,
        serves_individuals=False, serves_professionals=True)
    add(service, session, "Coop vélo", activities=["velo"], legal_form=LegalForm.cooperative, labels=["Mob'In Bretagne"])

    def names(**params):
        return sorted(session.get(Site, i).name for i in found(session, run(service, session, **params)))

    assert names(reserved=["siae"]) == ["Chantier d'insertion"]
    assert names(reserved=["siae", "ea"]) == ["Chantier d'insertion", "ESAT des Vergers"]  # either can answer
    assert names(public=["professionnels"]) == ["ESAT des Vergers"]
    assert names(public="particuliers") == ["Chantier d'insertion", "Coop vélo"]
    assert names(legal_form=["association", "cooperative"]) == ["Coop vélo", "ESAT des Vergers"]
    assert names(label=["Mob'In Bretagne", "Le Rab"]) == ["Chantier d'insertion", "Coop vélo"]
    assert names(label="Emmaüs, Le Rab") == []  # a label is taken whole: it may hold a comma
    assert names(activity="velo", reserved="siae") == []


def test_counts_per_activity_ignore_the_activity_filter_itself(service, session):
    add(service, session, "Site A", activities=["velo"])
    add(service, session, "Site B", activities=["velo", "garage-solidaire"])
    add(service, session, "Site C", activities=["reemploi"])
    results = run(service, session, activity=["velo"])
    assert results.total == 2
    assert results.activity_counts == {"velo": 2, "garage-solidaire": 1, "reemploi": 1}


@pytest.mark.parametrize("criteria", [{}, {"activity": "velo"}, {"domain": "mobilite"},
                                      {"activity": ["velo", "reemploi"]}, {"ess": "true"}, {"ess": "false"}])
def test_a_search_of_the_whole_directory_adds_up_the_map_cells_as_its_sites_would(demo_service, criteria):
    """Without a territory, a text or another filter, the total and the counts per activity come from
    the grid cells the write path keeps (a few hundred rows), not from a pass over every published
    site: the same numbers as that pass, after a site left and another came."""
    with demo_service.session() as session:
        sites.set_status(session, published(session)[0], SiteStatus.pending, actor="test")
        add(demo_service, session, "Vélo et textile", activities=["velo", "textile"])
        session.commit()
        statements = []
        with recorded(session, statements):
            kept = run(demo_service, session, **criteria)
        assert any("FROM sitecell" in s for s in statements)
        assert not any("FROM site " in s for s in statements)
        counted = sourcing.run(session, sourcing.parse(demo_service, session, **criteria), sources=True)
        assert (kept.total, kept.activity_counts) == (counted.total, counted.activity_counts)
        assert kept.total == len(found(session, kept)) and (kept.total > 0) == (criteria != {"ess": "false"})


def test_an_export_names_its_sources_and_a_search_does_not_count_them(demo_service):
    with demo_service.session() as session:
        criteria = sourcing.parse(demo_service, session, activity="velo")
        assert sourcing.run(session, criteria).credits is None  # an export without them fails, loudly
        assert sourcing.run(session, criteria, sources=True).sources == {"demo"}


def test_the_label_choices_follow_the_published_sites(client, demo_service):
    def choices() -> set[str]:
        return set(re.findall(r'name="label" value="([^"]+)"', client.get("/sourcing").text))
    assert "Le Rab" in choices() and "Réseau des Ateliers du Large" not in choices()
    with demo_service.session() as session:
        labelled = add(demo_service, session, "Chantier d'insertion", labels=["Réseau des Ateliers du Large"])
        session.commit()
        assert "Réseau des Ateliers du Large" in choices()
        sites.set_status(session, labelled, SiteStatus.pending, actor="test")
        session.commit()
    assert "Le Rab" in choices() and "Réseau des Ateliers du Large" not in choices()


@contextmanager
def recorded(session, statements: list):
    """The SQL statements run on the session's connection while in the block."""
    def record(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))
    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_results_sort_by_name_commune_or_verification_date(service, session):
    from datetime import date
    add(service, session, "Écocyclerie", lon=-3.5736, lat=48.2764, verified_at=date(2025, 1, 1))  # Carhaix
    add(service, session, "atelier", verified_at=date(2026, 3, 1))  # Rennes
    add(service, session, "Zéro déchet", lon=-2.9633, lat=48.0681)  # Pontivy, never verified

    def names(sort=None):
        return [session.get(Site, i).name for i in found(session, run(service, session, sort=sort))]

    assert names() == ["atelier", "Écocyclerie", "Zéro déchet"]  # accents and case aside
    assert names("-nom") == ["Zéro déchet", "Écocyclerie", "atelier"]
    assert names("commune") == ["Écocyclerie", "Zéro déchet", "atelier"]  # Carhaix, Pontivy, Rennes
    assert names("-verifie") == ["atelier", "Écocyclerie", "Zéro déchet"]


def test_only_published_sites_are_suppliers(service, session):
    add(service, session, "Publié")
    hidden = add(service, session, "En attente")
    sites.set_status(session, hidden, SiteStatus.pending, actor="test")
    assert [session.get(Site, i).name for i in found(session, run(service, session))] == ["Publié"]


# --- API and page ------------------------------------------------------------------------------

def test_the_api_gives_the_same_search_as_geojson_with_distances(client):
    data = client.get("/api/sourcing", params={"around": "Brest", "radius_km": 10, "activity": "velo,reemploi",
                                               "limit": 5}).json()
    assert data["type"] == "FeatureCollection" and data["numberReturned"] == len(data["features"]) <= 5
    distances = [f["properties"]["distance_km"] for f in data["features"]]
    assert distances == sorted(distances) and all(d <= 10 for d in distances)
    assert all({"velo", "reemploi"} & set(f["properties"]["activites"]) for f in data["features"])
    assert data["criteria"][0].startswith("Dans un rayon de 10 km autour de Brest")


def test_the_api_names_the_parameter_at_fault(client):
    response = client.get("/api/sourcing", params={"territory": "Plouhinec"})
    assert response.status_code == 409  # two communes have that name: the answer lists them
    assert response.json()["errors"][0]["loc"] == ["query", "territory"]
    assert "Plouhinec (commune, 29)" in response.json()["detail"]
    assert client.get("/api/sourcing", params={"radius_km": "5"}).json()["errors"][0]["loc"] == ["query", "radius_km"]


def test_the_page_is_a_shareable_get_form_with_exports_of_the_same_search(client):
    query = "territory=Rennes+M%C3%A9tropole&reserved=siae&activity=garage-solidaire"
    html = client.get(f"/sourcing?{query}").text
    expected = client.get(f"/api/sourcing?{query}").json()["numberMatched"]
    assert '<form id="buyer-form" class="buyer-form" action="/sourcing" method="get"' in html
    assert f"{expected} fournisseur" in html
    assert f"/api/exports/sites.csv?{query}" in html.replace("&amp;", "&")
    assert f"http://127.0.0.1:8000/sourcing?{query}" in html.replace("&amp;", "&")  # the address to share
    assert 'value="epci:243500139"' in html  # the exact territory, kept for the next search


def test_the_page_map_carries_the_api_compact_markers_as_json_no_name_can_end_its_script(demo_service, client):
    name = "</script><script>window.__x=1</script> Atelier & Cie l'Échoppe <b>"
    with demo_service.session() as session:
        add(demo_service, session, name)
        session.commit()
    page = client.get("/sourcing", params={"zone": "commune:35238"}).text
    carried = re.search(r'id="buyer-markers">(.*?)</script>', page, re.S).group(1)
    assert "<" not in carried and "&" not in carried and "'" not in carried
    api = client.get("/api/sourcing", params={"zone": "commune:35238", "format": "compact", "limit": 1000}).json()
    assert api["total"] < 1000  # the map's 2,000 and the API's page hold them all, in the same order
    assert json.loads(carried) == api["sites"]
    assert name in [marker[3] for marker in api["sites"]]


def test_the_table_sorts_on_the_server_and_says_how(client):
    html = client.get("/sourcing", params={"territory": "Brest Métropole", "sort": "-commune"}).text
    assert '<th scope="col" aria-sort="descending">' in html
    assert "sort=commune" in html  # the same header now offers the ascending order
    names = client.get("/api/sourcing", params={"territory": "Brest Métropole", "sort": "-commune"}).json()
    communes = [f["properties"]["commune"] for f in names["features"]]
    assert communes == sorted(communes, reverse=True)


def test_an_ambiguous_territory_on_the_page_offers_links_to_each(client):
    response = client.get("/sourcing", params={"territory": "Plouhinec", "activity": "velo"})
    assert response.status_code == 400
    html = response.text.replace("&amp;", "&")
    assert "plusieurs territoires répondent à « Plouhinec »" in html
    assert "zone=commune%3A29197" in html and "zone=commune%3A56169" in html
    assert 'name="activity" value="velo" checked' in html  # what was asked is kept


@pytest.mark.parametrize("level,typed,zone", [
    ("commune", "rennes", "commune:35238"), ("epci", "rennes", "epci:243500139"), ("pays", "rennes", "pays:15"),
    ("departement", "finis", "departement:29"), ("pole", "reso", "pole:reso-solidaire")])
def test_the_suggestions_script_asks_each_level_where_the_page_says_and_labels_as_the_server_reads(
        client, level, typed, zone):
    page = client.get("/sourcing").text
    levels = json.loads(html_text.unescape(re.search(r'id="buyer-levels">(.*?)</script>', page).group(1)))
    assert sorted(levels) == sorted([*params.TERRITORY_FILTERS, "pole"])  # the filter table's territory filters
    assert f'data-levels="{",".join([*params.TERRITORY_FILTERS, "pole"])}"' in page
    # What sourcing.js does: ask the level's source, label a suggestion « name (label) ».
    source = levels[level]
    if level == "pole":
        poles = client.get(source["url"]).json()["features"]
        name, code = next((f["properties"]["nom"], f["id"]) for f in poles if f"pole:{f['id']}" == zone)
        label = f"{name} ({source['label']})"
    else:
        first = client.get(source["url"], params={"q": typed, "limit": 6}).json()["territories"][0]
        detail = source["label"] + (f", {first['departement']}" if level == "commune" else "")
        label, code = f"{first['nom']} ({detail})", first["code"]
    assert f"{level}:{code}" == zone
    chosen = client.get("/sourcing", params={"territory": label, "zone": zone}).text
    assert f"Territoire : {html_text.escape(label, quote=False)}" in chosen  # the server reads the same place
    typed_only = client.get("/sourcing", params={"territory": label}).text  # without the script's zone too
    assert f'name="zone" value="{zone}"' in typed_only


def test_a_first_visit_shows_the_form_and_an_empty_search_every_supplier_by_pages(client):
    form_only = client.get("/sourcing").text
    assert 'id="buyer-form"' in form_only and 'class="buyer-table"' not in form_only
    first = client.get("/sourcing?sort=nom").text
    assert "500 fournisseurs" in first and first.count('<th scope="row">') == 50
    assert 'href="/sourcing?sort=nom&amp;page=2" rel="next"' in first
    assert client.get("/sourcing?sort=nom&page=10").text.count('<th scope="row">') == 50
