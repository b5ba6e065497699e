"""Reading sites: text search insensitive to accents, case and ligatures; territory and box filters."""
import pytest
from sqlmodel import select

from carto.directory import site_json, sites

from carto.query import paging, search
from carto.storage.db import session_scope
from carto.storage.models import Site, SiteStatus
from carto.query.search import SiteFilter
from tests.helpers import add, names


def test_text_search_ignores_accents_case_and_ligatures(service, session):
    add(service, session, "Réemploi de vélos")
    add(service, session, "L'Œuvre solidaire", activities=["reemploi"])
    add(service, session, "Garage", description="Réparation automobile à prix solidaire", activities=["garage-solidaire"])
    assert names(session, q="reemploi velo") == ["Réemploi de vélos"]
    assert names(session, q="OEUVRE") == ["L'Œuvre solidaire"]
    assert names(session, q="œuvre") == ["L'Œuvre solidaire"]
    assert names(session, q="reparation") == ["Garage"]
    assert names(session, q="rennes") == ["Garage", "L'Œuvre solidaire", "Réemploi de vélos"]


def test_text_search_treats_operators_as_plain_words(service, session):
    add(service, session, "Vélo OR rien")
    for q in ['"', "velo OR", "NEAR(", "*", "a AND -b", "'; DROP TABLE site; --"]:
        search.find(session, SiteFilter(q=q))  # never an FTS5 syntax error
    assert names(session, q="velo OR") == ["Vélo OR rien"]


def test_filters_by_territory_pole_activity_and_box(service, session):
    add(service, session, "A Rennes", activities=["velo"])
    add(service, session, "B Carhaix", lon=-3.5736, lat=48.2764, activities=["reemploi"])
    add(service, session, "C Pontivy", lon=-2.9633, lat=48.0681, activities=["reemploi", "textile"], siae=True)
    assert names(session, epci="243500139") == ["A Rennes"]
    assert names(session, pole="adesk") == ["B Carhaix"]
    assert names(session, departement="56") == ["C Pontivy"]
    assert names(session, activities={"reemploi"}) == ["B Carhaix", "C Pontivy"]
    assert names(session, siae=True) == ["C Pontivy"]
    assert names(session, bbox=(-4.0, 48.0, -2.5, 48.5)) == ["B Carhaix", "C Pontivy"]


def test_near_sorts_by_distance_and_cuts_at_the_radius(service, session):
    add(service, session, "Loin", lon=-3.5736, lat=48.2764)
    add(service, session, "Près", lon=-1.70, lat=48.11)
    page = search.find(session, SiteFilter(near=(-1.6778, 48.1173)))
    assert [s.name for s in page.sites] == ["Près", "Loin"]
    assert page.distances[page.sites[0].id] < 2
    assert names(session, near=(-1.6778, 48.1173), radius_km=20) == ["Près"]


def test_only_published_sites_are_found_by_default(service, session):
    add(service, session, "Publié")
    hidden = add(service, session, "En attente")
    sites.set_status(session, hidden, SiteStatus.pending, actor="test")
    assert names(session) == ["Publié"]
    assert names(session, statuses=(SiteStatus.pending,)) == ["En attente"]


def test_activity_counts_ignore_the_activity_filter_itself(service, session):
    add(service, session, "Site A", activities=["velo"])
    add(service, session, "Site B", activities=["velo", "garage-solidaire"])
    add(service, session, "Site C", lon=-3.5736, lat=48.2764, activities=["reemploi"])
    counts = search.activity_counts(session, SiteFilter(activities={"velo"}, departement="35"))
    assert counts == {"velo": 2, "garage-solidaire": 1}


def test_activity_counts_of_a_word_matching_more_sites_than_counted_are_not_given(service, session, monkeypatch):
    """A frequent word's counts per activity would read every match: past the count's limit, the
    search says « plus de … » and its counts per activity are not given (None, « null » in the API)."""
    monkeypatch.setattr(search, "COUNT_LIMIT", 2)
    for name in ("Atelier vélo A", "Atelier vélo B", "Atelier vélo C"):
        add(service, session, name, activities=["velo"])
    add(service, session, "Garage solidaire", activities=["garage-solidaire"])
    assert search.activity_counts(session, SiteFilter(q="atelier")) is None
    assert search.activity_counts(session, SiteFilter(q="garage")) == {"garage-solidaire": 1}
    assert search.activity_counts(session, SiteFilter(q="atelier", activities={"garage-solidaire"})) is None


