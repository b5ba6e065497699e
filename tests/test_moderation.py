"""Moderation through HTTP: scope as a permission, queues, decisions (and races), history, mails."""
import email
import email.policy
import re
import socket
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from carto.community import contributions, digest, mail, moderation

from carto.directory import sites
from carto.storage.db import session_scope
from carto.storage.models import ContributionStatus, OutgoingMail, Site, SiteStatus, SiteVersion
from tests.helpers import BREST, WHO, csrf_of, decide, make_client, propose, propose_change, published_in

def test_a_pole_moderator_cannot_see_or_decide_a_site_outside_its_area(client, demo_service, moderation_accounts,
                                                                       sign_in):
    in_brest = propose(demo_service, "Ressourcerie du port", ["reemploi"], at=BREST)
    csrf = sign_in(client, moderation_accounts["reso"])
    assert client.get(f"/moderation/propositions/{in_brest.id}").status_code == 403
    assert client.get(f"/api/moderation/contributions/{in_brest.id}").status_code == 403
    assert decide(client, csrf, in_brest.id, "accept").status_code == 403
    page = client.post(f"/moderation/propositions/{in_brest.id}/decision",
                       data={"csrf_token": csrf_of(client.get("/moderation").text), "action": "accept"})
    assert page.status_code == 403
    assert client.get(f"/moderation/sites/{in_brest.site_id}").status_code == 403
    assert client.get(f"/api/moderation/sites/{in_brest.site_id}/history").status_code == 403
    console = client.get("/moderation").text
    assert re.search(r"pôle\s+RÉSO solidaire", console), "the console names the moderator's pôle"
    assert "Ressourcerie du port" not in console
    assert client.get("/api/moderation/queues/nouveaux").json()["total"] == 0
    assert client.get("/api/moderation/pending-sites").json()["features"] == []

    csrf = sign_in(client, moderation_accounts["brest"])
    assert decide(client, csrf, in_brest.id, "accept").status_code == 200


def test_an_administrator_sees_everything_and_a_domain_moderator_only_its_domain(client, demo_service,
                                                                                 moderation_accounts, sign_in):
    velo = propose(demo_service, "Vélo du port", ["velo"], at=BREST)
    reemploi = propose(demo_service, "Recyclerie du port", ["reemploi"], at=BREST)
    sign_in(client, moderation_accounts["mobilite"])
    assert [i["id"] for i in client.get("/api/moderation/queues/nouveaux").json()["items"]] == [velo.id]
    assert client.get(f"/api/moderation/contributions/{reemploi.id}").status_code == 403
    sign_in(client, moderation_accounts["admin"])
    assert [i["id"] for i in client.get("/api/moderation/queues/nouveaux").json()["items"]] == [velo.id, reemploi.id]


def test_moderation_needs_a_signed_in_account(client, demo_service):
    c = propose(demo_service)
    assert client.get("/moderation", follow_redirects=False).headers["location"].startswith("/connexion")
    assert client.get(f"/api/moderation/contributions/{c.id}").status_code == 401
    assert client.post(f"/api/moderation/contributions/{c.id}/decision", json={"action": "accept"}).status_code in (
        401, 403)


def test_the_second_moderator_to_decide_gets_a_conflict_naming_the_first(demo_service, moderation_accounts, sign_in):
    c = propose(demo_service)
    with make_client(demo_service) as first, make_client(demo_service) as second:
        csrf1 = sign_in(first, moderation_accounts["reso"])
        csrf2 = sign_in(second, moderation_accounts["admin"])
        page = second.get(f"/moderation/propositions/{c.id}").text  # seen while still pending
        assert decide(first, csrf1, c.id, "accept").status_code == 200
        late = decide(second, csrf2, c.id, "refuse", reason="Doublon")
        assert late.status_code == 409
        assert re.match(r"déjà décidée par Modération reso le \d\d/\d\d/\d{4} à \d\d:\d\d", late.json()["detail"])
        form = second.post(f"/moderation/propositions/{c.id}/decision",
                           data={"csrf_token": csrf_of(page), "action": "refuse", "reason": "Doublon"})
        assert form.status_code == 409 and "déjà décidée par Modération reso" in form.text
    with demo_service.session() as session:
        assert session.get(Site, c.site_id).status == SiteStatus.published
        statuses = session.exec(select(SiteVersion).where(SiteVersion.site_id == c.site_id,
                                                          SiteVersion.action == "status")).all()
        assert [v.changes for v in statuses] == [{"status": ["pending", "published"]}]


