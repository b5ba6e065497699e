"""Contributing without an account, end to end through HTTP: propose, change, report, follow up."""
import html
import re
from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from carto.community import mail
from carto.storage.models import Contribution, ContributionStatus, Site, SiteStatus
from tests.helpers import csrf_of

RENNES = (-1.6778, 48.1173)
CONTRIBUTOR = {"contributor_name": "Jeanne Contributrice", "contributor_email": "jeanne@contributrice.example",
               "consent": "1"}


def propose(client, path="/proposer", **fields):
    token = csrf_of(client.get(path).text)
    data = {"csrf_token": token, **CONTRIBUTOR, **fields}
    return client.post(path, data=data, follow_redirects=False)


def new_site(client, **fields):
    fields = {"name": "Atelier vélo des Lices", "activities": ["velo"], "lon": str(RENNES[0]),
              "lat": str(RENNES[1]), "description": "Réparation participative", **fields}
    return propose(client, **fields)


def follow_token(response) -> str:
    assert response.status_code == 303, response.text
    return re.match(r"/suivi/([^?]+)", response.headers["location"]).group(1)


def decide(client, csrf, contribution_id, action, **extra):
    return client.post(f"/api/moderation/contributions/{contribution_id}/decision", json={"action": action, **extra},
                       headers={"X-CSRF-Token": csrf})


def contribution(service, token) -> Contribution:
    from carto.community.contributions import by_token
    with service.session() as session:
        return by_token(session, token)


def outbox(service) -> list:
    mail.deliver_pending(service.engine, service.settings)
    directory = mail.outbox_dir(service.settings)
    if not directory.exists():
        return []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(directory.glob("*.eml"))]


def test_a_proposed_site_waits_unseen_then_shows_on_the_map_once_accepted(client, demo_service, moderation_accounts,
                                                                           sign_in):
    token = follow_token(new_site(client))
    page = client.get(f"/suivi/{token}?merci=1")
    assert "Merci" in page.text and "En attente de modération" in page.text
    c = contribution(demo_service, token)
    assert client.get(f"/api/sites/{c.site_id}").status_code == 404
    assert client.get("/api/sites", params={"q": "Lices"}).json()["features"] == []

    csrf = sign_in(client, moderation_accounts["reso"])
    queue = client.get("/api/moderation/queues/nouveaux").json()
    assert [item["id"] for item in queue["items"]] == [c.id]
    assert decide(client, csrf, c.id, "accept").status_code == 200

    features = client.get("/api/sites", params={"q": "Lices"}).json()["features"]
    assert [f["id"] for f in features] == [c.site_id]
    assert features[0]["properties"]["code_commune"] == "35238"
    assert "Acceptée" in client.get(f"/suivi/{token}").text
    subjects = [m["Subject"] for m in outbox(demo_service) if m["To"] == CONTRIBUTOR["contributor_email"]]
    assert len(subjects) == 2 and "bien reçue" in subjects[0]


def test_a_change_is_kept_as_a_diff_and_a_refusal_reason_reaches_the_contributor(client, demo_service,
                                                                                  moderation_accounts, sign_in):
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.commune_code == "35238").order_by(Site.id)).first()
    form = client.get(f"/sites/{site.id}/modifier").text
    assert f'value="{site.name}"' in form.replace("&#39;", "'")
    values = {"name": "Nouveau nom", "phone": "02 99 00 00 00", "street": site.street, "postcode": site.postcode,
              "commune": "Rennes (35238)", "lon": repr(site.lon), "lat": repr(site.lat),
              "description": site.description, "website": site.website or "", "siret": site.siret or "",
              "opening_hours": site.opening_hours or "", "legal_form": site.legal_form.value if site.legal_form else "",
              "labels": ", ".join(site.labels), "activities": _activities(demo_service, site.id),
              "base_version": str(site.version),
              **{f: "1" for f in ("siae", "ea_esat", "serves_individuals", "serves_professionals") if getattr(site, f)}}
    token = follow_token(propose(client, f"/sites/{site.id}/modifier", **values))
    c = contribution(demo_service, token)
    assert c.changes == {"name": [site.name, "Nouveau nom"], "phone": [None, "02 99 00 00 00"]}
    assert c.base_version == site.version

    csrf = sign_in(client, moderation_accounts["admin"])
    item = client.get(f"/moderation/propositions/{c.id}").text
    assert "Nouveau nom" in item and "02 99 00 00 00" in item
    assert decide(client, csrf, c.id, "refuse").status_code == 422  # a refusal needs its reason
    assert decide(client, csrf, c.id, "refuse", reason="Le nom actuel est le bon <b>merci</b>").status_code == 200

    client.cookies.clear()
    follow = client.get(f"/suivi/{token}").text
    assert "Refusée" in follow and "Le nom actuel est le bon &lt;b&gt;merci&lt;/b&gt;" in follow
    assert client.get(f"/api/sites/{site.id}").json()["properties"]["nom"] == site.name
    refusal = [m for m in outbox(demo_service) if "n'a pas été retenue" in m.get_content()]
    assert "Le nom actuel est le bon <b>merci</b>" in refusal[0].get_content()


