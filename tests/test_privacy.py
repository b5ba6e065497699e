"""Contributors' personal data: never in a public page, API or export; erased on request.

A contributor with a recognisable name, e-mail and message proposes sites, a change and a report
through the public forms; moderators accept some and refuse others. Then every public GET route
(``PUBLIC_URLS`` must list them all: a new route fails the test until it is added) is fetched
anonymously, in every format, and no response holds any of those strings. ``carto contributors
purge`` then erases them and leaves the moderation history as it was.
"""
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from carto.community import mail
from carto.storage.db import session_scope

from carto.directory import sites
from carto.cli import app as cli
from carto.community.contributions import by_token
from carto.views.icons import for_taxonomy
from carto.storage.models import Contribution, OutgoingMail, Site, SiteStatus, SiteVersion
from carto.community.privacy import REMOVED
from carto.community.site_form import values_from_snapshot
from carto.directory import sirene
from carto.territory import geocoder
from tests.fake_registers import SIRET, FakeRegisters, establishment
from tests.helpers import PROTECTED_PREFIXES, app_routes, csrf_of, make_client

NAME, EMAIL = "Zephyrine Vieprivee", "zephyrine.vieprivee@contributrice.example"
MESSAGE = f"Message confidentiel 7391 de la part de {NAME}"
# What must never leak, in any case: surname, first name, the e-mail's domain, the private message.
SECRETS = ("vieprivee", "zephyrine", "contributrice.example", "confidentiel 7391")
PUBLIC_NAME = "Recyclerie Temoin Confidentialite"  # the accepted site: public, and so expected everywhere
RENNES = (-1.6778, 48.1173)


class Story:
    """What the contributor did and what became of it (ids and follow-up tokens)."""
    accepted_site: int
    changed_site: int
    reported_site: int
    tokens: list[str]


