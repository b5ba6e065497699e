"""Search that finds what people type: realistic queries and the sites expected at the top.

Activity labels, domain names and synonyms (geodata/taxonomy.yaml), plurals and word endings,
postcodes and « St »/« Ste » are searched; with a query, sites whose name holds its words come
first, then those whose activities do, then the others, each group in name order. The same on
SQLite and PostgreSQL (the text is folded and stemmed in Python for both).
"""
from dataclasses import replace

import pytest

from carto.core.textnorm import sort_key, stem
from carto.directory import sites
from carto.directory.site_schema import SiteData
from carto.query import paging, search
from carto.query.search import SiteFilter
from carto.storage import search_index
from carto.storage.models import Site, SiteStatus
from tests.helpers import add, built_database

BREST, SAINT_MALO, RENNES = (-4.4861, 48.3904), (-2.0075, 48.6493), (-1.6778, 48.1173)


@pytest.fixture
def directory(service, session):
    """A small directory as a town would have it."""
    add(service, session, "Œuvre de réemploi du Trégor", lon=-3.4597, lat=48.7326, activities=["reemploi"])
    add(service, session, "Atelier Bois et Fer", activities=["materiaux-batiment"],
        description="Chantier d'insertion : la main-d'œuvre locale démonte et revend les matériaux.")
    add(service, session, "Au fil des saisons", activities=["textile"], description="Vêtements de seconde main.")
    add(service, session, "Textiles du Léon", *BREST, activities=["reemploi"], postcode="29200",
        description="Collecte de linge.")
    add(service, session, "Cycl'Atelier", *RENNES, activities=["velo"], description="Réparation de vélos.")
    add(service, session, "Vélos et compagnie", activities=["velo"])
    add(service, session, "Repair Café Malouin", *SAINT_MALO, activities=["reparation"])
    add(service, session, "Ordi Solidaire", *BREST, activities=["informatique-reconditionnee"], postcode="29200")
    add(service, session, "La Recyclerie", *SAINT_MALO, activities=["reemploi"])
    add(service, session, "Ressourcerie de la Vilaine", activities=["reemploi"],
        description="Dépôt et vente d'objets, recyclerie partenaire.")
    session.commit()


def found(session, q: str, **filters) -> list[str]:
    return [s.name for s in search.find(session, SiteFilter(q=q, **filters)).sites]


@pytest.mark.parametrize("q, top", [
    ("textile", ["Textiles du Léon", "Au fil des saisons"]),  # the name first, then the activity
    ("vélos", ["Vélos et compagnie", "Cycl'Atelier"]),
    ("velo", ["Vélos et compagnie", "Cycl'Atelier"]),
    ("ordinateur", ["Ordi Solidaire"]),  # a synonym of « Informatique reconditionnée »
    ("ordinateurs portables", ["Ordi Solidaire"]),
    ("29200", ["Ordi Solidaire", "Textiles du Léon"]),  # a postcode
    ("oeuvre", ["Œuvre de réemploi du Trégor", "Atelier Bois et Fer"]),  # name before « main-d'œuvre »
    ("recyclerie", ["La Recyclerie", "Œuvre de réemploi du Trégor", "Ressourcerie de la Vilaine",
                    "Textiles du Léon"]),  # then the activity « réemploi, recyclerie… » in French name order
    ("réparer", ["Repair Café Malouin", "Cycl'Atelier"]),  # « réparation »: the activity, then a description
    ("repair café", ["Repair Café Malouin"]),
    ("fripes", ["Au fil des saisons"]),  # synonym « fripe » of the activity textile
    ("matériau", ["Atelier Bois et Fer"]),
    ("Mobilité", ["Cycl'Atelier", "Vélos et compagnie"]),  # a domain name
    ("recycl", ["La Recyclerie", "Œuvre de réemploi du Trégor", "Ressourcerie de la Vilaine"]),  # a word being typed
])
def test_realistic_queries_put_the_expected_sites_on_top(directory, session, q, top):
    assert found(session, q)[:len(top)] == top


def test_saint_and_st_find_the_same_sites(directory, session):
    assert found(session, "St Malo") == found(session, "Saint-Malo") == found(session, "saint malo") == [
        "La Recyclerie", "Repair Café Malouin"]
    assert found(session, "Ste Malo") == found(session, "St Malo")


def test_a_word_found_nowhere_finds_nothing(directory, session):
    assert found(session, "xyzzy") == []
    assert found(session, "textile xyzzy") == []


def test_without_a_query_sites_come_in_name_order(directory, session):
    names = [s.name for s in search.find(session, SiteFilter()).sites]
    assert names == sorted(names, key=sort_key) and len(names) == 10
    assert names[4:6] == ["Œuvre de réemploi du Trégor", "Ordi Solidaire"]  # Œ as OE, not after Z


def test_pages_of_a_ranked_search_follow_each_other(directory, session):
    """Offsets run through the groups of relevance: every site once, in the order of one long page."""
    whole = found(session, "recyclerie")
    pages = [[s.name for s in search.find(session, SiteFilter(q="recyclerie"), limit=1, offset=i).sites]
             for i in range(len(whole) + 1)]
    assert [p[0] for p in pages[:-1]] == whole and pages[-1] == []


