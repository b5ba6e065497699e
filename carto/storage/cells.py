"""Published sites counted per cell of the map's grid, kept in step by the write path.

The map's grid (``carto.query.clusters``) has square cells of ``cell_size(zoom)`` degrees on a
lattice anchored at (-180, -90); the size halves from one zoom to the next, so each cell holds
exactly four of the next zoom. ``SiteCell`` keeps, for every other zoom up to ``MAX_ZOOM``
(``LEVELS``), each cell's count, sums and bounds of published sites, once for all of them (``ALL``)
and once per combination of activities (a site's ``activity_slugs``), each apart for ESS structures
and the others (``ess``, a filter of the public map): a view's clusters and counts then read a
bounded number of rows whatever the number of sites it holds (``carto.query.cells``; an odd zoom
reads the next one, four cells in one). Beyond ``MAX_ZOOM`` a view holds few enough sites to be
read directly.

Why every other zoom, up to 10: the write path counts each site in every level, and the fine levels
hold about one row per site. Every zoom up to 12 took 3.4 s per batch of 5,000 sites on PostgreSQL
(130,000 rows upserted); six levels write about a tenth of that.

The write path hands ``site_counts.change`` how each site it writes was counted before (``counted``
of its snapshot) and how it is counted now: a site whose point, activities, ESS flag and status did not
change is left alone (a new geography, most re-imports), the others are taken out of their old
cells and into their new ones, summed per cell in Python and upserted once per batch, sorted by key.
(Grouping by the database over the batch's ids read every site again and cost 0.85 s per 5,000
sites on PostgreSQL at a million sites.) Counts and sums stay exact; bounds may only grow when a
site leaves a cell. ``rebuild`` counts every site again in SQL.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import text
from sqlmodel import Session

from carto.storage import pgcopy

CELL_PX = 60  # screen pixels per cell side at the zoom asked (Leaflet.markercluster groups within 80)
TILE_PX = 256
MAX_ZOOM = 10  # kept up to here: cells of ~9 km; a view at zoom 11 holds some tens of thousands of sites at most
LEVELS = tuple(range(0, MAX_ZOOM + 1, 2))
ALL = "*"  # the row counting every site of a cell (``activity_slugs`` are slugs, never « * »)


def cell_size(zoom: int) -> float:
    """Degrees of longitude spanned by ``CELL_PX`` pixels at ``zoom`` (Web Mercator tiles)."""
    return CELL_PX * 360 / (TILE_PX * 2 ** zoom)


def cell_index(dialect: str, value: str, size: str) -> str:
    """SQL of the cell number of a non-negative coordinate offset: floor on PostgreSQL (its CAST
    rounds), CAST on SQLite (it truncates, which is floor here, and needs no math extension)."""
    if dialect == "postgresql":
        return f"floor(({value}) / {size})"
    return f"CAST(({value}) / {size} AS INTEGER)"


_KEYS = (f"'{ALL}'", "s.activity_slugs")  # each site is counted in the row of all sites and in its combination's
_LEVELS = " UNION ALL ".join(f"SELECT {z} AS zoom, {cell_size(z)!r} AS size" for z in LEVELS)
_COLUMNS = "zoom, activities, cx, cy, ess, count, sum_lon, sum_lat, sum_id, min_lon, min_lat, max_lon, max_lat"
_ON_CONFLICT = """
ON CONFLICT (zoom, activities, cx, cy, ess) DO UPDATE SET
  count = sitecell.count + excluded.count, sum_lon = sitecell.sum_lon + excluded.sum_lon,
  sum_lat = sitecell.sum_lat + excluded.sum_lat, sum_id = sitecell.sum_id + excluded.sum_id,
  min_lon = CASE WHEN excluded.min_lon < sitecell.min_lon THEN excluded.min_lon ELSE sitecell.min_lon END,
  min_lat = CASE WHEN excluded.min_lat < sitecell.min_lat THEN excluded.min_lat ELSE sitecell.min_lat END,
  max_lon = CASE WHEN excluded.max_lon > sitecell.max_lon THEN excluded.max_lon ELSE sitecell.max_lon END,
  max_lat = CASE WHEN excluded.max_lat > sitecell.max_lat THEN excluded.max_lat ELSE sitecell.max_lat END
"""
_COUNT_ALL = """
INSERT INTO sitecell ({columns})
SELECT z.zoom, {key} AS key, {cx} AS cx, {cy} AS cy, s.ess, count(*), sum(s.lon), sum(s.lat),
       sum(s.id), min(s.lon), min(s.lat), max(s.lon), max(s.lat)
