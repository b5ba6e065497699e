"""The public map, list and site pages in a real browser (Chromium), asserting on what people see."""
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import shapely
from playwright.sync_api import expect

from carto.directory import bulk
from carto.app import create_app
from carto.directory.site_schema import SiteData
from tests.helpers import LiveServer, popup_details_settled

pytestmark = pytest.mark.browser

SHOWN_SITES = """() => {
  const clusters = Array.from(document.querySelectorAll('.marker-cluster span'),
                              (s) => parseInt(s.textContent.replace(/\\D/g, ''), 10));
  return clusters.reduce((a, b) => a + b, 0) + document.querySelectorAll('.carto-marker').length;
}"""


def status(page):
    return page.locator("#carto-status")


def sites_in_view(page) -> int:
    """The number the status line gives (French thousands are separated by a narrow space)."""
    number = re.match(r"([\d\s\u202f]+) sites? dans la vue", status(page).inner_text()).group(1)
    return int(re.sub(r"\D", "", number))


def shown_sites(page) -> int:
    """Sites on the map: the numbers in the clusters plus the single markers."""
    page.wait_for_load_state("networkidle")
    return page.evaluate(SHOWN_SITES)


def count_of(page, activity_label: str) -> int:
    label = page.locator(".carto-domain li label").filter(has_text=activity_label)
    return int(re.search(r"\d+", label.locator(".carto-count").inner_text()).group())


def url_view(page) -> tuple[float, float, int]:
    q = parse_qs(urlsplit(page.url).query)
    return float(q["lat"][0]), float(q["lon"][0]), int(q["zoom"][0])


def api_total(page, server, query: str) -> int:
    return page.request.get(f"{server.url}/api/sites?{query}&limit=1").json()["numberMatched"]


def open_map(page, server, query: str = ""):
    page.goto(f"{server.url}/{query}")
    expect(status(page)).to_contain_text("dans la vue")


def test_unticking_a_domain_hides_its_sites_and_ticking_all_brings_them_back(live_server, page):
    open_map(page, live_server)
    expect(status(page)).to_have_text("500 sites dans la vue")
    assert shown_sites(page) == 500
    bikes_before = count_of(page, "Atelier et réemploi de vélos")

    page.get_by_role("checkbox", name="Mobilité durable").uncheck()
    expected = api_total(page, live_server, "domain=dechets&domain=alimentation")
    expect(status(page)).to_have_text(f"{expected} sites dans la vue")
    assert 0 < expected < 500 and shown_sites(page) == expected
    assert not page.get_by_role("checkbox", name="Covoiturage").is_checked()
    # Counts are those of the view: an unticked activity still says how many sites it has here.
    assert count_of(page, "Atelier et réemploi de vélos") == bikes_before

    page.get_by_role("button", name="tout : Mobilité durable").click()
    expect(status(page)).to_have_text("500 sites dans la vue")
    page.get_by_role("button", name="rien : Prévention et gestion des déchets").click()
    expect(status(page)).to_have_text(f"{api_total(page, live_server, 'domain=mobilite')} sites dans la vue")
    assert page.errors == [] and page.external_requests == []


def test_the_status_line_says_when_structures_outside_the_ess_are_shown(live_server, page):
    open_map(page, live_server)
    expect(status(page)).to_have_text("500 sites dans la vue")
    page.get_by_label("Toutes, y compris hors ESS").check()
    expect(status(page)).to_have_text("500 sites dans la vue, structures hors ESS comprises")
    assert "ess=all" in page.url
    page.get_by_label("De l'économie sociale et solidaire").check()
    expect(status(page)).to_have_text("500 sites dans la vue")  # the whole line: the note is gone


