"""Establishments from Sirene (a local fake answering recherche-entreprises' documented format):
the forms' look-up, and ``carto sites check-sirene`` feeding the moderators' queues."""
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from carto.community import sirene_check
from carto.directory import bulk, sirene, sites
from carto.storage.models import (Contribution, ContributionKind, LegalForm, ReportReason, SireneRecord, Site,
                                  SiteStatus)
from tests.fake_registers import SIRET, FakeRegisters, establishment


@pytest.fixture
def registry(demo_service):
    with FakeRegisters() as fake:
        demo_service.sirene = sirene.Api(fake.url, 2, rate=1000)
        yield fake


def test_an_active_establishment(registry):
    registry.companies[SIRET] = establishment()
    record = sirene.Api(registry.url, 2).lookup(SIRET)
    assert (record.found, record.active, record.closed_on, record.ess) == (True, True, None, True)
    assert (record.name, record.legal_form_label, record.naf) == (
        "RECYCLERIE DU PAYS DE RENNES", "Association déclarée", "38.32Z")
    assert (record.street, record.postcode, record.city) == ("12 RUE DE LA MOTTE BRULON", "35700", "RENNES")
    assert registry.requests == [f"/search?q={SIRET}&page=1&per_page=5"]
    assert sirene.summary(record) == "Sirene : actif, ESS : oui, forme : Association déclarée"


def test_a_closed_establishment_and_an_unknown_one(registry):
    registry.companies[SIRET] = establishment(state="F", closed="2025-12-31", nature="5560", ess=None)
    record = sirene.Api(registry.url, 2).lookup(SIRET)
    assert sirene.summary(record) == ("Sirene : fermé le 31/12/2025, ESS : non renseigné, "
                                      "forme : Autre SA coopérative à conseil d'administration (dont SCIC)")
    assert sirene.legal_form("5560") == LegalForm.cooperative
    assert sirene.Api(registry.url, 2).lookup("73282932000074").found is False


def test_unreachable_or_off_says_so_in_french(registry):
    registry.down = True
    with pytest.raises(sirene.SireneUnavailable, match="Sirene a répondu 503"):
        sirene.Api(registry.url, 2).lookup(SIRET)
    with pytest.raises(sirene.SireneUnavailable, match="CARTO_SIRENE=none"):
        sirene.Off().lookup(SIRET)


def test_requests_keep_to_the_published_rate(registry):
    api = sirene.Api(registry.url, 2, rate=7)
    started = time.monotonic()
    for _ in range(4):
        api.lookup(SIRET)
    assert time.monotonic() - started >= 3 / 7


def test_legal_form_labels_come_from_the_insee_table():
    assert sirene.legal_form_label("9300") == "Fondation"
    assert sirene.legal_form_label("5710") == "Société par actions simplifiée (SAS)"
    assert sirene.legal_form_label("5785") == "Société par actions simplifiée (SAS)"  # by its level II
    assert sirene.legal_form_label("8888") == "catégorie juridique 8888"


# --- the forms' look-up ---------------------------------------------------------------------------

def test_the_forms_get_what_to_prefill(client, demo_service, registry):
    registry.companies[SIRET] = establishment()
    answer = client.get(f"/api/sirene/{SIRET}").json()
    assert answer["commune"] == "Rennes (35238)" and answer["legal_form"] == "association"
    assert answer["summary"] == "Sirene : actif, ESS : oui, forme : Association déclarée"
    assert answer["annuaire_url"] == f"https://annuaire-entreprises.data.gouv.fr/etablissement/{SIRET}"
    with demo_service.session() as session:  # remembered for the moderators
        assert session.get(SireneRecord, SIRET).name == "RECYCLERIE DU PAYS DE RENNES"


def test_the_forms_are_told_what_went_wrong(client, registry):
    assert client.get("/api/sirene/44306184100048").status_code == 422  # wrong key
    assert "inconnu de Sirene" in client.get("/api/sirene/73282932000074").json()["errors"][0]["msg"]
    registry.down = True
    response = client.get(f"/api/sirene/{SIRET}")
    assert response.status_code == 503 and response.json()["errors"][0]["msg"].startswith("Sirene indisponible")


