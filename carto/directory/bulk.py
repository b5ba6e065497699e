"""Writing many sites at once (imports, benchmarks), by the rules of ``carto.directory.sites``.

``carto.directory.sites`` writes one site at a time through the ORM. This module applies the same rules —
commune centre when there is no point, commune and territory keys from the point, folded search
text, FTS5 entries, one history version per write — to batches of plain column dicts
("rows") in a few executemany statements, sharing the rules' code with ``carto.directory.sites`` and
``carto.storage.search_index``. The caller owns the transaction: a batch commits or rolls back whole.
"""
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from sqlalchemy import JSON, Column, Connection, Float, MetaData, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlmodel import Session

from carto.core import taxonomy as taxonomy_module
from carto.core.taxonomy import Taxonomy
from carto.core.textnorm import sort_key
from carto.directory import site_json, sites

from carto.storage import freshness, pgcopy, search_index, site_counts
from carto.territory.locator import Locator
from carto.storage.models import Site, SiteActivity, SiteVersion, utcnow

SITE = Site.__table__
# The site table with PostgreSQL's text index column, which lives outside the models (``search_index``).
_SITE_WITH_VECTOR = Table("site", MetaData(), *(c._copy() for c in SITE.columns), Column("search_vector", TSVECTOR))
_FACTORIES = {name for name, f in Site.model_fields.items() if f.default_factory is not None}
_TEMPLATE = {name: f.get_default() for name, f in Site.model_fields.items()
             if name not in _FACTORIES and f.is_required() is False}


class StaleSite(RuntimeError):
    """A site changed between the read of a batch and its write (its version moved on)."""


def new_row(fields: dict, **extra) -> dict:
    """Every column of a new site from validated ``SiteData`` fields (without activities) and extras
    (source, source_key, credit, ess, status, is_demo…). Fields given as None keep the default."""
    row = dict(_TEMPLATE, labels=[])
    row.update((k, v) for k, v in fields.items() if v is not None)
    row.update(extra)
    return row


def place(rows: list[dict], locator: Locator, *, allow_outside: bool = False) -> list[sites.SiteError | None]:
    """Resolve each row's position and territory keys in place, vectorised over the batch.

    Returns, per row, None or the ``SiteError`` ``carto.directory.sites`` would raise for it: field
    ``commune_code`` (no point and unknown commune) or ``lon`` (outside every commune).
    """
    errors: list[sites.SiteError | None] = [None] * len(rows)
    for i, row in enumerate(rows):
        try:
            sites.resolve_position(row, locator)
        except sites.SiteError as e:
            errors[i] = e
        row["commune_code"] = None  # an input only: the point decides the commune
    if not locator.enabled:
        return errors
    todo = [i for i, e in enumerate(errors) if e is None]
    codes = locator.locate_many([rows[i]["lon"] for i in todo], [rows[i]["lat"] for i in todo])
    for i, code in zip(todo, codes):
        placement = locator.placement(code) if code is not None else None
        if placement is None and not allow_outside:
            errors[i] = sites.SiteError(sites.OUTSIDE_MESSAGE, "lon")
        else:
            rows[i].update(sites.territory_fields(placement))
    return errors


def insert_sites(session: Session, rows: list[dict], activities: list[list[str]], *, actor: str,
                 action: str = "create") -> list[int]:
    """Insert placed rows with their activities, indexes and first history version; returns ids."""
    if not rows:
        return []
    freshness.bump(session)
    now, ids = utcnow(), _new_ids(session.connection(), len(rows))
    vectors = search_index.vectors_in_rows(session)  # PostgreSQL's text vector, a column of the row
    # A generator: PostgreSQL stores the first rows while the next ones are derived (``insert_rows``).
    insert_rows(session, _SITE_WITH_VECTOR if vectors else SITE, _completed(rows, activities, ids, now, vectors))
    _write_dependents(session, rows, activities, actor, action, [{}] * len(rows), now, new=True)
    site_counts.change(session, [], [site_counts.counted(row, acts) for row, acts in zip(rows, activities)])
    return ids


def _completed(rows: list[dict], activities: list[list[str]], ids: list[int], now, vectors: bool) -> Iterator[dict]:
    """Each new row completed in place (id, times, derived text, stored JSON) as it is read, and
    yielded as written (with PostgreSQL's text vector when ``vectors``)."""
    labels = taxonomy_module.load()
    for row, acts, site_id in zip(rows, activities, ids):
        row["id"] = site_id
        row["created_at"] = row["updated_at"] = now
        sites.drop_undeclared_proofs(row)
        derive_text(row, acts, labels)
        row.update(site_json.stored(row, acts))
        yield {**row, "search_vector": search_index.pg_vector(row["search_text"])} if vectors else row


