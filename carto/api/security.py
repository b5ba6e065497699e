"""HTTP side of accounts: session and CSRF cookies, the current user, CSRF checks, page rendering.

Cookies: ``carto_session`` (signed login token, HttpOnly, SameSite=Lax, Secure over HTTPS) and
``carto_csrf`` (a random per-browser seed for visitors without a session). The CSRF token in forms
(``csrf_token``) or in the ``X-CSRF-Token`` header of API calls is an HMAC of the session (when
signed in) or of that seed; any POST without the right token is refused with 403.
"""
import re
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from carto.api import problems
from carto.community import auth, users
from carto.api.deps import get_service
from carto.api.templates import page
from carto.storage.models import User, UserRole
from carto.community.moderation import Conflict, Forbidden, NotFound
from carto.community.site_form import LABELS
from carto.community.users import Scope

SESSION_COOKIE = "carto_session"
CSRF_COOKIE = "carto_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SEED = re.compile(r"^[A-Za-z0-9_-]{20,64}$")



@dataclass
class Visitor:
    user: User | None
    scope: Scope | None
    session_token: str | None
    csrf_seed: str
    new_seed: bool  # the seed was just made: the response must set the cookie

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == UserRole.admin


def https(request: Request) -> bool:
    service = get_service(request)
    return request.url.scheme == "https" or service.settings.public_base_url.startswith("https://")


def visitor(request: Request) -> Visitor:
    """Who is asking (resolved once per request)."""
    if hasattr(request.state, "visitor"):
        return request.state.visitor
    service = get_service(request)
    token = auth.unsigned(service.settings.secret_key, "session", request.cookies.get(SESSION_COOKIE))
    user = scope = None
    if token:
        with service.session() as session:
            found = auth.session_user(session, token)
            if found:
                user = found[1]
                scope = users.scope_of(session, user)
                session.expunge(user)
    if user is None:
        token = None
    anon_seed = request.cookies.get(CSRF_COOKIE, "")
    new_seed = not _SEED.match(anon_seed)
    if new_seed:
        anon_seed = secrets.token_urlsafe(24)
    seed = "session:" + auth.token_digest(token) if token else "visitor:" + anon_seed
    request.state.visitor = Visitor(user, scope, token, seed, new_seed and not token)
    request.state.anon_seed = anon_seed
    return request.state.visitor


VisitorDep = Annotated[Visitor, Depends(visitor)]


def csrf_token(request: Request) -> str:
    return auth.csrf_token(get_service(request).settings.secret_key, visitor(request).csrf_seed)


CSRF_REFUSAL = "jeton CSRF manquant ou invalide : rechargez la page puis renvoyez le formulaire"
# For forms shown again with what was typed: the page now carries a fresh token.
FORM_EXPIRED = ("Ce formulaire a expiré (jeton CSRF manquant ou invalide) : votre saisie est conservée ci-dessous, "
                "vérifiez-la puis renvoyez le formulaire.")


def csrf_ok(request: Request, token: str | None) -> bool:
    me = visitor(request)
    return not me.new_seed and auth.csrf_valid(get_service(request).settings.secret_key, me.csrf_seed, token)


def form_csrf_ok(request: Request, form: FormData) -> bool:
    return csrf_ok(request, str(form.get(CSRF_FIELD) or "") or request.headers.get(CSRF_HEADER))


async def posted_form(request: Request) -> FormData:
    """The posted form, unchecked: for routes that show it again, with its values, when refused."""
    return await request.form()


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is checked (refused: a French error page)."""
    form = await request.form()
    if not form_csrf_ok(request, form):
        raise PageError(403, CSRF_REFUSAL[0].upper() + CSRF_REFUSAL[1:] + ".")
    return form


def checked_header(request: Request) -> None:
    """For JSON API writes: the CSRF token comes in the ``X-CSRF-Token`` header."""
    if not csrf_ok(request, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, detail=CSRF_REFUSAL)


PostedForm = Annotated[FormData, Depends(posted_form)]
CheckedForm = Annotated[FormData, Depends(checked_form)]
CsrfHeader = Depends(checked_header)


def client_address(request: Request) -> str:
    """The address limits key on: the peer, or the client a trusted proxy names (uvicorn's
    ``forwarded_allow_ips``, from ``CARTO_TRUSTED_PROXIES``, rewrites it before we see it)."""
    return request.client.host if request.client else "?"


def moderator_for_page(request: Request) -> Visitor:
    me = visitor(request)
    if me.user is None:
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe="")
        raise HTTPException(303, detail="connexion requise", headers={"Location": f"/connexion?suivant={target}"})
    return me


def moderator_for_api(request: Request) -> Visitor:
    me = visitor(request)
    if me.user is None:
        raise HTTPException(401, detail="connexion requise (session de modération)")
    return me


def admin_for_page(me: Annotated[Visitor, Depends(moderator_for_page)]) -> Visitor:
    if not me.is_admin:
        raise Forbidden("réservé aux administrateurs")
    return me


PageModerator = Annotated[Visitor, Depends(moderator_for_page)]
ApiModerator = Annotated[Visitor, Depends(moderator_for_api)]
PageAdmin = Annotated[Visitor, Depends(admin_for_page)]


def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    """A page behind a sign-in or with a form: ``templates.page`` with the visitor and the CSRF
    token; sets the CSRF cookie, and nothing of it is cached."""
    me = visitor(request)
    context |= {"me": me, "csrf_token": csrf_token(request), "labels": LABELS}
    response = page(request, name, status_code, **context)
    if me.new_seed:
        response.set_cookie(CSRF_COOKIE, request.state.anon_seed, httponly=True, samesite="lax",
                            secure=https(request), path="/")
    response.headers["Cache-Control"] = "no-store"
    return response


def open_session_cookie(request: Request, response, token: str) -> None:
    secret = get_service(request).settings.secret_key
    response.set_cookie(SESSION_COOKIE, auth.signed(secret, "session", token), httponly=True, samesite="lax",
                        secure=https(request), max_age=int(auth.SESSION_LIFETIME.total_seconds()), path="/")


def close_session_cookie(request: Request, response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=https(request))


class PageError(Exception):
    """An error shown as a page (or as JSON under /api/): status code and a French message."""

    def __init__(self, status_code: int, message: str):
        super().__init__(message)
        self.status_code = status_code


_STATUS = {Forbidden: 403, NotFound: 404, Conflict: 409}


async def _error_page(request: Request, exc: Exception):
    status = getattr(exc, "status_code", None) or next(c for t, c in _STATUS.items() if isinstance(exc, t))
    if request.url.path.startswith(problems.PREFIX):  # the API's one error format
        return problems.problem(request, status, str(exc))
    return await run_in_threadpool(render, request, "contribute/error.html", status, status=status, message=str(exc))


def install_error_pages(app) -> None:
    for exc_type in (PageError, Forbidden, NotFound, Conflict):
        app.add_exception_handler(exc_type, _error_page)
