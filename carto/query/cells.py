"""Counts of a map view read from the grid cells kept by the write path (``carto.storage.cells``).

A view of the whole country holds a million sites but only a few thousand cells: clusters, the
number of sites of the view and the counts per activity are sums over cells, whose cost follows
the size of the screen, not the number of sites.

Exact counts in a box that does not follow cell edges: the box is covered by rings of whole cells,
the coarsest zoom first and finer zooms towards its edges (cells nest, four in one), down to
``MAX_ZOOM``; what is left is four strips narrower than one of its cells (~9 km) along the edges,
whose sites are counted directly. Every site of the box is counted once: by the cell that holds it,
or in a strip.

Usable for published sites filtered by a box, activities and the ESS flag only: a text, territory
or other flag filter is not kept per cell, and such views are read site by site (``carto.query.search``).
"""
import math
from collections import Counter
from dataclasses import replace

from sqlalchemy import Integer, cast, func, literal, union_all
from sqlmodel import Session, col, select

from carto.query import search
from carto.query.search import Box, SiteFilter
from carto.storage import freshness, search_index
from carto.storage.cells import ALL, LEVELS, MAX_ZOOM, cell_size
from carto.storage.models import Site, SiteCell, SiteStatus

_EPSILON = 1e-9  # degrees: strips are widened by this for the index, the cell numbers decide


def usable(f: SiteFilter) -> bool:
    """Whether the cells answer for this filter (published sites, a box, activities and the ESS flag at most)."""
    return (f.statuses == (SiteStatus.published,) and not f.q and f.near is None and f.siae is None
            and f.ea_esat is None and not f.reserved_verified and not any((f.commune, f.epci, f.pays, f.departement, f.pole)))


def cell_number(session: Session, value, size: float):
    """SQL cell number of a non-negative coordinate offset, as ``carto.storage.cells`` computes it."""
    if session.get_bind().dialect.name == "postgresql":
        return func.floor(value / size)
    return cast(value / size, Integer)


def _x(session: Session, size: float, column=Site.lon):
    return cell_number(session, column + 180, size)


def _y(session: Session, size: float, column=Site.lat):
    return cell_number(session, column + 90, size)


def kept_rows(f: SiteFilter, keys: list[str]) -> list:
    """Conditions on SiteCell for the rows of these ``keys`` (combinations of activities) and the ESS
    flag of ``f`` (the cells count ESS structures and the others apart)."""
    return [col(SiteCell.activities).in_(keys), *([SiteCell.ess == f.ess] if f.ess is not None else [])]


def combinations(session: Session, activities: set[str]) -> list[str]:
    """Keys of the cell rows to add up for sites with any of ``activities`` (all sites: ``ALL``)."""
    if not activities:
        return [ALL]
    return [key for key in _combinations(session) if activities & set(key.split(","))]


def _combinations(session: Session) -> list[str]:
    """Every combination of activities of published sites (a few dozen), listed by the cells of zoom 0."""
    return freshness.per_version(session, ("cell combinations",), lambda: list(session.exec(
        select(SiteCell.activities).distinct().where(SiteCell.zoom == 0, SiteCell.activities != ALL))))


def view_total(session: Session, f: SiteFilter) -> int:
    """Published sites of ``f.bbox`` with any of ``f.activities`` (all, without) and its ESS flag, exactly."""
    return total(counts_by_combination(session, f, f.bbox, combinations(session, f.activities)), f.activities)


def view_per_activity(session: Session, f: SiteFilter, box: Box) -> dict[str, int]:
    """Published sites of ``box`` (and the ESS flag of ``f``) per activity, exactly."""
    return per_activity(counts_by_combination(session, f, box, _combinations(session)))


def everywhere(session: Session, f: SiteFilter) -> Counter:
    """Published sites everywhere (the ESS flag of ``f``, activities aside) counted per combination of
    activities, exactly: the cells of zoom 0 hold every site, a few hundred rows at most."""
    return +Counter(dict(session.exec(
        select(SiteCell.activities, func.sum(SiteCell.count))
        .where(SiteCell.zoom == 0, *kept_rows(f, _combinations(session))).group_by(SiteCell.activities)).all()))


ESTIMATE_CELLS = 64  # at most, read to estimate a view's number of sites


def estimate(session: Session, f: SiteFilter) -> float:
    """About how many published sites of ``f.bbox`` have any of ``f.activities`` and its ESS flag:
    the cells covering the box at the finest level where they number at most ``ESTIMATE_CELLS``,
    each counted for the share of its area inside the box. Enough to choose a plan, never shown."""
    west, south, east, north = f.bbox
    for zoom in reversed(LEVELS):
        size = cell_size(zoom)
        x0, x1 = math.floor((west + 180) / size), math.floor((east + 180) / size)
        y0, y1 = math.floor((south + 90) / size), math.floor((north + 90) / size)
        if (x1 - x0 + 1) * (y1 - y0 + 1) <= ESTIMATE_CELLS:
            break
    rows = session.exec(select(SiteCell.cx, SiteCell.cy, func.sum(SiteCell.count))
                        .where(SiteCell.zoom == zoom, *kept_rows(f, combinations(session, f.activities)),
                               col(SiteCell.cx).between(x0, x1), col(SiteCell.cy).between(y0, y1))
                        .group_by(SiteCell.cx, SiteCell.cy)).all()

    def inside(lo: float, hi: float, first: int) -> float:  # share of a cell's side within [lo, hi]
        start = first * size
        return max(0.0, min(hi, start + size) - max(lo, start)) / size
    return sum(n * inside(west + 180, east + 180, cx) * inside(south + 90, north + 90, cy) for cx, cy, n in rows)


