"""The home map in a real browser: sites and pôle areas show, nothing leaves the machine."""
import pytest

pytestmark = pytest.mark.browser


def test_home_map_shows_clustered_sites_and_the_pole_layer_offline(live_server, page, tmp_path):
    page.goto(live_server.url + "/")
    page.wait_for_selector(".marker-cluster")
    assert "500 sites dans la vue" in page.locator("#carto-status").inner_text()
    page.get_by_label("Zones des pôles ESS").check()
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() >= 19
    assert "Contours : IGN Admin Express, INSEE COG" in page.locator(".leaflet-control-attribution").inner_text()
    page.screenshot(path=tmp_path / "home.png")
    assert page.external_requests == [] and page.errors == []


def test_a_popup_names_the_site_and_links_to_its_page(live_server, page):
    page.goto(live_server.url + "/#")
    page.wait_for_selector(".marker-cluster")
    page.evaluate("CARTO.map.setView([48.1173, -1.6778], 15)")
    marker = page.locator(".carto-marker").first
    marker.wait_for()
    marker.focus()  # markers are buttons: the keyboard opens them too (and no control can be in the way)
    page.keyboard.press("Enter")
    popup = page.locator(".carto-popup")
    assert popup.locator("h2").inner_text().startswith("[Démo]")
    # Its details (address, itinerary, share…) add links once they arrive: the page's link is its own.
    assert popup.locator("a.carto-popup-link").get_attribute("href").startswith("/sites/")


def test_the_api_documentation_loads_offline(live_server, page):
    page.goto(live_server.url + "/docs")
    page.wait_for_selector(".swagger-ui .opblock")
    assert "/api/sites" in page.locator(".swagger-ui").inner_text()
    assert page.external_requests == [] and page.errors == []
