"""Sites counted per cell of a grid, for a map that stays light at any number of sites.

Why a grid computed by the database, rather than vector tiles: it answers with the same SQL on
SQLite and PostgreSQL (no ST_AsMVT on SQLite), takes exactly the filters of every other read
(``carto.query.search.conditions``), so counts agree with the list and the API, and needs nothing new in
the browser (Leaflet draws the cells as cluster bubbles). The payload is bounded by the number of
cells, never by the number of sites.

Cells are squares of ``cell_size(zoom)`` degrees (about ``CELL_PX`` screen pixels wide) on a lattice
anchored at (-180, -90): the same cells whatever the view, so clusters do not jump when the map pans
and a cell's answer can be cached. The box asked for is widened to whole cells, so every cell holds
all its sites; ``total`` counts the sites in the box asked for.

Up to zoom ``carto.storage.cells.MAX_ZOOM``, a view of published sites filtered by activities at
most is read from the cells the write path keeps per zoom (``carto.query.cells``): its cost follows
the number of cells on the screen, not the number of sites (a view of France at 1,000,000 sites read
them all, 0.9 s on PostGIS). Other filters, and closer zooms, group the matching sites themselves.
"""
import math
from dataclasses import dataclass, replace

from sqlalchemy import and_, case, func, literal_column
from sqlmodel import Session, col, select

from carto.query import cells, search
from carto.storage import cells as kept_cells, search_index
from carto.storage.cells import cell_size
from carto.storage.models import Site, SiteCell
from carto.query.search import Box, SiteFilter

MAX_ZOOM = 22
MAX_CELLS = 2000  # per answer: a box much larger than a screen gets coarser cells, not more of them


@dataclass
class Cluster:
    lon: float  # centroid of its sites
    lat: float
    count: int
    bbox: Box  # of its sites: zooming there shows them all
    site_id: int | None  # the site itself, when the cell holds one

    def as_json(self) -> dict:
        out = {"lon": round(self.lon, 6), "lat": round(self.lat, 6), "count": self.count,
               "bbox": [round(v, 6) for v in self.bbox]}
        if self.site_id is not None:
            out["id"] = self.site_id
        return out


@dataclass
class Grid:
    zoom: int
    cell: float  # degrees
    bbox: Box  # the box asked for, widened to whole cells
    total: int  # sites in the box asked for
    clusters: list[Cluster]


def snap(box: Box, cell: float) -> Box:
    west, south, east, north = box
    return (max(-180.0, math.floor((west + 180) / cell) * cell - 180),
            max(-90.0, math.floor((south + 90) / cell) * cell - 90),
            min(180.0, math.ceil((east + 180) / cell) * cell - 180),
            min(90.0, math.ceil((north + 90) / cell) * cell - 90))


def _cells(box: Box, cell: float) -> float:
    west, south, east, north = box
    return math.ceil((east - west) / cell + 1) * math.ceil((north - south) / cell + 1)


