"""Territory statistics, the /territoires page and its choropleth, the coverage report page, pôle pages."""
import json
import re

import pytest
import shapely

from carto.directory import sites

from carto.territory import poles, stats
from carto.storage import freshness
from carto.storage.models import SiteStatus
from carto.directory.site_schema import SiteData
from tests.helpers import make_client, map_features

RENNES, CARHAIX, PONTIVY = (-1.6778, 48.1173), (-3.5736, 48.2764), (-2.9633, 48.0681)


def add(service, session, name, point, activities):
    return sites.create(session, SiteData(name=name, activities=activities, lon=point[0], lat=point[1]),
                        service.locator, actor="test")


@pytest.fixture
def three_sites(service, session):
    add(service, session, "Vélo Rennes", RENNES, ["velo", "garage-solidaire"])
    add(service, session, "Ressourcerie Rennes", RENNES, ["reemploi"])
    add(service, session, "Ressourcerie Carhaix", CARHAIX, ["reemploi", "textile"])
    pending = add(service, session, "En attente Pontivy", PONTIVY, ["reemploi"])
    sites.set_status(session, pending, SiteStatus.pending, actor="test")
    session.flush()
    return session


def by_code(rows):
    return {r.code: r for r in rows}


def test_counts_by_domain_and_activity_per_departement(service, three_sites):
    rows = by_code(stats.territory_stats(three_sites, service.taxonomy, "departement"))
    assert len(rows) == 4
    ille = rows["35"]
    assert (ille.sites, ille.by_domain, ille.by_activity) == (
        2, {"mobilite": 1, "dechets": 1}, {"velo": 1, "garage-solidaire": 1, "reemploi": 1})
    assert rows["29"].sites == 1 and rows["29"].by_activity == {"reemploi": 1, "textile": 1}
    assert rows["56"].sites == 0  # the pending site does not count
    assert ille.per_10k == round(2 * 10_000 / ille.population, 2)


def test_an_activity_or_a_domain_selects_what_is_counted(service, three_sites):
    velo = by_code(stats.territory_stats(three_sites, service.taxonomy, "epci", frozenset({"velo"})))
    assert velo["243500139"].sites == 1 and sum(r.sites for r in velo.values()) == 1
    dechets = service.taxonomy.expand([], ["dechets"])
    assert stats.region_total(three_sites, frozenset(dechets)) == 2
    assert stats.region_total(three_sites) == 3


def test_a_site_counts_in_every_pole_covering_its_commune_but_once_in_the_region(service, three_sites):
    square = shapely.box(-1.75, 48.05, -1.60, 48.15)  # Rennes, given to a second pôle as well
    poles.set_coverage(three_sites, "pole-ess-broceliande", geojson=json.dumps(shapely.geometry.mapping(square)))
    rows = by_code(stats.territory_stats(three_sites, service.taxonomy, "pole"))
    assert len(rows) == 19
    assert rows["reso-solidaire"].sites == rows["pole-ess-broceliande"].sites == 2
    assert rows["adesk"].sites == 1 and rows["adesk"].population > 50_000
    assert stats.territory_stats(three_sites, service.taxonomy, "pole", only="adesk") == [rows["adesk"]]
    assert stats.region_total(three_sites) == 3


def test_the_counts_follow_every_write(service, three_sites):
    """Counted once per data version: a site published or withdrawn moves them."""
    def ille() -> tuple[int, int]:
        return (by_code(stats.territory_stats(three_sites, service.taxonomy, "departement"))["35"].sites,
                stats.region_total(three_sites))
    assert ille() == (2, 3)
    added = add(service, three_sites, "Vélo Saint-Malo", (-2.0026, 48.6493), ["velo"])
    assert ille() == (3, 4)
    sites.set_status(three_sites, added, SiteStatus.pending, actor="test")
    assert ille() == (2, 3)


def test_class_breaks_split_territories_in_classes_of_about_the_same_size():
    values = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7]
    breaks = stats.class_breaks(values)
    assert breaks == [0, 1, 3, 5, 7]
    assert [stats.class_of(v, breaks) for v in (0, 1, 2.5, 7, None)] == [0, 1, 2, 4, None]
    assert stats.class_breaks([]) == [] and stats.class_breaks([2.5, 2.5]) == [2.5]


# --- Pages -------------------------------------------------------------------------------------

def test_the_territories_page_has_a_choropleth_a_legend_and_a_table(client):
    html = client.get("/territoires", params={"level": "epci", "activity": "velo"}).text
    assert html.count('<th scope="row">') == 61  # one row per EPCI
    assert 'class="buyer-legend"' in html and "pour 10 000 hab." in html
    legend = html[html.index('class="buyer-legend"'):]
    colours = re.findall(r'class="buyer-swatch" style="background: (#[0-9a-f]{6})"', legend[:legend.index("</ul>")])
    assert len(colours) >= 3
    drawn = {f["properties"]["carto_style"]["fillColor"] for f in map_features(html)}
    assert set(colours) <= drawn  # each class of the legend is on the map
    assert "Atelier et réemploi de vélos" in html
    assert '<option value="velo" selected>' in html and '<option value="epci" selected>' in html
    assert "/sourcing?zone=epci:243500139&amp;activity=velo" in html  # each territory leads to its suppliers


