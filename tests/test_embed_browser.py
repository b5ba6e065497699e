"""The embed on a partner's site, in Chromium: a page served from another origin on loopback frames
the map; markers show, a preset filter holds, links open new tabs, and only /embed may be framed."""
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from starlette.datastructures import QueryParams

from carto.publish import embed
from carto.core.taxonomy import load
from tests.helpers import popup_details_settled

pytestmark = pytest.mark.browser

SHOWN_SITES = """() => {
  const clusters = Array.from(document.querySelectorAll('.marker-cluster span'), (s) => parseInt(s.textContent, 10));
  return clusters.reduce((a, b) => a + b, 0) + document.querySelectorAll('.carto-marker').length;
}"""


class Partner:
    """A partner's website: static HTML pages on another loopback origin (``localhost``, another port)."""

    def __init__(self):
        pages = self.pages = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path)
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "introuvable").encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def publish(self, path: str, body: str) -> str:
        self.pages[path] = ("<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Partenaire</title>"
                            f"</head><body><h1>Notre territoire</h1>{body}</body></html>")
        return self.url + path


@pytest.fixture
def partner():
    site = Partner()
    site.thread.start()
    yield site
    site.server.shutdown()
    site.server.server_close()


def embed_page(partner, live_server, query: str, path: str = "/carte.html", **snippet) -> str:
    options = embed.parse(QueryParams(query), load(), lambda level, code: True)
    return partner.publish(path, embed.snippet(live_server.url, options, **snippet))


def api_total(page, server, query: str) -> int:
    return page.request.get(f"{server.url}/api/sites?{query}&limit=1").json()["numberMatched"]


def in_view(n: int) -> str:
    return f"{n} site{'s' if n > 1 else ''} dans la vue"


def test_a_partner_page_shows_the_preset_map_and_the_filter_holds(live_server, partner, page):
    page.goto(embed_page(partner, live_server, "activity=velo&pole=adesk"))
    frame = page.frame_locator("iframe")
    expected = api_total(page, live_server, "activity=velo&pole=adesk")
    everywhere = api_total(page, live_server, "activity=velo")
    assert 0 < expected < everywhere
    status = frame.locator("#carto-status")
    expect(status).to_have_text(in_view(expected))
    page.wait_for_load_state("networkidle")
    assert page.frames[1].evaluate(SHOWN_SITES) == expected
    assert frame.get_by_role("checkbox", name="Atelier et réemploi de vélos").is_checked()
    assert not frame.get_by_role("checkbox", name="Covoiturage").is_checked()

    # Zoomed out to the whole region, the map still shows the velo sites of ADESK only.
    for _ in range(3):
        frame.get_by_role("button", name="Zoom arrière").click()
        page.wait_for_load_state("networkidle")
    expect(status).to_have_text(in_view(expected))
    assert page.frames[1].evaluate(SHOWN_SITES) == expected
    assert page.url.startswith(partner.url)  # the partner's page stayed where it was
    assert page.errors == [] and page.external_requests == []


def test_a_locked_embed_in_english_hides_its_presets_and_keeps_them(live_server, partner, page):
    page.goto(embed_page(partner, live_server, "domain=mobilite&pole=adesk&lock=1&lang=en"))
    frame = page.frame_locator("iframe")
    expected = api_total(page, live_server, "domain=mobilite&pole=adesk")
    expect(frame.locator("#carto-status")).to_have_text(f"{expected} sites in view")
    expect(frame.locator(".embed-presets")).to_contain_text("Mobilité durable · Pôle ESS : ADESK")
    expect(frame.get_by_role("checkbox", name="Covoiturage")).to_be_hidden()
    expect(frame.get_by_role("combobox", name="Pôle ESS (ESS hub)")).to_be_hidden()
    # What the visitor may still do narrows within the presets.
    frame.get_by_text("Responsible purchasing").click()
    frame.get_by_role("checkbox", name="Work integration enterprises (SIAE)").check()
    narrowed = api_total(page, live_server, "domain=mobilite&pole=adesk&siae=true")
    expect(frame.locator("#carto-status")).to_have_text(
        "No site in view" if narrowed == 0 else f"{narrowed} site{'s' if narrowed != 1 else ''} in view")
    assert page.errors == [] and page.external_requests == []


def test_links_leave_the_partner_page_in_a_new_tab(live_server, partner, page):
    page.goto(embed_page(partner, live_server, "activity=velo&pole=adesk"))
    frame = page.frame_locator("iframe")
    total = api_total(page, live_server, "activity=velo&pole=adesk")
    expect(frame.locator("#carto-status")).to_have_text(in_view(total))
    frame.locator(".carto-marker").first.click()
    popup_details_settled(frame)
    see = frame.get_by_role("link", name=re.compile("^Voir la fiche"))
    with page.context.expect_page() as opened:
        see.click()
    site_page = opened.value
    site_page.wait_for_load_state()
    assert re.fullmatch(re.escape(live_server.url) + r"/sites/\d+", site_page.url)
    assert page.url == partner.url + "/carte.html"

    with page.context.expect_page() as opened:
        frame.get_by_role("link", name=re.compile("Proposer un site")).click()
    opened.value.wait_for_load_state()
    assert opened.value.url == live_server.url + "/proposer"

    # The embed's own list stays inside the frame.
    frame.get_by_role("link", name="Liste", exact=True).click()
    expect(frame.locator(".carto-summary")).to_contain_text(f"{total} site")
    assert page.url == partner.url + "/carte.html" and len(page.context.pages) == 3


