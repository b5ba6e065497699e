"""Published sites counted per territory and per label, kept in step by the write path.

The territory statistics count a level's published sites per territory and combination of
activities, the pôles' index a commune's published sites, and the supplier form offers the labels
published sites hold. Counted from the sites, each was a pass over every published site, kept per
data version (``freshness.per_version``), so the first read after any write, in each server process,
paid it (at 1,000,000 sites on PostGIS: 0.6 s for an EPCI's statistics, 1.5 s for the labels). Here
the write path keeps those counts: ``SiteTally`` per level, territory and combination of activities,
``LabelTally`` per label; a read adds up a few thousand rows at most.

As for the grid cells (``carto.storage.cells``), and in the same step (``carto.storage.site_counts``),
the write path hands over how each site it writes was counted before (``counted`` of its snapshot)
and how it is counted now: a site counted the same way is left alone, the others are taken out of
their old rows and into their new ones, summed per row in Python and upserted once per batch,
sorted by key. A row whose sites all left keeps a count of 0: reads skip it, the check takes it for
a missing row. ``rebuild`` counts every site again in SQL.
"""
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlmodel import Session

from carto.storage import pgcopy

LEVELS = {"commune": "commune_code", "epci": "epci_code", "pays": "pays_code", "departement": "dep_code"}
NOWHERE = ""  # the code of the sites in no territory of a level: each level counts every published site

Counted = tuple[int, tuple[str, ...], str, tuple[str, ...]]  # id, codes per level, activity_slugs, labels


def counted(values, activities: Iterable[str]) -> Counted | None:
    """How a site is counted in the tallies, from its column values (a row, a snapshot or a Site)
    and its activities; None when it is not published (counted nowhere)."""
    get = values.get if isinstance(values, Mapping) else values.__getattribute__
    status = get("status")
    if getattr(status, "value", status) != "published":
        return None
    codes = tuple(get(column) or NOWHERE for column in LEVELS.values())
    return get("id"), codes, ",".join(sorted(activities)), tuple(sorted(set(get("labels") or ())))


@dataclass
class Deltas:
    """What ``upsert`` writes, in key order: (level, code, activities, count) and (label, count)."""
    sites: list[tuple] = field(default_factory=list)
    labels: list[tuple] = field(default_factory=list)


def deltas(before: Iterable[Counted | None], after: Iterable[Counted | None]) -> Deltas:
    """What moves sites from the rows they were counted in (``before``) to those of their new values
    (``after``), to ``upsert``: sites counted the same way before and after are not touched (one step
    with the other counts: ``carto.storage.site_counts``)."""
    old, new = set(filter(None, before)), set(filter(None, after))
    sites, labels = Counter(), Counter()
    for moved, sign in ((old - new, -1), (new - old, 1)):
        for _, codes, activities, held in moved:
            for level, code in zip(LEVELS, codes):
                sites[level, code, activities] += sign
            for label in held:
                labels[label] += sign
    return Deltas(sorted((*key, n) for key, n in sites.items() if n),
                  sorted((label, n) for label, n in labels.items() if n))


_KEYS = {"sitetally": ("level", "code", "activities"), "labeltally": ("label",)}


def _upsert_sql(table: str, rows: str) -> str:
    columns = ", ".join((*_KEYS[table], "count"))
    return (f"INSERT INTO {table} ({columns}) {rows} ON CONFLICT ({', '.join(_KEYS[table])}) "
            f"DO UPDATE SET count = {table}.count + excluded.count")


def upsert(session: Session, batch: Deltas) -> None:
    """Add the deltas of a batch (``deltas``) to the kept counts."""
    if not (batch.sites or batch.labels):
        return
    session.flush()
    conn = session.connection()
    for table, rows in (("sitetally", batch.sites), ("labeltally", batch.labels)):
        if not rows:
            continue
        columns = (*_KEYS[table], "count")
        if conn.dialect.name == "postgresql":
            staged = pgcopy.stage(conn, table, columns, rows)
            conn.exec_driver_sql(_upsert_sql(table, f"SELECT {', '.join(columns)} FROM {staged}"))
        else:
            conn.exec_driver_sql(_upsert_sql(table, f"VALUES ({', '.join(['?'] * len(columns))})"), rows)


