"""Text and bounding-box indexes of sites, kept in step by the write path (``carto.directory.sites``).

Both backends answer the same questions with the same meaning — every word of a query matches the
start of a word of the site's search text; a box keeps the points inside it:

- The search text (``search_text_of``) is written in Python, the same for both backends, in three
  parts: the name; the labels of the site's activities, of their domains and their synonyms (from
  the taxonomy); the description, street, postcode and commune. Words are folded (accents, case,
  ligatures) and each is followed by its stem (``textnorm.index_terms``: plurals and common endings,
  « St » → « saint »); a query is folded and stemmed the same way, each stem a prefix. The parts give
  the relevance order (``relevance_tiers``): sites whose name holds every word, then those whose
  activities do, then the others.
- SQLite: an FTS5 table with one column per part, written by ``index_entries`` beside each write. A
  box is plain ranges on lon/lat, answered by the models' index on (status, lon, lat, id) without
  reading the table. (An R*Tree was tried first: finding ids was fast, but the count and the page
  then read every matching ``site`` row for its status and name, 30 to 200 ms at 100,000 sites.)
- PostgreSQL: a ``search_vector`` tsvector column (the words of the three parts, and those of the
  name and activities again, marked) with a GIN index, written by the write path beside the text
  (``pg_vector``, in Python as the text itself: a column the database generated from the text cost
  more server time than the rest of the row, 1 s per 5,000 sites, and held the batch write path
  under 2,500 sites/s). ANALYZE gives it statistics, so the planner knows a frequent word from a
  rare one (an expression index has none: at 1,000,000 sites it guessed 20,000 matches for any
  word and walked the name index for 25 s on a word found nowhere). Boxes use a GiST expression
  index on the PostGIS point of lon/lat, rechecked exactly on the float columns (the index holds
  float4-rounded boxes). The column lives outside the models, as the indexes do.
"""
from collections.abc import Iterable, Mapping
from functools import lru_cache

from sqlalchemy import Integer, and_, bindparam, delete, func, insert, literal_column, not_, table, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from carto.core import taxonomy as taxonomy_module
from carto.core.textnorm import index_terms, search_words, stem
from carto.storage import pgcopy
from carto.storage.models import Site, SiteActivity, SiteWord

MAX_QUERY_WORDS = 12
PARTS = ("name", "topic", "body")  # of the search text, in order of relevance
SEPARATOR = " | "  # between the parts (never inside one: index terms are letters and digits)
# PostgreSQL: one tsvector of every word, where the words of the name and of the activities also
# appear marked (« 0nvelo », « 0tvelo »): a marked lexeme has statistics of its own, so the planner
# knows how many names hold a word, which weights (ignored by the statistics) would hide.
_PG_MARKS = {"name": "0n", "topic": "0t"}
_PG_LEXEME_BYTES = 2046  # PostgreSQL refuses longer lexemes (its own parser skips such words)
_PG_POINT = "ST_SetSRID(ST_MakePoint(lon, lat), 4326)"
# Created by ``create`` (PostgreSQL); named so that migrations and schema comparisons can skip them.
PG_COLUMNS = {"search_vector": "ALTER TABLE site ADD COLUMN IF NOT EXISTS search_vector tsvector"}
PG_INDEXES = {
    "ix_site_search_vector": "CREATE INDEX IF NOT EXISTS ix_site_search_vector ON site USING gin (search_vector)",
    "ix_site_point": f"CREATE INDEX IF NOT EXISTS ix_site_point ON site USING gist (({_PG_POINT}))",
}
# The site row's long texts (stored feature, search text and vector: ~2.3 kB together, past the 2 kB
# over which PostgreSQL compresses a row) compressed by lz4, not pglz: pglz took 12 % of the server's
# CPU inserting a batch of sites (perf), lz4 a fraction of it, and reads them back faster too.
# Values written before keep their compression (both are read alike).
PG_LZ4_COLUMNS = ("feature_json", "search_text", "search_vector")
SQLITE_TABLES = ("site_fts",)
SQLITE_FTS = (f"CREATE VIRTUAL TABLE IF NOT EXISTS site_fts USING fts5({', '.join(PARTS)}, "
               "tokenize = 'unicode61 remove_diacritics 2')")
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
            conn.exec_driver_sql(SQLITE_FTS)
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
        for ddl in [*PG_COLUMNS.values(), *PG_INDEXES.values()]:
            conn.exec_driver_sql(ddl)
        _compress_with_lz4(conn)


