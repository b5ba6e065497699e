"""Names of territories and pôles are data, never a template nor markup, on every page with a folium map.

branca renders a map's script a second time as a Jinja template, and folium's tooltips are raw HTML:
a pôle, commune, EPCI or pays name holding ``{{ … }}`` would run on the server, ``<img onerror>``
in the browser. Administrators load those names (``carto territories load``, ``carto poles load``),
so they are tried here with such payloads, and each page is read in Chromium, tooltips opened.
"""
import json

import pytest
from sqlmodel import select

from carto.storage.models import Commune, Pole, Territory
from carto.territory import poles
from tests.helpers import make_client, map_features

PAYLOAD = 'SSTI {{ 7*7 }} {% raw %} {# x <img src=x onerror="window.__xss=1">'
RENDERED = "SSTI 49"  # what the page would show if the name had been rendered as a template
POLE = "reso-solidaire"
RENNES, EPCI, PAYS = "35238", "243500139", "15"  # Rennes, Rennes Métropole, pays de Rennes

# Every tooltip of the page's map opened, read as text; and whether any HTML got into one.
TOOLTIPS = """(mark) => {
  const map = Object.values(window).find((v) => v instanceof L.Map);
  const texts = [];
  map.eachLayer((layer) => {
    if (layer.feature && layer.getTooltip && layer.getTooltip() && JSON.stringify(layer.feature.properties).includes(mark)) {
      layer.openTooltip();
      texts.push(layer.getTooltip().getElement().textContent);
    }
  });
  return {texts: texts, markup: document.querySelectorAll(".leaflet-tooltip img").length, xss: !!window.__xss};
}"""


@pytest.fixture
def named(demo_service):
    """The demo database with the payload in a pôle's, a commune's, an EPCI's and a pays' name."""
    with demo_service.session() as session:
        session.get(Pole, POLE).name = f"Pôle {PAYLOAD}"
        session.get(Commune, RENNES).name = f"Rennes {PAYLOAD}"
        for level, code in (("epci", EPCI), ("pays", PAYS)):
            session.exec(select(Territory).where(Territory.level == level, Territory.code == code)).one().name = \
                f"{level} {PAYLOAD}"
        session.commit()
    return demo_service


# path -> whether its map names territories in tooltips (the others draw an outline only)
PAGES = {
    "/territoires?level=pole": True,
    "/territoires?level=epci": True,
    "/territoires?level=pays": True,
    "/territoires/couverture": True,
    f"/poles/{POLE}": False,
    f"/sourcing?zone=pole:{POLE}": False,
}


@pytest.mark.parametrize("path", list(PAGES))
def test_names_with_template_syntax_are_served_as_they_are(named, path):
    with make_client(named) as client:
        response = client.get(path)
    assert response.status_code == 200, response.text[:500]
    assert RENDERED not in response.text
    if PAGES[path]:
        assert any(PAYLOAD in f["properties"]["nom"] for f in map_features(response.text))


def test_an_uploaded_coverage_keeps_only_its_geometry(named):
    area = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"nom": PAYLOAD, "note": "{{ config }}"},
        "geometry": {"type": "Polygon", "coordinates": [[[-1.8, 48.0], [-1.5, 48.0], [-1.5, 48.2],
                                                          [-1.8, 48.2], [-1.8, 48.0]]]}}]}
    with named.session() as session:
        poles.set_coverage(session, POLE, geojson=json.dumps(area))
        session.commit()
        stored = session.get(Pole, POLE).coverage_geojson
    assert "SSTI" not in stored and "config" not in stored
    assert json.loads(stored)["type"] == "Polygon"


@pytest.mark.parametrize("broken", ['{"type": "Feature"}', '{"type": "FeatureCollection", "features": [{}]}',
                                    '[1, 2]', '{"type": "Polygon", "coordinates": "x"}'])
def test_a_coverage_that_is_no_geometry_is_refused_in_french(named, broken):
    with named.session() as session, pytest.raises(poles.PoleError, match="GeoJSON illisible"):
        poles.set_coverage(session, POLE, geojson=broken)


@pytest.mark.browser
def test_every_map_shows_the_names_literally_in_a_browser(named, page):
    from carto.app import create_app
    from tests.helpers import LiveServer
    with LiveServer(create_app(service=named)) as server:
        for path, tooltips in PAGES.items():
            page.goto(server.url + path)
            page.wait_for_function("() => Object.values(window).some((v) => v instanceof L.Map)")
            assert PAYLOAD in page.inner_text("body"), path  # the page's own text, escaped by Jinja
            found = page.evaluate(TOOLTIPS, "SSTI")
            if tooltips:
                assert found["texts"], f"{path}: no tooltip carries the name"  # the map did draw it
                assert all(PAYLOAD in text for text in found["texts"]), (path, found["texts"])
            assert found["markup"] == 0 and not found["xss"], path
            assert RENDERED not in page.inner_text("body"), path
            assert page.errors == [], (path, page.errors)


def test_folium_elements_that_carry_text_are_refused_on_our_maps():
    import folium

    from carto.views import mapview
    m = mapview.base_map("blank")
    folium.GeoJson({"type": "Point", "coordinates": [-1.7, 48.1]}, tooltip="{{ 7*7 }}").add_to(m)
    with pytest.raises(TypeError, match="DataLayer"):
        mapview.render(m)