def test_a_box_holding_every_site_finds_them_all_and_a_smaller_one_does_not(service, session):
    add(service, session, "A Rennes")
    add(service, session, "B Carhaix", lon=-3.5736, lat=48.2764)
    box = (-4.0, 48.0, -1.0, 48.5)
    assert names(session, bbox=box) == ["A Rennes", "B Carhaix"]
    add(service, session, "C Saint-Malo", lon=-2.0065, lat=48.6493)  # north of the box
    assert names(session, bbox=box) == ["A Rennes", "B Carhaix"]
    assert search.extent(session) == (-3.5736, 48.1173, -1.6778, 48.6493)


@pytest.mark.parametrize("walk_names", [True, False], ids=["name index walked", "matches sorted"])
def test_a_page_in_name_order_is_the_same_however_the_box_is_read(demo_service, monkeypatch, walk_names):
    monkeypatch.setattr(search, "NAME_WALK_ADVANTAGE", 10**9 if walk_names else 0)
    with demo_service.session() as session:
        every = session.exec(select(Site.id, Site.name, Site.sort_name, Site.lon, Site.lat)
                             .where(Site.status == SiteStatus.published)).all()
        for box in [(-5.2, 47.2, -1.0, 48.9), (-1.75, 48.07, -1.60, 48.15), (-3.0, 47.5, -2.5, 48.0)]:
            west, south, east, north = box
            # In French name order: by the stored sort key, then the id.
            inside = [(s.name, s.id) for s in sorted(every, key=lambda s: (s.sort_name, s.id))
                      if west <= s.lon <= east and south <= s.lat <= north]
            assert inside
            for limit, offset in [(10, 0), (100, 0), (25, 20)]:
                page = search.find(session, SiteFilter(bbox=box), limit=limit, offset=offset)
                assert page.total == len(inside)
                assert [(s.name, s.id) for s in page.sites] == inside[offset:offset + limit]


def test_views_read_in_turn_each_get_their_own_sites_and_next_pages(demo_service):
    # A view's page statement is built once per shape and run with each view's values
    # (search._in_name_order): views of the same shape, read in turn, never get another's sites.
    with demo_service.session() as session:
        every = session.exec(select(Site.id, Site.sort_name, Site.lon, Site.lat)
                             .where(Site.status == SiteStatus.published)).all()
        boxes = [(-1.75, 48.07, -1.60, 48.15), (-3.0, 47.5, -2.5, 48.0), (-5.2, 47.2, -1.0, 48.9)]
        for west, south, east, north in boxes * 2:
            inside = [s.id for s in sorted(every, key=lambda s: (s.sort_name, s.id))
                      if west <= s.lon <= east and south <= s.lat <= north]
            f = SiteFilter(bbox=(west, south, east, north))
            first, cursor = paging.find(session, f, 10, columns=site_json.FEATURE_COLUMNS)
            assert cursor is not None and len(inside) > 10
            rest, _ = paging.find(session, f, 1000, cursor=cursor)
            assert [row.id for row in first.sites + rest.sites] == inside
            assert [row.id for row in paging.find(session, f, 5, offset=7)[0].sites] == inside[7:12]


def test_the_number_of_all_sites_follows_every_write(service, session):
    add(service, session, "A Rennes")
    b = add(service, session, "B Carhaix", lon=-3.5736, lat=48.2764)
    everything = (-6.0, 47.0, 0.0, 49.0)
    assert [search.find(session, SiteFilter(bbox=box)).total for box in (None, everything)] == [2, 2]
    sites.set_status(session, b, SiteStatus.pending, actor="test")
    assert [search.find(session, SiteFilter(bbox=box)).total for box in (None, everything)] == [1, 1]
    sites.set_status(session, b, SiteStatus.published, actor="test")
    add(service, session, "C Pontivy", lon=-2.9633, lat=48.0681)
    assert [search.find(session, SiteFilter(bbox=box)).total for box in (None, everything)] == [3, 3]
    assert search.find(session, SiteFilter(statuses=(SiteStatus.published, SiteStatus.pending))).total == 3


