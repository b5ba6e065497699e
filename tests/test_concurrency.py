"""Many visitors at once on one database: proposals, reads and decisions from threads against a live
server. Nobody sees an error ("database is locked" or any 5xx) and nothing is lost.

(Two moderators deciding the same item: ``test_moderation.py``.)
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import text
from sqlmodel import func, select

from carto.app import create_app
from carto.storage.db import is_sqlite
from carto.storage.models import Contribution, ContributionStatus, Site, SiteStatus
from tests.helpers import MODERATION_PASSWORD, LiveServer, csrf_of

WRITERS, PROPOSALS_EACH = 6, 8
READERS, READS_EACH = 6, 25
RENNES = (-1.6778, 48.1173)
MODERATION_DEADLINE_S = 180  # far beyond a slow run (about 20 s on a loaded two-core machine)
READ_PATHS = ["/api/sites?limit=200", "/api/sites?commune=35238&format=compact", "/liste?commune=35238", "/",
              "/api/sourcing?zone=commune:35238", "/ogc/collections/sites/items?limit=50"]


class Log:
    """What every thread saw; any answer that is not the expected one is kept with its body."""

    def __init__(self):
        self.lock = threading.Lock()
        self.bad: list[str] = []
        self.count = 0

    def check(self, response: httpx.Response, expected: int) -> httpx.Response:
        with self.lock:
            self.count += 1
            if response.status_code != expected or "database is locked" in response.text:
                self.bad.append(f"{response.request.method} {response.request.url.path}: "
                                f"{response.status_code} {response.text[:300]}")
        return response


def propose(base: str, log: Log, writer: int) -> None:
    with httpx.Client(base_url=base, timeout=60) as client:
        for n in range(PROPOSALS_EACH):
            csrf = csrf_of(log.check(client.get("/proposer"), 200).text)
            lon, lat = RENNES[0] + 0.003 * writer, RENNES[1] + 0.002 * n  # far enough apart: no duplicate warning
            log.check(client.post("/proposer", data={
                "csrf_token": csrf, "name": f"Atelier concurrent {writer}-{n}", "activities": ["velo"],
                "lon": str(lon), "lat": str(lat), "contributor_name": "Jeanne", "not_duplicate": "1",
                "contributor_email": f"jeanne{writer}@exemple.org", "consent": "1"}), 303)


def read(base: str, log: Log, reader: int) -> None:
    with httpx.Client(base_url=base, timeout=60, headers={"Cache-Control": "no-cache"}) as client:
        for n in range(READS_EACH):
            log.check(client.get(READ_PATHS[(reader + n) % len(READ_PATHS)]), 200)


def moderate(base: str, log: Log, email: str, done: threading.Event) -> int:
    """Accept pending proposals as they come, until the writers are done and the queue is empty;
    past the deadline it gives up (a queue that never empties must fail the test, not hang it)."""
    accepted = 0
    deadline = time.monotonic() + MODERATION_DEADLINE_S
    with httpx.Client(base_url=base, timeout=60) as client:
        csrf = csrf_of(client.get("/connexion").text)
        client.post("/connexion", data={"csrf_token": csrf, "email": email, "password": MODERATION_PASSWORD})
        token = log.check(client.get("/api/moderation/me"), 200).json()["csrf_token"]
        while True:
            finished = done.is_set()
            items = log.check(client.get("/api/moderation/queues/nouveaux?limit=500"), 200).json()["items"]
            for item in items:
                log.check(client.post(f"/api/moderation/contributions/{item['id']}/decision",
                                      json={"action": "accept"}, headers={"X-CSRF-Token": token}), 200)
                accepted += 1
            if finished and not items:
                return accepted
            if time.monotonic() > deadline:
                raise TimeoutError(f"moderation queue still not empty after {MODERATION_DEADLINE_S} s "
                                   f"({accepted} accepted, writers {'done' if finished else 'still running'})")


def test_concurrent_proposals_reads_and_decisions_all_succeed(demo_service, moderation_accounts):
    demo_service.settings.submissions_per_hour = 10_000  # one address here, many people
    app = create_app(service=demo_service)
    log, done = Log(), threading.Event()
    with LiveServer(app) as server, ThreadPoolExecutor(WRITERS + READERS + 1) as pool:
        moderator = pool.submit(moderate, server.url, log, moderation_accounts["admin"], done)
        writers = [pool.submit(propose, server.url, log, i) for i in range(WRITERS)]
        readers = [pool.submit(read, server.url, log, i) for i in range(READERS)]
        try:
            for future in writers + readers:
                future.result()
        finally:
            done.set()  # a failed writer or reader stops the moderator too, instead of leaving it waiting
        accepted = moderator.result()
    assert log.bad == []
    proposals = WRITERS * PROPOSALS_EACH
    assert log.count >= 2 * proposals + READERS * READS_EACH + proposals  # every request was made
    assert accepted == proposals
    with demo_service.session() as session:
        statuses = session.exec(select(Contribution.status, func.count()).group_by(Contribution.status)).all()
        assert dict(statuses) == {ContributionStatus.accepted: proposals}
        published = set(session.exec(select(Site.name).where(Site.name.like("Atelier concurrent %"),
                                                             Site.status == SiteStatus.published)).all())
        assert published == {f"Atelier concurrent {w}-{n}" for w in range(WRITERS) for n in range(PROPOSALS_EACH)}
        if is_sqlite(demo_service.engine):  # what makes this work on SQLite
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000

