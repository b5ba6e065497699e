"""Rate limits kept in the database, so that they hold across threads and server processes.

Every limit is reserved *before* the work it guards, by one conditional UPDATE that the database
applies atomically (a row lock on PostgreSQL, the single writer on SQLite): forty simultaneous
requests cannot all pass a check made before any of them is recorded.

- ``take`` / ``give_back``: at most ``limit`` events per ``window`` seconds for one subject (GCRA:
  one row per key holds its theoretical arrival time). Submissions per address, sign-in failures
  per address, mails per recipient. Work that ends without effect (a form with errors) gives its
  event back.
- ``login_attempt`` / ``login_succeeded``: sign-in attempts for one account *from one address*,
  counted as failures until the password proves right. After ``LOGIN_FREE_FAILURES`` failures the
  pair is locked for a delay that doubles with each further failure: a stranger guessing a
  moderator's password locks out only themself, never the moderator signing in from elsewhere.

``clock`` (Unix seconds) is replaced in tests to move time without sleeping.
"""
import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

from carto.storage.models import LoginThrottle, RateCounter

clock = time.time

LOGIN_FREE_FAILURES = 5  # wrong passwords allowed for one account from one address before a lock
LOGIN_FIRST_LOCK = 15 * 60  # seconds; doubles with each failure after that
LOGIN_LONGEST_LOCK = 24 * 3600
LOGIN_FORGET = 24 * 3600  # failures older than this no longer count


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` events per ``window`` seconds for each subject (an address, an e-mail)."""
    name: str
    limit: int
    window: float

    def __post_init__(self):
        if self.limit < 1 or self.window <= 0:
            raise ValueError(f"limite {self.name} : au moins un événement sur une durée positive")

    @property
    def interval(self) -> float:
        return self.window / self.limit

    def key(self, subject: str) -> str:
        return f"{self.name}|{_digest(subject)}"


def _digest(subject: str) -> str:
    # Counters name no one: addresses and e-mails are kept as digests (personal data stays in the
    # moderation tables, where ``carto contributors purge`` finds it).
    return hashlib.sha256(subject.encode()).hexdigest()[:40]


# Wrong passwords from one address, whatever the accounts tried (password spraying).
LOGIN_ADDRESS = Rule("login-address", 20, 15 * 60)


def _ensure_row(conn: Connection, table, key: str, **zeros) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(table).values(key=key, **zeros).on_conflict_do_nothing())


@contextmanager
def _transaction(bind: Engine | Connection) -> Iterator[Connection]:
    """Its own transaction on an engine; the caller's when given a connection (a session's)."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.begin() as conn:
            yield conn


def take(bind: Engine | Connection, rule: Rule, subject: str) -> float:
    """Reserve one event of ``rule`` for ``subject``: 0 when taken, else the seconds to wait."""
    key, now = rule.key(subject), clock()
    with _transaction(bind) as conn:
        _ensure_row(conn, RateCounter, key, tat=0.0)
        # Full while the arrival time is more than a window ahead; the tiny margin absorbs float sums.
        taken = conn.execute(update(RateCounter)
                             .where(RateCounter.key == key,
                                    RateCounter.tat <= now + rule.window - rule.interval + 1e-6)
                             .values(tat=case((RateCounter.tat > now, RateCounter.tat), else_=now) + rule.interval))
        if taken.rowcount == 1:
            return 0.0
        tat = conn.execute(select(RateCounter.tat).where(RateCounter.key == key)).scalar_one()
    return max(tat - now - rule.window + rule.interval, 1.0)


def give_back(bind: Engine | Connection, rule: Rule, subject: str) -> None:
    """Return an event taken for work that had no effect (a form refused for its errors)."""
    with _transaction(bind) as conn:
        conn.execute(update(RateCounter).where(RateCounter.key == rule.key(subject))
                     .values(tat=RateCounter.tat - rule.interval))


def lock_delay(failures: int) -> float:
    """Seconds a pair stays locked after its ``failures``-th consecutive failure."""
    extra = failures - LOGIN_FREE_FAILURES
    return 0.0 if extra < 0 else float(min(LOGIN_FIRST_LOCK * 2 ** min(extra, 32), LOGIN_LONGEST_LOCK))


def _pair(email: str, address: str) -> str:
    return f"{_digest(email)}|{_digest(address)}"


def _count_attempt(engine: Engine, email: str, address: str) -> float:
    key, now = _pair(email, address), clock()
    with engine.begin() as conn:
        _ensure_row(conn, LoginThrottle, key, failures=0, locked_until=0.0, last_failure=0.0)
        failures = conn.execute(
            update(LoginThrottle).where(LoginThrottle.key == key, LoginThrottle.locked_until <= now)
            .values(failures=case((LoginThrottle.last_failure < now - LOGIN_FORGET, 1),
                                  else_=LoginThrottle.failures + 1), last_failure=now)
            .returning(LoginThrottle.failures)).scalar()
        if failures is None:
            locked_until = conn.execute(select(LoginThrottle.locked_until)
                                        .where(LoginThrottle.key == key)).scalar_one()
            return max(locked_until - now, 1.0)
        if delay := lock_delay(failures):
            # Same transaction as the count: no concurrent attempt passes between the two.
            conn.execute(update(LoginThrottle).where(LoginThrottle.key == key).values(locked_until=now + delay))
    return 0.0


def login_attempt(engine: Engine, email: str, address: str) -> float:
    """Before checking a password: 0 when the attempt may go on (it already counts as a failure),
    else the seconds to wait (this address is spraying, or this account is locked for it)."""
    wait = take(engine, LOGIN_ADDRESS, address)
    if wait:
        return wait
    wait = _count_attempt(engine, email, address)
    if wait:
        give_back(engine, LOGIN_ADDRESS, address)
    return wait


def login_succeeded(engine: Engine, email: str, address: str) -> None:
    """The password was right: the attempt was no failure, and the pair starts afresh."""
    give_back(engine, LOGIN_ADDRESS, address)
    with engine.begin() as conn:
        conn.execute(delete(LoginThrottle).where(LoginThrottle.key == _pair(email, address)))


def purge(engine: Engine) -> None:
    """Forget counters that no longer limit anything (run by ``carto notify``)."""
    now = clock()
    with engine.begin() as conn:
        conn.execute(delete(RateCounter).where(RateCounter.tat < now))
        conn.execute(delete(LoginThrottle).where(LoginThrottle.locked_until < now,
                                                 LoginThrottle.last_failure < now - LOGIN_FORGET))


def in_words(seconds: float) -> str:
    """« 3 minutes », « 2 heures »: how long to wait, in French, rounded up."""
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    hours = math.ceil(minutes / 60)
    return f"{hours} heure{'s' if hours > 1 else ''}"
