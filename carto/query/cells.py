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

from sqlalchemy import Integer, and_, cast, func, not_, or_, union_all
from sqlmodel import Session, col, select

from carto.query import search
from carto.query.search import Box, SiteFilter
from carto.storage import search_index
from carto.storage.cells import ALL, LEVELS, MAX_ZOOM, cell_size
from carto.storage.models import Site, SiteCell, SiteStatus

_EPSILON = 1e-9  # degrees: strips are widened by this for the index, the cell numbers decide


def usable(f: SiteFilter) -> bool:
    """Whether the cells answer for this filter (published sites, a box, activities and the ESS flag at most)."""
    return (f.statuses == (SiteStatus.published,) and not f.q and f.near is None and f.siae is None
            and f.ea_esat is None and not any((f.commune, f.epci, f.pays, f.departement, f.pole)))


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
    return search.per_version(session, ("cell combinations",), lambda: list(session.exec(
        select(SiteCell.activities).distinct().where(SiteCell.zoom == 0, SiteCell.activities != ALL))))


def counts_by_combination(session: Session, f: SiteFilter, box: Box) -> Counter:
    """Published sites of ``box`` (and the other conditions of ``f``, activities aside) counted per
    combination of activities (``activity_slugs``), exactly."""
    west, south, east, north = box
    rings, inner = [], None  # inner: the rectangle of whole cells of the previous level, in its cell numbers
    for previous, zoom in zip((None, *LEVELS), LEVELS):
        size = cell_size(zoom)
        rect = (math.ceil((west + 180) / size), math.ceil((south + 90) / size),
                math.floor((east + 180) / size) - 1, math.floor((north + 90) / size) - 1)
        if rect[0] > rect[2] or rect[1] > rect[3]:
            continue
        ring = [SiteCell.zoom == zoom, col(SiteCell.cx).between(rect[0], rect[2]),
                col(SiteCell.cy).between(rect[1], rect[3])]
        if inner is not None:
            k = 2 ** (zoom - previous)  # cells of this level in one of the previous
            ring.append(not_(and_(col(SiteCell.cx).between(k * inner[0], k * inner[2] + k - 1),
                                  col(SiteCell.cy).between(k * inner[1], k * inner[3] + k - 1))))
        rings.append(and_(*ring))
        inner = rect
    found: Counter = Counter()
    if rings:  # one query for every zoom's ring
        found.update(dict(session.exec(select(SiteCell.activities, func.sum(SiteCell.count))
                                       # each combination named: the index then seeks the cells
                                       .where(*kept_rows(f, _combinations(session)), or_(*rings))
                                       .group_by(SiteCell.activities)).all()))
    # The strips one by one in a UNION ALL: each reads its own range of the position index.
    where = search.conditions(session, replace(f, activities=set(), bbox=None))
    strips = union_all(*(select(Site.activity_slugs).where(*where, search_index.bbox_clause(session, *strip), *extra)
                         for strip, extra in _strips(session, box, inner))).subquery()
    found.update(dict(session.exec(select(strips.c.activity_slugs, func.count())
                                   .group_by(strips.c.activity_slugs)).all()))
    return +found


def _strips(session: Session, box: Box, inner) -> list[tuple[Box, list]]:
    """The parts of ``box`` outside the whole cells of ``MAX_ZOOM`` (``inner``), as boxes for the
    index with the exact conditions on cell numbers."""
    if inner is None:
        return [(box, [])]
    west, south, east, north = box
    size = cell_size(MAX_ZOOM)
    x0, y0, x1, y1 = inner
    w, s, e, n = x0 * size - 180, y0 * size - 90, (x1 + 1) * size - 180, (y1 + 1) * size - 90
    x, y = _x(session, size), _y(session, size)
    within_x = x.between(x0, x1)
    return [((west, south, min(east, w + _EPSILON), north), [x < x0]),
            ((max(west, e - _EPSILON), south, east, north), [x > x1]),
            ((max(west, w - _EPSILON), south, min(east, e + _EPSILON), min(north, s + _EPSILON)), [within_x, y < y0]),
            ((max(west, w - _EPSILON), max(south, n - _EPSILON), min(east, e + _EPSILON), north), [within_x, y > y1])]


def total(counts: Counter, activities: set[str]) -> int:
    """Sites with any of ``activities`` (all, without) from counts per combination."""
    if not activities:
        return sum(counts.values())
    return sum(n for key, n in counts.items() if activities & set(key.split(",")))


def per_activity(counts: Counter) -> dict[str, int]:
    """Sites per activity from counts per combination (a site of two activities counts in both)."""
    out: Counter = Counter()
    for key, n in counts.items():
        for slug in filter(None, key.split(",")):
            out[slug] += n
    return {slug: n for slug, n in out.items() if n}
