"""Folium maps of the public pages, with every asset served by the app itself.

The map page is rendered server-side by folium (base layer, an empty marker cluster, layer
control); ``web/static/js/map.js`` fills the cluster with the sites of the current view and adds
the pôle areas. A site's page carries a small map of its own (``site_detail_map``).
"""
import base64
import functools
import json
import re
from dataclasses import dataclass
from typing import Callable

import folium
import shapely
from branca.element import Element, MacroElement
from folium.map import FitBounds, Layer
from folium.plugins import MarkerCluster
from jinja2 import Template

from carto.views import folium_assets
from carto.core.settings import Settings

BRITTANY_BOUNDS = [[47.25, -5.2], [48.9, -1.0]]
BOUNDARY_CREDIT = "Contours : IGN Admin Express, INSEE COG"
SITES_LAYER = "Sites de l'ESS"
# Our pages only use Leaflet from folium's defaults; jQuery, Bootstrap, awesome-markers and the whole
# of Font Awesome (~250 KB gzip) are left out: marker icons come from ``carto.views.icons`` (/icones.css).
PAGE_JS = ("leaflet",)
PAGE_CSS = ("leaflet_css",)
# folium's header sets maximum-scale=1 / user-scalable=no: that forbids zooming the page (WCAG
# 1.4.4); base.html has its own viewport tag, so folium's is dropped.
_VIEWPORT_META = re.compile(r"<meta\s+name=\"viewport\"[^>]*>", re.S)
# folium's header also sets two Leaflet flags to their default values in an inline script. Our
# Content-Security-Policy runs only inline scripts carrying the response's nonce (carto.api.headers),
# which the header cannot know: that script is dropped (same behaviour), and any other refused.
_LEAFLET_FLAGS = re.compile(r"<script>\s*L_NO_TOUCH = false;\s*L_DISABLE_3D = false;\s*</script>", re.S)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


class FrenchControls(MacroElement):
    """Zoom buttons named in French (Leaflet's say "Zoom in") and a scale in metres only (folium's
    ``control_scale`` adds miles)."""
    _template = Template(
        "{% macro script(this, kwargs) %}"
        'L.control.zoom({zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière"})'
        ".addTo({{ this._parent.get_name() }});"
        "L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}")


class DataLayer(Layer):
    """GeoJSON features on a folium map, drawn without any of their text passing through a template.

    branca renders each element's script and then renders that output *again* as a Jinja template:
    a ``{{ … }}`` in a pôle or commune name would run on the server (folium's own ``GeoJson`` writes
    the data into the script). Here the features travel base64-encoded, an alphabet without braces,
    and tooltips are built as text nodes in the browser (folium's tooltips are raw HTML).

    ``style``: a feature → its Leaflet path style (computed here, not in the page); ``tooltip``:
    (property, label) pairs shown on hover; ``highlight``: the style while hovered.
    """
    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson(
            JSON.parse(new TextDecoder().decode(Uint8Array.from(
                atob({{ this.encoded|tojson }}), function (c) { return c.charCodeAt(0); }))),
            {
                interactive: {{ this.interactive|tojson }},
                style: function (feature) { return feature.properties.carto_style; },
                onEachFeature: function (feature, layer) {
                    {%- if this.tooltip %}
                    layer.bindTooltip(function () {
                        var box = document.createElement("div");
                        {{ this.tooltip|tojson }}.forEach(function (pair) {
                            var line = box.appendChild(document.createElement("div"));
                            if (pair[1]) { line.appendChild(document.createElement("b")).textContent = pair[1] + " : "; }
                            line.appendChild(document.createTextNode(String(feature.properties[pair[0]])));
                        });
                        return box;
                    }, {sticky: true});
                    {%- endif %}
                    {%- if this.highlight %}
                    layer.on({
                        mouseover: function (e) { e.target.setStyle({{ this.highlight|tojson }}); },
                        mouseout: function (e) { {{ this.get_name() }}.resetStyle(e.target); }
                    });
                    {%- endif %}
                }
            }
        ).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """)

    def __init__(self, data: dict, name: str, style: Callable[[dict], dict],
                 tooltip: list[tuple[str, str]] | None = None, highlight: dict | None = None,
                 control: bool = True):
        super().__init__(name=name, overlay=True, control=control)
        self._name = "DataLayer"
        features = data["features"] if data.get("type") == "FeatureCollection" else [
            {"type": "Feature", "geometry": data, "properties": {}}]
        styled = [{**f, "properties": {**f.get("properties", {}), "carto_style": style(f)}} for f in features]
        text = json.dumps({"type": "FeatureCollection", "features": styled}, ensure_ascii=False)
        self.encoded = base64.b64encode(text.encode()).decode("ascii")
        self.tooltip = [list(pair) for pair in tooltip or []]
        self.highlight = highlight
        self.interactive = bool(tooltip or highlight)

    def render(self, **kwargs) -> None:
        # branca adds what the script macro renders as a new template (``Element(text)``), compiled and
        # rendered again: Jinja's lexer then ran over the whole encoded data, a third of the CPU of the
        # territories page. Added verbatim, nothing in it is ever a template. (The script adds the layer
        # to its parent itself: folium's ``Layer.render`` only adds that line.)
        script = self._template.module.script(self, kwargs)
        self.get_root().script.add_child(_Verbatim(str(script)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Verbatim(Element):
    """Text added to a page as it is, never rendered as a template."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