def test_searching_a_commune_moves_the_map_and_the_counts_follow_the_view(live_server, page):
    open_map(page, live_server)
    bikes_in_brittany = count_of(page, "Atelier et réemploi de vélos")
    place = page.get_by_label("Aller à une commune ou un code postal")
    message = page.locator("#carto-place-message")

    place.fill("quimper")  # Quimper and Quimperlé match: the exact name wins
    place.press("Enter")
    expect(message).to_have_text("Carte centrée sur Quimper.")
    expect(status(page)).not_to_have_text("500 sites dans la vue")
    lat, lon, zoom = url_view(page)
    assert abs(lat - 48.0) < 0.1 and abs(lon + 4.1) < 0.1 and zoom >= 11
    assert count_of(page, "Atelier et réemploi de vélos") < bikes_in_brittany

    place.fill("35000")  # a postcode
    page.get_by_role("button", name="Aller", exact=True).click()
    expect(message).to_have_text("Carte centrée sur Rennes.")
    lat, lon, _ = url_view(page)
    assert abs(lat - 48.11) < 0.05 and abs(lon + 1.68) < 0.05

    place.fill("chateaulin")  # accents optional
    place.press("Enter")
    expect(message).to_have_text("Carte centrée sur Châteaulin.")

    place.fill("plou")  # many communes: a list to choose from, reachable with the keyboard
    place.press("Enter")
    choices = page.locator("#carto-place-results button")
    expect(choices.first).to_be_focused()
    assert choices.count() == 10
    chosen = choices.nth(1).inner_text().split(" (")[0]
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(message).to_have_text(f"Carte centrée sur {chosen}.")
    assert page.errors == []


def test_autour_de_moi_centres_the_map_on_the_visitor(live_server, page):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 48.2764, "longitude": -3.5736})  # Carhaix
    open_map(page, live_server)
    page.get_by_role("button", name="Autour de moi").click()
    expect(page.locator("#carto-place-message")).to_have_text("Carte centrée sur votre position.")
    lat, lon, zoom = url_view(page)
    assert (round(lat, 3), round(lon, 3), zoom) == (48.276, -3.574, 14)


def test_a_popup_leads_to_the_site_page(live_server, page):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=14")
    marker = page.locator(".carto-marker").first
    name = marker.get_attribute("title")
    marker.focus()
    page.keyboard.press("Enter")
    popup = page.locator(".carto-popup")
    expect(popup.locator("h2")).to_have_text(name)
    popup_details_settled(page)
    assert "site=" in page.url  # the selected site is part of the shareable state
    popup.get_by_role("link", name=re.compile("Voir la fiche")).click()
    expect(page.locator("h1")).to_have_text(name)
    assert re.search(r"/sites/\d+$", page.url)
    expect(page.locator(".carto-site-map .carto-marker")).to_be_visible()
    assert page.get_by_role("link", name="Proposer une modification").is_visible()
    assert page.errors == [] and page.external_requests == []


def test_a_shared_address_gives_back_the_same_view(live_server, page, browser):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=12")
    page.get_by_role("checkbox", name="Prévention et gestion des déchets").uncheck()
    page.get_by_label("Rechercher (nom, description, commune)").fill("rennes")
    expect(status(page)).to_have_text(
        f"{api_total(page, live_server, 'domain=mobilite&q=rennes&bbox=' + bbox(page))} sites dans la vue")
    marker = page.locator(".carto-marker").first
    marker.focus()
    page.keyboard.press("Enter")
    name = page.locator(".carto-popup h2").inner_text()
    popup_details_settled(page)  # then share
    seen, shared = settled_view(page, live_server, "domain=mobilite&q=rennes")
    assert "domain=mobilite" in shared and "q=rennes" in shared and "site=" in shared

    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR").new_page()
    other.goto(shared)
    expect(status(other)).to_have_text(seen)
    expect(other.locator(".carto-popup h2")).to_have_text(name)
    expect(other.locator(".carto-popup address")).to_be_visible()
    other.wait_for_load_state("networkidle")
    assert other.get_by_label("Rechercher (nom, description, commune)").input_value() == "rennes"
    assert not other.get_by_role("checkbox", name="Prévention et gestion des déchets").is_checked()
    assert other.get_by_role("checkbox", name="Atelier et réemploi de vélos").is_checked()
    assert url_view(other) == url_view(page)
    other.context.close()