def test_the_territories_json_matches_the_page_levels(client):
    data = client.get("/api/stats/pole", params={"activity": "mobilite"}).json()
    assert len(data["territories"]) == 19 and data["selection"] == "Mobilité durable"
    reso = next(t for t in data["territories"] if t["code"] == "reso-solidaire")
    assert reso["per_10k"] == round(reso["sites"] * 10_000 / reso["population"], 2)
    assert client.get("/api/stats/commune").status_code == 422
    unknown = client.get("/api/stats/pays", params={"activity": "peinture"})
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["loc"] == ["query", "activity"]


def test_a_bad_level_on_the_page_is_a_french_error_page(client):
    response = client.get("/territoires", params={"level": "region"})
    assert response.status_code == 422 and "<html" in response.text


def test_the_coverage_report_page_lists_the_gaps(client):
    html = client.get("/territoires/couverture").text
    for name in ("Camoël", "Férel", "Pénestin"):
        assert name in html
    assert "Communes couvertes par aucun pôle : 3" in html
    assert "Communes couvertes par plusieurs pôles : 0" in html
    assert html.count('href="/poles/') == 19


def test_the_coverage_report_page_counts_every_site_outside_the_poles_and_lists_the_first_hundred(service, session):
    for n in range(101):
        sites.create(session, SiteData(name=f"Structure parisienne {n:03d}", activities=["velo"], lon=2.35, lat=48.85),
                     service.locator, actor="admin", allow_outside=True)
    session.commit()
    with make_client(service) as client:
        html = client.get("/territoires/couverture").text
    assert "Structures publiées hors de toute zone de pôle : 101" in html
    assert "Les 100 premières par ordre alphabétique." in html
    assert "Structure parisienne 099" in html and "Structure parisienne 100" not in html


def test_the_pages_kept_per_data_version_follow_every_write(service, session):
    """The pôles' index, the coverage report and the territories' map are kept until the next write."""
    def reso_sites(client) -> int:
        row = re.search(r'href="/liste\?pole=reso-solidaire">(\d+)<', client.get("/poles").text)
        return int(row.group(1))

    def mapped_sites(client, code: str) -> int:
        features = map_features(client.get("/territoires", params={"level": "departement"}).text)
        return next(f["properties"]["sites"] for f in features if f["id"] == code)

    with make_client(service) as client:
        before = (reso_sites(client), mapped_sites(client, "35"))
        assert "Structures publiées hors de toute zone de pôle : 0" in client.get("/territoires/couverture").text
        add(service, session, "Vélo Rennes", RENNES, ["velo"])
        sites.create(session, SiteData(name="Structure parisienne", activities=["velo"], lon=2.35, lat=48.85),
                     service.locator, actor="admin", allow_outside=True)
        session.commit()
        assert (reso_sites(client), mapped_sites(client, "35")) == (before[0] + 1, before[1] + 1)
        html = client.get("/territoires/couverture").text
        assert "Structures publiées hors de toute zone de pôle : 1" in html and "Structure parisienne" in html


def test_answers_asked_in_many_forms_keep_only_the_most_recent(session):
    computed = []

    def ask(form: int) -> int:
        return freshness.per_version(session, ("test form", form), lambda: computed.append(form) or form, variant=True)

    for form in range(freshness.VARIANTS_KEPT + 1):
        assert ask(form) == form
    assert ask(freshness.VARIANTS_KEPT) == freshness.VARIANTS_KEPT and computed.count(freshness.VARIANTS_KEPT) == 1
    assert ask(0) == 0 and computed.count(0) == 2  # the oldest form was dropped, computed again


def test_a_pole_page_shows_its_territory_sites_contact_and_embed_link(client):
    html = client.get("/poles/reso-solidaire").text
    assert "<h1>RÉSO solidaire</h1>" in html
    assert "Pays de Rennes" in html and "<dt>Communes</dt><dd>76</dd>" in html
    assert 'href="/embed?pole=reso-solidaire"' in html
    assert 'href="/sourcing?zone=pole:reso-solidaire"' in html
    assert "Coordonnées non renseignées." in html
    sites_listed = client.get("/api/sourcing", params={"zone": "pole:reso-solidaire", "limit": 1}).json()
    assert f"{sites_listed['numberMatched']} publiées" in html
    assert html.count('<a href="/sites/') == sites_listed["numberMatched"]
    assert "Mobilité durable" in html and "Atelier et réemploi de vélos" in html


def test_a_pole_page_shows_its_contact_when_known(service, session):
    pole = session.get(poles.Pole, "adesk")
    pole.email, pole.phone = "contact@adesk.example", "02 98 00 00 00"
    session.add(pole)
    session.commit()
    with make_client(service) as client:
        html = client.get("/poles/adesk").text
    assert 'href="mailto:contact@adesk.example"' in html and "02 98 00 00 00" in html
    assert "Aucune structure publiée sur ce territoire" in html


def test_an_unknown_pole_is_a_404_page(client):
    response = client.get("/poles/atlantide")
    assert response.status_code == 404 and "Aucun pôle ESS" in response.text