def _compress_with_lz4(conn) -> None:
    """``PG_LZ4_COLUMNS`` compressed by lz4 when the server has it (PostgreSQL ≥ 14 built with lz4);
    altered once: the catalog says whether it is done (an ALTER would lock the table at every start)."""
    if not conn.exec_driver_sql("SELECT 'lz4' = ANY(enumvals) FROM pg_settings "
                                "WHERE name = 'default_toast_compression'").scalar():
        return
    todo = conn.exec_driver_sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = 'site'::regclass AND attname = ANY(%s) "
        "AND attcompression IS DISTINCT FROM 'l' ORDER BY attnum", (list(PG_LZ4_COLUMNS),)).scalars().all()
    if todo:
        conn.exec_driver_sql(f"ALTER TABLE site {', '.join(f'ALTER COLUMN {c} SET COMPRESSION lz4' for c in todo)}")


def search_text_of(values: Mapping, activities: Iterable[str], taxonomy: taxonomy_module.Taxonomy | None = None) -> str:
    """The search text of a site from its column values (name, description, street, postcode,
    commune_name) and activity slugs: what the write path stores in ``Site.search_text``."""
    taxonomy = taxonomy or taxonomy_module.load()
    topic = [phrase for slug in activities for phrase in _topic_of(taxonomy, slug)]
    # Each field apart (no word spans two): a batch repeats its activities, descriptions and communes.
    body = " ".join(filter(None, (_repeated_terms(values.get(k)) for k in _BODY)))
    return SEPARATOR.join((index_terms(values.get("name")), _repeated_terms(" ".join(topic)), body))


_BODY = ("description", "street", "postcode", "commune_name")
_repeated_terms = lru_cache(maxsize=1 << 14)(index_terms)


def index_site(session: Session, site: Site, activities: Iterable[str]) -> None:
    site.search_text = search_text_of(site.model_dump(include=_TEXT_COLUMNS), activities)
    index_entries(session, [{"id": site.id, "body": site.search_text, "sort_name": site.sort_name}])


_TEXT_COLUMNS = {"name", "description", "street", "postcode", "commune_name"}


def index_entries(session: Session, entries: list[dict], *, new: bool = False, vectors_written: bool = False) -> None:
    """Index the text of sites given as ``{id, body (search_text), sort_name}``, many at a time: the
    words of their names (``SiteWord``), and SQLite's FTS5 entries or PostgreSQL's ``search_vector``.

    ``new``: the sites were just inserted, so there is no previous text entry to remove.
    ``vectors_written``: the rows were written with their vectors already (``carto.directory.bulk``).
    """
    if entries:
        _index_words(session, entries, new=new)
        _index_fts(session, entries, new=new)
        if not vectors_written:
            _index_vectors(session, entries)


def pg_vector(search_text: str | None) -> str:
    """The ``search_vector`` of a search text (PostgreSQL), as tsvector text: every word, and the
    words of the name and of the activities marked again. Index terms are letters and digits only
    (``textnorm.index_terms``), so each lexeme is quoted as it is."""
    lexemes = set()
    for part, text_ in zip(PARTS, _parts(search_text)):
        lexemes |= _lexemes(part, text_)
    if lexemes and max(map(len, lexemes)) * 4 > _PG_LEXEME_BYTES:  # a very long word may be too long in UTF-8
        lexemes = {w for w in lexemes if len(w.encode()) <= _PG_LEXEME_BYTES}
    return "'" + "' '".join(lexemes) + "'" if lexemes else ""


