"""An import is all or nothing per batch: a crash half-way leaves no half-written site."""
import pytest

from carto.directory import bulk

from carto.storage import search_index
from carto.importers import interrupted
from carto.importers.pipeline import Pipeline
from carto.storage.db import BULK_CACHE_KB, READ_MAP_BYTES, is_sqlite
from carto.storage.models import ImportRun, ImportRunStatus, utcnow
from tests.helpers import assert_every_site_is_whole, count, import_lvao, index_tables


class Crash(RuntimeError):
    pass


def crash_on_call(monkeypatch, module, name: str, call: int) -> None:
    """Make ``module.name`` raise on its ``call``-th call (1-based)."""
    original, calls = getattr(module, name), []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise Crash("panne simulée")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


def test_a_crash_in_the_second_batch_keeps_the_first_whole_and_nothing_of_the_second(service, monkeypatch):
    crash_on_call(monkeypatch, search_index, "index_entries", call=2)  # midway through batch 2's writes
    with pytest.raises(Crash):
        import_lvao(service, batch_size=3)
    with service.session() as session:
        assert count(session, "site") == 3
        assert count(session, "siteactivity") > 3
        assert_every_site_is_whole(session)
        run = session.get(ImportRun, 1)
        assert (run.status, run.error, run.created) == (ImportRunStatus.failed, "panne simulée", 3)
    monkeypatch.undo()
    report = import_lvao(service, batch_size=3)  # run again: picks up where it stopped
    assert (report.created, report.unchanged) == (4, 3)


def test_a_crash_after_the_site_rows_of_a_batch_leaves_none_of_them(service, monkeypatch):
    crash_on_call(monkeypatch, bulk, "_write_dependents", call=1)
    with pytest.raises(Crash):
        import_lvao(service)
    with service.session() as session:
        for table in ("site", "siteactivity", "siteversion", *index_tables(session), "importstate"):
            assert count(session, table) == 0, table


def test_a_killed_import_shows_as_interrupted_and_the_next_one_closes_it(service):
    with service.session() as session:
        silent = ImportRun(source="lvao", format="lvao", actor="cli", started_at=utcnow() - 2 * interrupted.SILENT_FOR,
                           heartbeat_at=utcnow() - 2 * interrupted.SILENT_FOR)
        other_source = ImportRun(source="autre", format="csv", actor="cli", heartbeat_at=utcnow() - 2 * interrupted.SILENT_FOR)
        alive = ImportRun(source="lvao", format="lvao", actor="cli", heartbeat_at=utcnow())
        session.add_all([silent, other_source, alive])
        session.commit()
        assert [interrupted.is_interrupted(run) for run in (silent, other_source, alive)] == [True, True, False]
        ids = silent.id, other_source.id, alive.id

    report = import_lvao(service, batch_size=3)
    with service.session() as session:
        silent, other_source, alive = (session.get(ImportRun, i) for i in ids)
        assert (silent.status, silent.error) == (ImportRunStatus.failed, interrupted.MESSAGE)
        assert other_source.status == alive.status == ImportRunStatus.running  # not this source / still alive
        new = session.get(ImportRun, report.run_id)
        assert new.status == ImportRunStatus.finished and new.heartbeat_at >= new.started_at


def test_on_sqlite_the_batches_write_with_a_page_cache_for_them_given_back_when_the_import_ends(service, monkeypatch):
    """The import's batches share one connection whose cache holds the pages a batch modifies, and
    that reads no page mapped (they would count in the import's memory); the connection returns to
    the pool as it was, for the requests that use it next: a bare cache, reads mapped."""
    if not is_sqlite(service.engine):
        pytest.skip("SQLite's page cache of a connection")
    seen, write_batch = [], Pipeline._write_batch
    settings = ("cache_size", "mmap_size")

    def pragmas(conn) -> tuple:
        return tuple(conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in settings)

    def watched(self, session, batch, outcome):
        seen.append(pragmas(session.connection()))
        return write_batch(self, session, batch, outcome)

    monkeypatch.setattr(Pipeline, "_write_batch", watched)
    with service.engine.connect() as conn:
        default = pragmas(conn)
    report = import_lvao(service, batch_size=3)
    assert report.created > 3 and len(seen) > 1 and set(seen) == {(-BULK_CACHE_KB, 0)}
    assert service.engine.pool.checkedin() == 1  # the import's connection, and no other
    with service.engine.connect() as conn:
        assert pragmas(conn) == default and default[0] != -BULK_CACHE_KB and 0 < default[1] <= READ_MAP_BYTES