@dataclass
class Prepared:
    """A batch of new sites as ``insert_sites`` would write it on PostgreSQL, every value derived
    and bound ahead of the write (``prepare_inserts``): what is left is sending its own rows
    (``write_prepared``) and its deltas of the shared ones (``publish_prepared``), which other threads
    can do while this one prepares the next batch."""
    ids: list[int]
    copies: list[tuple[str, list[str], list[tuple]]]  # table, columns, rows: in the order written
    counts: site_counts.Deltas


def prepare_inserts(conn: Connection, rows: list[dict], activities: list[list[str]], *, actor: str,
                    action: str = "create") -> Prepared:
    """Everything ``insert_sites`` computes for placed rows, on PostgreSQL, without writing: the
    new ids are taken from the sequence on ``conn`` (any connection: a sequence is not transactional)."""
    now, ids = utcnow(), _new_ids(conn, len(rows))
    dialect = conn.dialect
    copies = [_copy_of(dialect, _SITE_WITH_VECTOR, list(_completed(rows, activities, ids, now, vectors=True))),
              _copy_of(dialect, SiteActivity.__table__, _link_rows(list(zip(rows, activities)))),
              ("siteword", list(search_index.WORD_COLUMNS), search_index.word_rows([_text_entry(r) for r in rows])),
              _copy_of(dialect, SiteVersion.__table__, list(_version_rows(
                  [(r, acts, {}) for r, acts in zip(rows, activities)], actor, action, now)))]
    counted = [site_counts.counted(row, acts) for row, acts in zip(rows, activities)]
    return Prepared(ids, [copy for copy in copies if copy[2]], site_counts.deltas([], counted))


def write_prepared(session: Session, batch: Prepared) -> None:
    """Write a prepared batch's own rows (its sites, their links, name words and versions) in the
    session's transaction (PostgreSQL): rows no other writer sees or locks until it commits. Then
    ``publish_prepared``."""
    conn = session.connection()
    for table, columns, rows in batch.copies:
        pgcopy.copy_rows(conn, table, columns, rows)


def publish_prepared(session: Session, batch: Prepared) -> None:
    """Apply every delta of a written batch to the rows all writers share (the data version, the grid
    cells, the tallies), just before its commit, so that their locks are held for a moment (``batch_writer``)."""
    freshness.bump(session)
    site_counts.upsert(session, batch.counts)


def _copy_of(dialect, table: Table, rows: list[dict]) -> tuple[str, list[str], list[tuple]]:
    keys = list(rows[0]) if rows else []
    return table.name, keys, list(_bound(dialect, table, keys, rows)) if rows else []


def _new_ids(conn: Connection, n: int) -> list[int]:
    """Ids for ``n`` new sites, taken before they are written so that each row is written with its
    own (read back by key, they cost a third of the site rows' insert on SQLite). PostgreSQL: from
    the sequence. SQLite: those it would give them, after the largest, as the transaction holds the
    database's one write lock (``freshness.bump`` took it)."""
    if conn.dialect.name == "postgresql":
        return list(conn.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('site', 'id')) FROM generate_series(1, %s)", (n,)).scalars())
    last = conn.execute(select(func.max(SITE.c.id))).scalar() or 0
    return list(range(last + 1, last + 1 + n))


def rewrite_sites(session: Session, rows: list[dict], activities: list[list[str]], before: list[dict], *,
                  actor: str, action: str = "update", noted: list[dict] | None = None,
                  copies: bool = False) -> list[dict]:
    """Write new values of existing sites, given their snapshots ``before`` (``sites.snapshot``).

    A row carries the site's id and the version it was read at; a site that moved on since raises
    ``StaleSite`` (roll the batch back and read again). Only rows that changed are written, each
    with a new version. ``noted``: per row, changes that are no column of the site (its pôles, which
    follow its commune), recorded in its version. ``copies``: also rewrite the derived copies of
    unchanged rows (a repair), keeping their version. Returns each row's diff ``{field: [old, new]}``.
    """
    now, labels = utcnow(), taxonomy_module.load()
    diffs, written, versioned, counted_before = [], [], [], []
    for i, (row, acts, old) in enumerate(zip(rows, activities, before)):
        sites.drop_undeclared_proofs(row)
        derive_text(row, acts, labels)
        diff = changes(old, row, acts) | (noted[i] if noted else {})
        diffs.append(diff)
        row["expected_version"] = row["version"]
        if diff:
            row["version"] += 1
            row["updated_at"] = now
            versioned.append((row, acts, diff))
        if diff or copies:
            row.update(site_json.stored(row, acts))
            written.append((row, acts))
            counted_before.append(site_counts.counted(old, old["activities"]))
    if written:
        freshness.bump(session)
        if _update_sites(session, [row for row, _ in written]) != len(written):
            raise StaleSite("une fiche a été modifiée pendant l'écriture du lot")
        session.execute(delete(SiteActivity.__table__).where(
            SiteActivity.__table__.c.site_id.in_([row["id"] for row, _ in written])))
        _write_links(session, written)
        search_index.index_entries(session, [_text_entry(row) for row, _ in written], vectors_written=True)
        _write_versions(session, versioned, actor, action, now)
        site_counts.change(session, counted_before, [site_counts.counted(row, acts) for row, acts in written])
    for row in rows:
        row.pop("expected_version", None)
    return diffs