def _expected_sites() -> str:
    """Published sites per level, territory and combination, from one grouped pass over the sites
    (four passes, one per level, took twice as long at 1,000,000 sites on PostGIS)."""
    columns = ", ".join(LEVELS.values())
    grouped = (f"SELECT {columns}, activity_slugs, count(*) AS n FROM site WHERE status = 'published' "
               f"GROUP BY {columns}, activity_slugs")
    return f"WITH grouped AS ({grouped}) " + " UNION ALL ".join(
        f"SELECT '{level}' AS level, coalesce({column}, '{NOWHERE}') AS code, activity_slugs AS activities, "
        f"CAST(sum(n) AS INTEGER) AS count FROM grouped GROUP BY 2, 3" for level, column in LEVELS.items())


def _expected_labels(dialect: str) -> str:
    """Published sites per label, each site once however many times its list names the label."""
    if dialect == "postgresql":
        elements, array = "json_array_elements_text(s.labels) AS l(value)", "json_typeof(s.labels) = 'array'"
    else:
        elements, array = "json_each(s.labels) AS l", "json_type(s.labels) = 'array'"
    return (f"SELECT l.value AS label, count(DISTINCT s.id) AS count FROM site AS s, {elements} "
            f"WHERE s.status = 'published' AND {array} GROUP BY 1")


def _expected(session: Session) -> dict[str, str]:
    return {"sitetally": _expected_sites(), "labeltally": _expected_labels(session.get_bind().dialect.name)}


def rebuild(session: Session) -> None:
    """Count every site again (new tables, or a consistency repair): one grouped pass per table."""
    for table, expected in _expected(session).items():
        session.execute(text(f"DELETE FROM {table}"))
        columns = ", ".join((*_KEYS[table], "count"))
        session.execute(text(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM ({expected}) AS e"))


_DIFFERENCES = """
WITH expected AS ({expected})
SELECT {keys}, t.count, e.count FROM expected AS e LEFT JOIN {table} AS t ON {same}
WHERE t.count IS NULL OR t.count <> e.count
UNION ALL
SELECT {keys_t}, t.count, 0 FROM {table} AS t
WHERE t.count <> 0 AND NOT EXISTS (SELECT 1 FROM expected AS e WHERE {same})
ORDER BY {order}"""


@dataclass(frozen=True)
class TallyDifference:
    """A kept count that is not that of the published sites (``stored``: None when the row is missing)."""
    key: tuple[str, ...]  # (level, code, activities) or (label,)
    stored: int | None
    expected: int

    def describe(self) -> str:
        if len(self.key) == 1:
            which = f"label « {self.key[0]} »"
        else:
            level, code, activities = self.key
            which = f"{_NAMES[level]} « {code} »" if code else f"sans {_NAMES[level]}"
            which += f", activités « {activities} »" if activities else ", sans activité"
        stored = "absent" if self.stored is None else f"{self.stored} site(s) enregistré(s)"
        return f"compte par {which} : {stored}, attendu {self.expected} site(s)"


_NAMES = {"commune": "commune", "epci": "EPCI", "pays": "pays", "departement": "département"}


def differences(session: Session) -> list[TallyDifference]:
    """Every kept count counted again from the published sites: those that differ, missing or in excess."""
    session.flush()
    found = []
    for table, expected in _expected(session).items():
        keys = _KEYS[table]
        sql = _DIFFERENCES.format(
            expected=expected, table=table, keys=", ".join(f"e.{k}" for k in keys),
            keys_t=", ".join(f"t.{k}" for k in keys), order=", ".join(str(i + 1) for i in range(len(keys))),
            same=" AND ".join(f"t.{k} = e.{k}" for k in keys))
        found += [TallyDifference(tuple(row[:-2]), row[-2], row[-1]) for row in session.execute(text(sql))]
    return found
