"""Access control of the moderation side, table-driven.

Every route under /moderation and /api/moderation is in ``ROUTES`` (a test fails when a new one is
not), and each is called as five visitors: anonymous, a moderator whose session has expired, a
moderator of another area (Brest), a moderator of the area (Rennes) and an administrator. Pages send
visitors without a live session to the sign-in page (303), the API answers 401; out of scope is 403
(or, for lists, the item is simply not shown); a write that is refused changes nothing and a write
that is allowed really happens. Then every write is refused without its CSRF token.
"""
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import pytest
from sqlalchemy import update

from carto.community import auth, contributions, users

from carto.directory import reserved_status, sites
from carto.storage.db import session_scope
from carto.storage.models import (Contribution, ContributionStatus, ImportConflict, ImportConflictStatus, LoginSession,
                                  OwnerPublishing, ReviewLock, Site, SiteStatus, User, utcnow)
from carto.community import ratelimit
from carto.community.site_form import values_from_snapshot
from carto.directory.site_schema import SiteData
from tests.helpers import DATA, MODERATION_PASSWORD, PROTECTED_PREFIXES, app_routes, csrf_of, make_client

RENNES = (-1.6778, 48.1173)
# Writes open to anyone by design: the contribution forms, signing in and out.
PUBLIC_WRITES = {("POST", "/proposer"), ("POST", "/sites/{site_id}/modifier"), ("POST", "/sites/{site_id}/signaler"),
                 ("POST", "/connexion"), ("POST", "/deconnexion"),
                 # Owners: ask for a link to the site's public address, use it; withdraw from a follow-up page.
                 ("POST", "/sites/{site_id}/proprietaire"), ("POST", "/sites/{site_id}/proprietaire/{token}"),
                 ("POST", "/suivi/{token}/retirer"),
                 # Freshness campaigns: the structure's answer, and unsubscribing.
                 ("POST", "/fraicheur/{token}"), ("POST", "/fraicheur/{token}/desinscription")}
# Who calls: visitor -> account of MODERATION_ACCOUNTS (None: nobody signed in).
VISITORS = {"anonymous": None, "expired": "mobilite", "outside": "brest", "inside": "reso", "admin": "admin"}
counter = itertools.count(1)