def _update_sites(session: Session, rows: list[dict]) -> int:
    """Write the rows (every column, ``expected_version`` the one they were read at) over the sites
    still at that version; returns how many were. PostgreSQL: one UPDATE joining the rows copied
    into a temporary table (with the text vector); SQLite: one executemany."""
    if not search_index.vectors_in_rows(session):
        statement = (update(SITE).where(SITE.c.id == bindparam("site_id"))
                     .where(SITE.c.version == bindparam("expected_version")))
        params = [{k: v for k, v in row.items() if k != "id"} | {"site_id": row["id"]} for row in rows]
        return session.execute(statement, params).rowcount
    columns = [k for k in rows[0] if k not in ("id", "expected_version")] + ["search_vector"]
    values = ({**row, "search_vector": search_index.pg_vector(row["search_text"])} for row in rows)
    keys = ["id", "expected_version", *columns]
    conn = session.connection()
    staged = pgcopy.stage(conn, "site", {k: "version" if k == "expected_version" else k for k in keys},
                          _bound(conn.dialect, _SITE_WITH_VECTOR, keys, values, {"expected_version": "version"}))
    sql = (f"UPDATE site SET {', '.join(f'{c} = v.{c}' for c in columns)} FROM {staged} AS v "
           "WHERE site.id = v.id AND site.version = v.expected_version")
    return conn.exec_driver_sql(sql).rowcount


def read(session: Session, ids: list[int]) -> tuple[list[dict], list[list[str]]]:
    """The stored rows of sites (every column) and their sorted activities, in the order of ``ids``."""
    found = {r["id"]: dict(r) for r in session.execute(select(SITE).where(SITE.c.id.in_(ids))).mappings()}
    activities: dict[int, list[str]] = {i: [] for i in found}
    links = SiteActivity.__table__
    for site_id, activity in session.execute(select(links.c.site_id, links.c.activity)
                                             .where(links.c.site_id.in_(ids)).order_by(links.c.activity)):
        activities[site_id].append(activity)
    kept = [i for i in ids if i in found]
    return [found[i] for i in kept], [activities[i] for i in kept]


READ_CHUNK = 5000  # sites read and written at a time by the whole-table passes below


def chunks_of_ids(session: Session, where=None):
    """Every site id (of ``where``), in id order, by lists of ``READ_CHUNK``."""
    after = 0
    while True:
        query = select(SITE.c.id).where(SITE.c.id > after).order_by(SITE.c.id).limit(READ_CHUNK)
        ids = list(session.execute(query if where is None else query.where(where)).scalars())
        if not ids:
            return
        yield ids
        after = ids[-1]


def set_values(session: Session, ids: list[int], values: dict, *, actor: str, action: str) -> int:
    """Give sites the same column values (e.g. ``missing_from_source_at``), with a history version
    for each one that changed; returns how many changed."""
    changed = 0
    for start in range(0, len(ids), READ_CHUNK):
        rows, activities = read(session, ids[start:start + READ_CHUNK])
        before = [sites.snapshot_of(row, acts) for row, acts in zip(rows, activities)]
        for row in rows:
            row.update(values)
        changed += sum(1 for d in rewrite_sites(session, rows, activities, before, actor=actor, action=action) if d)
    return changed


def derive_text(row: dict, activities: list[str], taxonomy: Taxonomy | None = None) -> None:
    """The copies of a row's text: its search text and its name's sort key. ``taxonomy``: the file's
    as read once for a batch (``taxonomy.load``), else read again."""
    row["search_text"] = search_index.search_text_of(row, activities, taxonomy)
    row["sort_name"] = sort_key(row["name"])


def changes(before: dict, row: dict, activities: list[str]) -> dict:
    """``{field: [old, new]}`` from a site's snapshot to new column values and activities."""
    after = sites.snapshot_of(row, activities)
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


