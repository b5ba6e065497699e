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


def on_postgresql(service) -> None:
    if service.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writes its batches in turn, in this process")


def prepared_batches(monkeypatch) -> list[bulk.Prepared]:
    """The batches prepared from now on, in the order given."""
    prepared, prepare = [], bulk.prepare_inserts

    def preparing(*args, **kwargs):
        prepared.append(prepare(*args, **kwargs))
        return prepared[-1]
    monkeypatch.setattr(bulk, "prepare_inserts", preparing)
    return prepared


def written_ids(service) -> list[int]:
    with service.session() as session:
        return sorted(session.execute(select(Site.id)).scalars())


def test_on_postgresql_the_next_batch_is_prepared_while_one_is_written(service, monkeypatch):
    on_postgresql(service)
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


def test_on_postgresql_two_batches_are_stored_at_once_and_commit_in_the_order_given(service, monkeypatch):
    on_postgresql(service)
    prepared, write_prepared, publish_prepared = prepared_batches(monkeypatch), bulk.write_prepared, bulk.publish_prepared
    stored_rows, published = threading.Event(), []

    def writing(session, batch):
        if batch is prepared[0]:  # the first batch's rows are stored once the second one's are
            assert stored_rows.wait(timeout=30), "the second batch was not stored during the first one's write"
        write_prepared(session, batch)
        if batch is prepared[1]:
            stored_rows.set()

    def publishing(session, batch):
        published.append(prepared.index(batch))
        publish_prepared(session, batch)

    monkeypatch.setattr(bulk, "write_prepared", writing)
    monkeypatch.setattr(bulk, "publish_prepared", publishing)
    with batch_writer.new_site_batches(service.engine, actor="test") as write:
        ids = [write(*placed_batch(service.locator, "run", start, 3)) for start in (0, 3, 6)]
    assert published == [0, 1, 2]  # each batch takes the shared rows once the one before has committed
    assert written_ids(service) == sorted(sum(ids, []))


def test_on_postgresql_a_key_the_next_batch_stored_first_is_refused_to_the_next_batch(service, monkeypatch):
    """The later batch holds the key the earlier one waits for in the server, while it waits for the
    earlier one's commit: it steps aside, and the server refuses it as it would have in turn."""
    on_postgresql(service)
    prepared, write_prepared = prepared_batches(monkeypatch), bulk.write_prepared
    stored_rows = threading.Event()

    def writing(session, batch):
        if batch is prepared[0]:
            assert stored_rows.wait(timeout=30)
        write_prepared(session, batch)
        if batch is prepared[1]:
            stored_rows.set()

    monkeypatch.setattr(bulk, "write_prepared", writing)
    with pytest.raises(IntegrityError, match="uq_site_source_key"):
        with batch_writer.new_site_batches(service.engine, actor="test") as write:
            kept = write(*placed_batch(service.locator, "import", 0, 4))
            write(*placed_batch(service.locator, "import", 3, 4))  # key « 3 » is the first batch's
    assert written_ids(service) == sorted(kept)
    assert count(service, SiteVersion) == 4


def test_on_postgresql_a_batch_refused_when_it_publishes_drops_the_one_stored_alongside(service, monkeypatch):
    on_postgresql(service)
    prepared, write_prepared, publish_prepared = prepared_batches(monkeypatch), bulk.write_prepared, bulk.publish_prepared
    third_stored = threading.Event()

    def writing(session, batch):
        write_prepared(session, batch)
        if batch is prepared[2]:
            third_stored.set()

    def publishing(session, batch):
        if batch is prepared[1]:  # refused once the third batch's own rows are stored
            assert third_stored.wait(timeout=30)
            raise IntegrityError("UPDATE sitecell", None, RuntimeError("refused"))
        publish_prepared(session, batch)

    monkeypatch.setattr(bulk, "write_prepared", writing)
    monkeypatch.setattr(bulk, "publish_prepared", publishing)
    with pytest.raises(IntegrityError, match="refused"):
        with batch_writer.new_site_batches(service.engine, actor="test") as write:
            kept = write(*placed_batch(service.locator, "run", 0, 3))
            for start in (3, 6, 9):
                write(*placed_batch(service.locator, "run", start, 3))  # raises once the refusal is known
    assert written_ids(service) == sorted(kept)
    assert count(service, SiteVersion) == 3