FROM site AS s, ({levels}) AS z
WHERE s.status = 'published'
GROUP BY z.zoom, key, cx, cy, s.ess
""" + _ON_CONFLICT
_UPSERT = f"INSERT INTO sitecell ({_COLUMNS}) VALUES ({', '.join(['?'] * 13)})" + _ON_CONFLICT
# PostgreSQL: the rows copied into a temporary table (``pgcopy``), read in the order they were copied.
_PG_UPSERT = f"INSERT INTO sitecell ({_COLUMNS}) SELECT {_COLUMNS} FROM {{staged}}" + _ON_CONFLICT
_SIZES = tuple((zoom, cell_size(zoom)) for zoom in LEVELS)
_RADIX_X, _RADIX_Y = int(360 / cell_size(MAX_ZOOM)) + 2, int(180 / cell_size(MAX_ZOOM)) + 2  # cell numbers stay below

Counted = tuple[int, float, float, bool, str]  # id, lon, lat, ess, activity_slugs of a published site


def counted(values, activities: Iterable[str]) -> Counted | None:
    """How a site is counted in the cells, from its column values (a row, a snapshot or a Site) and
    its activities; None when it is not published (counted nowhere)."""
    get = values.get if isinstance(values, Mapping) else values.__getattribute__
    status = get("status")
    if getattr(status, "value", status) != "published":
        return None
    return get("id"), get("lon"), get("lat"), bool(get("ess")), ",".join(sorted(activities))


def deltas(before: Iterable[Counted | None], after: Iterable[Counted | None]) -> list[tuple]:
    """What moves sites from the rows they were counted in (``before``) to those of their new values
    (``after``), to ``upsert``: sites counted the same way before and after are not touched (one step
    with the other counts: ``carto.storage.site_counts``)."""
    old, new = set(filter(None, before)), set(filter(None, after))
    moves = [(site, -1) for site in old - new] + [(site, 1) for site in new - old]
    return _sums(moves) if moves else []


def _sums(moves: list[tuple[Counted, int]]) -> list[tuple]:
    """Rows of deltas per cell: count, sums and bounds of the sites entering (+1) or leaving (-1),
    grouped with numpy (a batch of 5,000 new sites makes 60,000 cell entries), in key order."""
    (ids, lons, lats, ess, slugs), signs = zip(*(site for site, _ in moves)), [sign for _, sign in moves]
    keys = sorted({ALL, *slugs})  # numbered in their own order, so that numbers sort as the keys do
    number = {key: i for i, key in enumerate(keys)}
    lon, lat, sign = np.array(lons), np.array(lats), np.array(signs)
    site_id, flag = np.array(ids, dtype=np.int64), np.array(ess, dtype=np.int64)
    combination = np.array([number[k] for k in slugs], dtype=np.int64)
    parts = []  # per level and key: (zoom, key, cx, cy, ess) of each site
    for zoom, size in _SIZES:
        # The same float operations as the SQL of ``rebuild``: the same cell numbers.
        cx, cy = np.floor((lon + 180) / size).astype(np.int64), np.floor((lat + 90) / size).astype(np.int64)
        for key in (np.full(len(lon), number[ALL]), combination):
            parts.append((np.full(len(lon), zoom), key, cx, cy, flag))
    zoom, key, cx, cy, flag = (np.concatenate(column) for column in zip(*parts))
    # One integer per cell whose order is that of (zoom, key, cx, cy, ess): a mixed radix.
    code = (((zoom * len(keys) + key) * _RADIX_X + cx) * _RADIX_Y + cy) * 2 + flag
    _, first, which = np.unique(code, return_index=True, return_inverse=True)
    n = len(first)
    lon, lat, sign, site_id = (np.tile(a, len(parts)) for a in (lon, lat, sign, site_id))
    count, sum_id = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    np.add.at(count, which, sign)
    np.add.at(sum_id, which, sign * site_id)
    sums = [np.bincount(which, weights=sign * v, minlength=n) for v in (lon, lat)]
    order = np.argsort(which, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(which[order]) != 0])
    bounds = [f.reduceat(v[order], starts) for f, v in ((np.minimum, lon), (np.minimum, lat),
                                                        (np.maximum, lon), (np.maximum, lat))]
    cells = zip(zoom[first].tolist(), key[first].tolist(), cx[first].tolist(), cy[first].tolist(),
                flag[first].tolist())
    values = zip(count.tolist(), *(s.tolist() for s in sums), sum_id.tolist(), *(b.tolist() for b in bounds))
    return [(z, keys[k], x, y, bool(e), *v) for (z, k, x, y, e), v in zip(cells, values)]


def upsert(session: Session, rows: list[tuple]) -> None:
    """Add cell deltas (``deltas``) to the kept cells."""
    if not rows:
        return
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_UPSERT.format(staged=pgcopy.stage(conn, "sitecell", _COLUMNS.split(", "), rows)))
    else:
        conn.exec_driver_sql(_UPSERT, rows)


def rebuild(session: Session) -> None:
    """Count every site again (a new table, or a consistency repair)."""
    session.execute(text("DELETE FROM sitecell"))
    session.flush()
    cx, cy = _cell_numbers(session)
    for key in _KEYS:
        session.execute(text(_COUNT_ALL.format(columns=_COLUMNS, key=key, cx=cx, cy=cy, levels=_LEVELS)))


def _cell_numbers(session: Session) -> tuple[str, str]:
    dialect = session.get_bind().dialect.name
    return tuple(cell_index(dialect, f"s.{axis} + {offset}", "z.size") for axis, offset in (("lon", 180), ("lat", 90)))


SUM_TOLERANCE = 1e-6  # degrees: sums added and taken away many times carry rounding, never more
_EXPECTED = """
SELECT z.zoom AS zoom, {key} AS activities, {cx} AS cx, {cy} AS cy, s.ess AS ess, count(*) AS count,
       sum(s.lon) AS sum_lon, sum(s.lat) AS sum_lat, sum(s.id) AS sum_id, min(s.lon) AS min_lon,
       min(s.lat) AS min_lat, max(s.lon) AS max_lon, max(s.lat) AS max_lat
