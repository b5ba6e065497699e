"""Freshness campaigns: structures asked whether their sheet is still right, reminded twice, then
handed to the moderators; one mail per address, an unsubscribe link, nobody mailed without an address."""
import re
from datetime import date, timedelta

from sqlmodel import select

from carto.community import campaigns
from carto.directory import sites
from carto.storage.db import session_scope
from carto.storage.models import FreshnessRequest, OutgoingMail, Site, SiteStatus, utcnow
from tests.helpers import csrf_of

ADDRESS = "bonjour@ressourcerie.example"


def only_stale(service, *emails) -> list[int]:
    """One stale site per address given (None: no address); the demo's other sites have no address."""
    with session_scope(service.engine) as session:
        ids = session.exec(select(Site.id).where(Site.status == SiteStatus.published).order_by(Site.id)
                           .limit(len(emails))).all()
        for site_id, email in zip(ids, emails):
            sites.update(session, session.get(Site, site_id), {"email": email,
                                                               "verified_at": "2023-01-02"}, service.locator,
                         actor="test")
    return list(ids)


def run(service, now=None):
    with session_scope(service.engine) as session:
        return campaigns.send(session, service, now)


def mails_to(service, address):
    with service.session() as session:
        return session.exec(select(OutgoingMail).where(OutgoingMail.to == address).order_by(OutgoingMail.id)).all()


def test_one_mail_per_address_lists_its_sheets_and_none_goes_to_sites_without_one(demo_service):
    only_stale(demo_service, ADDRESS, ADDRESS, None)
    report = run(demo_service)
    assert (report.asked, report.mails) == (2, 1) and report.without_email >= 1
    [mail] = mails_to(demo_service, ADDRESS)
    assert mail.subject == "Carto ESS : vos fiches sont-elles toujours exactes ?"
    assert len(re.findall(r"\n    https?://[^/\s]+/fraicheur/\S+\n", mail.body)) == 2
    assert mail.body.startswith("Bonjour,\n\nLes 2 fiches de votre structure")
    assert re.search(r"Ne plus recevoir ces e-mails : https?://[^/\s]+/fraicheur/", mail.body)
    assert run(demo_service).mails == 0  # asked already: nothing before the reminder is due


def test_confirming_in_one_click_verifies_the_sheet_today(client, demo_service):
    [site_id] = only_stale(demo_service, ADDRESS)
    run(demo_service)
    link = re.search(r"https?://[^/\s]+(/fraicheur/\S+)", mails_to(demo_service, ADDRESS)[0].body).group(1)
    page = client.get(link)
    assert "Toujours exact" in page.text and "Corriger la fiche" in page.text
    done = client.post(link, data={"csrf_token": csrf_of(page.text), "answer": "exact"})
    assert "marquée comme vérifiée aujourd&#39;hui" in done.text
    with demo_service.session() as session:
        assert session.get(Site, site_id).verified_at == date.today()
        assert sites.history(session, site_id)[-1].actor.startswith("freshness:")
    again = client.post(link, data={"csrf_token": csrf_of(page.text), "answer": "exact"})
    assert again.status_code == 409 and "déjà reçu sa réponse" in again.text


def test_correcting_leads_to_the_owner_form(client, demo_service):
    [site_id] = only_stale(demo_service, ADDRESS)
    run(demo_service)
    link = re.search(r"https?://[^/\s]+(/fraicheur/\S+)", mails_to(demo_service, ADDRESS)[0].body).group(1)
    page = client.get(link)
    moved = client.post(link, data={"csrf_token": csrf_of(page.text), "answer": "corriger"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].startswith(f"/sites/{site_id}/proprietaire/")
    assert "Mettre à jour votre fiche" in client.get(moved.headers["location"]).text


def test_two_reminders_then_the_moderators_queue(client, demo_service, moderation_accounts, sign_in):
    [site_id] = only_stale(demo_service, ADDRESS)
    sign_in(client, moderation_accounts["admin"])

    def in_queue():
        return site_id in [f["id"] for f in client.get("/api/moderation/queues/a-verifier?limit=500").json()["items"]]

    assert in_queue()
    start = utcnow()
    run(demo_service, start)
    assert not in_queue()  # the structure is being asked
    run(demo_service, start + timedelta(days=15))
    run(demo_service, start + timedelta(days=30))
    assert [m.subject.startswith("Carto ESS : rappel") for m in mails_to(demo_service, ADDRESS)] == [False, True, True]
    report = run(demo_service, start + timedelta(days=45))
    assert (report.unanswered, report.mails) == (1, 0)
    assert in_queue()
    with demo_service.session() as session:
        assert session.exec(select(FreshnessRequest.outcome)).one() == "unanswered"


def test_an_address_can_unsubscribe(client, demo_service):
    only_stale(demo_service, ADDRESS)
    run(demo_service)
    link = re.search(r"Ne plus recevoir ces e-mails : https?://[^/\s]+(\S+)",
                     mails_to(demo_service, ADDRESS)[0].body).group(1)
    page = client.get(link)
    client.post(link, data={"csrf_token": csrf_of(page.text)})
    later = utcnow() + timedelta(days=400)
    assert run(demo_service, later).mails == 0 and len(mails_to(demo_service, ADDRESS)) == 1


def test_administrators_run_a_campaign_from_the_console(client, demo_service, moderation_accounts, sign_in):
    only_stale(demo_service, ADDRESS)
    csrf = sign_in(client, moderation_accounts["admin"])
    page = client.post("/moderation/fraicheur/envoyer", data={"csrf_token": csrf})
    assert page.status_code == 200 and "1 e-mail(s) : 1 fiche(s) demandée(s)" in page.text
