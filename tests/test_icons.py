"""The icons of the public pages: only the glyphs in use, from our own server, cacheable."""
import io

from fontTools.ttLib import TTFont

from carto.core import taxonomy

from carto.views import icons


def test_every_icon_the_taxonomy_names_exists_in_font_awesome():
    assert icons.unknown(taxonomy.load()) == set()


def test_the_icon_set_holds_the_taxonomy_and_page_icons_and_little_else():
    tax = taxonomy.load()
    icon_set = icons.for_taxonomy(tax)
    for name in icons.names_of(tax):
        assert f".fa-{name}:before{{content:" in icon_set.css
    assert '.fa-recycle:before{content:"\\f1b8"}' in icon_set.css
    font = TTFont(io.BytesIO(icon_set.font))
    code_points = set(font.getBestCmap())
    assert {icons.codepoints()[n] for n in icons.names_of(tax)} <= code_points
    assert len(icon_set.font) < 20_000  # Font Awesome's whole solid font: 150 KB


def test_icons_are_served_with_long_caching_under_a_versioned_address(client):
    version = icons.for_taxonomy(taxonomy.load()).version
    css = client.get(f"/icones.css?v={version}")
    assert css.headers["content-type"].startswith("text/css")
    assert "immutable" in css.headers["cache-control"]
    assert f"url(/icones/{version}.woff)" in css.text
    font = client.get(f"/icones/{version}.woff")
    assert font.headers["content-type"] == "font/woff" and font.content[:4] == b"wOFF"
    assert client.get("/icones/000000000000.woff").status_code == 404
    assert f'href="/icones.css?v={version}"' in client.get("/").text
