"""Decisions that keep what can be kept: a change made stale by a later edit is applied field by field,
and the contributor's mail says what was kept; mails say the outcome and can carry a message."""
import re

from sqlmodel import select

from carto.community import contributions
from carto.storage.db import session_scope
from carto.storage.models import OutgoingMail, Site
from tests.helpers import WHO, csrf_of, decide, propose, propose_change, published_in


def mails_to(service, address: str) -> list[OutgoingMail]:
    with service.session() as session:
        return list(session.exec(select(OutgoingMail).where(OutgoingMail.to == address).order_by(OutgoingMail.id)))


def a_stale_change(service, client, csrf, site):
    """Two proposals on the same name; the first accepted makes the second stale on « Nom » only."""
    first = propose_change(service, site.id, name="Premier nom")
    second = propose_change(service, site.id, name="Second nom", phone="02 99 11 22 33")
    assert decide(client, csrf, first.id, "accept").status_code == 200
    return second


def test_a_stale_change_applies_the_untouched_fields_and_asks_for_the_others(client, demo_service,
                                                                             moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    csrf = sign_in(client, moderation_accounts["admin"])
    stale = a_stale_change(demo_service, client, csrf, site)
    shown = client.get(f"/api/moderation/contributions/{stale.id}").json()["stale_fields"]
    assert [(f["field"], f["proposed"], f["now"], f["changed_by"]) for f in shown] == [
        ("name", "Second nom", "Premier nom", "Modération admin")]
    undecided = decide(client, csrf, stale.id, "accept")
    assert undecided.status_code == 409 and "choisissez" in undecided.json()["detail"]

    assert decide(client, csrf, stale.id, "accept", fields={"name": "current"}).status_code == 200
    with demo_service.session() as session:
        saved = session.get(Site, site.id)
        assert (saved.name, saved.phone) == ("Premier nom", "02 99 11 22 33")
    mail = mails_to(demo_service, WHO.contributor_email)[-1]
    assert mail.subject.endswith("— acceptée en partie")
    assert "Appliqué : Téléphone." in mail.body
    assert "Non retenu, car la fiche avait été modifiée entre-temps : Nom." in mail.body


def test_on_the_page_each_stale_field_is_chosen_and_the_proposed_value_can_win(client, demo_service,
                                                                               moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    csrf = sign_in(client, moderation_accounts["admin"])
    stale = a_stale_change(demo_service, client, csrf, site)
    page = client.get(f"/moderation/propositions/{stale.id}").text
    assert "Garder « Premier nom »" in page and "Prendre « Second nom »" in page
    assert re.search(r"Modifié depuis par Modération admin le \d\d/\d\d/\d{4}", page)
    done = client.post(f"/moderation/propositions/{stale.id}/decision",
                       data={"csrf_token": csrf_of(page), "action": "accept", "field_name": "proposed"},
                       follow_redirects=False)
    assert done.status_code == 303
    with demo_service.session() as session:
        assert session.get(Site, site.id).name == "Second nom"
    assert "— acceptée" in mails_to(demo_service, WHO.contributor_email)[-1].subject


def test_an_acceptance_carries_the_moderator_message_and_the_subject_says_the_outcome(client, demo_service,
                                                                                      moderation_accounts, sign_in):
    c = propose(demo_service, "Atelier vélo des Lices")
    csrf = sign_in(client, moderation_accounts["reso"])
    page = client.get(f"/moderation/propositions/{c.id}").text
    assert 'id="f-accept-reason"' in page
    decided = decide(client, csrf, c.id, "accept", reason="Merci, fiche complétée avec les horaires.")
    assert decided.status_code == 200
    mail = mails_to(demo_service, WHO.contributor_email)[-1]
    assert mail.subject == "Carto ESS : votre proposition de nouveau site « Atelier vélo des Lices » — acceptée"
    assert "Merci, fiche complétée avec les horaires." in mail.body
    refused = propose(demo_service, "Atelier refusé")
    decide(client, csrf, refused.id, "refuse", reason="Hors charte")
    assert mails_to(demo_service, WHO.contributor_email)[-1].subject.endswith("— non retenue")


def test_a_report_is_acknowledged_in_the_masculine(demo_service):
    site = published_in(demo_service, "35238")
    with session_scope(demo_service.engine) as session:
        contributions.report_site(session, demo_service, session.get(Site, site.id), "closed", "", WHO)
    mail = mails_to(demo_service, WHO.contributor_email)[-1]
    assert mail.subject.endswith("est bien reçu") and "Il sera examiné par" in mail.body
    assert "reçue" not in mail.subject and "Elle" not in mail.body
