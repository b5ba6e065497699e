"""In a real browser: contributor text full of HTML/JS stays inert text in every page it reaches
(follow-up page, moderation console, item and history pages, public site page)."""
import re

import pytest
from sqlmodel import select

from carto.storage.models import Site
from tests.helpers import MODERATION_PASSWORD

pytestmark = pytest.mark.browser

PAYLOAD = ('"><img src=x onerror="window.__xss=1" data-xss="1"><script>window.__xss=1</script>'
           "<svg onload=\"window.__xss=1\" data-xss='1'>&lt;b&gt;")
URL_PAYLOAD = 'https://exemple.org/?q="><script>window.__xss=1</script>'


def watch(page) -> list:
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


def assert_inert(page, dialogs, where: str) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("window.__xss") is None, where
    assert page.locator("[data-xss]").count() == 0, where
    assert dialogs == [], where


def fill_payloads(page) -> None:
    for field in ("name", "street"):
        page.fill(f"#f-{field}", PAYLOAD[:190])
    page.fill("#f-labels", PAYLOAD[:78])  # one label: 80 characters at most
    page.fill("#f-description", PAYLOAD)
    page.fill("#f-website", URL_PAYLOAD)
    page.fill("#f-contributor_name", PAYLOAD[:110])
    page.fill("#f-contributor_email", "jeanne@contributrice.example")
    page.fill("#f-comment", PAYLOAD)
    page.check("#f-consent")


def submit(page) -> str:
    """Send the form; returns the follow-up token (or fails with the form's errors)."""
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/suivi/" in page.url, page.locator("main").inner_text()[:2000]
    return page.url.split("/suivi/")[1].split("?")[0]


def test_html_and_script_in_every_text_field_stay_inert(live_server, page, demo_service, moderation_accounts):
    dialogs = watch(page)
    base = live_server.url

    page.goto(base + "/proposer")
    fill_payloads(page)
    page.check("#act-velo")
    page.fill("#f-commune", "Rennes (35238)")
    page.locator("#f-position").click()  # the picker sets the point where one clicks
    assert page.input_value("#f-lat") != ""
    new_token = submit(page)
    assert page.get_by_text(PAYLOAD[:190], exact=True).count() >= 1  # shown as text, as typed
    assert_inert(page, dialogs, "follow-up of the new site")

    with demo_service.session() as session:
        target = session.exec(select(Site).where(Site.commune_code == "35238").order_by(Site.id)).first()
    page.goto(f"{base}/sites/{target.id}/modifier")
    fill_payloads(page)
    change_token = submit(page)

    page.goto(f"{base}/sites/{target.id}/signaler")
    page.check("#reason-wrong")
    page.fill("#f-comment", PAYLOAD)
    page.fill("#f-contributor_name", PAYLOAD[:110])
    submit(page)
    assert_inert(page, dialogs, "follow-up of the report")

    page.goto(base + "/connexion")
    page.fill("#f-email", moderation_accounts["admin"])
    page.fill("#f-password", MODERATION_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/moderation$"))
    for queue in ("nouveaux", "modifications", "signalements"):
        page.goto(f"{base}/moderation?file={queue}")
        assert page.locator("a", has_text="Examiner").count() == 1, queue
        assert_inert(page, dialogs, f"console {queue}")
        page.locator("a", has_text="Examiner").click()
        page.wait_for_url(re.compile(r"/moderation/propositions/\d+"))
        assert page.get_by_text(PAYLOAD, exact=True).count() >= 1  # the comment, as typed
        assert_inert(page, dialogs, f"item of {queue}")
        if queue == "nouveaux":
            page.click("button.mc-accept")
        elif queue == "modifications":
            page.fill("#f-reason", PAYLOAD)
            page.click("button.mc-refuse")
        else:
            page.click("button[value=dismiss]")
        page.wait_for_url(re.compile(r"/moderation\?"))
        assert_inert(page, dialogs, f"console after deciding {queue}")

    page.goto(f"{base}/suivi/{change_token}")
    assert "Refusée" in page.inner_text("main") and page.locator("dd.cf-reason").inner_text() == PAYLOAD
    assert_inert(page, dialogs, "follow-up with the refusal reason")

    page.goto(f"{base}/suivi/{new_token}")
    page.get_by_role("link", name="Voir la fiche publiée").click()
    page.wait_for_url(re.compile(r"/sites/\d+$"))
    site_id = page.url.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text() == PAYLOAD[:190]
    assert_inert(page, dialogs, "public site page")

    page.goto(f"{base}/moderation/sites/{site_id}")
    assert_inert(page, dialogs, "history page")
    page.goto(f"{base}/moderation/sites/{site_id}/modifier")
    assert page.input_value("#f-name") == PAYLOAD[:190]
    assert_inert(page, dialogs, "moderator's edit form")
    assert page.errors == [] and page.external_requests == []


def test_the_position_picker_and_the_early_duplicate_warning(live_server, page, demo_service):
    with demo_service.session() as session:
        existing = session.exec(select(Site).where(Site.commune_code == "35238").order_by(Site.id)).first()
    page.goto(live_server.url + "/proposer")
    assert "centre de sa commune" in page.inner_text("#cf-position-status")
    page.fill("#f-commune", "Rennes (35238)")
    with page.expect_response("**/api/territories/communes?code=35238"):
        page.dispatch_event("#f-commune", "change")  # the map moves to the commune
    page.wait_for_timeout(200)  # the response handler runs just after the response event
    page.locator("#f-position").click()
    lon, lat = float(page.input_value("#f-lon")), float(page.input_value("#f-lat"))
    assert -1.76 < lon < -1.62 and 48.07 < lat < 48.16  # a point inside Rennes
    assert "Point placé" in page.inner_text("#cf-position-status")

    page.fill("#f-name", existing.name.removeprefix("[Démo] "))
    page.click("summary:has-text('Saisir les coordonnées')")
    page.fill("#f-lon", repr(existing.lon))
    page.fill("#f-lat", repr(existing.lat))
    page.dispatch_event("#f-lat", "change")
    warning = page.locator("#cf-live-duplicates")
    warning.wait_for(state="visible")
    assert warning.get_by_role("link", name="proposer une modification").get_attribute("href") == \
        f"/sites/{existing.id}/modifier"
    page.click("#cf-clear-point")
    assert page.input_value("#f-lat") == "" and "centre de sa commune" in page.inner_text("#cf-position-status")
    assert page.errors == [] and page.external_requests == []
