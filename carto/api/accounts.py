"""Sign in and out, and the administrators' page of accounts."""
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from sqlmodel import select

from carto.community import auth, ratelimit, users
from carto.api.deps import ServiceDep, RowId
from carto.api.security import (CheckedForm, PageAdmin, PostedForm, VisitorDep, client_address,
                                close_session_cookie, form_csrf_ok, open_session_cookie, render)
from carto.storage.db import session_scope
from carto.storage.models import Pole, User, UserRole

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths: never redirect a signed-in moderator to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/moderation"


@router.get("/connexion")
def login_page(request: Request, suivant: Annotated[str | None, Query(max_length=500)] = None):
    return render(request, "moderation/login.html", next=_safe_next(suivant), email="", error=None)


@router.post("/connexion")
def login(request: Request, service: ServiceDep, form: PostedForm):
    email = str(form.get("email") or "").strip().lower()[:254]
    password = str(form.get("password") or "")[:users.MAX_PASSWORD_LENGTH]
    target = _safe_next(str(form.get("next") or ""))

    def again(status_code: int, error: str):
        return render(request, "moderation/login.html", status_code, next=target, email=email, error=error)

    if not form_csrf_ok(request, form):
        return again(403, "Cette page a expiré (jeton CSRF manquant ou invalide) : saisissez à nouveau votre mot "
                          "de passe.")
    address = client_address(request)
    if wait := ratelimit.login_attempt(service.engine, email, address):
        return again(429, f"Trop de tentatives de connexion : réessayez dans {ratelimit.in_words(wait)}.")
    with session_scope(service.engine) as session:
        user = users.authenticate(session, email, password)
        token = auth.open_session(session, user) if user else None
        if user:
            auth.purge_expired(session)
    if token is None:
        return again(401, "E-mail ou mot de passe incorrect.")
    ratelimit.login_succeeded(service.engine, email, address)
    response = RedirectResponse(target, status_code=303)
    open_session_cookie(request, response, token)
    return response


@router.post("/deconnexion")
def logout(request: Request, service: ServiceDep, me: VisitorDep, _form: CheckedForm):
    if me.session_token:
        with session_scope(service.engine) as session:
            auth.close_session(session, me.session_token)
    response = RedirectResponse("/connexion", status_code=303)
    close_session_cookie(request, response)
    return response


def _accounts_page(request, service, status_code=200, error=None, done=None):
    with service.session() as session:
        accounts = [(u, users.poles_of(session, u.id), users.domains_of(session, u.id))
                    for u in session.exec(select(User).order_by(User.email))]
        poles = session.exec(select(Pole.id, Pole.name).order_by(Pole.name)).all()
    return render(request, "moderation/accounts.html", status_code, accounts=accounts, poles=poles,
                  roles=list(UserRole), error=error, done=done)


@router.get("/moderation/comptes")
def accounts_page(request: Request, service: ServiceDep, _me: PageAdmin):
    return _accounts_page(request, service)


@router.post("/moderation/comptes")
def create_account(request: Request, service: ServiceDep, _me: PageAdmin, form: CheckedForm):
    try:
        with session_scope(service.engine) as session:
            user = users.create(session, service.taxonomy, str(form.get("email") or ""), str(form.get("password") or ""),
                                role=_role(form), name=str(form.get("name") or ""),
                                poles=[str(p) for p in form.getlist("poles")],
                                domains=[str(d) for d in form.getlist("domains")])
            email = user.email
    except users.UserError as e:
        return _accounts_page(request, service, 422, error=str(e))
    return _accounts_page(request, service, done=f"Compte créé : {email}")


@router.post("/moderation/comptes/{user_id}")
def update_account(request: Request, service: ServiceDep, me: PageAdmin, form: CheckedForm, user_id: RowId):
    try:
        with session_scope(service.engine) as session:
            user = session.get(User, user_id)
            if user is None:
                raise users.UserError("compte introuvable", "user")
            if user.id == me.user.id and (not form.get("active") or _role(form) != UserRole.admin):
                raise users.UserError("vous ne pouvez ni désactiver votre propre compte ni lui retirer le rôle "
                                      "d'administrateur", "active")
            user.role, user.name = _role(form), str(form.get("name") or "")[:120]
            users.set_scope(session, service.taxonomy, user, [str(p) for p in form.getlist("poles")],
                            [str(d) for d in form.getlist("domains")])
            users.set_active(session, user, bool(form.get("active")))
            user.digest = bool(form.get("digest"))
            if form.get("password"):
                users.set_password(session, user, str(form.get("password")))
            email = user.email
    except users.UserError as e:
        return _accounts_page(request, service, 422, error=str(e))
    return _accounts_page(request, service, done=f"Compte mis à jour : {email}")


def _role(form) -> UserRole:
    try:
        return UserRole(str(form.get("role") or "moderator"))
    except ValueError:
        raise users.UserError("rôle inconnu", "role") from None

