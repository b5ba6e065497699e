"""Rate limits hold under concurrency: they are reserved in the database before the work, so that
simultaneous requests (threads here, server processes in ``test_workers.py``) cannot all pass."""
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import func, select

from carto.app import create_app
from carto.community import auth, ratelimit, users
from carto.storage.models import Contribution
from tests.helpers import MODERATION_PASSWORD, LiveServer, csrf_of, make_client

RENNES = (-1.6778, 48.1173)


@pytest.fixture
def now(monkeypatch):
    """The limits' clock, moved by hand: ``now[0] += seconds``."""
    moment = [1_800_000_000.0]
    monkeypatch.setattr(ratelimit, "clock", lambda: moment[0])
    return moment


def test_a_rule_allows_its_limit_per_window_then_one_event_per_interval(service, now):
    rule = ratelimit.Rule("essai", 4, 3600)
    assert [ratelimit.take(service.engine, rule, "192.0.2.1") for _ in range(4)] == [0.0] * 4
    assert ratelimit.take(service.engine, rule, "192.0.2.1") == pytest.approx(900)  # one event frees every 15 min
    assert ratelimit.take(service.engine, rule, "192.0.2.2") == 0.0  # another subject has its own events
    now[0] += 900
    assert ratelimit.take(service.engine, rule, "192.0.2.1") == 0.0
    assert ratelimit.take(service.engine, rule, "192.0.2.1") > 0
    ratelimit.give_back(service.engine, rule, "192.0.2.1")  # the work had no effect
    assert ratelimit.take(service.engine, rule, "192.0.2.1") == 0.0


def test_forty_simultaneous_proposals_from_one_address_pass_the_limit_ten_times(demo_service):
    limit = demo_service.settings.submissions_per_hour
    start = threading.Barrier(40)

    def propose(n: int) -> int:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            token = csrf_of(client.get("/proposer").text)
            start.wait()  # every form is ready: the posts leave together
            return client.post("/proposer", data={
                "csrf_token": token, "name": f"Atelier simultané {n}", "activities": ["velo"],
                "lon": str(RENNES[0] + 0.004 * n), "lat": str(RENNES[1]), "not_duplicate": "1",
                "contributor_name": "Jeanne", "contributor_email": f"jeanne{n}@exemple.org", "consent": "1"}).status_code

    with LiveServer(create_app(service=demo_service)) as server, ThreadPoolExecutor(40) as pool:
        codes = list(pool.map(propose, range(40)))
    assert sorted(codes) == [303] * limit + [429] * (40 - limit)
    with demo_service.session() as session:
        assert session.exec(select(func.count()).select_from(Contribution)).one() == limit


def test_eighteen_simultaneous_guesses_get_five_password_checks(demo_service, moderation_accounts, monkeypatch):
    checked, lock = [], threading.Lock()
    authenticate = users.authenticate

    def counting(session, email, password):
        with lock:
            checked.append(password)
        return authenticate(session, email, password)

    monkeypatch.setattr(users, "authenticate", counting)
    start = threading.Barrier(18)

    def guess(n: int) -> int:
        with httpx.Client(base_url=server.url, timeout=120) as client:
            token = csrf_of(client.get("/connexion").text)
            start.wait()
            return client.post("/connexion", data={"csrf_token": token, "email": moderation_accounts["reso"],
                                                   "password": f"devine-{n}"}).status_code

    with LiveServer(create_app(service=demo_service)) as server, ThreadPoolExecutor(18) as pool:
        codes = list(pool.map(guess, range(18)))
    assert len(checked) == ratelimit.LOGIN_FREE_FAILURES
    assert sorted(codes) == [401] * ratelimit.LOGIN_FREE_FAILURES + [429] * (18 - ratelimit.LOGIN_FREE_FAILURES)


def login(client, email, password):
    token = csrf_of(client.get("/connexion").text)
    return client.post("/connexion", data={"csrf_token": token, "email": email, "password": password},
                       follow_redirects=False)


def test_the_lock_grows_with_each_failure_and_a_right_password_clears_it(demo_service, moderation_accounts, now,
                                                                         monkeypatch):
    monkeypatch.setattr(auth, "waste_a_verification", lambda password: None)
    email = moderation_accounts["reso"]
    with make_client(demo_service, address="198.51.100.7") as stranger:
        assert {login(stranger, email, "devine").status_code for _ in range(5)} == {401}
        assert "réessayez dans 15 minutes" in login(stranger, email, MODERATION_PASSWORD).text
        now[0] += 15 * 60
        assert login(stranger, email, "encore faux").status_code == 401
        assert "réessayez dans 30 minutes" in login(stranger, email, MODERATION_PASSWORD).text
        now[0] += 30 * 60
        assert login(stranger, email, "toujours faux").status_code == 401
        assert "réessayez dans 1 heure" in login(stranger, email, MODERATION_PASSWORD).text
        now[0] += 3600
        assert login(stranger, email, MODERATION_PASSWORD).status_code == 303
        assert login(stranger, email, "faux").status_code == 401  # counted afresh: no lock after one failure
        assert login(stranger, email, MODERATION_PASSWORD).status_code == 303
