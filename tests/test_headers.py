"""Security headers: the Content-Security-Policy of every page, the framing policy (only embed pages
may be framed), cookies."""
import re

import pytest

from carto.api.headers import content_security_policy, embed_framing, frame_ancestors, is_embed, tile_source
from tests.helpers import MODERATION_PASSWORD, csrf_of


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split("; ")}


def test_ordinary_pages_refuse_to_be_framed(client):
    for path in ("/", "/api/sites?limit=1", "/docs"):
        response = client.get(path)
        assert response.headers["X-Frame-Options"] == "DENY"
        assert directives(response)["frame-ancestors"] == "'none'"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_embed_pages_may_be_framed_by_the_configured_sites():
    assert is_embed("/embed") and is_embed("/embed/sites/3")
    assert not is_embed("/embed/builder") and not is_embed("/embedded")
    assert frame_ancestors("*") == "frame-ancestors *"
    assert frame_ancestors("https://pole.example https://ville.example") == (
        "frame-ancestors https://pole.example https://ville.example")
    assert frame_ancestors("") == "frame-ancestors 'none'"


def test_our_own_builder_may_always_preview_the_embed():
    assert embed_framing("*") == "frame-ancestors *"
    assert embed_framing("") == "frame-ancestors 'self'"
    assert embed_framing("https://pole.example") == "frame-ancestors 'self' https://pole.example"
    assert embed_framing("'self' https://pole.example") == "frame-ancestors 'self' https://pole.example"


PAGES = ["/", "/liste", "/sites/1", "/sourcing?zone=commune:35238", "/poles/reso-solidaire", "/territoires",
         "/territoires/couverture", "/proposer", "/connexion", "/docs", "/embed", "/embed/builder",
         "/ogc/collections?f=html", "/api/sites?limit=1"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_only_its_own_scripts_and_those_with_its_nonce(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = directives(response)
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{24})'", csp["script-src"]).group(1)
    assert (csp["default-src"], csp["object-src"], csp["base-uri"], csp["form-action"], csp["connect-src"]) == (
        "'self'", "'none'", "'self'", "'self'", "'self'")
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
    executable = [attrs for attrs in inline if "application/json" not in attrs and "application/ld+json" not in attrs]
    assert all(f'nonce="{nonce}"' in attrs for attrs in executable), executable
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", response.text)  # no inline event handler to allow


def test_each_response_has_its_own_nonce(client):
    first, second = (directives(client.get("/"))["script-src"] for _ in range(2))
    assert first != second


def test_tiles_of_another_server_are_allowed_as_images_only():
    assert tile_source("blank") == ""
    assert tile_source("https://tile.openstreetmap.org/{z}/{x}/{y}.png") == "https://tile.openstreetmap.org"
    assert tile_source("https://{s}.tile.openstreetmap.fr/osmfr/{z}/{x}/{y}.png") == "https://*.tile.openstreetmap.fr"
    policy = content_security_policy("n", "frame-ancestors 'none'", tile_source("https://tiles.example/{z}/{x}/{y}"))
    assert "img-src 'self' data: blob: https://tiles.example;" in policy and policy.count("tiles.example") == 1


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, moderation_accounts):
    visitor = client.get("/proposer").headers.get_list("set-cookie")
    token = csrf_of(client.get("/connexion").text)
    signed_in = client.post("/connexion", data={"csrf_token": token, "email": moderation_accounts["reso"],
                                                 "password": MODERATION_PASSWORD}, follow_redirects=False)
    cookies = visitor + signed_in.headers.get_list("set-cookie")
    assert {c.split("=")[0] for c in cookies} == {"carto_csrf", "carto_session"}
    for cookie in cookies:
        flags = {f.strip().lower() for f in cookie.split(";")[1:]}
        assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags, cookie



VIOLATIONS = """document.addEventListener("securitypolicyviolation",
  (e) => (window.__csp = window.__csp || []).push(e.violatedDirective + " " + e.blockedURI));"""


@pytest.mark.browser
def test_the_pages_work_under_their_policy_in_a_browser(live_server, page, moderation_accounts):
    """Nothing of ours is blocked: maps, lists, forms, the API docs, the embed and the console."""
    page.add_init_script(VIOLATIONS)
    for path in PAGES[:-1] + ["/embed?view=list", "/embed?pole=adesk&lang=en"]:
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp || []") == [], path
    page.goto(live_server.url + "/")
    page.locator(".leaflet-marker-icon").first.wait_for()  # map.js ran and drew the sites
    page.goto(live_server.url + "/docs")
    page.locator(".swagger-ui .info").wait_for()  # Swagger UI started from its nonce'd script
    page.goto(live_server.url + "/connexion")
    page.fill("#f-email", moderation_accounts["admin"])
    page.fill("#f-password", MODERATION_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation$"))
    page.wait_for_load_state("networkidle")
    assert page.evaluate("window.__csp || []") == []
    assert page.errors == [] and page.external_requests == []
