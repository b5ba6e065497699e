"""Security headers on every response: the Content-Security-Policy and the framing policy.

Embed pages (``/embed``) may be framed by the partner sites in ``CARTO_EMBED_FRAME_ANCESTORS``
(default: any site) and by our own pages (the builder's live preview); every other page, the
builder included, refuses to be framed (clickjacking of forms and moderation).

Scripts run only from our own files or from inline ``<script>`` tags that carry this response's
nonce (``request.state.csp_nonce``, a fresh random value per request): an injected script has no
nonce and does not run. Styles allow ``'unsafe-inline'``: Leaflet and our map markers set
``style`` attributes in the HTML they build (marker colours, pin positions) and folium writes
``<style>`` blocks; CSS cannot run code, and user text is escaped everywhere anyway. Images may
come from the tile server of ``CARTO_TILES``. When the public URL is https, Strict-Transport-Security
keeps browsers on https. Plugins (``object-src``), ``<base>`` and form
targets are locked to nothing or to this site. A page whose HTML is stored and replayed must not
carry inline scripts: its nonce would be stale.
"""
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

EMBED_PATH = "/embed"
EMBED_BUILDER_PATH = "/embed/builder"
HSTS = "max-age=63072000"


def is_embed(path: str) -> bool:
    return (path == EMBED_PATH or path.startswith(EMBED_PATH + "/")) and not path.startswith(EMBED_BUILDER_PATH)


def frame_ancestors(allow_list: str) -> str:
    sources = allow_list.split()
    return "frame-ancestors " + (" ".join(sources) if sources else "'none'")


def embed_framing(allow_list: str) -> str:
    """The embed's policy: the allow-list, and always our own pages (the builder's preview)."""
    sources = allow_list.split()
    if "*" in sources:
        return "frame-ancestors *"
    return frame_ancestors(" ".join(["'self'", *(s for s in sources if s != "'self'")]))


def tile_source(tiles: str) -> str:
    """The CSP source of a tile URL template: its origin, ``{s}`` subdomains as a wildcard."""
    if "://" not in tiles:
        return ""  # "blank": our own grey tile
    parts = urlsplit(tiles)
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        return f"{parts.scheme}:"  # a template CSP cannot express: the whole scheme
    return f"{parts.scheme}://{'.'.join(labels)}"


def content_security_policy(nonce: str, framing: str, tiles: str = "") -> str:
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        " ".join(filter(None, ["img-src 'self' data: blob:", tiles])),
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        framing,
    ])


class SecurityHeaders:
    """Pure ASGI (not ``BaseHTTPMiddleware``, whose streams and task group cost about a millisecond
    per request): the headers are added to the response's start message on its way out."""

    def __init__(self, app: ASGIApp, embed_frame_ancestors: str = "*", tiles: str = "blank", https: bool = False):
        self.app = app
        self.https = https
        self.embed_policy = embed_framing(embed_frame_ancestors)
        self.tiles = tile_source(tiles)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce  # request.state.csp_nonce for the templates
        embed = is_embed(scope["path"])
        framing = self.embed_policy if embed else frame_ancestors("")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
                headers["Content-Security-Policy"] = content_security_policy(nonce, framing, self.tiles)
                if not embed:
                    headers["X-Frame-Options"] = "DENY"
                if self.https:
                    # Served over https only: browsers never try plain http again for two years.
                    headers["Strict-Transport-Security"] = HSTS
            await send(message)

        await self.app(scope, receive, send_with_headers)