def test_unticking_every_activity_is_kept_in_the_address(live_server, page, browser):
    open_map(page, live_server)
    for button in page.locator('[data-select="none"]').all():
        button.click()
    expect(status(page)).to_have_text("Aucune activité sélectionnée.")
    assert "no_activity=1" in page.url

    other = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR").new_page()
    other.goto(page.url)
    expect(status(other)).to_have_text("Aucune activité sélectionnée.")
    assert not other.get_by_role("checkbox", name="Atelier et réemploi de vélos").is_checked()
    other.get_by_role("button", name="tout : Mobilité durable").click()
    expect(status(other)).to_have_text(f"{api_total(other, live_server, 'domain=mobilite')} sites dans la vue")
    assert "no_activity" not in other.url
    other.context.close()


def settled_view(page, server, query: str) -> tuple[str, str]:
    """The status line and the address once the map has stopped moving and the status counts its
    view. The popup's pan (to be seen whole) animates for a quarter of a second and the sites reload
    a moment after it ends: until then the status says the old view's, which the view half-way may
    hold too. So: the same view, status and address twice, 300 ms apart, the status the API's count."""
    before = None
    for _ in range(60):
        now = (bbox(page), status(page).inner_text(), page.url)
        if now == before and now[1] == f"{api_total(page, server, query + '&bbox=' + now[0])} sites dans la vue":
            return now[1], now[2]
        before = now
        page.wait_for_timeout(300)
    raise AssertionError(f"the map never settled: {before!r}")


def bbox(page) -> str:
    return page.evaluate("""() => { const b = CARTO.map.getBounds();
      return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(','); }""")


def test_the_list_has_the_map_filters_and_is_usable_with_the_keyboard(live_server, page):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=11")
    page.get_by_role("checkbox", name="Prévention et gestion des déchets").uncheck()
    expect(status(page)).not_to_contain_text("500")
    page.get_by_role("link", name="Liste", exact=True).click()

    expect(page.locator("h1")).to_have_text("Sites de l'ESS en Bretagne")
    total = api_total(page, live_server, "domain=mobilite")
    assert f"{total} sites, du plus proche au plus éloigné de Rennes" in page.locator(".carto-summary").inner_text()
    assert "Filtres : Mobilité durable" in page.locator(".carto-active-filters").inner_text()

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Retirer les filtres")).to_be_focused()
    page.keyboard.press("Tab")
    first = page.locator(".carto-result h2 a").first
    expect(first).to_be_focused()
    name = first.inner_text()
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text(name)

    page.go_back()
    page.locator(".carto-pagination").get_by_role("link", name="Suivante »").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".carto-summary")).to_contain_text("page 2 sur")
    assert page.errors == [] and page.external_requests == []