def _activities(service, site_id):
    from carto.directory.sites import activities_of
    with service.session() as session:
        return activities_of(session, site_id)


def test_an_unchanged_form_is_not_a_proposal(client, demo_service):
    with demo_service.session() as session:
        site = session.exec(select(Site).order_by(Site.id)).first()
    form = client.get(f"/sites/{site.id}/modifier").text
    data = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="(?:text|url|email|tel)" value="([^"]*)"', form))
    data = {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in data.items()
            if not k.startswith("contributor")}
    data["description"] = site.description
    data["activities"] = _activities(demo_service, site.id)
    data["legal_form"] = site.legal_form.value if site.legal_form else ""
    data["base_version"] = str(site.version)
    data.update({f: "1" for f in ("siae", "ea_esat", "serves_individuals", "serves_professionals") if getattr(site, f)})
    response = propose(client, f"/sites/{site.id}/modifier", **data)
    assert response.status_code == 422
    assert "aucun changement" in response.text


def test_a_report_leads_to_archiving_the_site(client, demo_service, moderation_accounts, sign_in):
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.commune_code == "35238").order_by(Site.id)).first()
    token = csrf_of(client.get(f"/sites/{site.id}/signaler").text)
    response = client.post(f"/sites/{site.id}/signaler", follow_redirects=False,
                           data={"csrf_token": token, "reason": "closed", "comment": "Fermé depuis mars"})
    c = contribution(demo_service, follow_token(response))
    assert c.reason.value == "closed" and c.contributor_email is None  # a report may be anonymous

    csrf = sign_in(client, moderation_accounts["reso"])
    assert decide(client, csrf, c.id, "archive").status_code == 200
    assert client.get(f"/api/sites/{site.id}").status_code == 404
    history = client.get(f"/api/moderation/sites/{site.id}/history").json()["versions"]
    assert history[0]["changes"] == {"status": ["published", "archived"]}
    assert history[0]["actor"] == "Modération reso" and history[0]["contribution_id"] == c.id


def test_a_domain_whose_moderation_is_not_open_refuses_proposals(client, demo_service):
    response = new_site(client, activities=["epicerie-solidaire"])
    assert response.status_code == 422
    assert "Alimentation et agriculture" in response.text and "pas encore ouverte" in response.text
    with demo_service.session() as session:
        assert session.exec(select(Contribution)).all() == []


def test_a_nearby_site_with_a_similar_name_is_shown_before_submitting(client, demo_service):
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.commune_code == "35238").order_by(Site.id)).first()
    name = site.name.removeprefix("[Démo] ")
    near = {"lon": str(site.lon + 0.001), "lat": str(site.lat)}  # ~75 m east
    warned = new_site(client, name=name, activities=["velo"], **near)
    assert warned.status_code == 200 and "existe peut-être déjà" in warned.text
    assert f'href="/sites/{site.id}/modifier"' in warned.text

    found = client.get("/api/contributions/duplicates", params={"name": name, **near}).json()["duplicates"]
    assert [d["id"] for d in found] == [site.id]
    far = client.get("/api/contributions/duplicates", params={"name": name, "lon": site.lon + 0.01, "lat": site.lat})
    assert far.json()["duplicates"] == []

    token = follow_token(new_site(client, name=name, activities=["velo"], not_duplicate="1", **near))
    c = contribution(demo_service, token)
    assert c.duplicates == [site.id] and c.likely_duplicate


def test_the_same_siret_is_a_duplicate_wherever_the_site_is(client, demo_service):
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.siret.is_not(None)).order_by(Site.id)).first()
    found = client.get("/api/contributions/duplicates",
                       params={"name": "Tout autre nom", "lon": -4.4861, "lat": 48.3904, "siret": site.siret})
    assert site.id in [d["id"] for d in found.json()["duplicates"]]


def test_a_site_known_only_by_its_commune_sits_at_its_centre(client, demo_service):
    token = follow_token(new_site(client, lon="", lat="", commune="Carhaix-Plouguer"))
    page = client.get(f"/suivi/{token}").text
    assert "centre de la commune" in page
    with demo_service.session() as session:
        site = session.get(Site, contribution(demo_service, token).site_id)
        assert (site.commune_code, site.status) == ("29024", SiteStatus.pending)


