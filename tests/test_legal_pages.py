"""The legal pages (accessibility statement, legal notice, personal data notice), linked from the
footer of every page and from the consent of every form."""
import json
import re

import pytest

from carto.views import legal

PUBLIC_PAGES = ["/", "/liste", "/sites/1", "/proposer", "/sites/1/modifier", "/sites/1/signaler", "/sourcing",
                "/territoires", "/poles/reso-solidaire", "/connexion", "/ogc?f=html", "/mentions-legales"]
LEGAL = {"/accessibilite": "Déclaration d'accessibilité", "/mentions-legales": "Mentions légales",
         "/donnees-personnelles": "Données personnelles"}


@pytest.fixture
def audit_file(tmp_path, monkeypatch):
    path = tmp_path / "accessibility-audit.json"
    monkeypatch.setattr(legal, "AUDIT_FILE", path)
    return path


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_footer_links_the_legal_pages_and_states_the_licences(client, path):
    html = client.get(path).text
    footer = html[html.index('<footer class="carto-footer">'):]
    for target in LEGAL:
        assert f'href="{target}"' in footer
    assert "Licence Ouverte 2.0" in footer and "ODbL" in footer
    assert re.search(r"Accessibilité : (non|partiellement|totalement) conforme", footer)


@pytest.mark.parametrize("path,heading", LEGAL.items())
def test_the_legal_pages_are_french_pages(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200 and f"<h1>{heading}</h1>" in response.text


def test_without_a_published_audit_the_site_says_it_is_not_compliant(client, audit_file):
    html = client.get("/accessibilite").text
    assert "<strong>non conforme</strong>" in html and "aucun audit n'a encore été publié" in html
    assert "Accessibilité : non conforme" in client.get("/liste").text
    assert "Défenseur des droits" in html and "CARTO_CONTACT_EMAIL" in html  # no contact set: it says so


def test_the_statement_gives_the_automated_audit_the_tests_run(client, audit_file):
    audit_file.write_text(json.dumps({
        "date": "2026-12-02", "tool": "axe-core 4.10.2", "standard": "WCAG 2.2 niveau AA",
        "pages": ["/", "/liste"], "serious_or_critical": 0,
        "remaining": [{"rule": "region", "impact": "moderate", "help": "Tout le contenu doit être dans des régions"}]}),
        encoding="utf-8")
    html = client.get("/accessibilite").text
    assert "<strong>partiellement conforme</strong>" in html and "2 décembre 2026" in html
    assert "axe-core 4.10.2" in html and "Tout le contenu doit être dans des régions" in html
    assert "Accessibilité : partiellement conforme" in client.get("/liste").text


def test_the_publisher_details_come_from_the_settings(demo_service):
    from dataclasses import replace
    from tests.helpers import make_client
    settings = demo_service.settings.model_copy(update={"contact_email": "contact@cress-bretagne.example",
                                                        "publication_director": "Camille Le Goff"})
    with make_client(replace(demo_service, settings=settings)) as client:
        notice = client.get("/mentions-legales").text
        privacy = client.get("/donnees-personnelles").text
    assert "Camille Le Goff" in notice and 'href="mailto:contact@cress-bretagne.example"' in notice
    assert "CARTO_HOST_NAME" in notice  # what is not set says which setting gives it
    assert "carto contributors purge" in privacy and "jamais publiés" in privacy


def test_every_form_consent_links_the_personal_data_notice(client):
    for path in ("/proposer", "/sites/1/modifier", "/sites/1/signaler"):
        html = client.get(path).text
        consent = html[html.index('name="consent"'):]
        assert 'href="/donnees-personnelles"' in consent[:1500], path
