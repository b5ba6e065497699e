"""« En cours d'examen »: who opened a proposal, since when, seen by the others, who may take over;
a mark nobody renews lapses after ten minutes, and a decision clears it."""
import re
from datetime import timedelta

from carto.community import review_locks
from carto.storage.db import session_scope
from carto.storage.models import User, utcnow
from tests.helpers import csrf_of, decide, make_client, propose


def test_a_proposal_opened_by_one_moderator_is_marked_for_the_others_who_may_take_over(
        demo_service, moderation_accounts, sign_in, client):
    c = propose(demo_service, "Atelier des Lices")
    with make_client(demo_service) as other:
        sign_in(client, moderation_accounts["reso"])
        assert "Décider" in client.get(f"/moderation/propositions/{c.id}").text
        sign_in(other, moderation_accounts["admin"])
        page = other.get(f"/moderation/propositions/{c.id}").text
        assert re.search(r"En cours d'examen par Modération reso</strong> depuis le \d\d/\d\d/\d{4} à \d\d:\d\d", page)
        assert "Décider" not in page and "Prendre la main" in page
        queue = other.get("/moderation").text
        assert "En cours d'examen par Modération reso depuis le" in queue
        assert other.get(f"/api/moderation/contributions/{c.id}").json()["in_review"]["by"] == "Modération reso"

        taken = other.post(f"/moderation/propositions/{c.id}/examen", data={"csrf_token": csrf_of(page)})
        assert taken.status_code == 200 and "Décider" in taken.text
        assert "En cours d'examen par Modération admin" in client.get(f"/moderation/propositions/{c.id}").text


def test_the_api_says_who_reviews_and_takes_over_only_when_asked(demo_service, moderation_accounts, sign_in, client):
    c = propose(demo_service, "Atelier des Lices")
    with make_client(demo_service) as other:
        csrf = sign_in(client, moderation_accounts["reso"])
        assert client.post(f"/api/moderation/contributions/{c.id}/review", json={},
                           headers={"X-CSRF-Token": csrf}).status_code == 200
        other_csrf = sign_in(other, moderation_accounts["admin"])
        busy = other.post(f"/api/moderation/contributions/{c.id}/review", json={}, headers={"X-CSRF-Token": other_csrf})
        assert busy.status_code == 409 and busy.json()["detail"].startswith("en cours d'examen par Modération reso")
        mine = other.post(f"/api/moderation/contributions/{c.id}/review", json={"take_over": True},
                          headers={"X-CSRF-Token": other_csrf})
        assert mine.status_code == 200 and mine.json()["in_review"]["by"] == "Modération admin"
        assert decide(other, other_csrf, c.id, "accept").status_code == 200
    with demo_service.session() as session:
        assert review_locks.reviewers(session, [c.id]) == {}  # decided: nobody reviews it any more


def test_a_mark_lapses_after_ten_minutes(demo_service, moderation_accounts):
    c = propose(demo_service, "Atelier des Lices")
    with session_scope(demo_service.engine) as session:
        reso, admin = (session.query(User).filter_by(email=moderation_accounts[n]).one() for n in ("reso", "admin"))
        start = utcnow()
        assert review_locks.open_item(session, reso, c.id, now=start) is None
        assert review_locks.open_item(session, admin, c.id, now=start + timedelta(minutes=9)).name == "Modération reso"
        assert review_locks.open_item(session, admin, c.id, now=start + timedelta(minutes=11)) is None
        assert review_locks.reviewers(session, [c.id], start + timedelta(minutes=12))[c.id].name == "Modération admin"
