"""Database engine and sessions for both backends (SQLite embedded default, PostgreSQL server mode).

The URL alone selects the backend: ``sqlite:///path/carto.storage.db`` or
``postgresql://user:password@host/db`` (driver psycopg 3, PostGIS required).
"""
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlmodel import Session, create_engine

from carto.core import textnorm
from carto.storage import migrate


@dataclass(frozen=True)
class PoolOptions:
    """Connection pool of the server mode (see the ``CARTO_DATABASE_POOL_*`` settings)."""
    size: int = 10
    max_overflow: int = 10
    timeout: float = 30
    recycle: int = 1800


def engine_for(settings) -> Engine:
    """The engine of ``carto.core.settings.Settings``: its URL and pool settings."""
    return make_engine(settings.database_url, PoolOptions(
        settings.database_pool_size, settings.database_max_overflow,
        settings.database_pool_timeout, settings.database_pool_recycle))


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` and ``postgres://`` mean PostgreSQL through psycopg 3 (the driver we ship)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if isinstance(url, str) else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, pool: PoolOptions = PoolOptions()) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            parsed, pool_pre_ping=True, pool_size=pool.size, max_overflow=pool.max_overflow,
            pool_timeout=pool.timeout, pool_recycle=pool.recycle,
            # The connection returned last is taken first: the fewest server processes do the work, their
            # caches warm (in turn over the pool's 8–10, a town page's query cost its server process
            # ~0.5 ms more CPU than over one; bench README « Scale »).
            pool_use_lifo=True,
            # UTC: dates are compared and shown in UTC whatever the server's zone. No JIT: our queries
            # are short, and compiling them costs more (~0.25 s) than it saves. work_mem 16 MB (the
            # default is 4): a text search matching 100,000 of 1,000,000 sites otherwise gets a lossy
            # bitmap and rechecks every row of its pages, 3.2 s instead of 0.5 s. No parallel workers:
            # a request's query reads a bounded number of rows, and starting workers took 20–75 ms on
            # a busy two-core machine, for a name walk of 8 ms (a read that needs them is a bug).
            connect_args={"options": "-c timezone=UTC -c jit=off -c work_mem=16MB -c max_parallel_workers_per_gather=0",
                          "application_name": "carto"})
        event.listen(engine, "connect", _postgresql_text)
        return engine
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _postgresql_text(dbapi_conn, _record) -> None:
    """PostgreSQL text cannot hold NUL characters (SQLite can): they are dropped from parameters, so
    that a NUL typed into a filter finds nothing, as on SQLite, instead of failing the request."""
    from psycopg.types.string import StrDumperUnknown

    class WithoutNul(StrDumperUnknown):
        def dump(self, obj: str):
            return super().dump(obj.replace("\x00", "") if "\x00" in obj else obj)

    dbapi_conn.adapters.register_dumper(str, WithoutNul)


# Collation of names in the order a French reader expects: ICU's French on PostgreSQL, and on SQLite
# the same rule in Python (``textnorm.french_compare``), registered on every connection.
FRENCH_COLLATIONS = {"sqlite": "french", "postgresql": "fr-x-icu"}


def french_order(session, expression):
    """``expression`` to ORDER BY as French names sort (accents, case and Œ/OE second to the letters)."""
    return expression.collate(FRENCH_COLLATIONS[session.get_bind().dialect.name])


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.create_collation(FRENCH_COLLATIONS["sqlite"], textnorm.french_compare)
    cur = dbapi_conn.cursor()
    # WAL lets readers go on while one writer writes; busy_timeout makes writers queue, not fail.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute(f"PRAGMA mmap_size={READ_MAP_BYTES}")
    cur.close()


# SQLite reads the database file through memory mapped from it, not by a system call copying each
# page into the connection's own 2 MB cache: a search reads a site row per name it walks, from pages
# all over the table (2,002 rows: 11 ms by copies, 6 ms mapped, at 100,000 sites). The mapped pages
# are the system's file cache, shared by every connection and process, not memory of ours. SQLite
# caps the size at its build's limit (2 GB for Python's); past it, the rest is read by copies.
READ_MAP_BYTES = 1 << 31


def init_db(engine: Engine) -> None:
    """Create a new database at the newest schema, or check that an existing one is up to date
    (``carto.storage.migrate.SchemaOutdated`` otherwise: ``carto db upgrade``); safe to run at every start."""
    migrate.prepare(engine)


@contextmanager
def session_scope(bind: Engine | Connection) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error (no half-written state);
    ``bind``: an engine, or a connection of ``bulk_connection``."""
    with Session(bind) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


# SQLite, for a run of transactions writing thousands of rows each (an import's batches). A batch of
# 5,000 sites modifies tens of MB of pages (the site rows, and pages all over their indexes, the name
# words and the activity links): the default cache of 2 MB spilled them to the log and read them back
# (a third of an import's system time). And the log was copied into the database after every batch
# (a checkpoint every 1,000 pages), where consecutive batches rewrite the same index pages: every
# BULK_CHECKPOINT_PAGES, each page is copied once for several batches. Not many more: every page the
# cache misses is looked up in the log's index first, one hash table per 4,096 pages of log, newest
# first (the importing process of a 250,000-row import at load 4.4: 50.7 s of CPU with a log of
# 8,000 pages, 55.9 s with 25,000, 97 s with no checkpoint and a log of 4 GB). Neither changes what a crash
# leaves: the journal stays WAL, synchronous NORMAL, and an interrupted batch leaves nothing. No
# mapped reads (``READ_MAP_BYTES``) in such a run: its pages go through the cache anyway, and the
# mapped pages of a whole database would count in the importing process's resident memory.
BULK_CACHE_KB = 64 * 1024
BULK_CHECKPOINT_PAGES = 8_000  # 32 MB of log


@contextmanager
def bulk_connection(engine: Engine) -> Iterator[Engine | Connection]:
    """What to open the sessions of a run of big write transactions on (``session_scope``): on
    SQLite, one connection with a page cache for them, set back as it was when the run ends (it
    returns to the pool); on PostgreSQL, the engine (the server's memory is its own business)."""
    if not is_sqlite(engine):
        yield engine
        return
    with engine.connect() as conn:
        bulk = {"cache_size": -BULK_CACHE_KB, "wal_autocheckpoint": BULK_CHECKPOINT_PAGES, "mmap_size": 0}
        before = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in bulk}
        _pragmas(conn, bulk)
        try:
            yield conn
        finally:
            _pragmas(conn, before)
            conn.exec_driver_sql("PRAGMA shrink_memory")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")  # the log the run left, copied now


def _pragmas(conn: Connection, values: dict[str, int]) -> None:
    for name, value in values.items():
        conn.exec_driver_sql(f"PRAGMA {name} = {int(value)}")
    conn.commit()  # out of the connection's implicit transaction: each session then commits its own
