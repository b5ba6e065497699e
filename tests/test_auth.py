"""Accounts: argon2 passwords, session cookies, CSRF, login throttling, the accounts page and CLI."""
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select
from typer.testing import CliRunner

from carto.community import auth, users
from carto.cli import app as cli
from carto.storage.models import LoginSession, User, utcnow
from tests.helpers import MODERATION_PASSWORD, csrf_of, make_client


def login(client, email, password=MODERATION_PASSWORD, **extra):
    token = csrf_of(client.get("/connexion").text)
    return client.post("/connexion", data={"csrf_token": token, "email": email, "password": password, **extra},
                       follow_redirects=False)


def test_passwords_are_stored_as_argon2_hashes(demo_service, moderation_accounts):
    with demo_service.session() as session:
        user = users.by_email(session, moderation_accounts["reso"])
    assert user.password_hash.startswith("$argon2id$") and MODERATION_PASSWORD not in user.password_hash
    assert auth.verify_password(user.password_hash, MODERATION_PASSWORD)
    assert not auth.verify_password(user.password_hash, MODERATION_PASSWORD + "!")


def test_signing_in_sets_a_protected_session_cookie_and_signing_out_ends_it(client, moderation_accounts):
    response = login(client, moderation_accounts["reso"])
    assert response.status_code == 303 and response.headers["location"] == "/moderation"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("carto_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    stolen = client.cookies.get("carto_session")
    console = client.get("/moderation")
    assert console.status_code == 200 and "Modération reso" in console.text

    client.post("/deconnexion", data={"csrf_token": csrf_of(console.text)})
    assert client.get("/moderation", follow_redirects=False).status_code == 303
    client.cookies.set("carto_session", stolen)  # replaying the old cookie does not work either
    assert client.get("/api/moderation/me").status_code == 401


def test_the_session_cookie_is_secure_when_served_over_https(demo_service, moderation_accounts):
    from fastapi.testclient import TestClient
    from carto.app import create_app
    with TestClient(create_app(service=demo_service), base_url="https://carto.example") as client:
        response = login(client, moderation_accounts["admin"])
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("carto_session="))
        assert "Secure" in cookie and "HttpOnly" in cookie


def test_a_wrong_password_or_an_unknown_account_is_refused_alike(client, moderation_accounts):
    wrong = login(client, moderation_accounts["reso"], "pas le bon mot de passe")
    unknown = login(client, "personne@moderation.example")
    assert wrong.status_code == unknown.status_code == 401
    assert "E-mail ou mot de passe incorrect" in wrong.text and "E-mail ou mot de passe incorrect" in unknown.text


def test_wrong_passwords_lock_the_account_for_their_address_only(demo_service, client, moderation_accounts):
    from carto.community.ratelimit import LOGIN_FREE_FAILURES
    codes = [login(client, moderation_accounts["reso"], "devine").status_code for _ in range(LOGIN_FREE_FAILURES)]
    assert codes == [401] * LOGIN_FREE_FAILURES
    blocked = login(client, moderation_accounts["reso"])  # even the right password now waits, from this address
    assert blocked.status_code == 429 and "Trop de tentatives de connexion : réessayez dans 15 minutes" in blocked.text
    assert login(client, moderation_accounts["admin"]).status_code == 303  # other accounts are not locked out
    with make_client(demo_service, address="192.0.2.80") as elsewhere:  # the moderator, from another address
        assert login(elsewhere, moderation_accounts["reso"]).status_code == 303


def test_an_expired_session_must_sign_in_again(client, demo_service, moderation_accounts):
    login(client, moderation_accounts["reso"])
    assert client.get("/api/moderation/me").status_code == 200
    with demo_service.session() as session:
        session.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(minutes=1)))
        session.commit()
    assert client.get("/api/moderation/me").status_code == 401
    assert client.get("/moderation", follow_redirects=False).headers["location"] == "/connexion?suivant=%2Fmoderation"


def test_a_tampered_session_cookie_is_ignored(client, moderation_accounts):
    login(client, moderation_accounts["reso"])
    token, _, signature = client.cookies.get("carto_session").rpartition(".")
    client.cookies.clear()
    client.cookies.set("carto_session", token[:-1] + ("A" if token[-1] != "A" else "B") + "." + signature)
    assert client.get("/api/moderation/me").status_code == 401


def test_a_deactivated_account_cannot_sign_in(client, demo_service, moderation_accounts):
    with demo_service.session() as session:
        users.set_active(session, users.by_email(session, moderation_accounts["reso"]), False)
        session.commit()
    assert login(client, moderation_accounts["reso"]).status_code == 401


