"""Text and bounding-box indexes of sites, kept in step by the write path (``carto.directory.sites``).

Both backends answer the same questions with the same meaning — every word of a query matches the
start of a word of the folded text (name, description, commune); a box keeps the points inside it:

- SQLite: an FTS5 table over the folded text, written by ``index_entries`` beside each write. A box
  is plain ranges on lon/lat, answered by the models' index on (status, lon, lat, id) without
  reading the table. (An R*Tree was tried first: finding ids was fast, but the count and the page
  then read every matching ``site`` row for its status and name, 30 to 200 ms at 100,000 sites.)
- PostgreSQL: expression indexes on the ``site`` table itself (GIN over a ``simple`` tsvector of the
  folded text, GiST over the PostGIS point of lon/lat), so the database keeps them in step and the
  write path has nothing to do. No extra column: the models stay the same on both backends.
"""
import re

from sqlalchemy import Integer, and_, func, literal_column, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from carto.storage.models import Site
from carto.core.textnorm import fold, words

MAX_QUERY_WORDS = 12
# PostgreSQL text: punctuation turned into spaces first, so that the parser sees plain words, as the
# FTS5 tokenizer does (no e-mail, URL or decimal-number tokens).
_PG_TEXT_VECTOR = "to_tsvector('simple'::regconfig, regexp_replace(search_text, '[^[:alnum:]]+', ' ', 'g'))"
_PG_POINT = "ST_SetSRID(ST_MakePoint(lon, lat), 4326)"
# Created by ``create`` (PostgreSQL); named so that migrations and schema comparisons can skip them.
PG_INDEXES = {
    "ix_site_search_vector": f"CREATE INDEX IF NOT EXISTS ix_site_search_vector ON site USING gin (({_PG_TEXT_VECTOR}))",
    "ix_site_point": f"CREATE INDEX IF NOT EXISTS ix_site_point ON site USING gist (({_PG_POINT}))",
}
SQLITE_TABLES = ("site_fts",)
_PG_EXTENSIONS = ("postgis",)


class MissingExtension(RuntimeError):
    """PostgreSQL without PostGIS, and a role that may not install it."""


def _sqlite(bind) -> bool:
    return bind.dialect.name == "sqlite"


def create(engine: Engine) -> None:
    """Create the indexes (idempotent). PostgreSQL needs the PostGIS extension: created here when
    the role may (superuser or database owner on PostgreSQL ≥ 13), else by the administrator."""
    with engine.begin() as conn:
        if _sqlite(engine):
            # Text is folded in Python before indexing (œ → oe); remove_diacritics is a second net.
            conn.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS site_fts USING fts5("
                "body, tokenize = 'unicode61 remove_diacritics 2')")
            return
        installed = set(conn.exec_driver_sql("SELECT extname FROM pg_extension").scalars())
        for extension in _PG_EXTENSIONS:
            if extension not in installed:
                try:
                    with conn.begin_nested():
                        conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {extension}")
                except DBAPIError as e:
                    raise MissingExtension(
                        f"extension {extension} absente de la base et non installable par ce rôle : "
                        f"« CREATE EXTENSION {extension} » par un administrateur ({e.orig})") from None
        for ddl in PG_INDEXES.values():
            conn.exec_driver_sql(ddl)


def search_text(site: Site) -> str:
    return search_text_of(site.name, site.description, site.commune_name)


def search_text_of(name: str, description: str, commune_name: str) -> str:
    return " ".join([fold(name), fold(description), fold(commune_name)])


def index_site(session: Session, site: Site) -> None:
    site.search_text = search_text(site)
    index_entries(session, [{"id": site.id, "body": site.search_text}])


def index_entries(session: Session, entries: list[dict], *, new: bool = False) -> None:
    """Index the text of sites given as ``{id, body (search_text)}``, many at a time.

    ``new``: the sites were just inserted, so there is no previous text entry to remove.
    On PostgreSQL the expression indexes follow the ``site`` rows by themselves.
    """
    if not entries or not _sqlite(session.get_bind()):
        return
    conn = session.connection()  # SQLite's own statements: straight to the driver, many rows at once
    if not new:
        conn.exec_driver_sql("DELETE FROM site_fts WHERE rowid = ?", [(e["id"],) for e in entries])
    conn.exec_driver_sql("INSERT INTO site_fts(rowid, body) VALUES (?, ?)", [(e["id"], e["body"]) for e in entries])


