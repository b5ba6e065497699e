"""Make folium pages load their JS/CSS from our own server instead of public CDNs.

folium elements declare their assets as ``(name, url)`` pairs in ``default_js`` /
``default_css`` and only turn them into ``<script>``/``<link>`` tags while rendering.
``localize()`` walks the element tree of a built map and gives every element its own
copy of those lists with each CDN URL replaced by our vendored file, matched by file
name (and version when the URL states one). A URL we have no copy of raises
``OfflineAssetError``, so a new plugin cannot quietly bring a CDN link back.

A few folium elements (e.g. the Vega popups) add links inside ``render()`` itself,
which no pre-render walk can see; ``render_offline()`` therefore also scans the final
HTML and refuses any remaining external asset tag. Use it to produce map pages.

Vendored files live in ``web/static/vendor/`` (see the README there to refresh them).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import folium
from branca.element import Element, Link

STATIC_DIR = Path(__file__).resolve().parents[2] / "web" / "static"
BLANK_TILE = "tiles/blank.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)

# File name in the CDN URL -> (path under web/static/vendor/, version we ship).
# The version is None where the CDN URL's version does not describe our copy.
VENDORED: dict[str, tuple[str, str | None]] = {
    "leaflet.js": ("leaflet/leaflet.js", "1.9.3"),
    "leaflet.css": ("leaflet/leaflet.css", "1.9.3"),
    "jquery-3.7.1.min.js": ("jquery/jquery.min.js", "3.7.1"),
    "bootstrap.bundle.min.js": ("bootstrap/js/bootstrap.bundle.min.js", "5.2.2"),
    "bootstrap.min.css": ("bootstrap/css/bootstrap.min.css", "5.2.2"),
    # folium links a Bootstrap 3.0.0-RC file (some wrong code points); we ship the 3.4.1 subset.
    "bootstrap-glyphicons.css": ("bootstrap3-glyphicons/css/bootstrap-glyphicons.css", None),
    "all.min.css": ("fontawesome-free/css/all.min.css", "6.2.0"),
    "leaflet.awesome-markers.js": ("leaflet.awesome-markers/leaflet.awesome-markers.js", "2.0.2"),
    "leaflet.awesome-markers.css": ("leaflet.awesome-markers/leaflet.awesome-markers.css", "2.0.2"),
    # folium serves this from its GitHub repo (no version); we regenerate it.
    "leaflet.awesome.rotate.min.css": ("leaflet.awesome.rotate/leaflet.awesome.rotate.min.css", None),
    "leaflet.markercluster.js": ("leaflet.markercluster/leaflet.markercluster.js", "1.1.0"),
    "MarkerCluster.css": ("leaflet.markercluster/MarkerCluster.css", "1.1.0"),
    "MarkerCluster.Default.css": ("leaflet.markercluster/MarkerCluster.Default.css", "1.1.0"),
    # npm has no minified 3.0.0 build (jsDelivr minifies on the fly), so map to the plain file.
    "Control.FullScreen.min.js": ("leaflet.fullscreen/Control.FullScreen.js", "3.0.0"),
    "Control.FullScreen.css": ("leaflet.fullscreen/Control.FullScreen.css", "3.0.0"),
    "L.Control.Locate.min.js": ("leaflet.locatecontrol/L.Control.Locate.min.js", "0.66.2"),
    "L.Control.Locate.min.css": ("leaflet.locatecontrol/L.Control.Locate.min.css", "0.66.2"),
}

_VERSION = re.compile(r"\d+\.\d+\.\d+")
_ASSET_TAG = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)\s*=\s*["']?([^"'\s>]+)""", re.I)
_README = "web/static/vendor/README.md"


class OfflineAssetError(LookupError):
    """A map page would load a JS/CSS file from outside our own server."""


def is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def local_url(url: str, static_url: str = "/static") -> str:
    """Return the vendored URL for a CDN asset URL; already-local URLs come back unchanged."""
    if not is_external(url):
        return url
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    if name not in VENDORED:
        raise OfflineAssetError(
            f"no vendored copy of {url} (file {name!r}): add it under web/static/vendor/ "
            f"and to VENDORED in carto/folium_assets.py, see {_README}"
        )
    path, version = VENDORED[name]
    wanted = _VERSION.findall(url)
    # A folium upgrade that bumps a library must not silently get our older copy.
    if version and wanted and version not in wanted:
        raise OfflineAssetError(
            f"{url} asks for version {wanted[-1]} but web/static/vendor/{path} is {version}; "
            f"refresh it, see {_README}"
        )
    return f"{static_url.rstrip('/')}/vendor/{path}"


def walk(root: Element) -> Iterator[Element]:
    seen: set[int] = set()
    stack = [root]
    while stack:
        element = stack.pop()
        if id(element) in seen:
            continue
        seen.add(id(element))
        yield element
        stack.extend(element._children.values())
        # Popup and friends keep header/html/script sub-elements outside _children.
        stack.extend(
            value for key, value in vars(element).items()
            if key != "_parent" and isinstance(value, Element)
        )


def localize(element: Element, static_url: str = "/static") -> Element:
    """Point every JS/CSS asset of the page holding ``element`` at ``{static_url}/vendor/``.

    Call it once the map is fully built (plugins added). Returns ``element`` for chaining.
    Raises OfflineAssetError for an external asset we have no vendored copy of.
    """
    for node in walk(element.get_root()):
        for attr in ("default_js", "default_css"):
            links = getattr(node, attr, None)
            if links:
                # Set on the instance: folium's lists are class attributes shared by all maps.
                setattr(node, attr, [(name, local_url(url, static_url)) for name, url in links])
        if isinstance(node, Link):  # links someone added to the figure header by hand
            node.url = local_url(node.url, static_url)
    return element


def external_assets(html: str) -> list[str]:
    """External URLs loaded by ``<script src>`` / ``<link href>`` tags in ``html``."""
    return [url for url in _ASSET_TAG.findall(html) if is_external(url)]


def render_offline(element: Element, static_url: str = "/static") -> str:
    """Localize, render the whole page and refuse it if any external asset tag remains."""
    html = localize(element, static_url).get_root().render()
    if leftovers := external_assets(html):
        raise OfflineAssetError(
            f"rendered page still loads external assets (added at render time?): {leftovers}"
        )
    return html


def tile_layer(
    tiles: str = "blank", static_url: str = "/static", attr: str | None = None, **kwargs
) -> folium.TileLayer:
    """Base layer for ``Settings.tiles``: "blank" is our local grey tile (offline use, tests),
    anything else a tile URL template, credited to OpenStreetMap unless ``attr`` is given."""
    kwargs.setdefault("name", "Fond de carte")
    if tiles == "blank":
        # No {z}/{x}/{y}: Leaflet then requests the same single grey image for every tile.
        return folium.TileLayer(
            f"{static_url.rstrip('/')}/{BLANK_TILE}", attr=attr or "Fond neutre (hors ligne)", **kwargs
        )
    return folium.TileLayer(tiles, attr=attr or OSM_ATTRIBUTION, **kwargs)
