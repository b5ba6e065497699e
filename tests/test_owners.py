"""Owners keep their sheets: a one-time link to the site's public address, changes marked « propriétaire
vérifié » (or published at once where an administrator allows it), and a proposal withdrawn by its author."""
import re
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from carto.community.site_form import values_from_snapshot
from carto.directory import sites
from carto.storage.db import session_scope
from carto.storage.models import Contribution, ContributionStatus, OutgoingMail, OwnerLink, Site, utcnow
from tests.helpers import WHO, csrf_of, decide, published_in

PUBLIC = "contact@atelier-velo.example"


def a_site_with_an_address(service) -> Site:
    site = published_in(service, "35238")
    with session_scope(service.engine) as session:
        sites.update(session, session.get(Site, site.id), {"email": PUBLIC, "activities": ["velo"]}, service.locator,
                     actor="test")
    with service.session() as session:
        return session.get(Site, site.id)


def ask_for_link(client, site_id: int):
    page = client.get(f"/sites/{site_id}/proprietaire")
    return client.post(f"/sites/{site_id}/proprietaire", data={"csrf_token": csrf_of(page.text)})


def link_from_mail(service) -> str:
    with service.session() as session:
        body = session.exec(select(OutgoingMail.body).where(OutgoingMail.to == PUBLIC)
                            .order_by(OutgoingMail.id.desc())).first()
    return re.search(r"https?://[^/\s]+(/sites/\d+/proprietaire/\S+)", body).group(1)


def owner_form(client, service, path: str, **typed) -> dict:
    page = client.get(path)
    assert page.status_code == 200, page.text
    with service.session() as session:
        site = session.get(Site, int(path.split("/")[2]))
        values = values_from_snapshot(sites.snapshot(session, site), "Rennes (35238)")
    return {k: v for k, v in values.items() if v is not False} | {
        "csrf_token": csrf_of(page.text), "base_version": str(site.version)} | typed


def test_an_owner_gets_a_link_at_the_public_address_and_its_change_arrives_marked(client, demo_service,
                                                                                  moderation_accounts, sign_in):
    site = a_site_with_an_address(demo_service)
    assert "Vous gérez cette structure ?" in client.get(f"/sites/{site.id}").text
    sent = ask_for_link(client, site.id)
    assert sent.status_code == 200 and "c•••@atelier-velo.example" in sent.text
    path = link_from_mail(demo_service)
    done = client.post(path, data=owner_form(client, demo_service, path, phone="02 99 00 00 01"),
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/suivi/")
    with demo_service.session() as session:
        c = session.exec(select(Contribution).where(Contribution.site_id == site.id)).one()
        assert (c.verified_owner, c.status, c.contributor_email) == (True, ContributionStatus.pending, PUBLIC)
        assert c.changes == {"phone": [site.phone, "02 99 00 00 01"]}
        assert session.get(Site, site.id).phone == site.phone  # not published before review
    assert client.get(path).status_code == 404  # one use only
    sign_in(client, moderation_accounts["reso"])
    assert "Propriétaire vérifié" in client.get("/moderation?file=modifications").text


def test_no_link_without_a_public_address_and_no_flood_of_the_address(client, demo_service):
    site = published_in(demo_service, "35238")
    with session_scope(demo_service.engine) as session:
        sites.update(session, session.get(Site, site.id), {"email": None}, demo_service.locator, actor="test")
    page = client.get(f"/sites/{site.id}/proprietaire").text
    assert "pas d&#39;adresse e-mail publique" in page and f'href="/sites/{site.id}/modifier"' in page
    assert 'action="/sites/%d/proprietaire"' % site.id not in page
    refused = client.post(f"/sites/{site.id}/proprietaire", data={"csrf_token": csrf_of(client.get("/proposer").text)})
    assert refused.status_code == 422 and "pas d&#39;adresse e-mail publique" in refused.text
    with_address = a_site_with_an_address(demo_service)
    for _ in range(3):
        assert ask_for_link(client, with_address.id).status_code == 200
    fourth = ask_for_link(client, with_address.id)
    assert fourth.status_code == 422 and "3 liens ont déjà été envoyés" in fourth.text
    with demo_service.session() as session:
        assert len(session.exec(select(OutgoingMail).where(OutgoingMail.to == PUBLIC)).all()) == 3


def test_an_expired_link_is_refused(client, demo_service):
    site = a_site_with_an_address(demo_service)
    ask_for_link(client, site.id)
    path = link_from_mail(demo_service)
    with session_scope(demo_service.engine) as session:
        session.execute(update(OwnerLink).values(expires_at=utcnow() - timedelta(minutes=1)))
    page = client.get(path)
    assert page.status_code == 404 and "expiré" in page.text


def test_where_an_administrator_allows_it_a_verified_owner_publishes_directly(client, demo_service,
                                                                             moderation_accounts, sign_in):
    site = a_site_with_an_address(demo_service)
    csrf = sign_in(client, moderation_accounts["admin"])
    assert client.post("/moderation/proprietaires", data={"csrf_token": csrf, "domains": ["mobilite"]},
                       follow_redirects=False).status_code == 303
    assert 'value="mobilite" checked' in client.get("/moderation/proprietaires").text
    ask_for_link(client, site.id)
    path = link_from_mail(demo_service)
    client.post(path, data=owner_form(client, demo_service, path, phone="02 99 00 00 02"))
    with demo_service.session() as session:
        assert session.get(Site, site.id).phone == "02 99 00 00 02"
        c = session.exec(select(Contribution).where(Contribution.site_id == site.id)).one()
        assert c.status == ContributionStatus.accepted
        assert sites.history(session, site.id)[-1].actor.startswith("owner:")


def test_a_pending_proposal_is_withdrawn_from_its_follow_up_page(client, demo_service, moderation_accounts, sign_in):
    from carto.community import contributions
    from carto.directory.site_schema import SiteData
    with session_scope(demo_service.engine) as session:
        receipt = contributions.propose_site(session, demo_service, SiteData(
            name="Atelier retiré", activities=["velo"], lon=-1.6778, lat=48.1173), WHO)
        token, c_id, site_id = receipt.token, receipt.contribution.id, receipt.contribution.site_id
    follow = client.get(f"/suivi/{token}").text
    assert "Retirer ma proposition" in follow
    client.post(f"/suivi/{token}/retirer", data={"csrf_token": csrf_of(follow)})
    assert "Retirée par son auteur" in client.get(f"/suivi/{token}").text
    with demo_service.session() as session:
        assert session.get(Site, site_id).status.value == "refused"
    csrf = sign_in(client, moderation_accounts["admin"])
    late = decide(client, csrf, c_id, "accept")
    assert late.status_code == 409 and "retirée par son auteur" in late.json()["detail"]