def grid(session: Session, f: SiteFilter, zoom: int) -> Grid:
    """Matching sites of ``f.bbox`` counted per cell at ``zoom``."""
    if f.bbox is None:
        raise ValueError("grid needs a bounding box")
    level = zoom
    while _cells(f.bbox, cell_size(level)) > MAX_CELLS:
        level -= 1
    cell = cell_size(level)
    wide = snap(f.bbox, cell)
    if level <= kept_cells.MAX_ZOOM and cells.usable(f):
        return _kept_grid(session, f, zoom, level, wide)
    # The box as plain ranges, not PostgreSQL's GiST filter: a wide view holds a large share of the
    # sites, which the index on (status, lon, lat, …) hands over without reading the table.
    where = search.conditions(session, replace(f, bbox=None))
    where.append(search_index.bbox_clause(session, *wide, through="lon"))
    if f.near and f.radius_km:
        where.append(distance_km(Site.lon, Site.lat, *f.near) <= f.radius_km)
    # The cell size is written into the SQL (a float we computed), so that GROUP BY and SELECT
    # hold the same expression on PostgreSQL.
    size = literal_column(repr(float(cell)))
    cx = cells.cell_number(session, Site.lon + literal_column("180"), size)
    cy = cells.cell_number(session, Site.lat + literal_column("90"), size)
    west, south, east, north = f.bbox
    in_box = case((and_(Site.lon.between(west, east), Site.lat.between(south, north)), 1), else_=0)
    rows = session.exec(
        select(func.count(), func.sum(Site.lon), func.sum(Site.lat), func.min(Site.lon), func.min(Site.lat),
               func.max(Site.lon), func.max(Site.lat), func.min(Site.id), func.sum(in_box))
        .where(*where).group_by(cx, cy)).all()
    clusters = [Cluster(sum_lon / n, sum_lat / n, n, (w, s, e, n_), first if n == 1 else None)
                for n, sum_lon, sum_lat, w, s, e, n_, first, _ in rows]
    clusters.sort(key=lambda c: (-c.count, c.lon, c.lat))
    return Grid(zoom, cell, wide, sum(int(r[-1] or 0) for r in rows), clusters)


def _kept_grid(session: Session, f: SiteFilter, zoom: int, level: int, wide: Box) -> Grid:
    """The grid read from the cells kept by the write path (``carto.query.cells``): as many rows as
    cells on the screen (four times as many at an odd level, read from the next), whatever the number
    of sites."""
    kept = min(z for z in kept_cells.LEVELS if z >= level)
    k, size = 2 ** (kept - level), cell_size(kept)
    # ``wide`` is on cell edges (but the edges of the world): its cell numbers, rounding errors apart
    first = (math.floor((wide[0] + 180) / size + 1e-9), math.floor((wide[1] + 90) / size + 1e-9))
    last = (math.ceil((wide[2] + 180) / size - 1e-9) - 1, math.ceil((wide[3] + 90) / size - 1e-9) - 1)
    cx, cy = SiteCell.cx.op("/")(k), SiteCell.cy.op("/")(k)  # integers: the cell of ``level`` holding it
    rows = session.exec(
        select(func.sum(SiteCell.count), func.sum(SiteCell.sum_lon), func.sum(SiteCell.sum_lat),
               func.min(SiteCell.min_lon), func.min(SiteCell.min_lat), func.max(SiteCell.max_lon),
               func.max(SiteCell.max_lat), func.sum(SiteCell.sum_id))
        .where(SiteCell.zoom == kept, *cells.kept_rows(f, cells.combinations(session, f.activities)),
               col(SiteCell.cx).between(first[0], last[0]), col(SiteCell.cy).between(first[1], last[1]))
        .group_by(cx, cy).having(func.sum(SiteCell.count) > 0)).all()
    clusters = [Cluster(sum_lon / n, sum_lat / n, n, (w, s, e, n_) if n > 1 else (sum_lon, sum_lat, sum_lon, sum_lat),
                        int(ids) if n == 1 else None)
                for n, sum_lon, sum_lat, w, s, e, n_, ids in rows]
    clusters.sort(key=lambda c: (-c.count, c.lon, c.lat))
    return Grid(zoom, cell_size(level), wide, cells.view_total(session, f), clusters)


def distance_km(lon_column, lat_column, lon: float, lat: float):
    """Great-circle distance in SQL, the formula of ``carto.query.search.distance_km`` (needs SQLite's math
    functions, present in Python's and Debian's builds)."""
    p1, p2 = func.radians(lat), func.radians(lat_column)
    a = (func.power(func.sin((p2 - p1) / 2), 2)
         + func.cos(p1) * func.cos(p2) * func.power(func.sin(func.radians(lon_column - lon) / 2), 2))
    return 2 * search.EARTH_RADIUS_KM * func.asin(func.sqrt(a))