def insert_rows(session: Session, table: Table, rows: Iterable[dict]) -> None:
    """INSERT rows (dicts with the same keys) at once: PostgreSQL copies them (``pgcopy``) as they
    come, so that a generator's next rows are computed while the server stores the first ones;
    SQLite inserts them in one executemany of the driver.

    Values go through SQLAlchemy's own bind processors of each column (enums, JSON, dates), so
    they are stored exactly as Core would store them; what is skipped is Core's per-row statement
    machinery, which costs more than the database's own work on a batch of thousands.
    """
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    conn, keys, rows = session.connection(), list(first), chain([first], rows)
    if conn.dialect.name == "postgresql":
        pgcopy.copy_rows(conn, table.name, keys, _bound(conn.dialect, table, keys, rows))
        return
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=keys)
    order = list(compiled.positiontup or keys)
    if set(order) != set(keys):  # the statement would add defaults of its own: let Core do it
        session.execute(table.insert(), list(rows))
        return
    params = _bound(conn.dialect, table, order, rows)
    conn.exec_driver_sql(compiled.string, list(params if compiled.positional else (dict(zip(order, p)) for p in params)))


def _bound(dialect, table: Table, keys: list[str], rows: Iterable[dict],
           typed_as: dict[str, str] | None = None) -> Iterator[tuple]:
    """Each row's values of ``keys`` as bound (``typed_as``: keys that are no column, and the column
    whose type they have)."""
    values = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    processors = _processors(dialect, table, keys, typed_as)
    for row in rows:
        bound = list(values(row))
        for i, process in processors:
            bound[i] = process(bound[i])
        yield tuple(bound)


def _processors(dialect, table: Table, keys: list[str], typed_as: dict[str, str] | None = None):
    """The bind processors of the columns ``keys`` (by position), memoised where values repeat;
    ``typed_as``: keys that are no column, and the column whose type they have."""
    columns = [table.c[(typed_as or {}).get(k, k)] for k in keys]
    return [(i, _empty_memoized(p) if isinstance(c.type, JSON) else p if isinstance(c.type, Float) else _memoized(p))
            for i, c in enumerate(columns) if (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None]


def _memoized(process):
    """A bind processor remembering its results: a batch repeats the same flags, enums and dates."""
    results = {}

    def cached(value):
        try:
            return results[value]
        except KeyError:
            results[value] = converted = process(value)
            return converted
    return cached


_EMPTY_JSON = (type(None), dict, list)


def _empty_memoized(process):
    """A JSON column's bind processor remembering the text of its empty values (None, {}, []), which
    most rows of a batch hold (no labels, no proof of a status, no change, no override): each was
    serialised again, ~2.5 µs a value, four or five a new site."""
    results = {}

    def cached(value):
        if value or type(value) not in _EMPTY_JSON:
            return process(value)
        try:
            return results[type(value)]
        except KeyError:
            results[type(value)] = converted = process(value)
            return converted
    return cached


def _write_dependents(session, rows, activities, actor, action, changes, now, new=False) -> None:
    """Activities, search index entries and the history version of freshly written rows."""
    _write_links(session, list(zip(rows, activities)))
    search_index.index_entries(session, [_text_entry(r) for r in rows], new=new, vectors_written=True)
    _write_versions(session, list(zip(rows, activities, changes)), actor, action, now)


def _text_entry(row: dict) -> dict:
    """What the text index needs of a written row (``search_index.index_entries``)."""
    return {"id": row["id"], "body": row["search_text"], "sort_name": row["sort_name"]}


def _write_links(session, written: list[tuple[dict, list[str]]]) -> None:
    links = _link_rows(written)
    if links:
        insert_rows(session, SiteActivity.__table__, links)


def _link_rows(written: list[tuple[dict, list[str]]]) -> list[dict]:
    """The activity links of rows, with their copies of the site's status and position."""
    return [{"site_id": r["id"], "activity": a, "status": r["status"], "lon": r["lon"], "lat": r["lat"]}
            for r, acts in written for a in acts]


def _write_versions(session, versioned: list[tuple[dict, list[str], dict]], actor, action, now) -> None:
    insert_rows(session, SiteVersion.__table__, _version_rows(versioned, actor, action, now))  # streamed


def _version_rows(versioned: list[tuple[dict, list[str], dict]], actor, action, now) -> Iterator[dict]:
    for r, acts, diff in versioned:
        yield {"site_id": r["id"], "version": r["version"], "action": action, "actor": actor, "contribution_id": None,
               "changed_at": now, "changes": diff, "snapshot": sites.snapshot_of(r, acts)}


def replace(rows: list[dict], locator: Locator) -> None:
    """Territory keys of stored rows from their points, in place (a site outside every commune stays,
    marked so: it exists already)."""
    if not locator.enabled or not rows:
        return
    codes = locator.locate_many([row["lon"] for row in rows], [row["lat"] for row in rows])
    for row, code in zip(rows, codes):
        row.update(sites.territory_fields(locator.placement(code) if code is not None else None))
