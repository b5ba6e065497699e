"""Faults: processes killed with SIGKILL at the worst moment (no clean-up code runs).

An import killed half-way leaves only whole sites (the batches it committed), and running it again
completes it. A server killed right after moderators accepted proposals has lost none of them.
"""
import signal
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlmodel import func, select

from carto.storage.models import Contribution, ContributionStatus, ImportRun, ImportRunStatus, OutgoingMail, Site, SiteStatus
from carto.importers.pipeline import BATCH_SIZE
from tests.helpers import (MODERATION_PASSWORD, assert_every_site_is_whole, carto_process, csrf_of, import_lvao,
                           kill, sample_rows, serve, wait_for, write_lvao)

COPIES = 8000  # of the 8-row LVAO sample: 64,000 rows, 56,000 sites, five batches and more
RENNES = (-1.6778, 48.1173)


def big_lvao_file(path: Path) -> Path:
    """The sample's rows again and again, each copy with its own identifiers, a metre apart."""
    rows = []
    for n in range(COPIES):
        for row in sample_rows():
            lon, lat = row.get("longitude"), row.get("latitude")
            row["identifiant"] = f"{row['identifiant']}-{n}"
            if lon and lat:
                row |= {"longitude": f"{float(lon) + n * 1e-7:.7f}", "latitude": f"{float(lat) + n * 1e-7:.7f}"}
            rows.append(row)
    return write_lvao(path, rows)


def sites(service) -> int:
    with service.session() as session:
        return session.exec(select(func.count()).select_from(Site)).one()


def test_an_import_killed_half_way_leaves_only_whole_sites_and_can_be_run_again(service, tmp_path):
    data = big_lvao_file(tmp_path / "lvao.csv")
    expected = import_lvao(service, data, dry_run=True)  # what a complete import writes
    importing = carto_process(service, "import", str(data), "--format", "lvao")
    # Killed while writing: after a few committed batches, at whatever point the next one is.
    wait_for(lambda: sites(service) >= 3 * BATCH_SIZE or importing.poll() is not None, "three committed batches")
    kill(importing)
    assert importing.returncode == -signal.SIGKILL, importing.stderr.read().decode()[-2000:]

    written = sites(service)
    assert 0 < written < expected.created  # killed half-way
    assert written % BATCH_SIZE == 0  # whole batches only
    with service.session() as session:
        assert_every_site_is_whole(session)
        if session.get_bind().dialect.name == "sqlite":
            assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        killed = session.exec(select(ImportRun).where(ImportRun.status == ImportRunStatus.running)).one()
        assert killed.filename == data.name  # left "running": nothing was left to say otherwise

    again = import_lvao(service, data)
    assert again.created + again.unchanged + again.updated == expected.created
    assert sites(service) == expected.created
    with service.session() as session:
        assert_every_site_is_whole(session)


def test_a_server_killed_right_after_decisions_has_lost_none(demo_service, moderation_accounts):
    server, url = serve(demo_service)
    try:
        with httpx.Client(base_url=url, timeout=30) as public, httpx.Client(base_url=url, timeout=30) as cress:
            for n in range(5):
                csrf = csrf_of(public.get("/proposer").text)
                answer = public.post("/proposer", data={
                    "csrf_token": csrf, "name": f"Recyclerie survivante {n}", "activities": ["reemploi"],
                    "lon": str(RENNES[0] + 0.004 * n), "lat": str(RENNES[1]), "not_duplicate": "1",
                    "contributor_name": "Jeanne", "contributor_email": "jeanne@exemple.org", "consent": "1"})
                assert answer.status_code == 303
            cress.post("/connexion", data={"csrf_token": csrf_of(cress.get("/connexion").text),
                                           "email": moderation_accounts["admin"], "password": MODERATION_PASSWORD})
            token = cress.get("/api/moderation/me").json()["csrf_token"]
            items = cress.get("/api/moderation/queues/nouveaux").json()["items"]
            assert len(items) == 5
            for item in items:  # the last answer is barely out when the server dies
                decided = cress.post(f"/api/moderation/contributions/{item['id']}/decision",
                                     json={"action": "accept"}, headers={"X-CSRF-Token": token})
                assert decided.status_code == 200
    finally:
        kill(server)

    server, url = serve(demo_service)
    try:
        found = httpx.get(url + "/api/sites", params={"q": "Recyclerie survivante", "limit": 10}).json()
        assert sorted(f["properties"]["nom"] for f in found["features"]) == [
            f"Recyclerie survivante {n}" for n in range(5)]
    finally:
        kill(server)
    with demo_service.session() as session:
        assert set(session.exec(select(Contribution.status)).all()) == {ContributionStatus.accepted}
        assert session.exec(select(func.count()).select_from(Site).where(
            Site.name.like("Recyclerie survivante %"), Site.status == SiteStatus.published)).one() == 5
        # The mails of the decisions were queued with them: sent later if the server died first.
        assert session.exec(select(func.count()).select_from(OutgoingMail).where(
            OutgoingMail.to == "jeanne@exemple.org")).one() == 10