def test_at_phone_width_the_panel_folds_behind_a_button(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=12")
    assert url_view(page) == (48.1173, -1.6778, 12)  # a shared view survives the narrow screen
    panel = page.locator("#carto-panel")
    toggle = page.get_by_role("button", name="Filtres et recherche")
    expect(panel).not_to_be_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    expect(panel).to_be_visible()
    assert toggle.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    expect(panel).not_to_be_visible()
    expect(toggle).to_be_focused()
    # The map fills the width, and nothing is wider than the screen.
    assert page.locator(".folium-map").bounding_box()["width"] == 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


@pytest.fixture
def crowded_server(demo_service):
    """The 500 demo sites and 1,100 more in Rennes: more than the map shows one by one (1,000), even
    zoomed in on Rennes."""
    rennes = demo_service.locator.geometries[list(demo_service.locator.codes).index("35238")]
    rng = np.random.default_rng(7)
    west, south, east, north = rennes.bounds
    xs, ys = rng.uniform(west, east, 5000), rng.uniform(south, north, 5000)
    inside = shapely.contains_xy(rennes, xs, ys)
    points = list(zip(xs[inside], ys[inside]))[:1100]
    assert len(points) == 1100
    data = [SiteData(name=f"Atelier n° {i}", activities=["velo"], lon=lon, lat=lat) for i, (lon, lat) in enumerate(points)]
    rows = [bulk.new_row(d.model_dump(exclude={"activities"}), source="test", source_key=str(i)) for i, d in enumerate(data)]
    assert not any(bulk.place(rows, demo_service.locator))
    with demo_service.session() as session:
        bulk.insert_sites(session, rows, [d.activities for d in data], actor="test")
        session.commit()
    with LiveServer(create_app(service=demo_service)) as server:
        yield server


def test_a_crowded_view_is_counted_per_sector_until_one_zooms_in(crowded_server, page):
    open_map(page, crowded_server)
    expect(status(page)).to_contain_text("regroupés par secteur : zoomez pour voir chaque site")
    assert sites_in_view(page) == 1600
    assert page.locator(".carto-marker").count() == 0  # no arbitrary thousand: every site is counted
    assert shown_sites(page) == 1600
    biggest = max(page.locator(".marker-cluster").all(), key=lambda c: sites_of(c))
    biggest.focus()
    page.keyboard.press("Enter")  # a sector zooms in on its sites
    expect(page).not_to_have_url(re.compile("zoom=8"))
    page.wait_for_load_state("networkidle")
    expect(status(page)).not_to_contain_text("1 600")
    assert url_view(page)[2] > 8
    assert 0 < sites_in_view(page) < 1600
    assert page.errors == [] and page.external_requests == []


def sites_of(cluster) -> int:
    return int(re.sub(r"\D", "", cluster.inner_text()))


# --- Popups people act on, keyboards, history, phones -------------------------------------------

def open_popup_with_keyboard(page):
    page.locator(".carto-marker").first.focus()
    page.keyboard.press("Enter")
    popup_details_settled(page)


def test_a_popup_gives_the_address_the_opening_state_and_ways_to_go_there(live_server, page):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=13")
    open_popup_with_keyboard(page)
    popup = page.locator(".carto-popup")
    name = popup.locator("h2").inner_text()
    expect(popup.locator("address")).to_have_text(re.compile(r"rue .*, \d{5} \w"))  # street, postcode, commune
    assert "openstreetmap.org/directions?route=%3B" in popup.get_by_role("link", name=re.compile("Itinéraire")).get_attribute("href")
    assert popup.get_by_role("link", name="Ouvrir dans mon application de cartes").get_attribute("href").startswith("geo:")
    expect(popup.get_by_role("button", name="Copier le lien")).to_be_visible()
    # Fully visible: below the zoom buttons and the count, inside the map.
    box, map_box = popup.bounding_box(), page.locator(".folium-map").bounding_box()
    status_bottom = status(page).bounding_box()["y"] + status(page).bounding_box()["height"]
    assert box["y"] > status_bottom and box["y"] + box["height"] <= map_box["y"] + map_box["height"]
    # Escape from inside the popup closes it and gives the focus back to the marker.
    expect(popup.get_by_role("link", name=re.compile("Voir la fiche"))).to_be_focused()
    page.keyboard.press("Escape")
    expect(popup).to_have_count(0)
    assert page.evaluate("document.activeElement.title") == name
    assert page.errors == [] and page.external_requests == []


def test_favourites_are_kept_in_the_browser_and_shown_alone_on_demand(live_server, page):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=13")
    open_popup_with_keyboard(page)
    name = page.locator(".carto-popup h2").inner_text()
    star = page.locator(".carto-popup [data-favourite]")
    expect(star).to_have_accessible_name("Ajouter à mes favoris")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    expect(star).to_have_accessible_name("Dans mes favoris")
    expect(page.locator(".carto-popup .carto-action-message")).to_have_text("Ajouté à vos favoris (gardés dans ce navigateur).")
    page.reload()
    expect(status(page)).to_contain_text("dans la vue")
    only = page.get_by_role("checkbox", name=re.compile("Mes favoris seulement"))
    expect(page.locator("#carto-favourites-count")).to_have_text("(1)")
    only.check()
    expect(status(page)).to_have_text("1 site en favoris")
    expect(page.locator(".carto-marker")).to_have_count(1)
    assert page.locator(".carto-marker").get_attribute("title") == name
    assert "favoris=1" in page.url


def test_back_and_forward_step_through_filter_changes(live_server, page):
    open_map(page, live_server)
    mobility = page.get_by_role("checkbox", name="Mobilité durable")
    mobility.uncheck()
    expect(page).to_have_url(re.compile("domain=dechets"))
    page.get_by_label("Rechercher (nom, description, commune)").fill("atelier")
    expect(page).to_have_url(re.compile("q=atelier"))
    page.go_back()
    expect(page).not_to_have_url(re.compile("q=atelier"))
    expect(page.get_by_label("Rechercher (nom, description, commune)")).to_have_value("")
    assert not mobility.is_checked()
    page.go_back()
    expect(mobility).to_be_checked()
    expect(status(page)).to_have_text("500 sites dans la vue")
    page.go_forward()
    expect(mobility).not_to_be_checked()
    assert page.errors == []


def test_choosing_a_territory_outlines_it_and_fits_the_map(live_server, page):
    open_map(page, live_server)
    page.get_by_text("Territoire", exact=True).click()
    page.get_by_label("EPCI").select_option(label="Rennes Métropole")
    outline = page.locator(".leaflet-overlay-pane path")
    expect(outline).to_have_count(1)
    expect(page).to_have_url(re.compile(r"epci=243500139.*zoom=(9|1\d)"))  # fitted, closer than Brittany


def test_at_phone_width_the_header_sections_are_in_a_menu(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_server.url}/liste")
    buyers = page.get_by_role("link", name="Acheteurs publics")
    expect(buyers).not_to_be_visible()
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    expect(buyers).to_be_visible()
    assert menu.get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    expect(buyers).not_to_be_visible()
    expect(menu).to_be_focused()
    context.close()


def test_zooming_into_a_crowded_view_downloads_no_marker_page_and_counts_only_when_they_change(crowded_server, page):
    open_map(page, crowded_server, "?lat=48.11&lon=-1.68&zoom=10")  # Rennes, 1,100 sites and more
    expect(status(page)).to_contain_text("regroupés")
    asked = []
    page.on("request", lambda r: asked.append(r.url))
    page.locator(".leaflet-control-zoom-in").click()
    expect(page).to_have_url(re.compile("zoom=11"))
    page.wait_for_load_state("networkidle")
    expect(status(page)).to_contain_text("regroupés")  # still crowded one zoom closer
    assert not [u for u in asked if "format=compact" in u]
    assert [u for u in asked if "/api/sites/clusters" in u]
    asked.clear()
    page.get_by_role("checkbox", name="Covoiturage").uncheck()  # counts are facets: unchanged
    expect(page).to_have_url(re.compile("activity="))
    page.wait_for_load_state("networkidle")
    assert [u for u in asked if "/api/sites" in u] and not [u for u in asked if "/api/taxonomy" in u]
    cluster = page.locator(".marker-cluster").first
    assert re.fullmatch(r"\d[\d\u202f ]* sites? : zoomer sur ce secteur", cluster.get_attribute("title"))


# --- Our own basemap ------------------------------------------------------------------------------

def test_without_tiles_the_map_draws_brittany_from_our_own_geodata(live_server, page):
    open_map(page, live_server, "?lat=48.11&lon=-1.68&zoom=10")
    base = page.get_by_role("radio", name="Fond Carto ESS (sans service extérieur)")
    expect(base).to_be_checked()
    expect(page.locator(".carto-town").filter(has_text="Rennes")).to_have_count(1)
    expect(page.locator(".leaflet-carto-basemap-pane path").first).to_be_attached()  # land and communes
    page.get_by_role("radio", name="Fond neutre").check()
    expect(page.locator(".carto-town")).to_have_count(0)
    assert page.errors == [] and page.external_requests == []


def test_when_the_tile_service_does_not_answer_the_map_falls_back_on_its_own_basemap(demo_service, page):
    from dataclasses import replace
    unreachable = demo_service.settings.model_copy(update={"tiles": "http://127.0.0.1:9/{z}/{x}/{y}.png"})
    with LiveServer(create_app(service=replace(demo_service, settings=unreachable))) as server:
        open_map(page, server)
        expect(page.get_by_role("radio", name="Fond Carto ESS (sans service extérieur)")).to_be_checked()
        expect(page.locator("#carto-place-message")).to_have_text(
            "Le fond de carte en ligne ne répond pas : la carte affiche son propre fond.")


def test_autour_de_moi_sorts_the_list_from_the_visitor(live_server, page):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 48.2764, "longitude": -3.5736})  # Carhaix
    page.goto(f"{live_server.url}/liste")
    page.get_by_role("button", name="Autour de moi").click()
    expect(page.locator(".carto-summary")).to_contain_text("du plus proche au plus éloigné de Carhaix-Plouguer")
    assert "near=-3.57360%2C48.27640" in page.url