@pytest.mark.parametrize("typed, code", [
    ("Plouhinec (56169)", "56169"),  # as the form's list shows it
    ("29024", "29024"),  # its INSEE code
    ("29780", "29197"),  # a postcode of one commune
    ("saint brandan", "22277"),  # accents, case and hyphens aside
])
def test_a_typed_commune_is_read_by_label_code_postcode_or_name(client, demo_service, typed, code):
    response = new_site(client, lon="", lat="", commune=typed)
    with demo_service.session() as session:
        assert session.get(Site, contribution(demo_service, follow_token(response)).site_id).commune_code == code


@pytest.mark.parametrize("typed, choices", [
    ("Plouhinec", "Plouhinec (29197), Plouhinec (56169)"),
    ("56680", "Gâvres (56062), Plouhinec (56169)"),
])
def test_a_commune_that_names_several_lists_them_and_keeps_what_was_typed(client, demo_service, typed, choices):
    response = new_site(client, lon="", lat="", commune=typed, name="Atelier des deux rives")
    assert response.status_code == 422
    assert f'id="err-commune">plusieurs communes possibles : {choices}' in html.unescape(response.text)
    assert 'value="Atelier des deux rives"' in response.text and f'value="{typed}"' in response.text
    with demo_service.session() as session:
        assert session.exec(select(Contribution)).all() == []


@pytest.mark.parametrize("field, value, message", [
    ("website", "javascript:alert(1)", "http"),
    ("siret", "83284597800029", "clé de contrôle"),
    ("name", "x" * 201, "200 caractères"),
    ("commune", "Atlantide", "commune inconnue"),
    ("contributor_email", "pas-une-adresse", "e-mail invalide"),
])
def test_bad_fields_are_named_and_nothing_is_stored(client, demo_service, field, value, message):
    fields = {field: value} | ({"lon": "", "lat": ""} if field == "commune" else {})
    response = new_site(client, **fields)
    assert response.status_code == 422
    assert re.search(rf'id="err-{field}">[^<]*{re.escape(message)}', response.text), response.text[-3000:]
    with demo_service.session() as session:
        assert session.exec(select(Contribution)).all() == []


def test_consent_and_contact_are_required_for_a_proposal(client):
    response = new_site(client, consent="", contributor_email="")
    assert response.status_code == 422
    assert 'id="err-consent"' in response.text and 'id="err-contributor_email"' in response.text


def test_robots_filling_the_honeypot_are_refused(client, demo_service):
    response = new_site(client, url_confirmation="https://spam.example")
    assert response.status_code == 400
    with demo_service.session() as session:
        assert session.exec(select(Contribution)).all() == []


def test_submissions_are_limited_per_address(client, demo_service):
    limit = demo_service.settings.submissions_per_hour
    with demo_service.session() as session:
        site = session.exec(select(Site).order_by(Site.id)).first()
    token = csrf_of(client.get(f"/sites/{site.id}/signaler").text)
    codes = [client.post(f"/sites/{site.id}/signaler", data={"csrf_token": token, "reason": "wrong"},
                         follow_redirects=False).status_code for _ in range(limit + 1)]
    assert codes == [303] * limit + [429]


def test_a_form_over_the_limit_is_shown_again_with_everything_typed(client, demo_service):
    demo_service.settings.submissions_per_hour = 1
    follow_token(new_site(client))
    refused = new_site(client, name="Recyclerie « L'Écho » & fils", description="Deuxième lieu, ouvert le samedi",
                       comment="Merci !")
    assert refused.status_code == 429
    assert ("Trop d'envois depuis votre adresse : 1 par heure au plus. Réessayez dans 1 heure"
            in html.unescape(refused.text))
    for typed in ('value="Recyclerie « L&#39;Écho » &amp; fils"', ">Deuxième lieu, ouvert le samedi</textarea>",
                  ">Merci !</textarea>", 'value="jeanne@contributrice.example"', 'value="velo" checked'):
        assert typed in refused.text, typed
    with demo_service.session() as session:
        assert len(session.exec(select(Contribution)).all()) == 1


def test_a_form_with_errors_gives_its_sending_back(client, demo_service):
    demo_service.settings.submissions_per_hour = 1
    assert new_site(client, name="").status_code == 422
    with demo_service.session() as session:
        existing = session.exec(select(Site).where(Site.status == SiteStatus.published).order_by(Site.id)).first()
    warned = new_site(client, name=existing.name, lon=str(existing.lon), lat=str(existing.lat))
    assert warned.status_code == 200 and "Ce lieu existe peut-être déjà" in warned.text
    follow_token(new_site(client))