@lru_cache(maxsize=1 << 14)  # a batch repeats the activities' words of its sites
def _lexemes(part: str, text_: str) -> frozenset[str]:
    words = text_.split()
    return frozenset([*words, *(_PG_MARKS[part] + w for w in words)] if part in _PG_MARKS else words)


def vectors_in_rows(session: Session) -> bool:
    """Whether the text index is a column of the site rows (PostgreSQL's ``search_vector``, which
    ``carto.directory.bulk`` writes with each row) rather than a table of its own (SQLite's FTS5)."""
    return not _sqlite(session.get_bind())


def _index_vectors(session: Session, entries: list[dict]) -> None:
    if _sqlite(session.get_bind()):
        return
    session.connection().exec_driver_sql(
        "UPDATE site SET search_vector = v.vector FROM unnest(%b::integer[], %b::tsvector[]) AS v(id, vector) "
        "WHERE site.id = v.id", ([e["id"] for e in entries], [pg_vector(e["body"]) for e in entries]))


def _index_words(session: Session, entries: list[dict], *, new: bool) -> None:
    if not new:
        session.execute(delete(SiteWord).where(col(SiteWord.site_id).in_([e["id"] for e in entries])))
    words = word_rows(entries)
    if not words:
        return
    conn = session.connection()  # many rows at once: straight to the driver
    if _sqlite(session.get_bind()):
        conn.exec_driver_sql("INSERT INTO siteword (word, sort_name, site_id) VALUES (?, ?, ?)", words)
    else:
        pgcopy.copy_rows(conn, "siteword", WORD_COLUMNS, words)


WORD_COLUMNS = ("word", "sort_name", "site_id")


def word_rows(entries: list[dict]) -> list[tuple[str, str, int]]:
    """The ``SiteWord`` rows (``WORD_COLUMNS``) of index entries, in the order of the table's key:
    each page of its B-tree is then written once per batch, where the order of the sites had each
    word land on a page of its own (40 % of a batch's inserts on SQLite)."""
    return sorted((word, e["sort_name"], e["id"]) for e in entries for word in name_words(e["body"]))


def _index_fts(session: Session, entries: list[dict], *, new: bool) -> None:
    if not _sqlite(session.get_bind()):
        return
    conn = session.connection()  # SQLite's own statements: straight to the driver, many rows at once
    if not new:
        conn.exec_driver_sql("DELETE FROM site_fts WHERE rowid = ?", [(e["id"],) for e in entries])
    conn.exec_driver_sql(f"INSERT INTO site_fts(rowid, {', '.join(PARTS)}) VALUES (?, ?, ?, ?)",
                         [(e["id"], *_parts(e["body"])) for e in entries])


def name_words(search_text: str | None) -> list[str]:
    """The distinct indexed words of the name part of a search text (words and their stems)."""
    return list(dict.fromkeys(_parts(search_text)[0].split()))


def _parts(search_text: str | None) -> list[str]:
    parts = (search_text or "").split(SEPARATOR)
    return (parts + [""] * len(PARTS))[:len(PARTS)]


