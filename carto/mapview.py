"""Folium maps of the public pages, with every asset served by the app itself.

The map page is rendered server-side by folium (base layers, pôle coverage, an empty marker
cluster); ``web/static/js/map.js`` fills the cluster with the sites of the current view.
"""
from dataclasses import dataclass

import folium
import shapely
from folium.plugins import MarkerCluster

from carto import folium_assets
from carto.settings import Settings

BRITTANY_BOUNDS = [[47.25, -5.2], [48.9, -1.0]]
BOUNDARY_CREDIT = "Contours : IGN Admin Express, INSEE COG"


@dataclass
class RenderedMap:
    """The pieces of a folium page, to place inside our own templates."""
    header: str
    html: str
    script: str
    map_name: str
    cluster_name: str


def display_geometry(geometry: str, tolerance: float = 0.002) -> str:
    """A lighter outline for display (~200 m): the page carries 19 pôle areas, not 1,202 communes."""
    return shapely.to_geojson(shapely.simplify(shapely.from_geojson(geometry), tolerance, preserve_topology=True))


def base_map(settings: Settings, **options) -> folium.Map:
    m = folium.Map(location=[48.2, -3.0], zoom_start=8, tiles=None, control_scale=True, **options)
    base = folium_assets.tile_layer(settings.tiles, max_zoom=19, control=False)
    base.options["attribution"] = f"{base.options['attribution']} | {BOUNDARY_CREDIT}"
    base.add_to(m)
    return m


def site_map(settings: Settings, poles_geojson: dict | None) -> RenderedMap:
    m = base_map(settings)
    m.fit_bounds(BRITTANY_BOUNDS)
    if poles_geojson and poles_geojson["features"]:
        folium.GeoJson(
            poles_geojson, name="Zones des pôles ESS", show=False,
            style_function=lambda _f: {"color": "#6a1b9a", "weight": 1.5, "fillOpacity": 0.08},
            tooltip=folium.GeoJsonTooltip(fields=["nom"], aliases=["Pôle ESS"]),
        ).add_to(m)
    cluster = MarkerCluster(name="Sites de l'ESS", options={"maxClusterRadius": 50}).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return render(m, cluster.get_name())


def render(m: folium.Map, cluster_name: str = "") -> RenderedMap:
    root = m.get_root()
    folium_assets.render_offline(m)  # refuses a page that would still load a CDN asset
    return RenderedMap(header=root.header.render(), html=root.html.render(), script=root.script.render(),
                       map_name=m.get_name(), cluster_name=cluster_name)
