"""Batches of new sites written in the order given, each in one transaction: on PostgreSQL the
server stores two batches at once while this process prepares the next one.

A batch's write on PostgreSQL is Python deriving its rows (search text, stored JSON, name words,
history snapshots, grid cells: ``bulk.prepare_inserts``) and the server storing them, which costs
more and took one core of the server's. Here the caller's thread prepares batch N+2 while two
writer threads, each on a connection of its own, store batches N and N+1 and wait for the server,
which releases the interpreter's lock. A batch's own rows (its sites, their links, words and
versions: ``bulk.write_prepared``) need no turn: no other writer sees or locks them before they are
committed. The rows every batch shares (the data version, the grid cells, the tallies: ``bulk.publish_prepared``,
the one step applying every shared delta) are taken once the previous batch has committed, and
committed with the batch's own: batches commit in the order given, readers never see batch N+1
without N, and the shared rows' locks are held for a moment. What is written stays what
``bulk.insert_sites`` writes.

Taking turns excludes every wait between the writers on shared rows, but not on a unique key two
batches hold (a site's source and key): if N+1 writes it first, N waits for N+1 in the server while
N+1 waits for N's commit here, out of the server's sight. So a writer waiting for its turn asks
every ``_POLL_S`` whether the previous batch waits for it (``pg_blocking_pids``, followed through
any transaction in between); if it does, it rolls back, lets the previous one commit, and writes
its batch again, which the server then refuses as it would have in turn. (Two batches holding
several keys in common may also wait for each other in the server: it sees that deadlock and
refuses one of them.)

Two batches are written while the caller prepares a third: memory holds three batches at most, as
with one writer and one batch waiting. An error of a batch (refused by the database) is raised in
the caller's thread at its next call, or when the block ends; no batch after it commits (the one
written alongside rolls back), and none is given to the writers after it is raised. An interruption
of the caller (an error, Ctrl-C) lets the batches being written commit or roll back whole, in order,
and is raised as it came. SQLite has one writer and Python does its work in this process anyway:
batches are written in turn, on one connection with ``bulk_connection``'s settings.
"""
import gc
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlmodel import Session

from carto.directory import bulk
from carto.storage.db import bulk_connection, is_sqlite, session_scope

Write = Callable[[list[dict], list[list[str]]], list[int]]  # placed rows and their activities → new ids

WRITERS = 2  # batches stored at once: the server's cores this machine has (see bench/README.md)
_POLL_S = 0.05  # a wait for the previous batch that long is rare: each batch stores ~5,000 sites


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
    writers = _Writers(engine)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # the sequence's ids
            def write_later(rows: list[dict], activities: list[list[str]]) -> list[int]:
                if not rows:
                    return []
                batch = bulk.prepare_inserts(conn, rows, activities, actor=actor, action=action)
                writers.put(batch)
                return batch.ids
            yield write_later
    except BaseException as e:
        writers.close(raising=e)
        raise
    writers.close()


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


class _Turn:
    """A batch's place in line and, once ``done``, its outcome: ``error`` is its own or the first
    of a batch before it (it did not commit), None when it committed."""

    def __init__(self, previous: "_Turn | None"):
        self.previous = previous
        self.pid: int | None = None  # the server process of its writer's connection
        self.error: BaseException | None = None
        self.done = threading.Event()


class _InTheWay(Exception):
    """The batch holds a row the previous batch waits for: rolled back, written again after it."""


class _Dropped(Exception):
    """The previous batch did not commit: neither does this one (its error is the previous one's)."""


class _Writers:
    """Threads writing prepared batches, each in a transaction of its own, committed in the order given."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.pool = ThreadPoolExecutor(WRITERS, thread_name_prefix="carto-batch-writer")
        self.free = threading.Semaphore(WRITERS)
        self.turns: deque[_Turn] = deque()  # given, outcome not yet looked at by the caller

    def put(self, batch: bulk.Prepared) -> None:
        self._raise()
        self.free.acquire()
        turn = _Turn(self.turns[-1] if self.turns else None)
        self.turns.append(turn)
        self.pool.submit(self._write, batch, turn)

    def close(self, *, raising: BaseException | None = None) -> None:
        """Wait until every batch given is committed or rolled back, then raise the first error;
        ``raising``: the caller's own error, which is raised instead and names the writers'."""
        self.pool.shutdown()
        if raising is None:
            self._raise()
            return
        error = next((turn.error for turn in self.turns if turn.error is not None), None)
        if error is not None and error is not raising:
            raising.add_note(f"l'écriture d'un lot précédent a échoué aussi : {error!r}")

    def _raise(self) -> None:
        while self.turns and self.turns[0].done.is_set():
            if (error := self.turns[0].error) is not None:
                raise error
            self.turns.popleft()

    def _write(self, batch: bulk.Prepared, turn: _Turn) -> None:
        try:
            try:
                self._write_in_turn(batch, turn)
            except _InTheWay:
                turn.previous.done.wait()
                self._write_in_turn(batch, turn)
        except BaseException as e:  # raised in the caller's thread
            turn.error = e
        finally:
            if (previous := turn.previous) is not None:
                previous.done.wait()
                turn.error = previous.error or turn.error
                turn.previous = None  # a run's turns are not chained in memory
            turn.done.set()
            self.free.release()

    def _write_in_turn(self, batch: bulk.Prepared, turn: _Turn) -> None:
        with session_scope(self.engine) as session:
            turn.pid = session.connection().connection.driver_connection.info.backend_pid
            bulk.write_prepared(session, batch)
            if turn.previous is not None:
                _wait_for(turn.previous, session, turn.pid)
            bulk.publish_prepared(session, batch)


# Whether a server process waits, directly or through others, for the given one.
_WAITS_FOR = """
WITH RECURSIVE blocking(pid) AS (SELECT unnest(pg_blocking_pids(%s))
                                 UNION SELECT unnest(pg_blocking_pids(pid)) FROM blocking)
SELECT %s IN (SELECT pid FROM blocking)"""


def _wait_for(previous: _Turn, session: Session, pid: int) -> None:
    """Return once the previous batch has committed; raise ``_Dropped`` if it did not, ``_InTheWay``
    if it waits for this transaction (directly, or through another transaction)."""
    while not previous.done.wait(_POLL_S):
        if previous.pid is not None and session.connection().exec_driver_sql(
                _WAITS_FOR, (previous.pid, pid)).scalar():
            raise _InTheWay
    if previous.error is not None:
        raise _Dropped
