"""Text and bounding-box indexes of sites, kept in step by the write path (``carto.sites``).

SQLite: an FTS5 table over folded text and an R*Tree over positions. Other backends fall back to
portable SQL (indexed lon/lat ranges, LIKE on the folded ``search_text`` column).
"""
from sqlalchemy import and_, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from carto.models import Site
from carto.textnorm import fold, words

MAX_QUERY_WORDS = 12


def _sqlite(bind) -> bool:
    return bind.dialect.name == "sqlite"


def create(engine: Engine) -> None:
    if not _sqlite(engine):
        return
    with engine.begin() as conn:
        # Text is folded in Python before indexing (œ → oe); remove_diacritics is a second net.
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS site_fts USING fts5("
            "body, tokenize = 'unicode61 remove_diacritics 2')")
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS site_rtree USING rtree(id, minx, maxx, miny, maxy)")


def search_text(site: Site) -> str:
    return search_text_of(site.name, site.description, site.commune_name)


def search_text_of(name: str, description: str, commune_name: str) -> str:
    return " ".join([fold(name), fold(description), fold(commune_name)])


def index_site(session: Session, site: Site) -> None:
    site.search_text = search_text(site)
    index_entries(session, [{"id": site.id, "body": site.search_text, "x": site.lon, "y": site.lat}])


def index_entries(session: Session, entries: list[dict], *, new: bool = False) -> None:
    """Index sites given as ``{id, body (search_text), x (lon), y (lat)}``, many at a time.

    ``new``: the sites were just inserted, so there is no previous text entry to remove.
    """
    if not entries or not _sqlite(session.get_bind()):
        return
    conn = session.connection()  # SQLite's own statements: straight to the driver, many rows at once
    if not new:
        conn.exec_driver_sql("DELETE FROM site_fts WHERE rowid = ?", [(e["id"],) for e in entries])
    conn.exec_driver_sql("INSERT INTO site_fts(rowid, body) VALUES (?, ?)", [(e["id"], e["body"]) for e in entries])
    conn.exec_driver_sql("INSERT OR REPLACE INTO site_rtree VALUES (?, ?, ?, ?, ?)",
                         [(e["id"], e["x"], e["x"], e["y"], e["y"]) for e in entries])


def rebuild(session: Session) -> int:
    """Re-index every site (after a bulk load or a restore); returns the number of sites."""
    if _sqlite(session.get_bind()):
        session.execute(text("DELETE FROM site_fts"))
        session.execute(text("DELETE FROM site_rtree"))
    sites = session.query(Site).all()
    for site in sites:
        index_site(session, site)
    return len(sites)


def fts_query(q: str) -> str | None:
    """User text → FTS5 query: every word must match, as a quoted prefix phrase (no operators)."""
    terms = words(q)[:MAX_QUERY_WORDS]
    return " AND ".join(f'"{t}"*' for t in terms) or None


def text_clause(session: Session, q: str):
    """SQL condition on Site matching all words of ``q``; None when ``q`` has no word."""
    if _sqlite(session.get_bind()):
        match = fts_query(q)
        if match is None:
            return None
        return col(Site.id).in_(text("SELECT rowid FROM site_fts WHERE site_fts MATCH :fts")
                                .bindparams(fts=match))
    terms = words(q)[:MAX_QUERY_WORDS]
    if not terms:
        return None
    return and_(*(col(Site.search_text).like(f"%{t}%") for t in terms))


def bbox_clause(session: Session, west: float, south: float, east: float, north: float):
    if _sqlite(session.get_bind()):
        return col(Site.id).in_(
            text("SELECT id FROM site_rtree WHERE minx >= :w AND maxx <= :e AND miny >= :s AND maxy <= :n")
            .bindparams(w=west, e=east, s=south, n=north))
    return and_(col(Site.lon).between(west, east), col(Site.lat).between(south, north))