def test_every_write_needs_the_csrf_token(client, moderation_accounts, sign_in):
    client.get("/connexion")
    no_token = client.post("/connexion", data={"email": moderation_accounts["reso"],
                                                "password": MODERATION_PASSWORD}, follow_redirects=False)
    assert no_token.status_code == 403
    csrf = sign_in(client, moderation_accounts["admin"])
    decision = {"action": "accept"}
    assert client.post("/api/moderation/contributions/1/decision", json=decision).status_code == 403
    assert client.post("/api/moderation/contributions/1/decision", json=decision,
                       headers={"X-CSRF-Token": "faux"}).status_code == 403
    assert client.post("/moderation/comptes", data={"email": "x@y.example", "password": "x" * 12}).status_code == 403
    # A visitor's token is bound to its browser: it is worthless once another session is open.
    assert client.post("/moderation/sites/1/verifier", data={"csrf_token": csrf + "x"}).status_code == 403


def test_after_signing_in_only_local_pages_are_followed(client, moderation_accounts):
    assert login(client, moderation_accounts["reso"], next="//evil.example/").headers["location"] == "/moderation"
    client.cookies.clear()
    assert login(client, moderation_accounts["reso"], next="/moderation/sites/3").headers["location"] == \
        "/moderation/sites/3"


def test_administrators_manage_accounts_and_moderators_cannot(client, demo_service, moderation_accounts, sign_in):
    sign_in(client, moderation_accounts["reso"])
    assert client.get("/moderation/comptes").status_code == 403
    csrf = sign_in(client, moderation_accounts["admin"])
    page = client.get("/moderation/comptes")
    assert page.status_code == 200 and moderation_accounts["brest"] in page.text
    created = client.post("/moderation/comptes", data={
        "csrf_token": csrf, "email": "Nouvelle@Pole.example", "name": "Nouvelle", "role": "moderator",
        "password": "un mot de passe assez long", "poles": ["adesk"], "domains": ["dechets"]})
    assert created.status_code == 200 and "Compte créé : nouvelle@pole.example" in created.text
    too_short = client.post("/moderation/comptes", data={"csrf_token": csrf, "email": "court@pole.example",
                                                         "password": "court", "role": "moderator"})
    assert too_short.status_code == 422 and "12 à 200 caractères" in too_short.text
    with demo_service.session() as session:
        user = users.by_email(session, "nouvelle@pole.example")
        scope = users.scope_of(session, user)
    assert (scope.poles, scope.domains) == ({"adesk"}, {"dechets"}) and user.digest

    updated = client.post(f"/moderation/comptes/{user.id}", data={
        "csrf_token": csrf, "name": "Nouvelle", "role": "moderator", "poles": ["reso-solidaire"], "active": "1"})
    assert updated.status_code == 200 and "Compte mis à jour" in updated.text
    with demo_service.session() as session:
        user = users.by_email(session, "nouvelle@pole.example")
        assert users.scope_of(session, user) == users.Scope(poles=frozenset({"reso-solidaire"}))
        assert not user.digest
        me = users.by_email(session, moderation_accounts["admin"])
    myself = client.post(f"/moderation/comptes/{me.id}", data={"csrf_token": csrf, "role": "admin"})
    assert myself.status_code == 422 and "votre propre compte" in myself.text


def test_the_command_line_creates_accounts_with_a_scope(demo_service, monkeypatch):
    monkeypatch.setenv("CARTO_DATABASE_URL", demo_service.settings.database_url)
    from carto.core.settings import get_settings
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["users", "add", "Pole@Brest.example", "--role", "moderator", "--pole",
                                     "adess-pays-de-brest", "--domain", "mobilite", "--password", "mot de passe long"])
        assert result.exit_code == 0, result.output
        assert "pôles adess-pays-de-brest et domaines mobilite" in result.output
        prompted = runner.invoke(cli, ["users", "add", "cress@cress.example", "--role", "admin"],
                                 input="mot de passe long\nmot de passe long\n")
        assert prompted.exit_code == 0, prompted.output
        unknown = runner.invoke(cli, ["users", "add", "x@y.example", "--pole", "atlantide", "--password", "x" * 12])
        assert unknown.exit_code == 1 and "pôle inconnu" in unknown.output
        listing = runner.invoke(cli, ["users", "list"])
        assert "cress@cress.example" in listing.output and "pole@brest.example" in listing.output
    finally:
        get_settings.cache_clear()
    with demo_service.session() as session:
        assert session.exec(select(User).where(User.email == "pole@brest.example")).one().role.value == "moderator"