def test_the_resizer_fits_the_list_and_ignores_strangers(live_server, partner, page):
    page.goto(embed_page(partner, live_server, "view=list&domain=dechets", height=400, resize_script=True))
    iframe = page.locator("iframe")
    frame = page.frame_locator("iframe")
    expect(frame.locator(".carto-summary")).to_contain_text("sites")
    expect(iframe).not_to_have_attribute("style", re.compile(r"height:\s*400px"))
    grown = iframe.bounding_box()["height"]
    assert grown > 1500  # twenty sites, unscrolled

    # A message from another origin (here, the partner's page itself) changes nothing. Proof that it
    # was read: our frame's message, sent after it and so handled after it, does change the height.
    page.evaluate("""() => { const frame = document.querySelector("iframe"); window.heights = [];
        new MutationObserver(() => window.heights.push(frame.style.height))
          .observe(frame, {attributes: true, attributeFilter: ["style"]}); }""")
    page.evaluate("window.postMessage({type: 'carto-embed:height', height: 50}, '*')")
    ours, target = next(f for f in page.frames if f.url.startswith(live_server.url)), int(grown) + 7
    ours.evaluate(f"parent.postMessage({{type: 'carto-embed:height', height: {target}}}, '*')")
    expect(iframe).to_have_attribute("style", re.compile(rf"height:\s*{target}px"))
    assert page.evaluate("window.heights")[0] == f"{target}px"  # the stranger's 50 px never applied

    # Back to the map: the snippet's height again.
    frame.get_by_role("link", name="Carte", exact=True).click()
    expect(frame.locator("#carto-status")).to_contain_text("dans la vue")
    expect(iframe).to_have_attribute("style", re.compile(r"height:\s*400px"))
    assert page.errors == [] and page.external_requests == []


def test_ordinary_pages_refuse_to_be_framed_by_a_partner(live_server, partner, page):
    url = partner.publish("/copie.html", f'<iframe id="embed" src="{live_server.url}/embed" title="Carte"></iframe>'
                                         f'<iframe id="home" src="{live_server.url}/" title="Accueil"></iframe>'
                                         f'<iframe id="builder" src="{live_server.url}/embed/builder" title="Outil">'
                                         "</iframe>")
    page.goto(url)
    expect(page.frame_locator("#embed").locator("#carto-status")).to_contain_text("dans la vue")
    page.wait_for_load_state("load")
    for blocked in ("#home", "#builder"):
        frame = page.locator(blocked).element_handle().content_frame()
        assert frame.url.startswith("chrome-error://"), frame.url  # Chromium's page for a refused frame
        expect(page.frame_locator(blocked).locator("#carto-status, .embed-builder")).to_have_count(0)


def test_with_an_allow_list_other_partners_are_refused_and_the_builder_still_previews(demo_service, partner, page):
    from carto.app import create_app
    from tests.helpers import LiveServer
    demo_service.settings.embed_frame_ancestors = "https://pole.example"
    with LiveServer(create_app(service=demo_service)) as server:
        page.goto(partner.publish("/refus.html", f'<iframe src="{server.url}/embed" title="Carte"></iframe>'))
        page.wait_for_load_state("load")
        assert page.locator("iframe").element_handle().content_frame().url.startswith("chrome-error://")
        page.goto(server.url + "/embed/builder")
        expect(page.frame_locator("#embed-preview").locator("#carto-status")).to_have_text("500 sites dans la vue")


def test_the_builder_previews_and_copies_the_snippet(live_server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(live_server.url + "/embed/builder")
    preview = page.frame_locator("#embed-preview")
    expect(preview.locator("#carto-status")).to_have_text("500 sites dans la vue")

    page.get_by_role("checkbox", name="Atelier et réemploi de vélos").check()
    page.get_by_label("Pôle ESS").select_option(label="ADESK Centre Ouest Bretagne")
    page.get_by_role("checkbox", name="Légende des couleurs").uncheck()
    code = page.get_by_label("Code HTML de la carte")
    expect(code).to_have_value(re.compile(r"/embed\?activity=velo&amp;pole=adesk&amp;legend=0\""))
    expect(page.locator("#embed-preview")).to_have_attribute("src", "/embed?activity=velo&pole=adesk&legend=0")
    expect(preview.locator("#carto-status")).to_have_text(in_view(api_total(page, live_server,
                                                                           "activity=velo&pole=adesk")))
    expect(preview.locator(".embed-legend")).to_have_count(0)
    assert "/embed/builder?" in page.url and "pole=adesk" in page.url  # the builder's state is shareable

    page.get_by_label("Hauteur (pixels)").fill("450")
    expect(code).to_have_value(re.compile(r"height:450px"))
    page.get_by_role("button", name="Copier le code").click()
    expect(page.locator("#embed-copy-status")).to_have_text("Code copié : collez-le dans votre page.")
    assert page.evaluate("navigator.clipboard.readText()") == code.input_value()
    assert page.errors == [] and page.external_requests == []


def test_on_a_phone_the_filters_open_over_the_embedded_map(live_server, partner, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page.goto(embed_page(partner, live_server, "domain=mobilite"))
    frame = page.frame_locator("iframe")
    expect(frame.locator("#carto-status")).to_have_text(
        in_view(api_total(page, live_server, "domain=mobilite")))
    covoiturage = frame.get_by_role("checkbox", name="Covoiturage")
    expect(covoiturage).to_be_hidden()
    frame.get_by_role("button", name="Filtres et recherche").click()
    expect(covoiturage).to_be_visible()
    covoiturage.uncheck()
    expect(frame.locator("#carto-status")).to_have_text(
        in_view(api_total(page, live_server, "activity=velo,autopartage,garage-solidaire,transport-solidaire")))
    context.close()
