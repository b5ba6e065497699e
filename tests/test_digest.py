"""The moderators' digest: only what is new since the last one, one line and one link per item,
stale sheets counted apart; items of communes no pôle covers are flagged to administrators."""
from datetime import timedelta

from sqlmodel import select

from carto.community import digest
from carto.importers import conflicts
from carto.storage.models import OutgoingMail, utcnow
from tests.helpers import BREST, CAP, correct_as, import_lvao, propose, variant

SOURCES = [digest.contribution_items, conflicts.digest_items]
PENESTIN = (-2.4820, 47.4820)  # Pénestin: covered by no pôle


def digests(service, address: str) -> list[OutgoingMail]:
    with service.session() as session:
        return list(session.exec(select(OutgoingMail).where(OutgoingMail.to == address,
                                                            OutgoingMail.subject.contains("à modérer"))
                                 .order_by(OutgoingMail.id)))


def test_a_digest_lists_each_new_item_with_its_link_and_counts_stale_sheets_apart(demo_service, moderation_accounts):
    c = propose(demo_service, "Atelier des Lices")
    assert digest.queue_digests(demo_service, SOURCES) >= 1
    [mail] = digests(demo_service, moderation_accounts["reso"])
    assert mail.subject == "Carto ESS : 1 nouvel élément à modérer"
    assert "  - Nouveau site : « Atelier des Lices » (Rennes)\n" in mail.body
    assert f"    {demo_service.settings.public_base_url}/moderation/propositions/{c.id}\n" in mail.body
    assert "Par ailleurs," in mail.body and "depuis plus de 12 mois (file « À vérifier »)" in mail.body
    assert digests(demo_service, moderation_accounts["brest"]) == []  # nothing new in its scope


def test_a_second_run_sends_only_what_arrived_since(demo_service, moderation_accounts):
    propose(demo_service, "Atelier des Lices")
    digest.queue_digests(demo_service, SOURCES)
    assert digest.queue_digests(demo_service, SOURCES) == 0
    later = propose(demo_service, "Vélo du Thabor")
    digest.queue_digests(demo_service, SOURCES, now=utcnow() + timedelta(seconds=1))
    first, second = digests(demo_service, moderation_accounts["reso"])
    assert "Vélo du Thabor" in second.body and "Atelier des Lices" not in second.body
    assert f"/moderation/propositions/{later.id}" in second.body


def test_items_no_pole_covers_are_flagged_to_administrators(demo_service, moderation_accounts):
    propose(demo_service, "Ressourcerie de Pénestin", ["reemploi"], at=PENESTIN)
    propose(demo_service, "Ressourcerie du port", ["reemploi"], at=BREST)
    digest.queue_digests(demo_service, SOURCES)
    [mail] = digests(demo_service, moderation_accounts["admin"])
    assert "  - [aucun pôle] Nouveau site : « Ressourcerie de Pénestin » (Pénestin)" in mail.body
    assert "  - Nouveau site : « Ressourcerie du port » (Brest)" in mail.body


def test_import_conflicts_and_missing_sites_are_in_the_digest(demo_service, moderation_accounts, tmp_path):
    import_lvao(demo_service)
    correct_as(demo_service, moderation_accounts["admin"], CAP, name="Cap Ressourcerie (Crach)")
    import_lvao(demo_service, variant(tmp_path, **{CAP: {"nom_commercial": "CAP RESSOURCERIE"}}))
    digest.queue_digests(demo_service, SOURCES)
    [mail] = digests(demo_service, moderation_accounts["admin"])
    assert "Conflit d'import (Nom) : « Cap Ressourcerie (Crach) »" in mail.body
    assert "/moderation/imports/conflits" in mail.body


def test_the_console_shows_activities_messages_and_the_no_pole_flag(client, demo_service, moderation_accounts,
                                                                    sign_in):
    from carto.community import contributions
    from carto.directory.site_schema import SiteData
    from carto.storage.db import session_scope
    from tests.helpers import WHO
    data = SiteData(name="Ressourcerie de Pénestin", activities=["reemploi"], lon=PENESTIN[0], lat=PENESTIN[1])
    with session_scope(demo_service.engine) as session:
        contributions.propose_site(session, demo_service, data, WHO, "Ouverte depuis mars, le samedi")
    sign_in(client, moderation_accounts["admin"])
    page = client.get("/moderation?pole=aucun").text
    assert "Ressourcerie de Pénestin" in page and "Aucun pôle : pour la Cress" in page
    assert "Nouveau site : Réemploi" in page and "« Ouverte depuis mars, le samedi »" in page
    assert "Aucun pôle (Camoël, Férel, Pénestin)" in page
    assert "Ressourcerie de Pénestin" not in client.get("/moderation?pole=reso-solidaire").text
