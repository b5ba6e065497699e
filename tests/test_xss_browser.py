"""Stored XSS, in a real browser, on the surfaces that ``test_moderation_browser`` does not visit.

A proposal carries a payload in every free-text field (``<script>``, ``<img onerror>``, SVG onload,
attribute breakers, ``</script>``, U+2028, a right-to-left override, fullwidth brackets, a
``javascript:`` e-mail); a moderator accepts it. Then the map popup, the list, the sourcing results
and their map, the pôle page, the OGC HTML views, the JSON answers opened as pages, the embed (map
popup and list) and a second, pending proposal on the console's map are shown in Chromium: no
dialog opens, no element carries an event handler or a ``javascript:`` URL, no executable inline
script holds a payload, and the payload is there, as text. Exports are served as downloads with
types a browser never renders as HTML.
"""
import re
from dataclasses import dataclass

import pytest

from tests.helpers import MODERATION_PASSWORD, csrf_of, make_client

MARK = "XSSTEMOIN"  # one searchable word in the name
NAME = (f'{MARK} <img src=x onerror=alert(1)> "><svg onload=alert(2)> </script><script>alert(3)</script>'
        " ' onmouseover='alert(4)' ＜script＞alert(5)＜/script＞ \u2028 \u202egnp.exe")
DESCRIPTION = ("<script>alert(11)</script><img src=x onerror=alert(12)><svg/onload=alert(13)>"
               '" onmouseover="alert(14)" x="</textarea></title></style></noscript>'
               '<a href="javascript:alert(15)">lien</a>\u2028\u2029{{7*7}} ${alert(16)} '
               "<iframe src=javascript:alert(17)></iframe> ＜img src=x onerror=alert(18)＞")
FIELDS = {
    "name": NAME,
    "description": DESCRIPTION,
    "street": '1 rue " onfocus="alert(21)" autofocus x="</script><script>alert(22)</script>',
    "labels": "<svg onload=alert(31)>, \" onmouseover=alert(32) x=\", ＜script＞alert(33)＜/script＞",
    "website": "https://exemple.org/?q=\"><script>alert(41)</script>&x='onmouseover='alert(42)",  # no space: refused
    "email": "javascript:alert(51)//@exemple.org",
    "opening_hours": 'Mo-Fr 09:00-18:00 "<script>alert(61)</script><img src=x onerror=alert(62)>"',
}
RENNES = (-1.6778, 48.1173)
AT = (-1.6602, 48.1301)  # a quiet street of Rennes: the site's marker stands alone at high zoom
PENDING = (-1.6449, 48.1093)