def test_a_form_posted_without_its_csrf_token_is_refused(client, demo_service):
    client.get("/proposer")  # the visitor has its CSRF cookie, but the token is missing
    response = client.post("/proposer", data={"name": "Sans jeton", "activities": ["velo"], "commune": "Rennes",
                                              **CONTRIBUTOR}, follow_redirects=False)
    assert response.status_code == 403 and "CSRF" in response.text
    forged = client.post("/proposer", data={"csrf_token": "forged", "name": "Faux jeton", "activities": ["velo"],
                                            "commune": "Rennes", **CONTRIBUTOR}, follow_redirects=False)
    assert forged.status_code == 403
    with demo_service.session() as session:
        assert session.exec(select(Contribution)).all() == []


def test_an_expired_form_is_shown_again_with_its_values_and_can_be_resent(client, demo_service):
    """The browser lost its CSRF cookie (another browser, cleared cookies): nothing typed is lost."""
    token = csrf_of(client.get("/proposer").text)
    client.cookies.clear()
    data = {"csrf_token": token, "name": "Atelier vélo des Lices", "activities": ["velo"], "lon": str(RENNES[0]),
            "lat": str(RENNES[1]), "description": "Réparation participative", **CONTRIBUTOR}
    expired = client.post("/proposer", data=data, follow_redirects=False)
    assert expired.status_code == 403 and expired.headers["content-type"].startswith("text/html")
    assert "Ce formulaire a expiré" in expired.text and "votre saisie est conservée" in html.unescape(expired.text)
    for typed in ('value="Atelier vélo des Lices"', ">Réparation participative</textarea>", 'value="Jeanne Contributrice"'):
        assert typed in expired.text, typed
    follow_token(client.post("/proposer", data=data | {"csrf_token": csrf_of(expired.text)}, follow_redirects=False))


def test_an_expired_change_or_report_form_keeps_its_values(client, demo_service):
    with demo_service.session() as session:
        site = session.exec(select(Site).where(Site.status == SiteStatus.published).order_by(Site.id)).first()
    client.get(f"/sites/{site.id}/signaler")
    report = client.post(f"/sites/{site.id}/signaler", data={"csrf_token": "périmé", "reason": "closed",
                                                             "comment": "Fermé depuis mars"})
    assert report.status_code == 403 and ">Fermé depuis mars</textarea>" in report.text
    assert 'value="closed" checked' in report.text
    change = client.post(f"/sites/{site.id}/modifier", data={"csrf_token": "périmé", "name": "Nouveau nom à garder"})
    assert change.status_code == 403 and 'value="Nouveau nom à garder"' in change.text


def test_contributors_never_appear_in_public_pages_or_apis(client, demo_service, moderation_accounts, sign_in):
    token = follow_token(new_site(client))
    c = contribution(demo_service, token)
    csrf = sign_in(client, moderation_accounts["admin"])
    decide(client, csrf, c.id, "accept")
    client.cookies.clear()
    public = [client.get(f"/api/sites/{c.site_id}").text, client.get("/api/sites", params={"q": "Lices"}).text,
              client.get(f"/suivi/{token}").text]
    site_page = client.get(f"/sites/{c.site_id}")
    if site_page.status_code == 200:
        public.append(site_page.text)
    for text in public:
        assert CONTRIBUTOR["contributor_email"] not in text and CONTRIBUTOR["contributor_name"] not in text


def test_an_unknown_follow_up_link_is_404(client):
    assert client.get("/suivi/pas-un-vrai-jeton").status_code == 404


def test_only_published_sites_take_changes_and_reports(client, demo_service):
    token = follow_token(new_site(client))
    pending = contribution(demo_service, token).site_id
    assert client.get(f"/sites/{pending}/modifier").status_code == 404
    assert client.get(f"/sites/{pending}/signaler").status_code == 404
    assert ContributionStatus.pending == contribution(demo_service, token).status


@pytest.mark.parametrize("field,value", [("name", "Atelier\x07 vélo"), ("description", "L'\x9cuvre"),
                                         ("contributor_name", "Jeanne\x00"), ("comment", "Bonjour\x1b[31m")])
def test_control_characters_are_refused_with_the_field_named_and_nothing_typed_lost(client, field, value):
    response = new_site(client, **{field: value})
    assert response.status_code in (400, 422)
    assert "caractère de contrôle" in response.text
    assert "Réparation participative" in response.text or field == "description"  # the form comes back filled