def rebuild(session: Session, taxonomy: taxonomy_module.Taxonomy | None = None, batch: int = 5000, *,
            words: bool = True) -> int:
    """Write every site's search text again (after a change of the taxonomy's labels or synonyms,
    of the folding rules, or a restore), by batches of ids; returns the number of sites.
    ``words``: the name words too (False for a schema older than their table, in a migration)."""
    if _sqlite(session.get_bind()):
        session.execute(text("DELETE FROM site_fts"))
    if words:
        session.execute(delete(SiteWord))
    columns = [col(Site.id), *(getattr(Site, name) for name in sorted(_TEXT_COLUMNS)),
               *([col(Site.sort_name)] if words else [])]
    done, last = 0, 0
    while True:
        rows = session.execute(select(*columns).where(col(Site.id) > last).order_by(Site.id).limit(batch)).all()
        if not rows:
            return done
        ids = [r.id for r in rows]
        activities: dict[int, list[str]] = {i: [] for i in ids}
        for site_id, slug in session.execute(select(SiteActivity.site_id, SiteActivity.activity)
                                             .where(col(SiteActivity.site_id).in_(ids))
                                             .order_by(SiteActivity.site_id, SiteActivity.activity)):
            activities[site_id].append(slug)
        entries = [{"id": r.id, "body": search_text_of(r._mapping, activities[r.id], taxonomy)} for r in rows]
        session.execute(Site.__table__.update().where(Site.__table__.c.id == bindparam("site_id")),
                        [{"site_id": e["id"], "search_text": e["body"]} for e in entries])
        _index_fts(session, entries, new=True)
        _index_vectors(session, entries)
        if words:
            _index_words(session, [e | {"sort_name": r.sort_name} for e, r in zip(entries, rows)], new=True)
        done, last = done + len(rows), ids[-1]


def stale_entries(session: Session, texts: dict[int, str]) -> dict[int, str | None]:
    """The sites (of ``texts``: id → search text) whose text index entry is not that text, with what
    the index holds for them: SQLite's FTS5 row, or PostgreSQL's ``search_vector`` (compared
    without positions: vectors the database generated held them). For a consistency check."""
    ids = list(texts)
    if not ids:
        return {}
    conn = session.connection()
    if not _sqlite(session.get_bind()):
        rows = conn.exec_driver_sql(
            "SELECT s.id, s.search_vector::text FROM site AS s JOIN unnest(%b::integer[], %b::tsvector[]) AS e(id, v) "
            "ON s.id = e.id WHERE strip(s.search_vector) IS DISTINCT FROM e.v",
            (ids, [pg_vector(texts[i]) for i in ids]))
        return dict(rows.all())
    marks = ",".join("?" * len(ids))
    rows = conn.exec_driver_sql(f"SELECT rowid, {', '.join(PARTS)} FROM site_fts WHERE rowid IN ({marks})", tuple(ids))
    indexed = {rowid: SEPARATOR.join(parts) for rowid, *parts in rows}
    return {i: indexed.get(i) for i in ids if indexed.get(i) != texts[i]}