def post_form(client, path: str, **fields) -> str:
    """A public form sent as a browser does; returns the follow-up token."""
    response = client.post(path, data={"csrf_token": csrf_of(client.get(path).text), **fields},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return re.match(r"/suivi/([^?]+)", response.headers["location"]).group(1)


def contributions_by(service, name=NAME, email=EMAIL, comment=MESSAGE, public_name=PUBLIC_NAME,
                     phone="02 99 00 11 22") -> Story:
    """Through the public forms: a new site, a second new site, a change and a report."""
    who = {"contributor_name": name, "contributor_email": email, "consent": "1", "comment": comment}
    with service.session() as session:
        changed, reported = session.exec(select(Site).where(Site.commune_code == "35238",
                                                            Site.status == SiteStatus.published)
                                         .order_by(Site.id).limit(2)).all()
    story = Story()
    story.changed_site, story.reported_site = changed.id, reported.id
    with make_client(service) as client:
        story.tokens = [
            post_form(client, "/proposer", name=public_name, activities=["reemploi"], lon=str(RENNES[0]),
                      lat=str(RENNES[1]), description="Ressourcerie de quartier", not_duplicate="1", **who),
            post_form(client, "/proposer", name=f"{public_name} refusée", activities=["velo"],
                      commune="Rennes (35238)", not_duplicate="1", **who),
            post_form(client, f"/sites/{changed.id}/modifier",
                      **_change_form(service, changed.id) | {"phone": phone}, **who),
            post_form(client, f"/sites/{reported.id}/signaler", reason="wrong", **who),
        ]
    with service.session() as session:
        story.accepted_site = by_token(session, story.tokens[0]).site_id
    return story


def _change_form(service, site_id: int) -> dict:
    """The change form as the page fills it in (the current values of the site)."""
    with service.session() as session:
        site = session.get(Site, site_id)
        values = values_from_snapshot(sites.snapshot(session, site), "Rennes (35238)")
    return values | {"base_version": str(site.version)}


def moderate(service, story: Story, moderation_accounts, sign_in) -> None:
    """Accept the first site and the change, refuse the second site, dismiss the report."""
    with service.session() as session:
        ids = [by_token(session, t).id for t in story.tokens]
    with make_client(service) as client:
        csrf = sign_in(client, moderation_accounts["admin"])
        for cid, action in zip(ids, ("accept", "refuse", "accept", "dismiss")):
            response = client.post(f"/api/moderation/contributions/{cid}/decision",
                                   json={"action": action, "reason": "Hors périmètre"},
                                   headers={"X-CSRF-Token": csrf})
            assert response.status_code == 200, response.text
        assert EMAIL in client.get(f"/api/moderation/contributions/{ids[0]}").text  # moderators do see it


def public_urls(story: Story, service) -> dict[str, list[str]]:
    """Every public GET route -> the URLs fetched for it."""
    site, q = story.accepted_site, "Recyclerie Temoin"
    near = f"lon={RENNES[0]}&lat={RENNES[1]}"
    bbox = "bbox=-1.8,48.0,-1.5,48.2"
    exports = [f"/api/exports/sites.{fmt}{query}" for fmt in ("csv", "xlsx", "geojson", "gpkg")
               for query in ("", f"?q={q}", "?zone=commune:35238&sep=;")]
    ogc_items = [f"/ogc/collections/sites/items?f={f}&limit=1000{extra}" for f in ("json", "html")
                 for extra in ("", f"&{bbox}")] + ["/ogc/collections/poles/items"]
    site_ids = (site, story.changed_site, story.reported_site)
    return {
        "/openapi.json": ["/openapi.json"],
        "/docs": ["/docs"],
        "/": ["/", f"/?q={q}"],
        "/liste": [f"/liste?q={q}", "/liste?commune=35238", f"/liste?near={RENNES[0]},{RENNES[1]}"],
        "/sites/{site_id}": [f"/sites/{i}" for i in site_ids],
        "/carte/zones-poles.geojson": ["/carte/zones-poles.geojson"],
        "/icones.css": ["/icones.css"],
        "/icones/{version}.woff": [f"/icones/{for_taxonomy(service.taxonomy).version}.woff"],
        "/api/sites": [f"/api/sites?q={q}", "/api/sites?commune=35238&limit=1000",
                       "/api/sites?commune=35238&limit=1000&format=compact"],
        "/api/sites/{site_id}": [f"/api/sites/{i}" for i in site_ids],
        "/api/sites/clusters": [f"/api/sites/clusters?{bbox}&zoom={z}" for z in (10, 18)],
        "/api/taxonomy": ["/api/taxonomy"],
        "/api/taxonomy.json": ["/api/taxonomy.json"],
        "/api/changes": ["/api/changes?since=0&limit=1000"],
        "/api/elements.json": [f"/api/elements.json?ontology={o}" for o in ("gogofull", "gogocompact", "gogosync")],
        "/api/elements/{site_id}": [f"/api/elements/{i}" for i in site_ids],
        "/api/geocode": ["/api/geocode?q=rue+de+la+Motte"],
        "/api/sirene/{siret}": [f"/api/sirene/{SIRET}"],
        "/api/poles": ["/api/poles"],
        "/api/poles/at": [f"/api/poles/at?{near}"],
        "/api/poles/{pole_id}": ["/api/poles/reso-solidaire"],
        "/api/territories": ["/api/territories"],
        "/api/territories/{level}": ["/api/territories/communes?q=Rennes"],
        "/api/territories/{level}/{code}": ["/api/territories/communes/35238"],
        "/api/stats/{level}": [f"/api/stats/{level}" for level in ("departement", "pays", "epci", "pole")],
        "/api/sourcing": [f"/api/sourcing?q={q}", "/api/sourcing?zone=commune:35238"],
        "/sourcing": [f"/sourcing?q={q}", "/sourcing?zone=commune:35238"],
        "/api/exports/sites.{fmt}": exports,
        "/poles/{pole_id}": ["/poles/reso-solidaire"],
        "/territoires": ["/territoires"],
        "/territoires/couverture": ["/territoires/couverture"],
        "/ogc": ["/ogc?f=json", "/ogc?f=html"],
        "/ogc/": ["/ogc/"],
        "/ogc/conformance": ["/ogc/conformance?f=json", "/ogc/conformance?f=html"],
        "/ogc/api": ["/ogc/api?f=json", "/ogc/api?f=html"],
        "/ogc/collections": ["/ogc/collections?f=json", "/ogc/collections?f=html"],
        "/ogc/collections/{collection_id}": [f"/ogc/collections/sites?f={f}" for f in ("json", "html")],
        "/ogc/collections/{collection_id}/queryables": ["/ogc/collections/sites/queryables"],
        "/ogc/collections/{collection_id}/items": ogc_items,
        "/ogc/collections/{collection_id}/items/{feature_id}": [f"/ogc/collections/sites/items/{i}?f={f}"
                                                                for i in site_ids for f in ("json", "html")],
        "/embed": ["/embed", "/embed?pole=reso-solidaire&lang=en", f"/embed?view=list&q={q}",
                   "/embed?view=list&epci=243500139"],
        "/embed/builder": ["/embed/builder", "/embed/builder?pole=reso-solidaire"],
        "/api/embed/snippet": ["/api/embed/snippet?pole=reso-solidaire"],
        "/proposer": ["/proposer"],
        "/sites/{site_id}/modifier": [f"/sites/{i}/modifier" for i in site_ids],
        "/sites/{site_id}/signaler": [f"/sites/{i}/signaler" for i in site_ids],
        "/sites/{site_id}/proprietaire": [f"/sites/{i}/proprietaire" for i in site_ids],
        "/sites/{site_id}/proprietaire/{token}": [owner_link(service, i) for i in site_ids],
        "/fraicheur/{token}": [freshness_link(service, i) for i in site_ids],
        "/fraicheur/{token}/desinscription": [freshness_link(service, i) + "/desinscription" for i in site_ids],
        "/api/contributions/duplicates": [f"/api/contributions/duplicates?name={q}&{near}"],
        "/connexion": ["/connexion"],
        "/sites/{site_id}/bulle": [f"/sites/{i}/bulle" for i in site_ids],
        "/carte/contour/{level}/{code}.geojson": ["/carte/contour/pole/reso-solidaire.geojson",
                                                  "/carte/contour/epci/243500139.geojson"],
        "/carte/fond/{name}.geojson": [f"/carte/fond/{n}.geojson" for n in ("terre", "communes", "villes")],
        "/poles": ["/poles"],
        "/schema/sites.json": ["/schema/sites.json"],
        "/api/exports/datapackage.json": ["/api/exports/datapackage.json", f"/api/exports/datapackage.json?q={q}"],
        "/accessibilite": ["/accessibilite"],
        "/mentions-legales": ["/mentions-legales"],
        "/donnees-personnelles": ["/donnees-personnelles"],
        # The contributor's own follow-up pages: reached only with the private link, checked all the same.
        "/suivi/{token}": [f"/suivi/{t}" for t in story.tokens],
    }


def owner_link(service, site_id: int) -> str:
    """The page an owner reaches from the link mailed to the site's public address."""
    from carto.community import auth
    from carto.storage.models import OwnerLink, utcnow
    token = auth.new_token()
    with session_scope(service.engine) as session:
        session.add(OwnerLink(site_id=site_id, email="structure@example.org", token_hash=auth.token_digest(token),
                              expires_at=utcnow() + timedelta(days=1)))
    return f"/sites/{site_id}/proprietaire/{token}"


def freshness_link(service, site_id: int) -> str:
    """The page a structure reaches from a freshness campaign's mail."""
    from carto.community import auth
    from carto.storage.models import FreshnessRequest
    token = auth.new_token()
    with session_scope(service.engine) as session:
        session.add(FreshnessRequest(site_id=site_id, email="structure@example.org",
                                     token_hash=auth.token_digest(token)))
    return f"/fraicheur/{token}"


def bodies(content: bytes) -> list[bytes]:
    """The bytes of a response, and of each member when it is a zip file (XLSX)."""
    if content[:2] != b"PK":
        return [content]
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        return [content] + [z.read(name) for name in z.namelist()]


def leaks(content: bytes) -> list[str]:
    text = b"\n".join(bodies(content)).lower()
    return [s for s in SECRETS if s.encode() in text]


@pytest.fixture
def story(demo_service, moderation_accounts, sign_in) -> Story:
    s = contributions_by(demo_service)
    moderate(demo_service, s, moderation_accounts, sign_in)
    return s


def test_no_public_page_api_or_export_holds_a_contributors_name_email_or_message(demo_service, story):
    urls = public_urls(story, demo_service)
    with FakeRegisters() as fake, make_client(demo_service) as client:  # the look-ups answer as when online
        demo_service.geocoder = geocoder.Ban(fake.url, 2)
        demo_service.sirene = sirene.Api(fake.url, 2, rate=1000)
        fake.companies[SIRET] = establishment()
        public_gets = {p for m, p in app_routes(client.app) if m == "GET" and not p.startswith(PROTECTED_PREFIXES)}
        assert public_gets - urls.keys() == set(), f"new public routes: add them to public_urls: {sorted(public_gets - urls.keys())}"
        found, fetched = [], {}
        for url in (u for route in urls.values() for u in route):
            response = client.get(url)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            fetched[url] = content = response.content
            if url.startswith("/suivi/"):  # a report's follow-up page shows its author their own message
                content = content.replace(MESSAGE.encode(), b"")
            found += [f"{url}: {s}" for s in leaks(content)]
    assert not found, "\n".join(found)
    # The contributed site did reach these responses (the scan looked where the data is).
    expected = [f"/sites/{story.accepted_site}", f"/api/sites/{story.accepted_site}",
                *[u for u in urls["/api/exports/sites.{fmt}"] if "?q=" in u],
                f"/ogc/collections/sites/items/{story.accepted_site}?f=html"]
    assert [u for u in expected if PUBLIC_NAME.lower().encode() not in b"".join(bodies(fetched[u])).lower()] == []


def purge_with_cli(service, monkeypatch, email: str):
    monkeypatch.setenv("CARTO_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CARTO_OUTBOX_DIR", str(service.settings.outbox_dir))
    from carto.core.settings import get_settings
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, ["contributors", "purge", email, "--yes"])
    finally:
        get_settings.cache_clear()