@dataclass(frozen=True)
class RenderedMap:
    """The pieces of a folium page, to place inside our own templates (one may serve many pages:
    ``thematic_maps.area_map``)."""
    header: str
    html: str
    script: str
    map_name: str
    cluster_name: str = ""
    layers_name: str = ""
    own_basemap_first: bool = False  # map.js starts on our own basemap (carto.views.basemap)


@functools.lru_cache(maxsize=2048)  # the region's communes and territories: outlines change with a geography only
def display_geometry(geometry: str, tolerance: float = 0.002) -> str:
    """A lighter outline for display (~200 m, coordinates to ~10 m): the page carries 19 pôle
    areas, not 1,202 communes. Kept by outline: simplifying a level's outlines took half of the
    CPU of the territories page, for every visitor."""
    simple = shapely.simplify(shapely.from_geojson(geometry), tolerance, preserve_topology=True)
    return shapely.to_geojson(shapely.set_precision(simple, 1e-4))


def base_map(tiles: str, location=(48.2, -3.0), zoom: int = 8, tiles_name: str | None = None,
             **options) -> folium.Map:
    """``tiles``: ``Settings.tiles``. ``tiles_name``: the tiles are offered in the layer control
    under that name (beside our own basemap, see map.js); otherwise they are the only background."""
    m = folium.Map(location=list(location), zoom_start=zoom, tiles=None, zoom_control=False, **options)
    m.add_child(FrenchControls())
    m.default_js = [(name, url) for name, url in m.default_js if name in PAGE_JS]
    m.default_css = [(name, url) for name, url in m.default_css if name in PAGE_CSS]
    base = folium_assets.tile_layer(tiles, max_zoom=19, control=bool(tiles_name),
                                    **({"name": tiles_name} if tiles_name else {}))
    base.options["attribution"] = f"{base.options['attribution']} | {BOUNDARY_CREDIT}"
    base.add_to(m)
    return m


def site_map(settings: Settings, view: tuple[float, float, int] | None = None,
             bounds: list[list[float]] | None = None, sites_layer: str = SITES_LAYER) -> RenderedMap:
    """The public map: an empty cluster of sites and a layer control (map.js adds the pôle areas,
    fetched only when switched on: they would weigh a third of the first load).

    ``view`` (lat, lon, zoom) comes from a shared address: the map starts there rather than fitting
    Brittany, or ``bounds`` ([[south, west], [north, east]], an embed preset to a territory).
    ``sites_layer`` names the sites in the layer control (an embed may be in English).
    """
    tiles_name = "Fond neutre" if settings.tiles == "blank" else "Fond OpenStreetMap"
    if view:
        m = base_map(settings.tiles, location=view[:2], zoom=view[2], tiles_name=tiles_name)
    else:
        m = base_map(settings.tiles, tiles_name=tiles_name)
        # Not animated: the view is final before map.js loads the sites (one request, not two, and
        # Leaflet would ignore a setView during the zoom animation).
        fit = FitBounds(bounds or BRITTANY_BOUNDS)
        fit.options["animate"] = False
        m.add_child(fit)
    cluster = MarkerCluster(name=sites_layer, options={"maxClusterRadius": 50}).add_to(m)
    layers = folium.LayerControl(collapsed=False).add_to(m)
    # A grey void otherwise: draw Brittany.
    return render(m, cluster.get_name(), layers.get_name(), own_basemap_first=settings.tiles == "blank")


def site_detail_map(settings: Settings, lon: float, lat: float, colour: str, icon: str) -> RenderedMap:
    """A small map centred on one site, with a marker in its domain's colour and icon.

    No user text goes into the map (folium does not escape it): the page around it names the site.
    """
    m = base_map(settings.tiles, location=(lat, lon), zoom=15)
    folium.Marker([lat, lon], icon=folium.DivIcon(
        html=marker_html(colour, icon), class_name="carto-marker",
        icon_size=(30, 30), icon_anchor=(15, 30)), keyboard=False).add_to(m)
    return render(m, own_basemap_first=settings.tiles == "blank")


def marker_html(colour: str, icon: str) -> str:
    """The pin of a site (same markup as map.js draws): taxonomy colour and Font Awesome icon."""
    return (f'<span class="carto-pin" style="--pin:{colour}">'
            f'<i class="fa-solid fa-{icon}" aria-hidden="true"></i></span>')


# folium elements that write their text into the map's script, or show it as HTML: with branca's
# second rendering, data there is a template (server-side code) and HTML (script in the page).
_UNSAFE = (folium.GeoJson, folium.Tooltip, folium.Popup, folium.features.GeoJsonTooltip,
           folium.features.GeoJsonPopup)


def render(m: folium.Map, cluster_name: str = "", layers_name: str = "", own_basemap_first: bool = False
           ) -> RenderedMap:
    root = m.get_root()
    if unsafe := [type(e).__name__ for e in folium_assets.walk(root) if isinstance(e, _UNSAFE)]:
        raise TypeError(f"{unsafe}: data on a folium map goes through mapview.DataLayer, never folium's "
                        "GeoJson, Tooltip or Popup (their text is rendered as a template)")
    folium_assets.render_offline(m)  # refuses a page that would still load a CDN asset
    return RenderedMap(header=_header(root), html=root.html.render(),
                       script=root.script.render(), map_name=m.get_name(), cluster_name=cluster_name,
                       layers_name=layers_name, own_basemap_first=own_basemap_first)


def _header(root) -> str:
    header = _LEAFLET_FLAGS.sub("", _VIEWPORT_META.sub("", root.header.render()))
    if _INLINE_SCRIPT.search(header):
        raise ValueError("inline script in folium's header: the Content-Security-Policy would block it; "
                         "move it to the map's script (see carto.views.mapview)")
    return header