def test_the_api_cursor_runs_through_the_groups_of_relevance(directory, service):
    from tests.helpers import make_client
    with make_client(service) as client:
        whole = [f["properties"]["nom"] for f in client.get("/api/sites", params={"q": "recyclerie"}).json()["features"]]
        names, url = [], "/api/sites?q=recyclerie&limit=1"
        while url:
            page = client.get(url).json()
            names += [f["properties"]["nom"] for f in page["features"]]
            url = page["next"]
    assert names == whole and len(whole) == 4


def test_stems_fold_plurals_endings_and_abbreviations():
    assert stem("velos") == stem("velo") == "velo"
    assert stem("reparation") == stem("reparer") == stem("reparateurs") == "repar"
    assert stem("materiaux") == "materiau"
    assert stem("st") == stem("saint") and stem("ste") == stem("sainte")
    assert stem("29200") == "29200"


@pytest.fixture(scope="module")
def crowded_db(test_databases, reference_db, tmp_path_factory) -> str:
    """Names holding a frequent word and filed together (« Ressourcerie … » under R), in several forms
    (« ressourceries », « Ressources »), some in Brest, some with another activity, one unpublished.
    Built once: each test reads a copy of it (``crowded``)."""
    def build(service):
        with service.session() as session:
            for i in range(24):
                add(service, session, f"Ressourcerie n° {i:02d}", *(BREST if i % 4 == 0 else RENNES),
                    activities=["velo"] if i % 3 == 0 else ["reemploi"])
            add(service, session, "Les ressourceries du Léon", *BREST, activities=["reemploi"])
            add(service, session, "Atelier des Ressources", activities=["velo"])
            sites.create(session, SiteData(name="Ressourcerie fermée", activities=["reemploi"], lon=RENNES[0],
                                           lat=RENNES[1]), service.locator, actor="test", status=SiteStatus.archived)
            add(service, session, "Zéro déchet", activities=["reemploi"], description="Une ressourcerie de quartier.")
            add(service, session, "Abri vélo", activities=["velo"])
            session.commit()
    return built_database(test_databases, reference_db, tmp_path_factory, "crowded", build)


@pytest.fixture
def crowded(copy_of, crowded_db):
    """A session on a copy of ``crowded_db``."""
    with copy_of(crowded_db).session() as session:
        yield session


def expected(session, q: str, f: SiteFilter) -> list[str]:
    """The relevance order written out: every site the search finds, by tier (every stem in the
    name; else in the name or activities; else elsewhere), then by sort key and id."""
    stems = search_index.query_stems(q)
    everything = search.find(session, replace(f, q=None), limit=1000).sites

    def tier(site) -> int | None:
        parts = [set(p.split()) for p in site.search_text.split(search_index.SEPARATOR)]
        for number, words in enumerate([parts[0], parts[0] | parts[1], parts[0] | parts[1] | parts[2]]):
            if all(any(w.startswith(s) for w in words) for s in stems):
                return number
        return None
    ranked = sorted((tier(s), s.sort_name, s.id, s.name) for s in everything if tier(s) is not None)
    return [name for *_, name in ranked]


# FEW_NAMES 0: the names are walked in name order, as a frequent word's; else these few are read at once.
@pytest.mark.parametrize("few", [search.FEW_NAMES, 0])
@pytest.mark.parametrize("walk", [search.WORD_WALK, 1])  # 1: the filters stop the walk, the rest is read otherwise
@pytest.mark.parametrize("q, filters", [
    ("ressourcerie", {}), ("ressourc", {}), ("ressourceries", {}), ("ressourcerie 1", {}),
    ("ressourcerie", {"activities": {"velo"}}), ("ressourcerie", {"bbox": (-4.6, 48.3, -4.4, 48.5)}),
    ("ressourcerie", {"commune": "29019"}), ("ressourcerie", {"departement": "29"}), ("xyzzy ressourcerie", {}),
])
def test_every_page_of_a_frequent_word_follows_the_relevance_order(crowded, monkeypatch, few, walk, q, filters):
    monkeypatch.setattr(search, "WORD_WALK", walk)
    monkeypatch.setattr(search, "FEW_NAMES", few)
    f = SiteFilter(q=q, **filters)
    whole = expected(crowded, q, f)
    assert [s.name for s in search.find(crowded, f, limit=100).sites] == whole
    for size in (1, 3, 7):
        pages = [[s.name for s in search.find(crowded, f, limit=size, offset=start).sites]
                 for start in range(0, len(whole) + size, size)]
        assert sum(pages, []) == whole, size
    by_cursor, cursor = [], None
    while True:
        page, cursor = paging.find(crowded, f, 4, cursor=cursor, columns=(Site.id, Site.sort_name, Site.name))
        by_cursor += [row.name for row in page.sites]
        if cursor is None:
            break
    assert by_cursor == whole


@pytest.mark.parametrize("few", [search.FEW_NAMES, 0])
@pytest.mark.parametrize("limit", [10, 26, 27, 100])
def test_a_frequent_word_is_counted_up_to_the_count_limit(crowded, monkeypatch, limit, few):
    """Beyond ``COUNT_LIMIT`` matches the total is a lower bound, whether the names alone exceed it
    (counted from the name words) or the other matches make it up."""
    monkeypatch.setattr(search, "COUNT_LIMIT", limit)
    monkeypatch.setattr(search, "FEW_NAMES", few)
    f = SiteFilter(q="ressourcerie")
    matches = len(expected(crowded, "ressourcerie", f))
    page = search.find(crowded, f, limit=1)
    assert (page.total, page.total_exact) == (min(matches, limit), matches <= limit)