def rebuild(session: Session) -> int:
    """Re-index every site (after a bulk load or a restore); returns the number of sites."""
    if _sqlite(session.get_bind()):
        session.execute(text("DELETE FROM site_fts"))
    sites = session.exec(select(Site)).all()
    for site in sites:
        index_site(session, site)
    return len(sites)


def fts_query(q: str) -> str | None:
    """User text → FTS5 query: every word must match, as a quoted prefix phrase (no operators)."""
    terms = words(q)[:MAX_QUERY_WORDS]
    return " AND ".join(f'"{t}"*' for t in terms) or None


def ts_query(q: str) -> str | None:
    """User text → PostgreSQL tsquery: every word a quoted prefix (``'velo':* & 'renn':*``).

    Words are split where the indexed text is (``_`` included), so they hold no quote or operator.
    """
    terms = [t for w in words(q)[:MAX_QUERY_WORDS] for t in re.split(r"_+", w) if t]
    return " & ".join(f"'{t}':*" for t in terms) or None


def text_clause(session: Session, q: str):
    """SQL condition on Site matching all words of ``q``; None when ``q`` has no word."""
    if _sqlite(session.get_bind()):
        match = fts_query(q)
        if match is None:
            return None
        return col(Site.id).in_(text("SELECT rowid FROM site_fts WHERE site_fts MATCH :fts")
                                .bindparams(fts=match))
    query = ts_query(q)
    if query is None:
        return None
    return _pg_text_vector(col(Site.search_text)).op("@@")(func.to_tsquery(_SIMPLE, query))


def box_index_hides(session: Session) -> bool:
    """Whether ``bbox_clause(indexed=False)`` and ``unindexed`` change the plan (SQLite); PostgreSQL's
    planner weighs a box against the name order by itself, from its statistics."""
    return _sqlite(session.get_bind())


def unindexed(session: Session, *columns) -> tuple:
    """The same columns as terms SQLite's planner cannot read from an index (``name || ''``,
    ``id + 0``): in an ORDER BY, so that it uses the filters' indexes and sorts the few matching
    sites instead of walking the whole name index; in a condition (the status), so that it starts
    from another one (``search.name_order``)."""
    if not _sqlite(session.get_bind()):
        return columns
    return tuple(c + 0 if isinstance(c.type, Integer) else c.op("||")(literal_column("''")) for c in columns)


def bbox_clause(session: Session, west: float, south: float, east: float, north: float, *, indexed: bool = True):
    """SQL condition on Site keeping the points of a box.

    ``indexed=False`` (SQLite): the same ranges hidden from the planner (``lon + 0``), so that it
    walks another index, the name order, testing the box on the way. SQLite cannot tell a box holding
    most sites from one holding few, and would otherwise sort every site of a region-wide box to
    return the first 500 names; ``carto.query.paging`` decides from the count it has just made.
    """
    if _sqlite(session.get_bind()):
        lon, lat = col(Site.lon), col(Site.lat)
        if not indexed:
            lon, lat = lon + 0, lat + 0
        return and_(lon.between(west, east), lat.between(south, north))
    return pg_point(Site).op("&&")(func.ST_MakeEnvelope(west, south, east, north, _WGS84))


# The same expressions as the PostgreSQL indexes, constants inline (a bound parameter in their place
# would not match the index once the server plans a prepared statement generically).
_SIMPLE = literal_column("'simple'::regconfig")
_WGS84 = literal_column("4326")


def _pg_text_vector(column):
    return func.to_tsvector(_SIMPLE, func.regexp_replace(
        column, literal_column("'[^[:alnum:]]+'"), literal_column("' '"), literal_column("'g'")))


def pg_point(site=Site):
    """The PostGIS point of a site (``site``: the Site model or an alias), as indexed."""
    return func.ST_SetSRID(func.ST_MakePoint(site.lon, site.lat), _WGS84)
