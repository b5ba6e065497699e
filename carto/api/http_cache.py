"""Read endpoints of the open data: CORS for any origin, and cache validation (weak ETag, 304).

Only the public read paths listed here get these headers; pages, forms and moderation do not.
The ETag is the data version (``carto.freshness``) — the same for every read URL, which is right
since an ETag only compares representations of one URL — mixed with the Accept header where the
representation is negotiated (OGC API: HTML or JSON). A request whose If-None-Match still matches
gets a 304 before any query runs. Responses may be kept a minute by browsers and proxies.
"""
import hashlib

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Receive, Scope, Send

from carto import freshness

READ_PATHS = ("/api/sites", "/api/taxonomy", "/api/territories", "/api/poles", "/ogc")
NEGOTIATED_PATHS = ("/ogc",)
CACHE_CONTROL = "public, max-age=60"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Link"}
PREFLIGHT = CORS | {"Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, Cache-Control",
                    "Access-Control-Max-Age": "86400"}


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == p or path.startswith(p + "/") for p in prefixes)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return etag.removeprefix("W/") in {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}


class ReadEndpoints:
    def __init__(self, app: ASGIApp, paths: tuple[str, ...] = READ_PATHS):
        self.app = app
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under(scope["path"], self.paths):
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            return await self._reply(send, 204, PREFLIGHT)
        if scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        request_headers = Headers(scope=scope)
        negotiated = _under(scope["path"], NEGOTIATED_PATHS)
        etag = await run_in_threadpool(self._etag, scope, request_headers.get("accept", "") if negotiated else "")
        validators = {"ETag": etag, "Cache-Control": CACHE_CONTROL} | ({"Vary": "Accept"} if negotiated else {})
        if etag_matches(request_headers.get("if-none-match"), etag):
            return await self._reply(send, 304, CORS | validators)

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in CORS.items():
                    headers[name] = value
                if message["status"] == 200:
                    for name, value in validators.items():
                        if name not in headers:
                            headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _etag(scope: Scope, variant: str) -> str:
        carto = scope["app"].state.carto
        with carto.session() as session:
            version = freshness.data_version(session)
        if variant:
            version += "-" + hashlib.blake2b(variant.encode(), digest_size=4).hexdigest()
        return f'W/"{version}"'

    @staticmethod
    async def _reply(send: Send, status: int, headers: dict[str, str]) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]})
        await send({"type": "http.response.body", "body": b""})
