"""Batches of new sites written one after the other, each in one transaction: on PostgreSQL the
server stores a batch while this process prepares the next one.

A batch's write on PostgreSQL is two halves of about the same cost: Python deriving its rows
(search text, stored JSON, name words, history snapshots, grid cells) and the server storing them
(the site row's indexes, the words, the cells). Written in turn, each waits for the other; here
the caller's thread prepares batch N+1 (``bulk.prepare_inserts``) while a writer thread, on a
connection of its own, sends batch N (``bulk.write_prepared``) and waits for the server, which
releases the interpreter's lock. What is written stays what ``bulk.insert_sites`` writes.

One batch at most waits while one is written, so memory holds three batches at most. An error of
the writer (a batch refused by the database) is raised in the caller's thread at its next call, or
when the block ends; the batches after it are not written. An interruption of the caller (an error,
Ctrl-C) lets the batch being written commit or roll back whole, drops those waiting, and is raised
as it came. SQLite has one writer and Python does its work in this process anyway: batches are
written in turn, on one connection with ``bulk_connection``'s settings.
"""
import gc
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from carto.directory import bulk
from carto.storage.db import bulk_connection, is_sqlite, session_scope

Write = Callable[[list[dict], list[list[str]]], list[int]]  # placed rows and their activities → new ids


@contextmanager
def new_site_batches(engine: Engine, *, actor: str, action: str = "create") -> Iterator[Write]:
    """A function writing a batch of placed new rows (``bulk.new_row``, ``bulk.place``) and their
    activities, one transaction per batch; it returns the sites' ids. On PostgreSQL the batch is
    committed later, at the latest when the block ends."""
    with fewer_collections():
        yield from _batches(engine, actor, action)


def _batches(engine: Engine, actor: str, action: str) -> Iterator[Write]:
    if is_sqlite(engine):
        with bulk_connection(engine) as bind:
            def write_now(rows: list[dict], activities: list[list[str]]) -> list[int]:
                with session_scope(bind) as session:
                    return bulk.insert_sites(session, rows, activities, actor=actor, action=action)
            yield write_now
        return
    writer = _Writer(engine)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # the sequence's ids
            def write_later(rows: list[dict], activities: list[list[str]]) -> list[int]:
                if not rows:
                    return []
                batch = bulk.prepare_inserts(conn, rows, activities, actor=actor, action=action)
                writer.put(batch)
                return batch.ids
            yield write_later
    except BaseException as e:
        writer.close(abandon=True, raising=e)
        raise
    writer.close()


@contextmanager
def fewer_collections():
    """Batches allocate millions of short-lived, acyclic objects: the cyclic garbage collector
    need not scan the growing heap every few hundred allocations (a fifth of the time preparing
    a batch, with three of them held)."""
    threshold = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*threshold)


class _Writer:
    """A thread writing prepared batches in the order given, each in a transaction of its own."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.batches: queue.Queue[bulk.Prepared | None] = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.abandoned = False
        self.thread = threading.Thread(target=self._run, name="carto-batch-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is not None or self.abandoned:
                continue  # taken off the queue all the same, so that the caller never waits on a full one
            try:
                with session_scope(self.engine) as session:
                    bulk.write_prepared(session, batch)
            except BaseException as e:  # raised in the caller's thread
                self.error = e

    def put(self, batch: bulk.Prepared) -> None:
        self._raise()
        self.batches.put(batch)

    def close(self, *, abandon: bool = False, raising: BaseException | None = None) -> None:
        """Wait until every batch given is written (``abandon``: only the one being written), then
        raise the writer's error; ``raising``: the caller's own error, which is raised instead and
        names the writer's."""
        self.abandoned = abandon
        self.batches.put(None)
        self.thread.join()
        if raising is None:
            self._raise()
        elif self.error is not None and self.error is not raising:
            raising.add_note(f"l'écriture d'un lot précédent a échoué aussi : {self.error!r}")

    def _raise(self) -> None:
        if self.error is not None:
            raise self.error