def test_without_the_service_the_look_up_answers_503(client):
    assert client.get(f"/api/sirene/{SIRET}").status_code == 503


# --- carto sites check-sirene -------------------------------------------------------------------

def with_siret(demo_service, count: int = 3) -> list[Site]:
    """The first published sites given SIRETs the fake knows; the other sites lose theirs."""
    sirets = [SIRET, "73282932000074", "35600000000048"]
    with demo_service.session() as session:
        chosen = session.exec(select(Site).where(Site.status == SiteStatus.published).order_by(Site.id)).all()
        bulk.set_values(session, [s.id for s in chosen[count:]], {"siret": None}, actor="test", action="update")
        for site, siret in zip(chosen[:count], sirets):
            sites.update(session, site, {"siret": siret, "legal_form": LegalForm.association}, demo_service.locator,
                         actor="test")
        session.commit()
        return [session.get(Site, s.id) for s in chosen[:count]]


def queue(demo_service) -> list[Contribution]:
    with demo_service.session() as session:
        return session.exec(select(Contribution).where(Contribution.contributor_name == sirene_check.ROBOT.contributor_name)
                            .order_by(Contribution.id)).all()


def test_a_closed_establishment_is_reported_once_with_its_date(demo_service, registry):
    closed, renamed, unknown = with_siret(demo_service)
    registry.companies[SIRET] = establishment(state="F", closed="2025-12-31")
    registry.companies["73282932000074"] = establishment("73282932000074", name="ATELIER VELO")
    report = sirene_check.run(demo_service, timedelta(days=30))
    assert (report.checked, report.closed, report.changed, report.unknown) == (3, [closed.id], [], [unknown.id])
    (reported,) = queue(demo_service)
    assert (reported.kind, reported.reason, reported.site_id) == (ContributionKind.report, ReportReason.closed, closed.id)
    assert reported.comment == f"Fermé selon Sirene le 31/12/2025 (SIRET {SIRET})."
    # Resumed: sites checked within max_age are passed over; rechecked, no second report.
    assert sirene_check.run(demo_service, timedelta(days=30)).checked == 0
    assert sirene_check.run(demo_service, timedelta(0)).checked == 3
    assert len(queue(demo_service)) == 1


def test_a_name_or_legal_form_changed_in_sirene_is_proposed_as_a_change(demo_service, registry):
    _, renamed, _ = with_siret(demo_service)
    registry.companies["73282932000074"] = establishment("73282932000074", name="ATELIER VELO")
    sirene_check.run(demo_service, timedelta(days=30))
    assert queue(demo_service) == []  # a first check only learns the legal name
    registry.companies["73282932000074"] = establishment("73282932000074", name="LA ROUE LIBRE", nature="5460")
    report = sirene_check.run(demo_service, timedelta(0))
    assert report.changed == [renamed.id]
    (proposal,) = queue(demo_service)
    assert proposal.kind == ContributionKind.change and proposal.base_version == renamed.version
    assert proposal.changes == {"name": [renamed.name, "LA ROUE LIBRE"], "legal_form": ["association", "cooperative"]}


def test_a_run_stops_cleanly_when_sirene_is_out_of_reach(demo_service, registry):
    with_siret(demo_service)
    registry.down = True
    report = sirene_check.run(demo_service, timedelta(days=30))
    assert report.checked == 0 and "Sirene a répondu 503" in report.failed


def test_moderators_see_what_sirene_says_beside_a_proposal(client, demo_service, registry, moderation_accounts,
                                                          sign_in):
    closed, *_ = with_siret(demo_service)
    registry.companies[SIRET] = establishment(state="F", closed="2025-12-31")
    sirene_check.run(demo_service, timedelta(days=30))
    (reported,) = queue(demo_service)
    sign_in(client, moderation_accounts["admin"])
    page = client.get(f"/moderation/propositions/{reported.id}").text
    assert "Sirene : fermé le 31/12/2025, ESS : oui, forme : Association déclarée" in page
    assert f"https://annuaire-entreprises.data.gouv.fr/etablissement/{SIRET}" in page