def moderation_record(session) -> dict:
    """Everything moderators decided and every version of every site (what a purge must keep)."""
    decisions = {c.id: (c.kind, c.status, c.site_id, c.base_version, c.changes, c.reason, c.decided_by,
                        c.decided_at, c.decision_reason, c.merged_into, c.duplicates)
                 for c in session.exec(select(Contribution))}
    versions = [(v.id, v.site_id, v.version, v.action, v.actor, v.contribution_id, v.changed_at, v.changes,
                 v.snapshot) for v in session.exec(select(SiteVersion).order_by(SiteVersion.id))]
    return {"decisions": decisions, "versions": versions}


def outbox_texts(service) -> list[str]:
    return [p.read_text() for p in sorted(Path(mail.outbox_dir(service.settings)).glob("*.eml"))]


def test_purging_a_contributor_erases_their_data_and_keeps_the_moderated_history(demo_service, story, monkeypatch,
                                                                                 moderation_accounts, sign_in):
    other = contributions_by(demo_service, name="Autre Personne", email="autre@personne.example",
                             comment="Un autre message", public_name="Atelier Sans Rapport Aucun",
                             phone="02 99 00 33 44")
    mail.deliver_pending(demo_service.engine, demo_service.settings)  # acknowledgements and decisions, as .eml files
    assert any(EMAIL in text for text in outbox_texts(demo_service))
    with demo_service.session() as session:
        before = moderation_record(session)
        sites_before = session.exec(select(Site).order_by(Site.id)).all()

    result = purge_with_cli(demo_service, monkeypatch, EMAIL.upper())
    assert result.exit_code == 0, result.output
    assert "Propositions anonymisées : 4 ; e-mails effacés : 8" in result.output

    with demo_service.session() as session:
        mine = [by_token(session, t) for t in story.tokens]
        assert mine == [None] * 4  # the follow-up links are dead
        purged = session.exec(select(Contribution).where(Contribution.comment.contains(REMOVED))).all()
        assert len(purged) == 4
        assert {(c.contributor_name, c.contributor_email) for c in purged} == {("", None)}
        assert {c.comment for c in purged} == {f"Message confidentiel 7391 de la part de {REMOVED}"}
        assert session.exec(select(OutgoingMail).where(OutgoingMail.to == EMAIL)).all() == []
        assert moderation_record(session) == before
        assert session.exec(select(Site).order_by(Site.id)).all() == sites_before
        theirs = [by_token(session, t) for t in other.tokens]
        assert {(c.contributor_name, c.contributor_email) for c in theirs} == {("Autre Personne",
                                                                                 "autre@personne.example")}
    assert all(make_client(demo_service).get(f"/suivi/{t}").status_code == 404 for t in story.tokens)
    texts = outbox_texts(demo_service)
    assert not any("vieprivee" in t.lower() for t in texts) and any("autre@personne.example" in t for t in texts)
    with make_client(demo_service) as client:
        sign_in(client, moderation_accounts["admin"])
        item = client.get(f"/api/moderation/contributions/{purged[0].id}").json()
        assert item["contributor"] == {"name": "", "email": None} and item["status"] == "accepted"

    again = purge_with_cli(demo_service, monkeypatch, EMAIL)
    assert "Propositions anonymisées : 0 ; e-mails effacés : 0" in again.output
    assert purge_with_cli(demo_service, monkeypatch, "pas-un-email").exit_code == 1


@pytest.mark.sqlite_only("erased values must not linger in the database file or its write-ahead log")
def test_a_purge_leaves_no_trace_in_the_sqlite_files(demo_service, story, monkeypatch):
    db = Path(demo_service.settings.database_url.removeprefix("sqlite:///"))
    files = lambda: b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*")).lower()  # noqa: E731
    assert b"vieprivee" in files()
    assert purge_with_cli(demo_service, monkeypatch, EMAIL).exit_code == 0
    assert [s for s in SECRETS[:-1] if s.encode() in files()] == []
