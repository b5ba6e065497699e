"""Read endpoints of the open data: CORS for any origin, cache validation (weak ETag, 304) and a
small store of recent responses.

Only the public read paths listed here get these headers; pages, forms and moderation do not.
The ETag is the data version (``carto.storage.freshness``) — the same for every read URL, which is right
since an ETag only compares representations of one URL — mixed with the Accept header where the
representation is negotiated (OGC API: HTML or JSON). A request whose If-None-Match still matches
gets a 304 before any query runs. Responses may be kept a minute by browsers and proxies.

Every visitor's first map view asks for the same URL; with 100,000 sites that response costs a
count and a sort over all of them. So recent 200 responses are also kept in memory, keyed by URL
and ETag: they are replayed until the data version moves on. ``Cache-Control: no-cache`` in a
request bypasses the store (and the benchmarks use it to time the real work).
"""
import hashlib
from collections import OrderedDict

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from sqlmodel import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from carto.storage import freshness

# Exports are left out: files of any size, which the store would hold whole while they stream.
READ_PATHS = ("/api/sites", "/api/changes", "/api/taxonomy", "/api/territories", "/api/poles", "/api/sourcing", "/api/stats", "/ogc")
NEGOTIATED_PATHS = ("/ogc",)
CACHE_CONTROL = "public, max-age=60"
_SESSION = "carto.session"  # in the request's state: the session the ETag was read in
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Link"}
PREFLIGHT = CORS | {"Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
                    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match, Cache-Control",
                    "Access-Control-Max-Age": "86400"}


class ResponseStore:
    """Recent responses by key, each valid for one ETag; least recently used dropped past a byte budget."""

    def __init__(self, max_bytes: int = 32 * 2**20, max_entry: int = 2 * 2**20):
        self.max_bytes, self.max_entry = max_bytes, max_entry
        self.entries: OrderedDict[tuple, tuple[str, list, bytes]] = OrderedDict()
        self.size = 0

    def get(self, key: tuple, etag: str) -> tuple[list, bytes] | None:
        entry = self.entries.get(key)
        if entry is None or entry[0] != etag:
            return None
        self.entries.move_to_end(key)
        return list(entry[1]), entry[2]  # a copy: outer middlewares edit header lists in place

    def put(self, key: tuple, etag: str, headers: list, body: bytes) -> None:
        if len(body) > self.max_entry:
            return
        if key in self.entries:
            self.size -= len(self.entries.pop(key)[2])
        self.entries[key] = (etag, headers, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            self.size -= len(self.entries.popitem(last=False)[1][2])


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
        self.store = ResponseStore()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _under(scope["path"], self.paths):
            return await self.app(scope, receive, send)
        if scope["method"] == "OPTIONS":
            return await self._reply(send, 204, _raw(PREFLIGHT))
        if scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        request_headers = Headers(scope=scope)
        negotiated = _under(scope["path"], NEGOTIATED_PATHS)
        variant = request_headers.get("accept", "") if negotiated else ""
        session, version = await run_in_threadpool(self._open, scope)
        try:
            scope.setdefault("state", {})[_SESSION] = session
            await self._respond(scope, receive, send, request_headers, _etag(version, variant), negotiated, variant)
        finally:
            session.close()

    async def _respond(self, scope: Scope, receive: Receive, send: Send, request_headers: Headers, etag: str,
                       negotiated: bool, variant: str) -> None:
        validators = {"ETag": etag, "Cache-Control": CACHE_CONTROL} | ({"Vary": "Accept"} if negotiated else {})
        if etag_matches(request_headers.get("if-none-match"), etag):
            return await self._reply(send, 304, _raw(CORS | validators))
        # Links in the bodies are absolute: the host is part of what a response depends on.
        key = (scope["scheme"], request_headers.get("host", ""), scope["path"], scope["query_string"], variant)
        use_store = scope["method"] == "GET" and "no-cache" not in request_headers.get("cache-control", "")
        if use_store and (stored := self.store.get(key, etag)):
            return await self._reply(send, 200, *stored)
        response: dict = {"body": []}

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in CORS.items():
                    headers[name] = value
                if message["status"] == 200:
                    for name, value in validators.items():
                        if name not in headers:
                            headers[name] = value
                    response["headers"] = list(message["headers"])
            elif "headers" in response:
                response["body"].append(message.get("body", b""))
                if not message.get("more_body") and scope["method"] == "GET":
                    self.store.put(key, etag, response["headers"], b"".join(response["body"]))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _open(scope: Scope) -> tuple[Session, str]:
        """The request's session, answering for the versions it sees now, and the data version. The
        endpoint reads in it too (``session_of``): one connection per request, no transaction (reads only).
        """
        service = scope["app"].state.service
        session = service.read_session()
        try:
            version = freshness.answering_for_current(session)
            service.observe(session)  # a territory or pôles load by any process: served at once
        except BaseException:
            session.close()
            raise
        return session, version

    @staticmethod
    async def _reply(send: Send, status: int, headers: list, body: bytes = b"") -> None:
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _etag(version: str, variant: str) -> str:
    if variant:
        version += "-" + hashlib.blake2b(variant.encode(), digest_size=4).hexdigest()
    return f'W/"{version}"'


def session_of(request: Request) -> Session | None:
    """The session a read request's ETag was read in (``ReadEndpoints``), for its endpoint to read in."""
    return request.scope.get("state", {}).get(_SESSION)


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode(), v.encode()) for k, v in headers.items()]