def counts_by_combination(session: Session, f: SiteFilter, box: Box, keys: list[str]) -> Counter:
    """Published sites of ``box`` (and the ESS flag of ``f``, activities aside) counted per combination
    of activities (``activity_slugs``), exactly: the cells of ``keys`` (``[ALL]``: every site counted
    under ``ALL``, the strips' sites too), and the strips' sites per combination."""
    extent = search.extent(session, f.statuses)
    if extent is None or not (box := _overlap(box, extent)):
        return Counter()  # the box as far as sites go: the strips along its edges then hold the fewest
    west, south, east, north = box
    rings, inner = [], None  # inner: the rectangle of whole cells of the previous level, in its cell numbers
    for previous, zoom in zip((None, *LEVELS), LEVELS):
        size = cell_size(zoom)
        rect = (math.ceil((west + 180) / size), math.ceil((south + 90) / size),
                math.floor((east + 180) / size) - 1, math.floor((north + 90) / size) - 1)
        if rect[0] > rect[2] or rect[1] > rect[3]:
            continue
        # each combination named: the primary key then seeks each one's range of cells
        rings += [select(SiteCell.activities, SiteCell.count).where(
                      SiteCell.zoom == zoom, col(SiteCell.cx).between(x0, x1), col(SiteCell.cy).between(y0, y1),
                      *kept_rows(f, keys))
                  for x0, y0, x1, y1 in _ring(rect, inner, 2 ** (zoom - previous) if inner else 0)]
        inner = rect
    found: Counter = Counter()
    if rings:  # every zoom's ring in one query, each read through its own ranges of the key
        rows = union_all(*rings).subquery()
        found.update(dict(session.exec(select(rows.c.activities, func.sum(rows.c.count))
                                       .group_by(rows.c.activities)).all()))
    # The strips one by one in a UNION ALL: each reads its own range of the position index.
    where = search.conditions(session, replace(f, activities=set(), bbox=None))
    if keys == [ALL]:
        key = literal(ALL)  # counting all: the index alone answers
    else:
        # Only the sites of ``keys`` are grouped (the index holds their combination): a view's total of
        # one activity grouped every site of its strips (12,456 to count 1,200 at zoom 8 at 1,000,000 sites).
        key = Site.activity_slugs
        where.append(col(Site.activity_slugs).in_(keys))
    strips = union_all(*(select(key.label("key")).where(*where, search_index.bbox_clause(session, *strip, through=axis),
                                                        *extra)
                         for strip, axis, extra in _strips(session, box, inner))).subquery()
    found.update(dict(session.exec(select(strips.c.key, func.count()).group_by(strips.c.key)).all()))
    return +found


def _ring(rect: tuple, inner: tuple | None, k: int) -> list[tuple]:
    """The cells of ``rect`` outside ``inner`` (cell numbers of the previous level, ``k`` times as
    large): four rectangles, each a range of the primary key, none reading the cells within."""
    if inner is None:
        return [rect]
    x0, y0, x1, y1 = rect
    i0, j0, i1, j1 = k * inner[0], k * inner[1], k * inner[2] + k - 1, k * inner[3] + k - 1
    parts = [(x0, y0, i0 - 1, y1), (i1 + 1, y0, x1, y1), (i0, y0, i1, j0 - 1), (i0, j1 + 1, i1, y1)]
    return [p for p in parts if p[0] <= p[2] and p[1] <= p[3]]


def _overlap(a: Box, b: Box) -> Box | None:
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else None


def _strips(session: Session, box: Box, inner) -> list[tuple[Box, str | None, list]]:
    """The parts of ``box`` outside the whole cells of ``MAX_ZOOM`` (``inner``), as boxes for the
    index, the axis across which each is thin (read through that axis's index: a band of a few
    kilometres, not every site of the view's width), and the exact conditions on cell numbers."""
    if inner is None:
        return [(box, None, [])]
    west, south, east, north = box
    size = cell_size(MAX_ZOOM)
    x0, y0, x1, y1 = inner
    w, s, e, n = x0 * size - 180, y0 * size - 90, (x1 + 1) * size - 180, (y1 + 1) * size - 90
    x, y = _x(session, size), _y(session, size)
    within_x = x.between(x0, x1)
    return [((west, south, min(east, w + _EPSILON), north), "lon", [x < x0]),
            ((max(west, e - _EPSILON), south, east, north), "lon", [x > x1]),
            ((max(west, w - _EPSILON), south, min(east, e + _EPSILON), min(north, s + _EPSILON)), "lat",
             [within_x, y < y0]),
            ((max(west, w - _EPSILON), max(south, n - _EPSILON), min(east, e + _EPSILON), north), "lat",
             [within_x, y > y1])]


def total(counts: Counter, activities: set[str]) -> int:
    """Sites with any of ``activities`` (all, without) from counts per combination."""
    if not activities:
        return sum(counts.values())
    return sum(n for key, n in counts.items() if activities & set(key.split(",")))


def per_activity(counts: Counter) -> dict[str, int]:
    """Sites per activity from counts per combination (a site of two activities counts in both), in
    the order of the slugs: whatever order the database grouped in (a hash on PostgreSQL), the same
    answer, and activities of equal counts listed in the same order (the supplier search's page)."""
    out: Counter = Counter()
    for key, n in counts.items():
        for slug in filter(None, key.split(",")):
            out[slug] += n
    return {slug: n for slug, n in sorted(out.items()) if n}