def indexed_words(session: Session, ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """The name words of sites as indexed, each with its sort key, sorted (for a consistency check)."""
    found: dict[int, list[tuple[str, str]]] = {}
    for site_id, word, sort_name in session.execute(
            select(SiteWord.site_id, SiteWord.word, SiteWord.sort_name).where(col(SiteWord.site_id).in_(ids))
            .order_by(SiteWord.site_id, SiteWord.word)):
        found.setdefault(site_id, []).append((word, sort_name))
    return found


def expected_words(search_text: str | None, sort_name: str) -> list[tuple[str, str]]:
    """What ``indexed_words`` holds for a site of this search text and sort key."""
    return sorted((word, sort_name) for word in name_words(search_text))


def query_stems(q: str) -> list[str]:
    """The stems of a query's words, each to match the start of an indexed word. One-letter words
    (« l' », « d' ») are dropped when the query has others: they would match nearly every site."""
    found = [stem(w) for w in search_words(q)]
    longer = [w for w in found if len(w) > 1 or w.isdigit()]
    return list(dict.fromkeys(longer or found))[:MAX_QUERY_WORDS]


def fts_query(stems: list[str], parts: tuple[str, ...] = PARTS) -> str | None:
    """Query stems → FTS5 query: every stem must match in one of ``parts``, as a quoted prefix (no
    operators: index terms are letters and digits)."""
    scope = "" if parts == PARTS else "{" + " ".join(parts) + "} : "
    return " AND ".join(f'{scope}"{t}"*' for t in stems) or None


def ts_query(stems: list[str], parts: tuple[str, ...] = PARTS) -> str | None:
    """Query stems → PostgreSQL tsquery: every stem a quoted prefix (``'velo':* & 'renn':*``), within
    ``parts`` through their marked words (``('0nvelo':* | '0tvelo':*)``)."""
    marks = [""] if parts == PARTS else [_PG_MARKS[p] for p in parts]
    return " & ".join("(" + " | ".join(f"'{m}{t}':*" for m in marks) + ")" for t in stems) or None


def text_clause(session: Session, q: str, parts: tuple[str, ...] = PARTS, *, indexed: bool = True):
    """SQL condition on Site matching all words of ``q`` within ``parts`` of the search text; None
    when ``q`` has no word. ``indexed=False`` (PostgreSQL): each site's vector tested where another
    index found the site, the text index left alone (``carto.query.search.count``)."""
    return stems_clause(session, query_stems(q), parts, indexed=indexed)


def stems_clause(session: Session, stems: list[str], parts: tuple[str, ...] = PARTS, *, indexed: bool = True):
    """SQL condition on Site: each of ``stems`` starts a word of ``parts``; None without stems."""
    if not stems:
        return None
    if _sqlite(session.get_bind()):
        fts = table("site_fts")  # its MATCH value an anonymous parameter: relevance tiers hold several
        return col(Site.id).in_(select(literal_column("rowid")).select_from(fts)
                                .where(literal_column("site_fts").op("MATCH")(fts_query(stems, parts))))
    vector = literal_column("site.search_vector")
    if not indexed:  # an expression the GIN index does not hold
        vector = vector.op("||")(literal_column("''::tsvector")).self_group()
    return vector.op("@@")(func.to_tsquery(_SIMPLE, ts_query(stems, parts)))


def name_word_forms(session: Session, prefix: str, most: int) -> list[str] | None:
    """The distinct indexed name words starting with ``prefix``, in order, each found by one seek of
    ``SiteWord``'s key; None when there are more than ``most`` (a word of one or two letters)."""
    forms: list[str] = []
    while True:
        after = col(SiteWord.word) > forms[-1] if forms else col(SiteWord.word) >= prefix
        word = session.execute(select(func.min(SiteWord.word)).where(after)).scalar()
        if word is None or not word.startswith(prefix):
            return forms
        if len(forms) == most:
            return None
        forms.append(word)


def covering_forms(forms: list[str]) -> list[str]:
    """The name word forms whose names hold those of all ``forms``: a name holding a word holds its
    stem too (``textnorm.index_terms``), so a form whose stem is among them (a stem of its own) is
    found through that stem (« ressourcerie » through « ressourc »)."""
    present = set(forms)
    return [f for f in forms if stem(f) == f or stem(f) not in present or stem(stem(f)) != stem(f)]


def name_entries_at_most(session: Session, forms: list[str], most: int) -> bool:
    """Whether ``SiteWord`` holds at most ``most`` entries of these words (read from its key alone)."""
    entries = select(SiteWord.site_id).where(col(SiteWord.word).in_(forms)).limit(most + 1).subquery()
    return session.execute(select(func.count()).select_from(entries)).scalar_one() <= most


def relevance_tiers(session: Session, q: str) -> list[list]:
    """Conditions splitting the sites matching ``q`` (``text_clause``) by relevance, best first: every
    word in the name; else every word in the name or the activities; else the others."""
    name, topic = (text_clause(session, q, PARTS[:n]) for n in (1, 2))
    if name is None:
        return [[]]
    return [[name], [topic, not_(name)], [not_(topic)]]


def activities_holding(q: str, activities: Iterable[str], taxonomy: taxonomy_module.Taxonomy | None = None) -> set[str]:
    """The ``activities`` whose own words in a search text (``search_text_of``: label, domain's label,
    synonyms) hold every word of ``q``: every site of such an activity matches ``q``."""
    stems = query_stems(q)
    taxonomy = taxonomy or taxonomy_module.load()
    holding = set()
    for slug in activities:
        words = _topic_words(taxonomy, slug)
        if stems and all(any(w.startswith(s) for w in words) for s in stems):
            holding.add(slug)
    return holding


def _topic_words(taxonomy: taxonomy_module.Taxonomy, slug: str) -> list[str]:
    return _repeated_terms(" ".join(_topic_of(taxonomy, slug))).split()


def _topic_of(taxonomy: taxonomy_module.Taxonomy, slug: str) -> list[str]:
    """What an activity puts in the search text of its sites (``search_text_of``): its label, its
    domain's label, its synonyms; nothing for a slug the taxonomy does not know."""
    activity = taxonomy.activities.get(slug)
    if activity is None:
        return []
    return [activity.label, taxonomy.domain(activity.domain).label, *activity.synonyms]


def box_index_hides(session: Session) -> bool:
    """Whether ``bbox_clause(indexed=False)`` and ``unindexed`` change the plan (SQLite); PostgreSQL's
    planner weighs a box against the name order by itself, from its statistics."""
    return _sqlite(session.get_bind())


def unindexed(session: Session, *columns, everywhere: bool = False) -> tuple:
    """The same columns as terms SQLite's planner cannot read from an index (``name || ''``,
    ``id + 0``): in an ORDER BY, so that it uses the filters' indexes and sorts the few matching
    sites instead of walking the whole name index; in a condition (the status), so that it starts
    from another one (``search.name_order``). ``everywhere``: PostgreSQL's planner too, when the
    caller knows the number of matches and the planner cannot (an activity filter's estimate)."""
    if not (everywhere or _sqlite(session.get_bind())):
        return columns
    return tuple(c + 0 if isinstance(c.type, Integer) else c.op("||")(literal_column("''")) for c in columns)


def bbox_clause(session: Session, west: float, south: float, east: float, north: float, *, indexed: bool = True,
                through: str | None = None):
    """SQL condition on Site keeping the points of a box.

    ``indexed=False``: the same ranges hidden from the planner (``lon + 0``), so that it walks
    another index, the name order, testing the box on the way (``carto.query.search.name_order``
    decides). SQLite cannot tell a box holding most sites from one holding few, and PostgreSQL
    multiplies the estimates of the GiST box and of the exact ranges as if they were independent
    (232 sites for a region holding 7,059): either would sort every site of a region-wide box to
    return the first 500 names.

    ``through="lat"`` (or ``"lon"``): read through the index of that axis first, the other hidden: a
    box much thinner in latitude than the sites' extent (a strip along a view's north edge) then reads
    its thin band of latitudes instead of every longitude of its width. Without it, SQLite reads a
    box through (status, lon, lat): it cannot weigh one index against the other.
    """
    lon, lat = col(Site.lon), col(Site.lat)
    first = None if not indexed else through or ("lon" if _sqlite(session.get_bind()) else "gist")
    if first == "gist":
        # The GiST index holds float4-rounded boxes: it narrows, the ranges on the columns decide. They
        # are hidden from the planner: it ANDed the box with a scan of (status, lon, lat) over the
        # view's whole band of longitudes (at 1,000,000 sites, 2.7 ms of a 4.2 ms town page; 0.7 ms
        # without, the GiST index alone and the ranges tested on the rows it reads anyway).
        return and_(pg_point(Site).op("&&")(func.ST_MakeEnvelope(west, south, east, north, _WGS84)),
                    (lon + 0).between(west, east), (lat + 0).between(south, north))
    return and_((lon if first == "lon" else lon + 0).between(west, east),
                (lat if first == "lat" else lat + 0).between(south, north))


# The same expressions as the PostgreSQL indexes, constants inline (a bound parameter in their place
# would not match the index once the server plans a prepared statement generically).
_SIMPLE = literal_column("'simple'::regconfig")
_WGS84 = literal_column("4326")


def pg_point(site=Site):
    """The PostGIS point of a site (``site``: the Site model or an alias), as indexed."""
    return func.ST_SetSRID(func.ST_MakePoint(site.lon, site.lat), _WGS84)