class Targets:
    """Fresh things to act on, in Rennes (made on first use, so each call of a route gets its own)."""

    def __init__(self, service):
        self.service = service
        self.n = next(counter)

    @cached_property
    def proposal(self) -> Contribution:
        who = contributions.Contributor(contributor_name="Jeanne", contributor_email="jeanne@exemple.org", consent=True)
        # Each on its own spot (~300 m apart): never a likely duplicate of another, so in the "nouveaux" queue.
        lon, lat = RENNES[0] - 0.02 + 0.004 * (self.n % 12), RENNES[1] - 0.02 + 0.003 * (self.n // 12 % 12)
        data = SiteData(name=f"Proposition témoin {self.n}", activities=["velo"], lon=lon, lat=lat)
        with session_scope(self.service.engine) as session:
            c = contributions.propose_site(session, self.service, data, who).contribution
            session.flush()
            session.expunge(c)
        return c

    @cached_property
    def site(self) -> Site:
        """A published site at its second version (so there is a version to restore)."""
        data = SiteData(name=f"Fiche témoin {self.n}", activities=["reemploi"], lon=RENNES[0], lat=RENNES[1])
        with session_scope(self.service.engine) as session:
            site = sites.create(session, data, self.service.locator, actor="test")
            sites.update(session, site, {"description": "Deuxième version"}, self.service.locator, actor="test")
            session.flush()
            session.expunge(site)
        return site

    @cached_property
    def verified(self) -> Site:
        """``site``, its SIAE status verified by a moderator."""
        proof = reserved_status.proof("siae", kind="siae", authority="DREETS Bretagne", number=f"ACI-{self.n}",
                                      document_date="2026-01-05", verified_by="user:1", verified_at=date(2026, 2, 1))
        with session_scope(self.service.engine) as session:
            site = session.get(Site, self.site.id)
            sites.set_verification(session, site, "siae", proof, actor="user:1")
        return self.site

    def siae_proof(self) -> dict | None:
        return self.now(Site, self.site.id).siae_verification

    @cached_property
    def conflict(self) -> int:
        """An open import conflict on ``site``'s name."""
        with session_scope(self.service.engine) as session:
            conflict = ImportConflict(site_id=self.site.id, source="lvao", field="name", current=self.site.name,
                                      incoming=f"Nom de la source {self.n}")
            session.add(conflict)
            session.flush()
            return conflict.id

    @cached_property
    def missing(self) -> int:
        """``site``, no longer listed by its import source."""
        with session_scope(self.service.engine) as session:
            session.execute(update(Site).where(Site.id == self.site.id).values(missing_from_source_at=utcnow()))
        return self.site.id

    @cached_property
    def user(self) -> User:
        with session_scope(self.service.engine) as session:
            user = users.create(session, self.service.taxonomy, f"compte{self.n}@moderation.example",
                                MODERATION_PASSWORD, role="moderator", name="Avant", poles=["adesk"])
            session.flush()
            session.expunge(user)
        return user

    def edit_form(self) -> dict:
        with self.service.session() as session:
            site = session.get(Site, self.site.id)
            values = values_from_snapshot(sites.snapshot(session, site), "Rennes (35238)")
        return values | {"name": f"Fiche corrigée {self.n}", "base_version": str(site.version)}

    def now(self, model, key):
        with self.service.session() as session:
            return session.get(model, key)


@dataclass
class Route:
    """How to call a route, what it answers when allowed, and how to tell that a write happened.

    ``scope``: "item" (out of scope: 403), "list" (out of scope: the same answer without the item),
    "none" (the same for every moderator), "admin" (administrators only: 403 for moderators).
    """
    ok: int
    scope: str
    path: dict = field(default_factory=dict)  # path parameter -> Targets -> value
    form: object = None  # Targets -> form fields (pages) or JSON body (API)
    files: object = None  # Targets -> uploaded files
    done: object = None  # Targets -> whether the write happened
    shows: object = None  # Targets -> text a list shows only to those whose scope covers the item


CID = {"contribution_id": lambda t: t.proposal.id}
SID = {"site_id": lambda t: t.site.id}
SIAE = {**SID, "flag": lambda t: "siae"}
VERIFIED_SIAE = {"site_id": lambda t: t.verified.id, "flag": lambda t: "siae"}
PROOF = {"authority": "DREETS Bretagne", "number": "ACI-35-12", "document_date": "2026-03-12"}


def accepted(t: Targets) -> bool:
    return t.now(Contribution, t.proposal.id).status == ContributionStatus.accepted


def proposal_name(t: Targets) -> str:
    return t.proposal.id and f"Proposition témoin {t.n}"


def import_files(_t: Targets) -> dict:
    csv, mapping = DATA / "reemploi_materiaux.csv", DATA / "reemploi_materiaux_mapping.yaml"
    return {"file": (csv.name, csv.read_bytes(), "text/csv"),
            "mapping": (mapping.name, mapping.read_bytes(), "text/yaml")}


ROUTES: dict[tuple[str, str], Route] = {
    # Console pages
    ("GET", "/moderation"): Route(200, "list", shows=proposal_name),
    ("GET", "/moderation/propositions/{contribution_id}"): Route(200, "item", CID),
    ("POST", "/moderation/propositions/{contribution_id}/decision"): Route(
        303, "item", CID, form=lambda t: {"action": "accept"}, done=accepted),
    ("POST", "/moderation/propositions/{contribution_id}/examen"): Route(
        303, "item", CID, form=lambda t: {}, done=lambda t: t.now(ReviewLock, t.proposal.id) is not None),
    ("POST", "/moderation/decisions"): Route(
        200, "list", form=lambda t: {"ids": [str(t.proposal.id)], "action": "accept"}, done=accepted),
    ("GET", "/moderation/sites/{site_id}"): Route(200, "item", SID),
    ("POST", "/moderation/sites/{site_id}/verifier"): Route(
        303, "item", SID, form=lambda t: {}, done=lambda t: t.now(Site, t.site.id).verified_at is not None),
    ("POST", "/moderation/sites/{site_id}/statuts/{flag}/verifier"): Route(
        303, "item", SIAE, form=lambda t: {"kind": "siae", **PROOF}, done=lambda t: t.siae_proof() is not None),
    ("POST", "/moderation/sites/{site_id}/statuts/{flag}/retirer"): Route(
        303, "item", VERIFIED_SIAE, form=lambda t: {}, done=lambda t: t.siae_proof() is None),
    ("POST", "/moderation/sites/{site_id}/archiver"): Route(
        303, "item", SID, form=lambda t: {"archive": "1"},
        done=lambda t: t.now(Site, t.site.id).status == SiteStatus.archived),
    ("POST", "/moderation/sites/{site_id}/restaurer"): Route(
        303, "item", SID, form=lambda t: {"version": "1"}, done=lambda t: t.now(Site, t.site.id).version == 3),
    ("GET", "/moderation/sites/{site_id}/modifier"): Route(200, "item", SID),
    ("POST", "/moderation/sites/{site_id}/modifier"): Route(
        303, "item", SID, form=Targets.edit_form,
        done=lambda t: t.now(Site, t.site.id).name == f"Fiche corrigée {t.n}"),
    # Administrators' pages
    ("GET", "/moderation/comptes"): Route(200, "admin"),
    ("POST", "/moderation/comptes"): Route(
        200, "admin", form=lambda t: {"email": f"nouveau{t.n}@pole.example", "password": "un mot de passe long",
                                      "role": "moderator"},
        done=lambda t: _user_exists(t, f"nouveau{t.n}@pole.example")),
    ("POST", "/moderation/comptes/{user_id}"): Route(
        200, "admin", {"user_id": lambda t: t.user.id},
        form=lambda t: {"name": "Après", "role": "moderator", "poles": ["adesk"], "active": "1"},
        done=lambda t: t.now(User, t.user.id).name == "Après"),
    ("GET", "/moderation/imports"): Route(200, "admin"),
    ("GET", "/moderation/proprietaires"): Route(200, "admin"),
    ("GET", "/moderation/fraicheur"): Route(200, "none"),
    ("GET", "/api/moderation/freshness"): Route(200, "none"),
    ("POST", "/moderation/fraicheur/envoyer"): Route(200, "admin", form=lambda t: {}),
    ("POST", "/moderation/proprietaires"): Route(
        303, "admin", form=lambda t: {"domains": ["mobilite"]}, done=lambda t: t.now(OwnerPublishing, "mobilite") is not None),
    ("POST", "/moderation/imports"): Route(
        200, "admin", form=lambda t: {"format": "csv", "dry_run": "1"}, files=import_files),
    # JSON API
    ("GET", "/api/moderation/me"): Route(200, "none"),
    ("GET", "/api/moderation/queues"): Route(200, "none"),
    ("GET", "/api/moderation/queues/{queue}"): Route(200, "list", {"queue": lambda t: "nouveaux?limit=500"},
                                                     shows=proposal_name),
    ("GET", "/api/moderation/contributions/{contribution_id}"): Route(200, "item", CID),
    ("POST", "/api/moderation/contributions/{contribution_id}/decision"): Route(
        200, "item", CID, form=lambda t: {"action": "accept"}, done=accepted),
    ("POST", "/api/moderation/contributions/{contribution_id}/review"): Route(
        200, "item", CID, form=lambda t: {}, done=lambda t: t.now(ReviewLock, t.proposal.id) is not None),
    ("POST", "/api/moderation/decisions"): Route(
        200, "list", form=lambda t: {"ids": [t.proposal.id], "action": "accept"}, done=accepted),
    ("GET", "/api/moderation/sites/{site_id}/history"): Route(200, "item", SID),
    ("POST", "/api/moderation/sites/{site_id}/restore"): Route(
        200, "item", SID, form=lambda t: {"version": 1}, done=lambda t: t.now(Site, t.site.id).version == 3),
    ("POST", "/api/moderation/sites/{site_id}/reserved-statuses/{flag}/verification"): Route(
        200, "item", SIAE, form=lambda t: PROOF, done=lambda t: t.siae_proof() is not None),
    ("POST", "/api/moderation/sites/{site_id}/reserved-statuses/{flag}/revocation"): Route(
        200, "item", VERIFIED_SIAE, form=lambda t: {}, done=lambda t: t.siae_proof() is None),
    ("GET", "/api/moderation/pending-sites"): Route(200, "list", shows=proposal_name),
    # Import queues
    ("GET", "/moderation/imports/conflits"): Route(200, "list", shows=lambda t: t.conflict and t.site.name),
    ("GET", "/moderation/imports/absentes"): Route(200, "list", shows=lambda t: t.missing and t.site.name),
    ("POST", "/moderation/imports/{queue}"): Route(
        200, "list", {"queue": lambda t: "conflits"}, form=lambda t: {"row": f"source:{t.conflict}"},
        done=lambda t: t.now(ImportConflict, t.conflict).status == ImportConflictStatus.applied),
    ("GET", "/api/moderation/import-conflicts"): Route(200, "list", shows=lambda t: t.conflict and t.site.name),
    ("POST", "/api/moderation/import-conflicts/decisions"): Route(
        200, "list", form=lambda t: {"ids": [t.conflict], "choice": "keep"},
        done=lambda t: t.now(ImportConflict, t.conflict).status == ImportConflictStatus.kept),
    ("GET", "/api/moderation/missing-sites"): Route(200, "list", shows=lambda t: t.missing and t.site.name),
    ("POST", "/api/moderation/missing-sites/decisions"): Route(
        200, "list", form=lambda t: {"ids": [t.missing], "choice": "archive"},
        done=lambda t: t.now(Site, t.site.id).status == SiteStatus.archived),
}


def _user_exists(t: Targets, email: str) -> bool:
    with t.service.session() as session:
        return users.by_email(session, email) is not None


def test_every_moderation_and_admin_route_is_in_the_table(client):
    protected = {(m, p) for m, p in app_routes(client.app) if p.startswith(PROTECTED_PREFIXES)}
    assert protected - ROUTES.keys() == set(), "new moderation routes: add them to ROUTES"
    assert ROUTES.keys() - protected == set(), "routes in ROUTES that the app no longer has"


def test_every_other_write_is_one_of_the_public_forms(client):
    writes = {(m, p) for m, p in app_routes(client.app) if m != "GET" and not p.startswith(PROTECTED_PREFIXES)}
    assert writes == PUBLIC_WRITES


def expected(route: Route, visitor: str, api: bool) -> int:
    if visitor in ("anonymous", "expired"):
        return 401 if api else 303
    if route.scope == "admin" and visitor != "admin" or route.scope == "item" and visitor == "outside":
        return 403
    return route.ok


def allowed(route: Route, visitor: str) -> bool:
    """Whether the visitor may act on (or see) the item."""
    if visitor in ("anonymous", "expired") or visitor == "outside" and route.scope in ("item", "list"):
        return False
    return route.scope != "admin" or visitor == "admin"


class Caller:
    """A signed-in (or not) browser of one visitor, posting with its own valid CSRF token."""

    def __init__(self, service, client, account: str | None, sign_in, emails):
        self.client = client
        if account:
            self.csrf = sign_in(client, emails[account])
        else:
            self.csrf = csrf_of(client.get("/connexion").text)

    def call(self, method: str, url: str, route: Route, t: Targets, csrf: str | None = "own"):
        token = self.csrf if csrf == "own" else csrf
        headers = {"X-CSRF-Token": token} if token and url.startswith("/api/") else {}
        kwargs = {}
        if method == "POST" and url.startswith("/api/"):
            kwargs["json"] = route.form(t) if route.form else {}
        elif method == "POST":
            kwargs["data"] = (route.form(t) if route.form else {}) | ({"csrf_token": token} if token else {})
            if route.files:
                kwargs["files"] = route.files(t)
        return self.client.request(method, url, headers=headers, follow_redirects=False, **kwargs)


@pytest.fixture
def callers(demo_service, moderation_accounts, sign_in):
    clients = {name: make_client(demo_service).__enter__() for name in VISITORS}
    made = {name: Caller(demo_service, clients[name], account, sign_in, moderation_accounts)
            for name, account in VISITORS.items()}
    with session_scope(demo_service.engine) as session:  # the "expired" moderator's session runs out
        user = users.by_email(session, moderation_accounts[VISITORS["expired"]])
        session.execute(update(LoginSession).where(LoginSession.user_id == user.id)
                        .values(expires_at=utcnow() - timedelta(minutes=1)))
    made["expired"].csrf = csrf_of(clients["expired"].get("/connexion").text)  # what its browser now holds
    yield made
    for c in clients.values():
        c.__exit__(None, None, None)


def url_of(path: str, route: Route, t: Targets) -> str:
    return path.format(**{name: make(t) for name, make in route.path.items()})


def page_title(html: str) -> str:
    """What a browser shows in its tab (empty for a JSON answer)."""
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    return found.group(1) if found else ""


def test_each_route_answers_each_visitor_as_the_table_says(demo_service, callers):
    wrong = []
    for (method, path), route in ROUTES.items():
        api = path.startswith("/api/")
        for visitor, caller in callers.items():
            t = Targets(demo_service)
            shown = route.shows(t) if route.shows else None  # the item exists before the list is asked for
            response = caller.call(method, url_of(path, route, t), route, t)
            want = expected(route, visitor, api)
            problem = None
            if response.status_code != want:
                problem = f"status {response.status_code}, expected {want}"
            elif want == 303 and visitor in ("anonymous", "expired") and \
                    not response.headers["location"].startswith("/connexion?suivant="):
                problem = f"redirected to {response.headers['location']} instead of the sign-in page"
            elif shown and (shown in response.text) != allowed(route, visitor):
                problem = "shows an item outside the moderator's scope" if visitor == "outside" else "item missing"
            elif route.done and route.done(t) != allowed(route, visitor):
                problem = "a refused write happened" if not allowed(route, visitor) else "the write did not happen"
            elif response.status_code == 200 and "<" in page_title(response.text):
                problem = f"markup in the page's title: {page_title(response.text)[:80]}"
            if problem:
                wrong.append(f"{visitor:9} {method} {path}: {problem}")
    assert not wrong, "\n".join(wrong)


def test_every_write_is_refused_without_the_right_csrf_token(demo_service, callers):
    """Signed in as administrator (allowed everything): no token, a forged one, another browser's."""
    admin, other = callers["admin"], callers["inside"]
    wrong = []
    for (method, path), route in ROUTES.items():
        if method == "GET":
            continue
        for label, token in (("no token", None), ("forged token", admin.csrf[:-2] + "xx"),
                             ("another browser's token", other.csrf)):
            t = Targets(demo_service)
            response = admin.call(method, url_of(path, route, t), route, t, csrf=token)
            if response.status_code != 403 or "CSRF" not in response.text:
                wrong.append(f"{method} {path} with {label}: {response.status_code}")
            elif route.done and route.done(t):
                wrong.append(f"{method} {path} with {label}: the write happened")
    assert not wrong, "\n".join(wrong)


def login(client, email, password):
    token = csrf_of(client.get("/connexion").text)
    return client.post("/connexion", data={"csrf_token": token, "email": email, "password": password},
                       follow_redirects=False)


def test_password_spraying_from_one_address_is_throttled_then_allowed_again(client, moderation_accounts,
                                                                            monkeypatch):
    """Per address: wrong passwords spread over many accounts; the per-account limit never trips."""
    monkeypatch.setattr(auth, "waste_a_verification", lambda password: None)  # timing is not the point here
    now = [1e9]
    monkeypatch.setattr(ratelimit, "clock", lambda: now[0])
    spraying = ratelimit.LOGIN_ADDRESS
    codes = {login(client, f"personne{i}@moderation.example", "devine").status_code for i in range(spraying.limit)}
    assert codes == {401}
    blocked = login(client, moderation_accounts["reso"], MODERATION_PASSWORD)
    assert blocked.status_code == 429 and "Trop de tentatives" in blocked.text
    assert "carto_session" not in client.cookies
    now[0] += spraying.window + 1  # a quarter of an hour later
    assert login(client, moderation_accounts["reso"], MODERATION_PASSWORD).status_code == 303
