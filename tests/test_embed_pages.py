"""The embeddable map (/embed), its builder and the snippet API, as a partner's iframe receives them."""
import json
import re
from html.parser import HTMLParser
import pytest

from carto.publish import embed

from carto.views import embed_page

ADESK_VELO = "/embed?activity=velo&pole=adesk"
GARBAGE = [
    "/embed?activity=teleportation&domain=nope&pole=%00&epci=x&pays=999&departement=<b>",
    "/embed?bbox=nan,nan,nan,nan&center=inf,0&zoom=-3&view=3d&legend=peut-etre&lang=xx&lock=%00",
    "/embed?view=list&page=-1&near=1,2,3&siae=maybe&q=%00%00",
    "/embed?view=list&page=99999999999999999999&activity=velo&activity=velo,,,",
    "/embed?pole=" + "a" * 5000 + "&q=" + "z" * 5000,
    "/embed?center=48.1,-1.7&bbox=-5,47,-1,49&zoom=abc&epci=243500139&header=2",
    "/embed?%ff%fe=%ff&contrib",
    "/embed?view=list&page=%C2%B2&zoom=%C2%B2&center=48,-3",  # « ² »: a digit to str.isdigit, not to int
]


class Page(HTMLParser):
    """The elements a test looks at: links, form fields, selected options, iframes, the embed config."""

    def __init__(self, html: str):
        super().__init__()
        self.links, self.inputs, self.selected, self.iframes, self.hidden = [], [], {}, [], []
        self._select = None
        self._script_id = None
        self._in_textarea = False
        self.textarea = ""
        self.config = None
        self.html_lang = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "a":
            self.links.append(a)
        elif tag == "input":
            self.inputs.append(a)
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and "selected" in a:
            self.selected[self._select] = a.get("value")
        elif tag == "iframe":
            self.iframes.append(a)
        elif tag == "script":
            self._script_id = a.get("id")
        elif tag == "textarea":
            self._in_textarea = True
        if "hidden" in a:
            self.hidden.append(a)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._in_textarea = False

    def handle_data(self, data):
        if self._in_textarea:
            self.textarea += data
        if self._script_id == "carto-embed":
            self.config = json.loads(data)
            self._script_id = None

    def checked(self, name: str) -> set[str]:
        return {i["value"] for i in self.inputs if i.get("name") == name and "checked" in i}

    def link(self, href: str) -> dict | None:
        return next((a for a in self.links if a.get("href") == href), None)


