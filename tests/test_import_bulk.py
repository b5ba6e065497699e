"""carto.directory.bulk writes many sites at once by the same rules as carto.directory.sites, one at a time."""
import pytest

from carto.directory import bulk, sites

from carto.query import search
from carto.storage.db import session_scope
from carto.storage.models import Site
from carto.query.search import SiteFilter
from carto.directory.site_schema import SiteData

SITES = [
    SiteData(name="Ressourcerie de Rennes", activities=["reemploi", "textile"], lon=-1.6778, lat=48.1173,
             siret="83284597800028", labels=["ESS"], description="Œuvre pour le réemploi"),
    SiteData(name="Atelier vélo du Poher", activities=["velo"], commune_code="29024"),  # no point: the centre
]


def bulk_insert(session, data: list[SiteData], locator, source="bulk") -> list[int]:
    rows, acts = [], []
    for i, item in enumerate(data):
        fields = item.model_dump()
        acts.append(fields.pop("activities"))
        rows.append(bulk.new_row(fields, source=source, source_key=str(i)))
    assert bulk.place(rows, locator) == [None] * len(rows)
    return bulk.insert_sites(session, rows, acts, actor="test")


def test_bulk_inserts_store_what_the_single_write_path_stores(service):
    with session_scope(service.engine) as session:
        one_by_one = [sites.create(session, d, service.locator, actor="test", source="orm", source_key=str(i))
                      for i, d in enumerate(SITES)]
        expected = [sites.snapshot(session, s) for s in one_by_one]
        expected_text = one_by_one[0].search_text
        ids = bulk_insert(session, SITES, service.locator)
    with service.session() as session:
        for site_id, reference in zip(ids, expected):
            stored = sites.snapshot(session, session.get(Site, site_id))
            different = {k for k in reference if stored[k] != reference[k]}
            assert different == {"id", "source"}
            [version] = sites.history(session, site_id)
            assert (version.action, version.actor, version.snapshot) == ("create", "test", stored)
        assert session.get(Site, ids[0]).search_text == expected_text


def test_bulk_placement_refuses_what_the_single_write_path_refuses(service):
    rows = [bulk.new_row({"name": "Paris", "lon": 2.35, "lat": 48.85}),
            bulk.new_row({"name": "Nulle part", "commune_code": "99999"})]
    errors = bulk.place(rows, service.locator)
    assert [(e.field, str(e)) for e in errors] == [("lon", sites.OUTSIDE_MESSAGE),
                                                   ("commune_code", "commune inconnue : « 99999 »")]


def test_a_rewrite_of_a_site_saved_meanwhile_is_refused(service):
    with session_scope(service.engine) as session:
        [site_id, _] = bulk_insert(session, SITES, service.locator)
    with session_scope(service.engine) as session:
        site = session.get(Site, site_id)
        before = sites.snapshot(session, site)
        row = site.model_dump() | {"name": "Nouveau nom"}
        sites.update(session, site, {"website": "https://exemple.org"}, service.locator, actor="user:1")
        with pytest.raises(bulk.StaleSite):
            bulk.rewrite_sites(session, [row], [before["activities"]], [before], actor="test")


def test_a_batch_takes_the_ids_that_follow_every_site_written_before_it(service):
    """Ids are taken before the rows are written (a sequence, or the next ones after the largest
    under SQLite's write lock): a batch written after one-site writes and another batch gets new
    ids, each row its own, whatever its source key."""
    with session_scope(service.engine) as session:
        single = sites.create(session, SITES[0], service.locator, actor="test").id
        first = bulk_insert(session, SITES, service.locator, source="a")
    with session_scope(service.engine) as session:
        second = bulk_insert(session, SITES, service.locator, source="b")
    with service.session() as session:
        stored = {s.id: (s.source, s.source_key, s.name) for s in session.query(Site)}
    assert len({single, *first, *second}) == 5 and min(first + second) > single
    assert [stored[i] for i in first + second] == [(source, str(i), s.name) for source in "ab" for i, s in enumerate(SITES)]


def test_bulk_written_sites_are_found_by_an_activity_filter_in_their_box(service):
    rennes, poher = (-1.75, 48.07, -1.60, 48.15), (-3.6, 48.2, -3.5, 48.3)

    def found(box) -> list[int]:
        with service.session() as session:
            return [s.id for s in search.find(session, SiteFilter(bbox=box, activities={"reemploi"})).sites]

    with session_scope(service.engine) as session:
        [site_id, _] = bulk_insert(session, SITES, service.locator)
    assert found(rennes) == [site_id] and found(poher) == []
    with session_scope(service.engine) as session:
        site = session.get(Site, site_id)
        before = sites.snapshot(session, site)
        moved = site.model_dump() | {"lon": -3.57, "lat": 48.27}
        assert bulk.place([moved], service.locator) == [None]
        bulk.rewrite_sites(session, [moved], [before["activities"]], [before], actor="test")
    assert found(rennes) == [] and found(poher) == [site_id]
