"""carto.directory.batch_writer: batches of new sites written one transaction each, on PostgreSQL by a
thread of their own while the next batch is prepared, storing what ``bulk.insert_sites`` stores."""
import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from carto.directory import batch_writer, bulk, sites
from carto.storage import search_index
from carto.storage.db import session_scope
from carto.storage.models import Site, SiteVersion, SiteWord
from carto.directory.site_schema import SiteData

POINTS = [(-1.6778, 48.1173), (-3.5713, 48.2766), (-4.4861, 48.3904), (-2.7603, 47.6582), (-1.2, 48.12)]


def placed_batch(locator, source: str, first: int, n: int) -> tuple[list[dict], list[list[str]]]:
    """``n`` placed new rows of ``source`` (keys from ``first``), of various activities and places."""
    rows, activities = [], []
    for i in range(first, first + n):
        lon, lat = POINTS[i % len(POINTS)]
        data = SiteData(name=f"Atelier n° {i} de l'Œuvre", activities=[["velo"], ["reemploi", "textile"]][i % 2],
                        lon=lon + i * 1e-4, lat=lat, description="Réparation et réemploi", siae=i % 3 == 0)
        fields = data.model_dump()
        activities.append(fields.pop("activities"))
        rows.append(bulk.new_row(fields, source=source, source_key=str(i)))
    assert bulk.place(rows, locator) == [None] * n
    return rows, activities


def stored(session, ids: list[int]) -> list[tuple[dict, list, list]]:
    """Each site's snapshot without its id and source, its name words, its history (action, actor, snapshot)."""
    words = search_index.indexed_words(session, ids)
    found = []
    for site_id in ids:
        snapshot = sites.snapshot(session, session.get(Site, site_id))
        history = [(v.action, v.actor, v.snapshot == snapshot) for v in sites.history(session, site_id)]
        found.append(({k: v for k, v in snapshot.items() if k not in ("id", "source")},
                      sorted(word for word, _ in words.get(site_id, [])), history))
    return found


def count(service, model, source: str | None = None) -> int:
    with service.session() as session:
        query = select(func.count()).select_from(model)
        return session.execute(query if source is None else query.where(Site.source == source)).scalar()


def test_batches_written_ahead_store_what_one_batch_at_a_time_stores(service):
    with batch_writer.new_site_batches(service.engine, actor="test") as write:
        ahead = write(*placed_batch(service.locator, "ahead", 0, 7)) + write(*placed_batch(service.locator, "ahead", 7, 5))
    with session_scope(service.engine) as session:
        one_at_a_time = bulk.insert_sites(session, *placed_batch(service.locator, "direct", 0, 12), actor="test")
    with service.session() as session:
        assert [s.source_key for s in map(session.get, [Site] * 12, ahead)] == [str(i) for i in range(12)]
        written, expected = stored(session, ahead), stored(session, one_at_a_time)
    assert len(written) == 12 and written[0][1] and written[0][2] == [("create", "test", True)]
    assert written == expected
    # The grid cells and every other derived copy: checked by the fixture (``carto db check``).


def test_a_batch_the_database_refuses_is_raised_in_the_caller_and_nothing_of_it_is_written(service):
    first = placed_batch(service.locator, "import", 0, 4)
    again = placed_batch(service.locator, "import", 3, 4)  # key « 3 » is the first batch's: refused
    after = placed_batch(service.locator, "import", 10, 4)
    with pytest.raises(IntegrityError, match=r"uq_site_source_key|UNIQUE constraint failed: site.source, site.source_key"):
        with batch_writer.new_site_batches(service.engine, actor="test") as write:
            kept = write(*first)
            write(*again)
            write(*after)  # raises the refusal if the writer met it already; not written either way
    with service.session() as session:
        assert sorted(session.execute(select(Site.id)).scalars()) == sorted(kept)
        assert sorted(session.execute(select(SiteVersion.site_id)).scalars()) == sorted(kept)
        assert set(session.execute(select(SiteWord.site_id)).scalars()) == set(kept)


def test_an_interrupted_run_leaves_whole_batches_and_raises_its_own_error(service):
    batches = [placed_batch(service.locator, "run", start, 6) for start in (0, 6, 12)]
    with pytest.raises(KeyboardInterrupt):
        with batch_writer.new_site_batches(service.engine, actor="test") as write:
            given = [write(*batch) for batch in batches]
            raise KeyboardInterrupt
    with service.session() as session:
        written = sorted(session.execute(select(Site.id)).scalars())
    assert written in ([], sorted(given[0]), sorted(given[0] + given[1]), sorted(sum(given, [])))
    assert count(service, SiteVersion) == len(written)


def test_on_postgresql_the_next_batch_is_prepared_while_one_is_written(service, monkeypatch):
    if service.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes its batches in turn, in this process")
    second_prepared, prepare, write_prepared = threading.Event(), bulk.prepare_inserts, bulk.write_prepared
    prepared = []

    def preparing(*args, **kwargs):
        prepared.append(prepare(*args, **kwargs))
        if len(prepared) == 2:
            second_prepared.set()
        return prepared[-1]

    def writing(session, batch):
        if batch is prepared[0]:  # the first batch's write waits until the second one is prepared
            assert second_prepared.wait(timeout=30), "the second batch was not prepared during the first one's write"
        write_prepared(session, batch)

    monkeypatch.setattr(bulk, "prepare_inserts", preparing)
    monkeypatch.setattr(bulk, "write_prepared", writing)
    with batch_writer.new_site_batches(service.engine, actor="test") as write:
        ids = [write(*placed_batch(service.locator, "run", start, 3)) for start in (0, 3)]
    assert count(service, Site) == 6 and len(set(sum(ids, []))) == 6