def test_two_simultaneous_decisions_apply_once(demo_service, moderation_accounts, sign_in):
    c = propose_change(demo_service, published_in(demo_service, "35238").id, name="Nom changé une seule fois")
    clients = [make_client(demo_service).__enter__() for _ in range(2)]
    tokens = [sign_in(cl, moderation_accounts[name]) for cl, name in zip(clients, ("reso", "admin"))]
    barrier, codes = threading.Barrier(2), []

    def run(cl, token):
        barrier.wait()
        codes.append(decide(cl, token, c.id, "accept").status_code)

    threads = [threading.Thread(target=run, args=pair) for pair in zip(clients, tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cl in clients:
        cl.__exit__(None, None, None)
    assert sorted(codes) == [200, 409]
    with demo_service.session() as session:
        versions = session.exec(select(SiteVersion).where(SiteVersion.contribution_id == c.id)).all()
        assert len(versions) == 1 and versions[0].changes["name"][1] == "Nom changé une seule fois"


def test_a_change_to_fields_edited_since_cannot_be_applied_blindly(client, demo_service, moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    first = propose_change(demo_service, site.id, name="Premier nom")
    second = propose_change(demo_service, site.id, name="Second nom", phone="02 99 11 22 33")
    csrf = sign_in(client, moderation_accounts["admin"])
    assert decide(client, csrf, first.id, "accept").status_code == 200
    stale = decide(client, csrf, second.id, "accept")
    assert stale.status_code == 409
    assert "la fiche a changé depuis la proposition (champs : Nom)" in stale.json()["detail"]
    assert client.get(f"/api/moderation/contributions/{second.id}").json()["status"] == "pending"


def test_a_change_that_would_move_a_site_out_of_scope_needs_an_administrator(client, demo_service,
                                                                             moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    c = propose_change(demo_service, site.id, lon=BREST[0], lat=BREST[1])
    csrf = sign_in(client, moderation_accounts["reso"])
    response = decide(client, csrf, c.id, "accept")
    assert response.status_code == 403 and "administrateur" in response.json()["detail"]
    assert client.get(f"/api/sites/{site.id}").json()["properties"]["code_commune"] == "35238"
    assert client.get(f"/api/moderation/contributions/{c.id}").json()["status"] == "pending"


def test_a_duplicate_is_merged_into_the_existing_site(client, demo_service, moderation_accounts, sign_in):
    existing = published_in(demo_service, "35238")
    c = propose(demo_service, existing.name.removeprefix("[Démo] "), ["reparation"], at=(existing.lon, existing.lat),
                phone="02 99 44 55 66")
    assert c.duplicates == [existing.id]
    csrf = sign_in(client, moderation_accounts["reso"])
    assert [i["id"] for i in client.get("/api/moderation/queues/doublons").json()["items"]] == [c.id]
    assert decide(client, csrf, c.id, "merge").status_code == 422  # which site to merge into?
    assert decide(client, csrf, c.id, "merge", target_site_id=existing.id).status_code == 200
    merged = client.get(f"/api/sites/{existing.id}").json()["properties"]
    assert merged["telephone"] == "02 99 44 55 66" and merged["nom"] == existing.name  # completed, not overwritten
    assert "reparation" in merged["activites"]
    assert client.get(f"/api/sites/{c.site_id}").status_code == 404


def test_batch_decisions_report_each_item(client, demo_service, moderation_accounts, sign_in):
    ours = [propose(demo_service, f"Atelier {i}") for i in range(3)]
    theirs = propose(demo_service, "Atelier brestois", at=BREST)
    csrf = sign_in(client, moderation_accounts["reso"])
    results = client.post("/api/moderation/decisions", headers={"X-CSRF-Token": csrf},
                          json={"ids": [c.id for c in ours] + [theirs.id], "action": "refuse",
                                "reason": "Hors charte"}).json()["results"]
    assert [r["ok"] for r in results] == [True, True, True, False]
    assert "périmètre" in results[3]["message"]
    page = client.post("/moderation/decisions", data={"csrf_token": csrf, "ids": [str(ours[0].id)],
                                                      "action": "accept", "file": "nouveaux"})
    assert page.status_code == 200 and "déjà décidée" in page.text


def test_a_report_can_be_answered_by_correcting_the_site(client, demo_service, moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    with session_scope(demo_service.engine) as session:
        report = contributions.report_site(session, demo_service, session.get(Site, site.id), "wrong",
                                           "Le téléphone a changé", WHO).contribution.id
    sign_in(client, moderation_accounts["reso"])
    form = client.get(f"/moderation/sites/{site.id}/modifier?signalement={report}").text
    values = dict(re.findall(r'<input id="f-(\w+)" name="\w+" type="(?:text|url|email|tel)" value="([^"]*)"', form))
    values = {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in values.items()}
    values |= {"csrf_token": csrf_of(form), "phone": "02 99 77 88 99", "report_id": str(report),
               "base_version": str(site.version), "description": site.description,
               "activities": sites.activities_of(demo_service.session(), site.id),
               "legal_form": site.legal_form.value if site.legal_form else "",
               "lat": repr(site.lat), "lon": repr(site.lon)}
    values |= {f: "1" for f in ("siae", "ea_esat", "serves_individuals", "serves_professionals") if getattr(site, f)}
    response = client.post(f"/moderation/sites/{site.id}/modifier", data=values, follow_redirects=False)
    assert response.status_code == 303, response.text
    versions = client.get(f"/api/moderation/sites/{site.id}/history").json()["versions"]
    assert versions[0]["changes"] == {"phone": [None, "02 99 77 88 99"]}
    assert versions[0]["actor"] == "Modération reso" and versions[0]["contribution_id"] == report
    assert client.get(f"/api/moderation/contributions/{report}").json()["status"] == "corrected"


def test_history_restore_archive_and_unarchive(client, demo_service, moderation_accounts, sign_in):
    site = published_in(demo_service, "35238")
    c = propose_change(demo_service, site.id, name="Nom provisoire")
    csrf = sign_in(client, moderation_accounts["admin"])
    decide(client, csrf, c.id, "accept")
    page = client.get(f"/moderation/sites/{site.id}").text
    assert "proposition n° " + str(c.id) in page and "Nom provisoire" in page and "Modération admin" in page
    restored = client.post(f"/api/moderation/sites/{site.id}/restore", json={"version": 1},
                           headers={"X-CSRF-Token": csrf})
    assert restored.json()["changes"]["name"] == ["Nom provisoire", site.name]
    history = client.get(f"/api/moderation/sites/{site.id}/history").json()["versions"]
    assert [v["action"] for v in history] == ["restore", "update", "create"]

    archive = client.post(f"/moderation/sites/{site.id}/archiver", data={"csrf_token": csrf, "archive": "1"},
                          follow_redirects=False)
    assert archive.status_code == 303 and client.get(f"/api/sites/{site.id}").status_code == 404
    client.post(f"/moderation/sites/{site.id}/archiver", data={"csrf_token": csrf, "archive": "0"})
    assert client.get(f"/api/sites/{site.id}").json()["properties"]["nom"] == site.name


def test_sites_not_verified_for_a_year_form_a_queue(client, demo_service, moderation_accounts, sign_in):
    year_ago = date.today() - timedelta(days=365)
    with demo_service.session() as session:
        expected = [s.id for s in session.exec(select(Site).where(Site.verified_at < year_ago, Site.status ==
                                                                  SiteStatus.published))]
    assert expected
    csrf = sign_in(client, moderation_accounts["admin"])
    queue = client.get("/api/moderation/queues/a-verifier", params={"limit": 500}).json()
    assert queue["total"] == len(expected) and sorted(f["id"] for f in queue["items"]) == sorted(expected)
    dates = [f["properties"]["date_verification"] for f in queue["items"]]
    assert dates == sorted(dates)  # oldest first
    oldest = queue["items"][0]["id"]
    client.post(f"/moderation/sites/{oldest}/verifier", data={"csrf_token": csrf})
    assert client.get(f"/api/sites/{oldest}").json()["properties"]["date_verification"] == date.today().isoformat()
    assert client.get("/api/moderation/queues/a-verifier").json()["total"] == len(expected) - 1


def test_queues_filter_by_domain_pole_commune_and_age(client, demo_service, moderation_accounts, sign_in):
    velo = propose(demo_service, "Vélo rennais")
    reemploi = propose(demo_service, "Recyclerie brestoise", ["reemploi"], at=BREST)
    sign_in(client, moderation_accounts["admin"])

    def ids(**params):
        return [i["id"] for i in client.get("/api/moderation/queues/nouveaux", params=params).json()["items"]]

    assert ids(domaine="mobilite") == [velo.id]
    assert ids(pole="adess-pays-de-brest") == [reemploi.id]
    assert ids(commune="35238") == [velo.id]
    assert ids(age=7) == []
    counts = {q["queue"]: q["count"] for q in client.get("/api/moderation/queues").json()["queues"]}
    assert counts["nouveaux"] == 2 and counts["modifications"] == 0
    console = client.get("/moderation", params={"domaine": "mobilite"}).text
    assert "Vélo rennais" in console and "Recyclerie brestoise" not in console


def test_decisions_mail_the_contributor_and_moderators_get_a_digest_over_smtp(demo_service, moderation_accounts):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    c = propose(demo_service)
    with session_scope(demo_service.engine) as session:
        from carto.storage.models import User
        admin = session.exec(select(User).where(User.email == moderation_accounts["admin"])).one()
        moderation.decide(session, demo_service, admin, moderation.Scope(everything=True), c.id, "refuse",
                          "Ce lieu n'est pas dans la charte")
    propose(demo_service, "Atelier en attente")  # what a digest lists: pending proposals (the refused one is not)
    assert digest.queue_digests(demo_service, [digest.contribution_items]) >= 1

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        demo_service.settings.smtp_host, demo_service.settings.smtp_port = "127.0.0.1", port
        demo_service.settings.smtp_security = "none"
        sent, failed = mail.deliver_pending(demo_service.engine, demo_service.settings)
    finally:
        controller.stop()
    assert failed == 0 and sent == len(received)
    to_contributor = [body for rcpt, body in received if rcpt == [WHO.contributor_email]]
    assert any("Ce lieu n'est pas dans la charte" in body for body in to_contributor)
    assert any(rcpt == [moderation_accounts["admin"]] for rcpt, _ in received)


def test_an_undeliverable_mail_stays_queued_with_its_error(demo_service):
    propose(demo_service)  # queues the acknowledgement
    demo_service.settings.smtp_host, demo_service.settings.smtp_port = "127.0.0.1", 9  # nothing listens there
    demo_service.settings.smtp_security = "none"
    sent, failed = mail.deliver_pending(demo_service.engine, demo_service.settings)
    assert (sent, failed) == (0, 1)
    with demo_service.session() as session:
        [queued] = mail.undelivered(session)
        assert queued.attempts == 1 and queued.last_error
        assert session.exec(select(OutgoingMail).where(OutgoingMail.sent_at.is_not(None))).all() == []


def test_a_refusal_needs_a_reason_and_a_report_cannot_be_accepted(client, demo_service, moderation_accounts, sign_in):
    c = propose(demo_service)
    csrf = sign_in(client, moderation_accounts["reso"])
    missing = decide(client, csrf, c.id, "refuse", reason="   ")
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == ["body", "reason"]
    wrong = decide(client, csrf, c.id, "archive")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["loc"] == ["body", "action"]
    page = client.post(f"/moderation/propositions/{c.id}/decision",
                       data={"csrf_token": csrf, "action": "refuse", "reason": ""})
    assert page.status_code == 422 and 'id="err-reason"' in page.text
    assert client.get(f"/api/moderation/contributions/{c.id}").json()["status"] == ContributionStatus.pending.value


def test_carto_notify_sends_the_queued_mails_and_the_digests(demo_service, moderation_accounts, monkeypatch):
    from typer.testing import CliRunner
    from carto.cli import app as cli
    from carto.core.settings import get_settings
    propose(demo_service)  # queues the contributor's acknowledgement
    monkeypatch.setenv("CARTO_DATABASE_URL", demo_service.settings.database_url)
    monkeypatch.setenv("CARTO_OUTBOX_DIR", str(mail.outbox_dir(demo_service.settings)))  # any backend
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["notify"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    # Admin, the Rennes pôle and the mobility domain see the new site; Brest has nothing new.
    assert "Résumés préparés : 3" in result.output and "en échec : 0" in result.output
    outbox = mail.outbox_dir(demo_service.settings)
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox.glob("*.eml")]
    assert len(mails) == 4 and any(m["To"] == "reso@moderation.example" and
                                   "Nouveau site : « Atelier proposé » (Rennes)" in m.get_content() for m in mails)
