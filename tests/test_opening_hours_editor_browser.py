"""In a real browser: the day-by-day opening hours editor of the contribution and moderation
forms writes the OpenStreetMap value, reads a typed one back, and never loses what was typed."""
import pytest
from sqlmodel import select

from carto.storage.models import Site
from tests.helpers import MODERATION_PASSWORD

pytestmark = pytest.mark.browser

FIELD = "#f-opening_hours"


def row(page, day: str):
    return page.locator(".oh-table tbody tr", has=page.get_by_role("rowheader", name=day, exact=True))


def open_day(page, day: str, *slots: tuple[str, str]) -> None:
    page.get_by_label(f"{day} : ouverture").select_option("open")
    for n, (start, end) in enumerate(slots, 1):
        page.get_by_label(f"{day}, plage {n} : de").fill(start)
        page.get_by_label(f"{day}, plage {n} : à").fill(end)


def send(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Envoyer la proposition").click()


def test_the_table_writes_the_osm_value_and_the_form_sends_it(live_server, page, demo_service):
    page.goto(live_server.url + "/proposer")
    open_day(page, "Lundi", ("09:00", "12:00"), ("14:00", "18:00"))
    page.get_by_role("button", name="Recopier les horaires du lundi sur mardi à vendredi").click()
    open_day(page, "Samedi", ("10:00", "12:00"))
    page.get_by_label("Dimanche : ouverture").select_option("appointment")
    page.get_by_label("Fermé les jours fériés").check()
    expected = 'Mo-Fr 09:00-12:00,14:00-18:00; Sa 10:00-12:00; Su "sur rendez-vous"; PH off'
    assert page.input_value(FIELD) == expected
    assert expected in page.locator("#oh-status").inner_text()

    page.fill("#f-name", "Atelier des horaires")
    page.check("#act-velo")
    page.fill("#f-commune", "Rennes (35238)")
    page.fill("#f-contributor_email", "jeanne@contributrice.example")
    page.check("#f-consent")
    send(page)  # without the contributor's name: refused, and the hours come back in the table
    assert page.locator("#cf-summary").is_visible()
    assert page.input_value(FIELD) == expected
    assert page.get_by_label("Samedi, plage 1 : de").input_value() == "10:00"
    assert page.get_by_label("Dimanche : ouverture").input_value() == "appointment"
    page.fill("#f-contributor_name", "Jeanne")
    send(page)
    assert "/suivi/" in page.url, page.locator("main").inner_text()[:2000]
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.name == "Atelier des horaires")).one()
    assert site.opening_hours == expected


def test_a_typed_value_fills_the_table(live_server, page):
    page.goto(live_server.url + "/proposer")
    page.fill(FIELD, "Tu-Sa 10:00-12:30,14:00-18:00; We off")
    assert page.get_by_label("Mardi : ouverture").input_value() == "open"
    assert page.get_by_label("Mercredi : ouverture").input_value() == "closed"
    assert page.get_by_label("Samedi, plage 2 : à").input_value() == "18:00"
    assert page.get_by_label("Lundi : ouverture").input_value() == "closed"
    assert row(page, "Lundi").locator(".oh-slot").first.is_hidden()


def test_a_value_the_table_cannot_show_is_kept_as_typed(live_server, page):
    page.goto(live_server.url + "/proposer")
    page.fill(FIELD, "Sa[1] 10:00-12:00")
    assert "ne se décrivent pas jour par jour" in page.locator("#oh-status").inner_text()
    assert page.input_value(FIELD) == "Sa[1] 10:00-12:00"


def test_an_incomplete_slot_is_explained_and_leaves_the_field_alone(live_server, page):
    page.goto(live_server.url + "/proposer")
    page.fill(FIELD, "Mo 09:00-12:00")
    page.get_by_label("Lundi, plage 1 : à").fill("08:00")
    status = page.locator("#oh-status")
    assert "Lundi, plage 1 : l'heure de fin doit suivre l'heure de début" in status.inner_text()
    assert page.input_value(FIELD) == "Mo 09:00-12:00"


def test_moderators_edit_hours_with_the_same_table(live_server, page, demo_service, moderation_accounts):
    with demo_service.session() as session:
        site = session.exec(select(Site).order_by(Site.id)).first()
    page.goto(live_server.url + "/connexion")
    page.fill("#f-email", moderation_accounts["admin"])
    page.fill("#f-password", MODERATION_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    page.goto(f"{live_server.url}/moderation/sites/{site.id}/modifier")
    page.fill(FIELD, "")
    page.get_by_label("Jeudi : ouverture").select_option("open")
    page.get_by_label("Jeudi, plage 1 : de").fill("17:00")
    page.get_by_label("Jeudi, plage 1 : à").fill("19:30")
    assert page.input_value(FIELD) == "Th 17:00-19:30"
