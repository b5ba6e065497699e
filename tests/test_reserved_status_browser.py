"""In a real browser: a pôle's moderator verifies an SIAE status from the document it saw, and a
buyer asking for verified statuses only finds that supplier, worded as verified (axe-checked pages)."""
import re

import pytest
from playwright.sync_api import expect

from carto.directory import sites
from carto.storage.db import session_scope
from tests.helpers import MODERATION_PASSWORD, SERIOUS, add, audit

pytestmark = pytest.mark.browser

NAME = "Régie de quartier du Blosne"


def new_page(browser):
    # bypass_csp: axe is injected inline, which our pages' CSP refuses (as it should).
    return browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR", bypass_csp=True).new_page()


def test_a_moderator_verifies_an_siae_and_a_buyer_finds_it_verified(live_server, browser, demo_service,
                                                                     moderation_accounts):
    with session_scope(demo_service.engine) as session:  # every demo SIAE is declared: none verified
        site_id = add(demo_service, session, NAME, lon=-1.6626, lat=48.0872, activities=["reemploi"], siae=True).id
    base = live_server.url
    page = new_page(browser)
    page.goto(base + "/connexion")
    page.fill("#f-email", moderation_accounts["reso"])
    page.fill("#f-password", MODERATION_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation$"))

    page.goto(f"{base}/moderation/sites/{site_id}")
    expect(page.get_by_text("SIAE — déclaré, non vérifié")).to_be_visible()
    page.get_by_text("Marquer vérifié (SIAE)").click()
    page.get_by_label("Source (qui a délivré le document)").first.fill("DREETS Bretagne")
    page.get_by_label("Numéro (conventionnement, agrément ou FINESS)").first.fill("ACI-035-2026-07")
    page.get_by_label("Date du document").first.fill("2026-02-10")
    page.get_by_role("button", name="Enregistrer la vérification SIAE").click()
    expect(page.get_by_role("status")).to_have_text("Statut SIAE marqué vérifié")
    verified = "SIAE — vérifié (DREETS Bretagne, n° ACI-035-2026-07, 10/02/2026)"
    expect(page.get_by_text(f"{verified}, enregistré par la modération").first).to_be_visible()
    serious = [v for v in audit(page, page.url, "main h1") if v["impact"] in SERIOUS]
    assert not serious, serious

    page.context.close()
    buyer = new_page(browser)
    buyer.goto(base + "/sourcing?territory=Rennes")
    buyer.get_by_label("Structure d'insertion (SIAE)").check()
    buyer.get_by_label("Statuts vérifiés seulement").check()
    buyer.get_by_role("button", name="Rechercher").click()
    buyer.wait_for_url("**reserved_verified=true**")
    rows = buyer.locator(".buyer-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(NAME)
    expect(rows.first).to_contain_text(verified)
    expect(buyer.locator(".buyer-criteria")).to_contain_text("statuts vérifiés seulement")
    serious = [v for v in audit(buyer, buyer.url, "main h1") if v["impact"] in SERIOUS]
    assert not serious, serious
    buyer.context.close()
    with demo_service.session() as session:
        assert sites.history(session, site_id)[-1].action == "verification"