def get(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.text[:500]
    return Page(response.text)


def api_total(client, query: str) -> int:
    return client.get(f"/api/sites?{query}&limit=1").json()["numberMatched"]


def fitted_bounds(html: str) -> list[float]:
    """South, west, north, east of the map's first view."""
    (south, west), (north, east) = json.loads(re.search(r"\.fitBounds\(\s*(\[\[.*?\]\])", html, re.S).group(1))
    return [south, west, north, east]


# --- Options honoured -------------------------------------------------------------------------------

def test_preset_activities_and_pole_fill_the_filters_and_frame_the_map(client, demo_service):
    html = client.get(ADESK_VELO).text
    page = Page(html)
    assert page.checked("activity") == {"velo"}
    assert page.selected["pole"] == "adesk"
    with demo_service.session() as session:
        west, south, east, north = embed_page.territory_box(demo_service, session, "pole", "adesk")
    assert fitted_bounds(html) == pytest.approx([south, west, north, east])
    # map.js gets the embed's settings: new tabs, its own list, the pôle's outline.
    assert page.config["linkTarget"] == "_blank"
    assert page.config["listUrl"] == "/embed?view=list"
    assert page.config["outline"]["type"] in ("Polygon", "MultiPolygon")


def test_an_epci_a_box_or_a_centre_set_the_first_view(client, demo_service):
    epci = client.get("/embed?epci=243500139").text
    assert Page(epci).selected["epci"] == "243500139"
    with demo_service.session() as session:
        west, south, east, north = embed_page.territory_box(demo_service, session, "epci", "243500139")
    assert fitted_bounds(epci) == pytest.approx([south, west, north, east])
    assert fitted_bounds(client.get("/embed?bbox=-4.6,48.2,-4.3,48.5").text) == [48.2, -4.6, 48.5, -4.3]
    # An explicit centre wins over the territory's bounds (but the territory still filters).
    centred = client.get("/embed?center=48.11,-1.68&zoom=13&epci=243500139").text
    assert "center: [48.11, -1.68]" in centred and '"zoom": 13' in centred and ".fitBounds(" not in centred
    assert Page(centred).selected["epci"] == "243500139"


def test_a_domain_preset_ticks_all_its_activities(client, demo_service):
    page = get(client, "/embed?domain=mobilite")
    assert page.checked("activity") == {a.slug for a in demo_service.taxonomy.domain("mobilite").activities}


def test_a_locked_embed_does_not_offer_its_presets_for_change(client):
    free = client.get(ADESK_VELO).text
    locked = client.get(ADESK_VELO + "&lock=1").text
    assert 'class="carto-tree" hidden' not in free and 'class="carto-tree" hidden' in locked
    assert 'class="carto-more" open hidden' in locked  # the territory section
    assert "Sites limités à :</strong> Atelier et réemploi de vélos · Pôle ESS : ADESK" in locked
    # The preset still filters: the hidden fields keep their values for map.js.
    assert Page(locked).checked("activity") == {"velo"} and Page(locked).selected["pole"] == "adesk"


def test_legend_header_and_language(client):
    default = client.get("/embed?domain=mobilite").text
    assert 'class="embed-legend"' in default and "Mobilité durable" in default
    assert 'class="carto-header"' not in default and "embed-bar-header" not in default  # no header by default
    assert 'class="embed-legend"' not in client.get("/embed?legend=0").text
    assert "embed-bar-header" in client.get("/embed?header=1").text

    english = client.get("/embed?lang=en").text
    page = Page(english)
    assert page.html_lang == "en"
    assert ">Map</a>" in english and ">List</a>" in english and "Suggest a site" in english
    assert "Go to a town or a postcode" in english and "Activities" in english
    assert '<script src="/static/js/words-en.js">' in english
    assert Page(client.get("/embed").text).html_lang == "fr"
    assert "words-en.js" not in client.get("/embed").text


def test_the_list_first_shows_the_preset_sites_and_stays_in_the_embed(client):
    html = client.get("/embed?view=list&domain=mobilite&lang=en&legend=0").text
    page = Page(html)
    total = api_total(client, "domain=mobilite")
    assert f"<strong>{total} sites</strong>" in html and total > 20
    # Filters submit to the embed with its display options; pages and the map switch stay in it.
    assert ('name="view" value="list"') in html and 'name="lang" value="en"' in html
    assert 'action="/embed"' in html
    page_2 = page.link("/embed?domain=mobilite&view=list&lang=en&legend=0&page=2")
    assert page_2 is not None and "target" not in page_2
    assert page.link("/embed?domain=mobilite&lang=en&legend=0") is not None  # the map
    # Site pages open in a new tab.
    sites = [a for a in page.links if re.fullmatch(r"/sites/\d+", a["href"])]
    assert len(sites) == 20 and all(a["target"] == "_blank" and a["rel"] == "noopener" for a in sites)


def test_the_list_is_sorted_around_the_centre_the_map_sends(client):
    html = client.get("/embed?view=list&activity=velo&near=-3.5736,48.2764").text
    assert "du plus proche au plus éloigné du centre de la carte" in html
    assert 'name="near" value="-3.5736,48.2764"' in html  # kept when the filters change
    assert Page(html).checked("activity") == {"velo"}


def test_list_pages_keep_the_embed_options(client):
    page = get(client, "/embed?view=list&page=2&domain=mobilite")
    assert page.link("/embed?domain=mobilite&view=list") is not None  # back to page 1
    assert page.link("/embed?domain=mobilite&view=list&page=3") is not None


# --- Never an error page --------------------------------------------------------------------------

@pytest.mark.parametrize("url", GARBAGE)
def test_garbage_options_still_give_the_map(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'id="carto-status"' in response.text or 'class="carto-results"' in response.text


def test_garbage_in_the_list_is_not_echoed_unescaped(client):
    html = client.get("/embed?view=list&q=%3Cscript%3Ealert(1)%3C/script%3E").text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


# --- Framing, links, no editing ------------------------------------------------------------------------

def test_the_embed_may_be_framed_the_builder_may_not(client):
    for url in ("/embed", "/embed?view=list", ADESK_VELO):
        headers = client.get(url).headers
        assert headers["Content-Security-Policy"].endswith("; frame-ancestors *")
        assert "X-Frame-Options" not in headers
    builder = client.get("/embed/builder").headers
    assert builder["Content-Security-Policy"].endswith("; frame-ancestors 'none'") and builder["X-Frame-Options"] == "DENY"


def test_an_allow_list_restricts_who_may_frame_the_embed(demo_service):
    from tests.helpers import make_client
    demo_service.settings.embed_frame_ancestors = "https://pole.example https://ville.example"
    with make_client(demo_service) as restricted:
        policy = restricted.get("/embed").headers["Content-Security-Policy"]
    assert policy.endswith("; frame-ancestors 'self' https://pole.example https://ville.example")


@pytest.mark.parametrize("url", ["/embed", "/embed?view=list", "/embed?header=1&lock=1&pole=adesk",
                                 "/embed?view=list&header=1&lang=en"])
def test_every_link_leaving_the_embed_opens_a_new_tab_and_none_edits_or_moderates(client, url):
    html = client.get(url).text
    for bad in ("/moderation", "/modifier", "/connexion", "/comptes", "/api/moderation"):
        assert bad not in html
    for a in Page(html).links:
        href = a.get("href", "")
        if href.startswith("/embed") or href.startswith("#"):
            assert "target" not in a, a  # the embed's own views and pages
        else:
            assert a.get("target") == "_blank" and a.get("rel") == "noopener", a


def test_contribution_links_can_be_switched_off(client):
    on = Page(client.get("/embed").text)
    assert on.link("/proposer") == {"href": "/proposer", "target": "_blank", "rel": "noopener",
                                    "class": "embed-propose"}
    listed = Page(client.get("/embed?view=list").text)
    reports = [a for a in listed.links if a["href"].endswith("/signaler")]
    assert len(reports) == 20 and all(a["target"] == "_blank" for a in reports)
    for url in ("/embed?contrib=0", "/embed?view=list&contrib=0"):
        html = client.get(url).text
        assert "/proposer" not in html and "/signaler" not in html


def test_the_pole_page_links_to_its_embed_and_to_the_builder(client):
    page = Page(client.get("/poles/adesk").text)
    assert page.link("/embed?pole=adesk") is not None
    assert get(client, "/embed?pole=adesk").selected["pole"] == "adesk"
    assert page.link("/embed/builder?pole=adesk") is not None
    assert get(client, "/embed/builder?pole=adesk").selected["pole"] == "adesk"


def test_without_geodata_the_embed_still_opens(tmp_path):
    from carto.directory.service import Service
    from tests.helpers import make_client, settings_for
    settings = settings_for(tmp_path / "bare.db")
    settings.geodata = tmp_path / "no-geodata"
    with make_client(Service.open(settings)) as bare:
        for url in ("/embed?epci=243500139&pole=adesk", "/embed?view=list&departement=29", "/embed/builder"):
            assert bare.get(url).status_code == 200


# --- Builder and snippet ----------------------------------------------------------------------------

def test_the_builder_starts_from_its_address_and_shows_code_and_preview(client, demo_service):
    html = client.get("/embed/builder?pole=adesk&domain=mobilite&lang=en&height=450&legend=0").text
    page = Page(html)
    assert page.selected["pole"] == "adesk" and page.selected["lang"] == "en"
    mobility = {a.slug for a in demo_service.taxonomy.domain("mobilite").activities}
    assert page.checked("activity") == mobility and page.checked("domain") == {"mobilite"}
    assert page.checked("legend") == set() and page.checked("contrib") == {"1"}
    options = embed.EmbedOptions(domains=["mobilite"], territory=("pole", "adesk"), legend=False, lang="en")
    assert page.textarea == embed.snippet(demo_service.settings.public_base_url, options,
                                          title=embed.TITLES["en"], height=450)
    assert page.iframes[0]["src"] == "/embed?domain=mobilite&pole=adesk&lang=en&legend=0"
    assert "height: 450px" in page.iframes[0]["style"]


def test_the_snippet_api_applies_the_embed_rules(client, demo_service):
    data = client.get("/api/embed/snippet?activity=velo&activity=nope&pole=adesk&lock=1&zoom=abc"
                      "&title=Nos+ateliers&height=480&resize=1").json()
    base = demo_service.settings.public_base_url
    options = embed.EmbedOptions(activities=["velo"], territory=("pole", "adesk"), locked=True)
    assert data["options"] == {"activity": "velo", "lock": "1", "pole": "adesk"}
    assert data["url"] == f"{base}/embed?activity=velo&lock=1&pole=adesk"
    assert data["preview"] == "/embed?activity=velo&lock=1&pole=adesk"
    assert data["snippet"] == embed.snippet(base, options, title="Nos ateliers", height=480, resize_script=True)
    assert (data["title"], data["height"]) == ("Nos ateliers", 480)