# Everything that would let a payload run, read from the live DOM.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(el.tagName + " " + attr.name);
      if (["href", "src", "action", "formaction", "xlink:href", "data"].includes(attr.name)
          && /^\\s*javascript:/i.test(attr.value)) found.push(el.tagName + " " + attr.name + "=javascript:");
    }
  }
  for (const s of document.querySelectorAll("script:not([src])")) {
    const type = (s.type || "text/javascript").toLowerCase();
    const data = type === "application/json" || type === "application/ld+json";
    if (!data && /alert\\(|onerror|onload/.test(s.textContent)) found.push("inline script holding a payload");
  }
  for (const tag of ["object", "embed", "base"]) {
    if (document.querySelector(tag)) found.push(tag + " element");
  }
  if (window.__xss) found.push("window.__xss");
  return found;
}"""
# The positive sign that a page's scripts have run: loaded, and the map (if the page has one) has
# said what it shows, which it does once its sites have been fetched and drawn.
SCRIPTS_RAN = """() => document.readyState === "complete"
  && [...document.querySelectorAll("#carto-status")].every((s) => s.textContent.trim() !== "")"""
FIND_MARKER = """(name) =>
  [...document.querySelectorAll(".leaflet-marker-icon")].find((m) => m.title === name) || null"""


@dataclass
class Stored:
    site_id: int
    name: str  # as stored (what the markers carry)
    pending_name: str


def propose(client, at, **fields) -> int:
    """A proposal through the public form; returns the contribution's id (via its follow-up page)."""
    form = {"activities": ["reemploi"], "lon": str(at[0]), "lat": str(at[1]), "not_duplicate": "1",
            "contributor_name": "Jeanne", "contributor_email": "jeanne@exemple.org", "consent": "1", **fields}
    response = client.post("/proposer", data={"csrf_token": csrf_of(client.get("/proposer").text), **form},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


@pytest.fixture
def stored(demo_service, moderation_accounts, sign_in) -> Stored:
    from carto.community.contributions import by_token
    from carto.storage.models import Site
    with make_client(demo_service) as client:
        accepted = propose(client, AT, **FIELDS)
        pending = propose(client, PENDING, **FIELDS | {"name": NAME.replace(MARK, "EN ATTENTE")})
    tokens = [re.match(r"/suivi/([^?]+)", u).group(1) for u in (accepted, pending)]
    with demo_service.session() as session:
        first, second = (by_token(session, t) for t in tokens)
        ids = (first.id, first.site_id)
        names = (session.get(Site, first.site_id).name, session.get(Site, second.site_id).name)
    with make_client(demo_service) as client:
        csrf = sign_in(client, moderation_accounts["admin"])
        decided = client.post(f"/api/moderation/contributions/{ids[0]}/decision", json={"action": "accept"},
                              headers={"X-CSRF-Token": csrf})
        assert decided.status_code == 200, decided.text
    return Stored(site_id=ids[1], name=names[0], pending_name=names[1])


def watch(page) -> list:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def assert_inert(page, dialogs, where: str, shows: str | None = MARK) -> None:
    page.wait_for_load_state("networkidle")  # every request of the page's scripts has been answered…
    page.wait_for_function(SCRIPTS_RAN)  # …and the map has drawn what they brought
    assert page.evaluate(INJECTED) == [], where
    assert dialogs == [], where
    if shows:
        assert shows in page.inner_text("body"), f"{where}: the payload is not shown as text"


def open_popup(page, name: str) -> None:
    """Click the marker titled ``name`` (Leaflet sets the title from the data, as stored)."""
    page.wait_for_function(f"(name) => ({FIND_MARKER})(name) !== null", arg=name, timeout=10_000)
    page.evaluate(f"(name) => ({FIND_MARKER})(name).click()", name)
    page.locator(".leaflet-popup").wait_for()


@pytest.mark.browser
def test_stored_payloads_stay_text_on_every_public_surface(live_server, page, stored):
    dialogs = watch(page)
    base, site = live_server.url, stored.site_id
    zoomed = f"lat={AT[1]}&lon={AT[0]}&zoom=18"

    page.goto(f"{base}/?site={site}&{zoomed}")  # a shared address opens the site's popup
    page.locator(".carto-popup h2").wait_for()
    assert_inert(page, dialogs, "map popup from a shared address")
    page.goto(f"{base}/?{zoomed}")
    open_popup(page, stored.name)
    assert_inert(page, dialogs, "map popup from a click")

    pages = {
        "site page": f"/sites/{site}",
        "list": f"/liste?q={MARK}",
        "list around a point": f"/liste?near={AT[0]},{AT[1]}",
        "pôle page": "/poles/reso-solidaire",
        "OGC items (HTML)": f"/ogc/collections/sites/items?f=html&bbox={AT[0] - .001},{AT[1] - .001},"
                            f"{AT[0] + .001},{AT[1] + .001}",
        "OGC item (HTML)": f"/ogc/collections/sites/items/{site}?f=html",
        "embed list": f"/embed?view=list&q={MARK}",
        "JSON of the site": f"/api/sites/{site}",
        "JSON list": f"/api/sites?q={MARK}",
        "OGC item (JSON)": f"/ogc/collections/sites/items/{site}?f=json",
        "sourcing (JSON)": f"/api/sourcing?q={MARK}",
    }
    for where, path in pages.items():
        page.goto(base + path)
        assert_inert(page, dialogs, where)

    page.goto(f"{base}/sourcing?zone=commune:35238&q={MARK}")
    assert_inert(page, dialogs, "sourcing results")
    open_popup(page, stored.name)
    assert_inert(page, dialogs, "sourcing map popup")

    page.goto(f"{base}/embed?center={AT[1]},{AT[0]}&zoom=18")
    open_popup(page, stored.name)
    assert_inert(page, dialogs, "embed map popup")
    assert page.errors == [] and page.external_requests == []


@pytest.mark.browser
def test_a_pending_payload_stays_text_on_the_consoles_map(live_server, page, stored, moderation_accounts):
    dialogs = watch(page)
    page.goto(live_server.url + "/connexion")
    page.fill("#f-email", moderation_accounts["admin"])
    page.fill("#f-password", MODERATION_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation$"))
    open_popup(page, stored.pending_name)
    assert_inert(page, dialogs, "console map popup", shows="EN ATTENTE")
    assert page.errors == [] and page.external_requests == []


REFLECTED = {
    "map filters": "/?q={p}",
    "list place": "/liste?q={p}&autour={p}",
    "sourcing": "/sourcing?territory={p}&q={p}",
    "embed": "/embed?q={p}&pole={p}&lang={p}",
    "embed list": "/embed?view=list&q={p}",
    "embed builder": "/embed/builder?title={p}&height={p}",
    "OGC filter": "/ogc/collections/sites/items?f=html&name={p}",
    "sign-in target": "/connexion?suivant=javascript:alert(71)",
}


@pytest.mark.browser
def test_payloads_in_addresses_are_not_reflected_as_markup(live_server, page):
    from urllib.parse import quote
    dialogs = watch(page)
    payload = quote('"><img src=x onerror=alert(81)><script>alert(82)</script>\u2028')
    for where, path in REFLECTED.items():
        page.goto(live_server.url + path.format(p=payload))
        assert_inert(page, dialogs, where, shows=None)
    assert page.errors == [] and page.external_requests == []


EXPORT_TYPES = {"csv": "text/csv", "geojson": "application/geo+json",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "gpkg": "application/geopackage+sqlite3"}


def test_exports_are_downloads_a_browser_never_renders_as_html(client, demo_service, stored):
    for fmt, media_type in EXPORT_TYPES.items():
        response = client.get(f"/api/exports/sites.{fmt}?q={MARK}")
        assert response.status_code == 200
        assert response.headers["content-type"].split(";")[0] == media_type, fmt
        assert response.headers["x-content-type-options"] == "nosniff", fmt
        assert response.headers["content-disposition"].startswith("attachment;"), fmt
        if fmt in ("csv", "geojson"):
            assert MARK in response.text  # the payload is in the file, as data
    for path in (f"/api/sites/{stored.site_id}", f"/ogc/collections/sites/items/{stored.site_id}?f=json"):
        response = client.get(path)
        assert response.headers["content-type"].split(";")[0] in ("application/json", "application/geo+json")
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_javascript_address_is_refused_as_a_website(client):
    response = client.post("/proposer", data={
        "csrf_token": csrf_of(client.get("/proposer").text), "name": "Lien piégé", "activities": ["velo"],
        "commune": "Rennes (35238)", "website": "javascript:alert(1)", "contributor_name": "Jeanne",
        "contributor_email": "jeanne@exemple.org", "consent": "1"})
    assert response.status_code == 422 and "http:// ou https://" in response.text