def test_pins_show_the_icon_of_the_selected_activity(live_server, page):
    open_map(page, live_server, "?activity=covoiturage&lat=48.1173&lon=-1.6778&zoom=10")
    expect(page.locator(".carto-marker").first).to_be_visible()
    icons = page.locator(".carto-marker .carto-pin i").evaluate_all("(els) => els.map((e) => e.className)")
    assert icons and set(icons) == {"fa-solid fa-car-side"}  # not the domain's generic icon


def test_a_group_of_markers_is_named_by_its_count_and_opened_with_enter(live_server, page):
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=12")
    group = page.locator(".leaflet-marker-icon.marker-cluster").first
    expect(group).to_have_attribute("aria-label", re.compile(r"^Groupe de \d+ sites : zoomer pour les voir$"))
    group.focus()
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile("zoom=12"))
    assert url_view(page)[2] > 12


def test_at_phone_width_a_popup_near_the_top_opens_fully_visible(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True, has_touch=True)
    page = context.new_page()
    open_map(page, live_server, "?lat=48.1173&lon=-1.6778&zoom=13")
    markers = page.locator(".carto-marker").all()
    highest = min(markers, key=lambda m: m.bounding_box()["y"])
    highest.tap()
    popup = page.locator(".leaflet-popup")
    expect(popup.locator("address")).to_be_visible()
    # The map pans (animated) until the grown popup clears the controls: wait for it to settle there.
    page.wait_for_function("""() => {
      const top = (sel) => document.querySelector(sel).getBoundingClientRect();
      const popup = top('.leaflet-popup'), map = top('.folium-map');
      const controls = Math.max(top('.leaflet-control-layers').bottom, top('#carto-status').bottom);
      return popup.top >= controls && popup.bottom <= map.bottom && popup.left >= map.left && popup.right <= map.right;
    }""", timeout=10_000)
    context.close()


def test_a_site_page_map_without_tiles_shows_our_own_basemap(live_server, page):
    page.goto(f"{live_server.url}/sites/1")
    expect(page.locator(".carto-site-map .carto-own-basemap")).to_have_count(1)
    expect(page.locator(".carto-site-map .leaflet-carto-basemap-pane path").first).to_be_attached()
    assert page.errors == [] and page.external_requests == []