FROM site AS s, ({levels}) AS z WHERE s.status = 'published' GROUP BY 1, 2, 3, 4, 5"""
_SAME_CELL = "{a}.zoom = {b}.zoom AND {a}.activities = {b}.activities AND {a}.cx = {b}.cx AND {a}.cy = {b}.cy AND {a}.ess = {b}.ess"
_DIFFERENCES = """
WITH expected AS ({expected})
SELECT e.zoom, e.activities, e.cx, e.cy, e.ess, c.count, e.count
FROM expected AS e LEFT JOIN sitecell AS c ON {same}
WHERE c.count IS NULL OR c.count <> e.count OR c.sum_id <> e.sum_id
   OR abs(c.sum_lon - e.sum_lon) > {tolerance} OR abs(c.sum_lat - e.sum_lat) > {tolerance}
   OR c.min_lon > e.min_lon OR c.min_lat > e.min_lat OR c.max_lon < e.max_lon OR c.max_lat < e.max_lat
UNION ALL
SELECT c.zoom, c.activities, c.cx, c.cy, c.ess, c.count, 0
FROM sitecell AS c
WHERE (c.count <> 0 OR c.sum_id <> 0) AND NOT EXISTS (SELECT 1 FROM expected AS e WHERE {same})
ORDER BY 1, 2, 3, 4, 5"""


@dataclass(frozen=True)
class CellDifference:
    """A kept cell whose counts are not those of the sites it holds (``stored``: None when the
    cell is missing)."""
    zoom: int
    activities: str
    cx: int
    cy: int
    ess: bool
    stored: int | None
    expected: int

    def describe(self) -> str:
        which = "tous les sites" if self.activities == ALL else f"activités « {self.activities} »"
        which += ", ESS" if self.ess else ", hors ESS"
        stored = "absente" if self.stored is None else f"{self.stored} site(s) enregistré(s)"
        return (f"maille zoom {self.zoom} ({self.cx}, {self.cy}), {which} : {stored}, "
                f"attendu {self.expected} site(s) (comptes, sommes ou emprise)")


def differences(session: Session) -> list[CellDifference]:
    """Every kept cell counted again from the published sites: the cells that differ (count, sum of
    ids, sums of coordinates beyond rounding, bounds not holding every site), missing or in excess.

    Bounds may be wider than the sites (they only grow, ``SiteCell``): only narrower is wrong."""
    session.flush()
    cx, cy = _cell_numbers(session)
    expected = " UNION ALL ".join(_EXPECTED.format(key=key, cx=cx, cy=cy, levels=_LEVELS) for key in _KEYS)
    sql = _DIFFERENCES.format(expected=expected, tolerance=SUM_TOLERANCE, same=_SAME_CELL.format(a="c", b="e"))
    return [CellDifference(zoom, activities, int(cx), int(cy), bool(ess), stored, expected)  # PostgreSQL's floor: a float
            for zoom, activities, cx, cy, ess, stored, expected in session.execute(text(sql))]
