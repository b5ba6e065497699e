"""Request bodies are refused beyond a size, before anything parses or spools them.

A body announcing more than the limit (``Content-Length``) is answered 413 at once, unread; one
that hides its size (chunked) is counted as it arrives and cut off at the limit, so at most the
limit is ever parsed or written to a temporary file. Public forms and API calls get the small
limit (``CARTO_MAX_FORM_KB``); the administrators' uploads (``UPLOAD_PATHS``: imports) get the
large one (``CARTO_MAX_UPLOAD_MB``), and only with a session cookie that we signed: an anonymous
upload there is held to the small limit, though its refusal (sign-in required) comes later.
"""
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carto.api import problems
from carto.api.security import SESSION_COOKIE
from carto.community import auth

UPLOAD_PATHS = ("/moderation/imports",)


class BodyTooLarge(Exception):
    pass


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                k, _, v = part.strip().partition("=")
                if k == name:
                    return v
    return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


def in_words(size: int) -> str:
    return f"{size // (1024 * 1024)} Mo" if size >= 1024 * 1024 else f"{size // 1024} Ko"


class BodyLimit:
    def __init__(self, app: ASGIApp, *, small: int, large: int, secret: str):
        self.app, self.small, self.large, self.secret = app, small, large, secret

    def limit(self, scope: Scope) -> int:
        if scope["path"].startswith(UPLOAD_PATHS) and auth.unsigned(self.secret, "session",
                                                                   _cookie(scope, SESSION_COOKIE)):
            return self.large
        return self.small

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self.refuse(scope, send, limit)
            return
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if started:
                raise
            await self.refuse(scope, send, limit)

    async def refuse(self, scope: Scope, send: Send, limit: int) -> None:
        message = f"Envoi trop volumineux : {in_words(limit)} au plus."
        if scope["path"].startswith(problems.PREFIX):
            body = json.dumps({"type": "about:blank", "title": problems.TITLES[413], "status": 413,
                               "detail": message, "instance": scope["path"]}, ensure_ascii=False).encode()
            kind = problems.MEDIA_TYPE.encode()
        else:
            body = (f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Envoi trop volumineux'
                    f"</title></head><body><main><h1>Envoi trop volumineux</h1><p>{message} Revenez à la page "
                    "précédente pour alléger l'envoi.</p></main></body></html>").encode()
            kind = b"text/html; charset=utf-8"
        # The unread rest of the body makes the connection unusable: the client must open a new one.
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", kind), (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