def test_a_page_always_tells_the_number_of_all_matches(service, session):
    from carto.query import paging
    for i in range(5):
        add(service, session, f"Site {i}", lon=-1.6778 + i / 1000)
    box = SiteFilter(bbox=(-1.7, 48.0, -1.6, 48.2))
    named = (Site.id, Site.sort_name, Site.name)
    first, cursor = paging.find(session, box, limit=10)
    assert (first.total, len(first.sites), cursor) == (5, 5, None)
    page, cursor = paging.find(session, box, limit=2, columns=named)
    assert (page.total, [s.name for s in page.sites]) == (5, ["Site 0", "Site 1"])
    page, _ = paging.find(session, box, limit=2, cursor=cursor, columns=named)
    assert (page.total, [s.name for s in page.sites]) == (5, ["Site 2", "Site 3"])
    assert [paging.find(session, box, limit=2, offset=offset)[0].total for offset in (4, 5, 50)] == [5, 5, 5]
    assert paging.find(session, SiteFilter(bbox=(0.0, 40.0, 1.0, 41.0)), limit=10)[0].total == 0


def expected_in_box(session, box, activities: set[str]) -> set[int]:
    """The sites of a box with one of the activities, found without the activity filter."""
    return {s.id for s in search.find(session, SiteFilter(bbox=box), limit=1000).sites
            if activities & set(search.activities_by_site(session, [s.id])[s.id])}


def test_an_activity_filter_in_a_box_follows_every_write_of_its_sites(demo_service):
    rennes, wanted = (-1.75, 48.07, -1.60, 48.15), {"velo", "reemploi"}
    with session_scope(demo_service.engine) as session:
        found = search.find(session, SiteFilter(bbox=rennes, activities=wanted), limit=1000)
        assert {s.id for s in found.sites} == expected_in_box(session, rennes, wanted) and found.total > 2
        moved, archived, changed = found.sites[:3]
        gone = {moved.id, archived.id, changed.id}
        sites.update(session, moved, {"lon": -1.68, "lat": 48.20}, demo_service.locator, actor="test")
        sites.set_status(session, archived, SiteStatus.archived, actor="test")
        sites.update(session, changed, {"activities": ["textile"]}, demo_service.locator, actor="test")
        archived_id = archived.id
    with demo_service.session() as session:
        page = search.find(session, SiteFilter(bbox=rennes, activities=wanted), limit=1000)
        assert {s.id for s in page.sites} == expected_in_box(session, rennes, wanted)
        assert page.total == found.total - 3 and not gone & {s.id for s in page.sites}
        back = SiteFilter(bbox=rennes, activities=wanted, statuses=(SiteStatus.archived,))
        assert [s.id for s in search.find(session, back).sites] == [archived_id]


def test_a_page_counts_up_to_the_limit_then_says_more(service, session, monkeypatch):
    """Counting a million matches to print « 1 000 000 » costs a second: past ``COUNT_LIMIT`` the
    total is a lower bound, flagged; the pages themselves still run to the end."""
    for i in range(5):
        add(service, session, f"Atelier {i}")
    add(service, session, "Autre", activities=["reemploi"], lon=-3.5736, lat=48.2764)
    session.commit()
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    page = search.find(session, SiteFilter(q="atelier"), limit=2)
    assert (page.total, page.total_exact, len(page.sites)) == (3, False, 2)
    assert search.find(session, SiteFilter(q="atelier"), limit=10, offset=4).sites[0].name == "Atelier 4"
    everything = search.find(session, SiteFilter(), limit=1)  # the count of all sites stays exact
    assert (everything.total, everything.total_exact) == (6, True)
    from tests.helpers import make_client
    with make_client(service) as client:
        body = client.get("/api/sites", params={"q": "atelier", "limit": 2}).json()
        assert body["total"] == 3 and body["total_exact"] is False and "numberMatched" not in body
        assert body["next_cursor"]
        ogc = client.get("/ogc/collections/sites/items", params={"q": "atelier", "limit": 2}).json()
        assert "numberMatched" not in ogc and any(link["rel"] == "next" for link in ogc["links"])
        assert "plus de 3 sites" in client.get("/liste", params={"q": "atelier"}).text
