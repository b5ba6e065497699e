"""Maps of the buyers' and territories' pages: a search area with its sites, and the choropleth.

Built on ``carto.views.mapview`` (base layer with credits, assets served locally). Sites are added in the
browser by ``web/static/js/sites-layer.js`` from a list the page carries, into the empty cluster
made here. Territories go in as ``mapview.DataLayer``: their names are data, shown as text.
"""
import functools
import json

import folium
import shapely
from folium.plugins import MarkerCluster

from carto.views import mapview
from carto.core.settings import Settings

OUTLINE_STYLE = {"color": "#6a1b9a", "weight": 2, "fillOpacity": 0.05}
# ColorBrewer YlGnBu, 5 classes (colour-blind safe, prints in grey); grey: no population.
PALETTE = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
NO_DATA = "#bdbdbd"


def _bounds(geometry) -> list[list[float]]:
    west, south, east, north = shapely.bounds(geometry)
    return [[south, west], [north, east]]


def area_map(settings: Settings, outline: str | None = None, centre: tuple[float, float] | None = None,
             radius_km: float | None = None) -> mapview.RenderedMap:
    """The searched area (a territory's outline and/or a circle) and an empty cluster for its sites.

    The same area gives the same map: it is built once per area (folium spent ~10 ms of CPU building
    and rendering it, a third of a supplier search page: its tile provider lookup, its templates
    compiled per element) and the pages of every search of that area share it."""
    return _area_map(settings.tiles, outline, centre, radius_km)


# Each entry holds its outline twice (the key's, and the page's simplified copy): a few hundred KB for
# a pays. The areas searched most stay; a burst over every commune does not fill the memory.
@functools.lru_cache(maxsize=64)
def _area_map(tiles: str, outline: str | None, centre: tuple[float, float] | None,
              radius_km: float | None) -> mapview.RenderedMap:
    m = mapview.base_map(tiles, zoom_snap=0.25)  # fractional zoom: the region fills the frame
    shapes = []
    if outline:
        geometry = mapview.display_geometry(outline)
        mapview.DataLayer(json.loads(geometry), "Territoire", lambda _f: OUTLINE_STYLE, control=False).add_to(m)
        shapes.append(shapely.from_geojson(geometry))
    if centre and radius_km:
        lon, lat = centre
        folium.Circle([lat, lon], radius=radius_km * 1000, color="#0b6e99", weight=2, fill_opacity=0.04,
                      interactive=False).add_to(m)
        # The circle's box, from a buffer in degrees stretched by the latitude (good enough to frame it).
        shapes.append(shapely.Point(lon, lat).buffer(radius_km / 111.2).envelope)
    m.fit_bounds(_bounds(shapely.union_all(shapes)) if shapes else mapview.BRITTANY_BOUNDS)
    cluster = MarkerCluster(name=mapview.SITES_LAYER, options={"maxClusterRadius": 40}).add_to(m)
    return mapview.render(m, cluster.get_name())


def colour(class_index: int | None) -> str:
    return NO_DATA if class_index is None else PALETTE[class_index]


SITES_TOOLTIP = [("nom", "Territoire"), ("sites", "Sites"), ("per_10k", "Pour 10 000 hab.")]


def choropleth(settings: Settings, features: list[dict], tooltip: list[tuple[str, str]] = SITES_TOOLTIP
               ) -> mapview.RenderedMap:
    """Territories coloured by class. ``features``: GeoJSON features whose properties hold
    ``classe`` (index into PALETTE, or None) and the ``tooltip`` fields (by default ``nom``,
    ``sites`` and ``per_10k``, text)."""
    m = mapview.base_map(settings.tiles, zoom_snap=0.25)  # fractional zoom: the region fills the frame
    m.fit_bounds(mapview.BRITTANY_BOUNDS)
    if features:
        mapview.DataLayer(
            {"type": "FeatureCollection", "features": features}, "Territoires", control=False,
            style=lambda f: {"fillColor": colour(f["properties"]["classe"]), "fillOpacity": 0.75,
                             "color": "#555", "weight": 0.8},
            highlight={"weight": 3, "color": "#000"},
            tooltip=tooltip,
        ).add_to(m)
    return mapview.render(m)


def coverage_map(settings: Settings, poles: list[dict], uncovered: list[dict], twice: list[dict]) -> mapview.RenderedMap:
    """Pôle areas, with the communes no pôle covers (red) and those covered twice (orange)."""
    m = mapview.base_map(settings.tiles, zoom_snap=0.25)  # fractional zoom: the region fills the frame
    m.fit_bounds(mapview.BRITTANY_BOUNDS)
    layers = [(poles, "Zones des pôles ESS", {"color": "#6a1b9a", "weight": 1, "fillOpacity": 0.08}),
              (twice, "Communes couvertes par plusieurs pôles", {"color": "#e65100", "weight": 2, "fillOpacity": 0.5}),
              (uncovered, "Communes couvertes par aucun pôle", {"color": "#b3261e", "weight": 2, "fillOpacity": 0.6})]
    for features, name, style in layers:
        if features:
            mapview.DataLayer({"type": "FeatureCollection", "features": features}, name,
                              lambda _f, style=style: style, tooltip=[("nom", "")]).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return mapview.render(m)
