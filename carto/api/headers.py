"""Security headers on every response, and the framing policy.

Embed pages (``/embed``) may be framed by the partner sites in ``CARTO_EMBED_FRAME_ANCESTORS``
(default: any site) and by our own pages (the builder's preview); every other page, the builder
included, refuses to be framed (clickjacking of forms and moderation).
"""
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request

EMBED_PATH = "/embed"
EMBED_BUILDER_PATH = "/embed/builder"


def is_embed(path: str) -> bool:
    return (path == EMBED_PATH or path.startswith(EMBED_PATH + "/")) and not path.startswith(EMBED_BUILDER_PATH)


def frame_ancestors(allow_list: str) -> str:
    """The embed's policy: the allow-list, and always our own pages (the builder's live preview)."""
    sources = allow_list.split()
    if "*" in sources:
        return "frame-ancestors *"
    return "frame-ancestors " + " ".join(["'self'", *(s for s in sources if s != "'self'")])


class SecurityHeaders(BaseHTTPMiddleware):
    def __init__(self, app, embed_frame_ancestors: str = "*"):
        super().__init__(app)
        self.embed_policy = frame_ancestors(embed_frame_ancestors)

    async def dispatch(self, request: Request, call_next):
        response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if is_embed(request.url.path):
            headers["Content-Security-Policy"] = self.embed_policy
        else:
            headers["Content-Security-Policy"] = "frame-ancestors 'none'"
            headers["X-Frame-Options"] = "DENY"
        return response
