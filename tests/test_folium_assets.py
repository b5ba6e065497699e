"""Map pages must load every JS/CSS/font/image from our own server (no internet in production)."""
import re

import folium
import pytest
from branca.element import JavascriptLink
from folium import plugins
from folium.elements import JSCSSMixin

from carto.views.folium_assets import (
    OSM_ATTRIBUTION,
    STATIC_DIR,
    VENDORED,
    OfflineAssetError,
    external_assets,
    local_url,
    localize,
    render_offline,
    tile_layer,
)

ASSET_TAG = re.compile(r"""<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)\"""")
CSS_URL = re.compile(r"""url\(\s*["']?([^"')]+)""")


def build_map(tiles="blank"):
    """A map using everything our pages use: clusters, icons, GeoJSON, layer and map controls."""
    m = folium.Map(location=[48.1, -2.8], zoom_start=8, tiles=None)
    tile_layer(tiles).add_to(m)
    cluster = plugins.MarkerCluster(name="Structures").add_to(m)
    folium.Marker([48.11, -1.68], icon=folium.Icon(icon="leaf", prefix="fa", angle=45)).add_to(cluster)
    folium.Marker([47.66, -2.76], popup=folium.Popup("<b>Vannes</b>")).add_to(cluster)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": {"nom": "Rennes"},
            "geometry": {"type": "Polygon", "coordinates": [[[-1.7, 48.1], [-1.6, 48.1], [-1.6, 48.2], [-1.7, 48.1]]]},
        }]},
        name="Communes",
        tooltip=folium.GeoJsonTooltip(["nom"]),
    ).add_to(m)
    plugins.Fullscreen().add_to(m)
    plugins.LocateControl().add_to(m)
    folium.LayerControl().add_to(m)
    return m


def asset_urls(html):
    return ASSET_TAG.findall(html)


def test_rendered_map_loads_only_vendored_files():
    html = render_offline(build_map())
    urls = asset_urls(html)
    # Sanity: folium's core set plus the three MarkerCluster files and the two controls.
    assert len(urls) >= 15
    for url in urls:
        assert url.startswith("/static/vendor/"), url
        assert (STATIC_DIR / url.removeprefix("/static/")).is_file(), url
    assert not re.search(r"""<(?:script|link)\b[^>]*(?:src|href)="(?:https?:)?//""", html)
    assert "/static/tiles/blank.png" in html


def test_real_tile_server_is_allowed_only_as_tile_template():
    html = render_offline(build_map("https://tile.openstreetmap.org/{z}/{x}/{y}.png"))
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in html
    assert "OpenStreetMap" in OSM_ATTRIBUTION
    assert external_assets(html) == []


def test_static_url_prefix_is_respected():
    html = render_offline(build_map(), static_url="/carto/static/")
    assert all(url.startswith("/carto/static/vendor/") for url in asset_urls(html))


def test_localize_does_not_touch_folium_class_defaults():
    localize(build_map())
    assert folium.Map.default_js[0][1].startswith("https://")
    assert plugins.MarkerCluster.default_css[0][1].startswith("https://")


@pytest.mark.parametrize("cls", [folium.Map, plugins.MarkerCluster, plugins.Fullscreen, plugins.LocateControl])
def test_every_default_asset_of_used_classes_is_vendored(cls):
    for _, url in cls.default_js + cls.default_css:
        assert local_url(url).startswith("/static/vendor/"), url


def test_every_vendored_file_and_its_css_references_exist():
    for path, _ in VENDORED.values():
        file = STATIC_DIR / "vendor" / path
        assert file.is_file(), path
        if file.suffix == ".css":
            # Fonts and images are loaded relative to the stylesheet, so the layout must match.
            for ref in CSS_URL.findall(file.read_text(encoding="utf-8")):
                if ref.startswith(("data:", "#")):
                    continue
                target = (file.parent / ref.split("?")[0].split("#")[0]).resolve()
                assert target.is_file(), f"{path} -> {ref}"
    assert (STATIC_DIR / "tiles" / "blank.png").read_bytes().startswith(b"\x89PNG")


def test_every_vendored_library_has_a_licence():
    folders = {path.split("/")[0] for path, _ in VENDORED.values()}
    for folder in folders:
        assert any("LICEN" in p.name.upper() for p in (STATIC_DIR / "vendor" / folder).iterdir()), folder


class CdnPlugin(JSCSSMixin):
    default_js = [("mystery", "https://cdn.example.com/mystery-plugin@1.0.0/mystery.min.js")]


def test_unknown_cdn_asset_raises_clear_error():
    m = build_map()
    CdnPlugin().add_to(m)
    with pytest.raises(OfflineAssetError, match=r"https://cdn\.example\.com/.*mystery\.min\.js"):
        localize(m)


def test_hand_added_header_link_is_localized_or_refused():
    m = build_map()
    m.get_root().header.add_child(JavascriptLink("https://code.jquery.com/jquery-3.7.1.min.js"), name="jq")
    assert "/static/vendor/jquery/jquery.min.js" in render_offline(m)
    m.get_root().header.add_child(JavascriptLink("https://cdn.example.com/x.js"), name="x")
    with pytest.raises(OfflineAssetError, match="x.js"):
        localize(m)


def test_version_mismatch_raises():
    with pytest.raises(OfflineAssetError, match="1.9.4"):
        local_url("https://cdn.jsdelivr.net/npm/leaflet@1.9.4/dist/leaflet.js")


class RenderTimeCdn(folium.MacroElement):
    """Mimics folium's Vega elements, which add their links inside render()."""

    def render(self, **kwargs):
        self.get_root().header.add_child(JavascriptLink("https://cdn.example.com/late.js"), name="late")
        super().render(**kwargs)


def test_render_time_cdn_link_is_caught_by_html_scan():
    m = build_map()
    RenderTimeCdn().add_to(m)
    with pytest.raises(OfflineAssetError, match="late.js"):
        render_offline(m)
