"""A moderator's correction never loses what was typed: not when a colleague saved the site
meanwhile, not when the change would take the site out of the moderator's scope."""
import re

from sqlmodel import select

from carto.community.site_form import values_from_snapshot
from carto.directory import sites
from carto.storage.models import Contribution, ContributionKind, ContributionStatus, Site, SiteStatus
from tests.helpers import csrf_of


def a_site_in_rennes(service) -> Site:
    with service.session() as session:
        return session.exec(select(Site).where(Site.commune_code == "35238", Site.status == SiteStatus.published)
                            .order_by(Site.id)).first()


def edit_form(client, service, site_id: int, **typed) -> dict:
    """The edit form as the browser has it when opened (version included), with ``typed`` over it."""
    page = client.get(f"/moderation/sites/{site_id}/modifier").text
    with service.session() as session:
        site = session.get(Site, site_id)
        values = values_from_snapshot(sites.snapshot(session, site), f"Rennes ({site.commune_code})")
    values = {k: v for k, v in values.items() if v is not False}
    return values | {"csrf_token": csrf_of(page), "base_version": re.search(r'name="base_version" value="(\d+)"',
                                                                              page).group(1)} | typed


def hidden_version(html: str) -> str:
    return re.search(r'name="base_version" value="(\d+)"', html).group(1)


def input_value(html: str, name: str) -> str:
    return re.search(rf'<input id="f-{name}" name="{name}" type="\w+" value="([^"]*)"', html).group(1)


def test_the_second_moderator_sees_the_first_one_change_keeps_its_typing_and_can_send_again(
        demo_service, moderation_accounts, sign_in, client):
    from tests.helpers import make_client
    site = a_site_in_rennes(demo_service)
    with make_client(demo_service) as first:
        sign_in(first, moderation_accounts["admin"])
        sign_in(client, moderation_accounts["reso"])
        theirs = edit_form(first, demo_service, site.id, name="Nom corrigé par l'administrateur")
        mine = edit_form(client, demo_service, site.id, phone="02 99 12 34 56", description="Ouvert le samedi")
        assert first.post(f"/moderation/sites/{site.id}/modifier", data=theirs,
                          follow_redirects=False).status_code == 303

    late = client.post(f"/moderation/sites/{site.id}/modifier", data=mine, follow_redirects=False)
    assert late.status_code == 409
    page = late.text
    assert "Cette fiche a été modifiée pendant que vous la corrigiez" in page
    assert re.search(r"Modération admin, le \d\d/\d\d/\d{4} à \d\d:\d\d", page)
    assert "Nom corrigé par l&#39;administrateur" in page  # their change, shown field by field
    assert input_value(page, "phone") == "02 99 12 34 56"  # what this moderator typed is kept
    assert "Ouvert le samedi" in page
    assert input_value(page, "name") == "Nom corrigé par l&#39;administrateur"  # untouched field: their value
    assert hidden_version(page) == str(site.version + 1)
    assert "Vous avez tous deux modifié" not in page

    again = mine | {"name": "Nom corrigé par l'administrateur", "base_version": hidden_version(page)}
    assert client.post(f"/moderation/sites/{site.id}/modifier", data=again,
                       follow_redirects=False).status_code == 303
    with demo_service.session() as session:
        saved = session.get(Site, site.id)
        assert (saved.name, saved.phone, saved.description) == ("Nom corrigé par l'administrateur", "02 99 12 34 56",
                                                                "Ouvert le samedi")


def test_a_field_both_moderators_changed_keeps_the_typed_value_and_says_so(demo_service, moderation_accounts,
                                                                           sign_in, client):
    site = a_site_in_rennes(demo_service)
    sign_in(client, moderation_accounts["reso"])
    mine = edit_form(client, demo_service, site.id, name="Mon nom")
    first = edit_form(client, demo_service, site.id, name="Leur nom")
    assert client.post(f"/moderation/sites/{site.id}/modifier", data=first, follow_redirects=False).status_code == 303
    page = client.post(f"/moderation/sites/{site.id}/modifier", data=mine).text
    assert "Vous avez tous deux modifié : Nom" in page and input_value(page, "name") == "Mon nom"


def test_an_edit_leaving_the_scope_keeps_the_form_and_can_go_to_an_administrator(demo_service, moderation_accounts,
                                                                                 sign_in, client):
    site = a_site_in_rennes(demo_service)
    sign_in(client, moderation_accounts["reso"])
    moved = edit_form(client, demo_service, site.id, commune="Brest (29019)", lon="", lat="", phone="02 98 00 11 22")
    refused = client.post(f"/moderation/sites/{site.id}/modifier", data=moved)
    assert refused.status_code == 403
    assert "la fiche sortirait de votre périmètre de modération" in refused.text
    assert input_value(refused.text, "phone") == "02 98 00 11 22" and "Brest (29019)" in refused.text
    assert "Envoyer comme proposition à un administrateur" in refused.text
    with demo_service.session() as session:
        assert session.get(Site, site.id).version == site.version  # nothing was written

    sent = client.post(f"/moderation/sites/{site.id}/modifier", data=moved | {"as_proposal": "1"},
                       follow_redirects=False)
    assert sent.status_code == 303 and "envoy" in sent.headers["location"]
    with demo_service.session() as session:
        proposal = session.exec(select(Contribution).where(Contribution.site_id == site.id,
                                                           Contribution.kind == ContributionKind.change)).one()
        assert proposal.status == ContributionStatus.pending
        assert proposal.changes["phone"] == [site.phone, "02 98 00 11 22"] and "commune_code" in proposal.changes
        assert "Modération reso" in proposal.comment
        assert session.get(Site, site.id).commune_code == "35238"
    sign_in(client, moderation_accounts["admin"])
    queued = client.get("/api/moderation/queues/modifications").json()["items"]
    assert proposal.id in [i["id"] for i in queued]


def test_accepting_a_proposal_that_leaves_the_scope_says_why_on_the_page(demo_service, moderation_accounts,
                                                                         sign_in, client):
    from tests.helpers import BREST, propose_change
    site = a_site_in_rennes(demo_service)
    c = propose_change(demo_service, site.id, lon=BREST[0], lat=BREST[1])
    csrf = sign_in(client, moderation_accounts["reso"])
    page = client.post(f"/moderation/propositions/{c.id}/decision", data={"csrf_token": csrf, "action": "accept"})
    assert page.status_code == 403
    assert "un administrateur la verra dans sa file" in page.text and "Décider" in page.text
