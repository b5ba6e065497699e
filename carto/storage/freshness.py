"""One token that changes whenever what the public read API shows may have changed.

It is an explicit counter (``DataVersion``), moved by every writer of public output in the same
transaction as its change: sites and their activities (``carto.directory.sites``,
``carto.directory.bulk``), pôles and their coverage (``carto.territory.poles``), communes and
territories (``carto.territory.territory_load``). A count or a checksum of the tables would miss a
change that keeps them equal (a pôle renamed, two communes swapped). ETags, the response store and
per-process caches (the locator, counts and extents of ``carto.query.search``) follow the counter, so
several processes serving one database stay coherent without restart.

The code, templates and taxonomy shape a response too: a token of their files' modification times,
taken once per process, covers a deploy.
"""
import hashlib
import secrets
import threading
import weakref
from collections import OrderedDict
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from carto.core.settings import PROJECT_ROOT
from carto.storage.models import DataVersion

CODE_PATTERNS = ("carto/**/*.py", "web/templates/**/*", "geodata/*")
_TABLE = DataVersion.__table__
_ROW = _TABLE.c.id == 1


@lru_cache
def code_token() -> str:
    mtimes = sorted(p.stat().st_mtime_ns for pattern in CODE_PATTERNS for p in PROJECT_ROOT.glob(pattern)
                    if p.is_file())
    return hashlib.blake2b(repr(mtimes).encode(), digest_size=6).hexdigest()


def seed(conn: Connection) -> None:
    """The counter's row of a new database (an existing row is left as it is)."""
    if conn.execute(select(_TABLE.c.id).where(_ROW)).first() is None:
        conn.execute(_TABLE.insert().values(id=1, data=0, geography=0, epoch=new_epoch()))


def new_epoch() -> str:
    return secrets.token_hex(4)


def restart(conn: Connection) -> None:
    """After a restore: a new epoch, so that the restored counter's values name new versions."""
    seed(conn)
    conn.execute(update(_TABLE).where(_ROW).values(epoch=new_epoch(), data=_TABLE.c.data + 1,
                                                   geography=_TABLE.c.geography + 1))


def bump(session: Session, *, geography: bool = False) -> None:
    """Move the data version (and the geography's with ``geography``) in the session's transaction.

    Writers call it before their first write: the counter's row is then the first lock every writing
    transaction takes on PostgreSQL, always in the same order, so two writers of the same sites wait
    for each other instead of deadlocking. (SQLite has one writer at a time anyway.) A batch of new
    sites takes it only to publish them (``bulk.publish_prepared``): the rows it wrote before are
    its own, which no other writer sees or locks.
    """
    values = {"data": _TABLE.c.data + 1}
    if geography:
        values["geography"] = _TABLE.c.geography + 1
    session.connection().execute(update(_TABLE).where(_ROW).values(**values))


# A read request's session answers for the versions it saw first (``answering_for_current``), read in
# one query: its ETag, and the answers kept per version (``carto.query.search``), belong to that version.
_ANSWERING_FOR = "data_version"
_GEOGRAPHY = "geography_version"


def _version_text(epoch: str, data: int) -> str:
    return f"{code_token()}-{epoch}-{data}"


def data_version(session: Session) -> str:
    known = session.info.get(_ANSWERING_FOR)
    if known is not None:
        return known
    row = session.connection().execute(select(_TABLE.c.epoch, _TABLE.c.data).where(_ROW)).first()
    return _version_text(*(row or ("", 0)))


def geography_version(session: Session) -> int:
    """The version of the communes, territories and coverage: a locator built at another is stale."""
    known = session.info.get(_GEOGRAPHY)
    if known is not None:
        return known
    return session.connection().execute(select(_TABLE.c.geography).where(_ROW)).scalar() or 0


def answering_for_current(session: Session) -> str:
    """Have ``session``, which does not write, answer for the data and geography versions it sees now,
    read in one query; the data version."""
    row = session.connection().execute(select(_TABLE.c.epoch, _TABLE.c.data, _TABLE.c.geography).where(_ROW)).first()
    epoch, data, geography = row or ("", 0, 0)
    session.info[_ANSWERING_FOR] = version = _version_text(epoch, data)
    session.info[_GEOGRAPHY] = geography
    return version


# engine → {question: (data version, answer)}. Weak, as the locators (``locator.current``): a database's
# answers go with its engine instead of living as long as the process.
_known: "weakref.WeakKeyDictionary[Engine, dict[tuple, tuple[str, object]]]" = weakref.WeakKeyDictionary()
# Answers to a question asked in many forms (a map per level and filter): the most recently asked
# only, so that forms asked once do not fill the memory; the others live as long as the process.
_variants: OrderedDict[tuple, tuple[str, object]] = OrderedDict()
_variants_lock = threading.Lock()
VARIANTS_KEPT = 32


def per_version(session: Session, question: tuple, compute, *, variant: bool = False):
    """The answer to a question about all sites, computed once per data version: only a write changes
    it, and a write moves the version. ``variant``: one of many forms of a question (a page's map per
    filter), kept among the ``VARIANTS_KEPT`` most recently asked."""
    engine = session.get_bind().engine
    version = data_version(session)
    if variant:
        key = (str(engine.url), *question)
        known = _variants.get(key)
        if known is None or known[0] != version:
            known = (version, compute())
        _keep_recent(key, known)
        return known[1]
    answers = _known.setdefault(engine, {})
    known = answers.get(question)
    if known is None or known[0] != version:
        known = answers[question] = (version, compute())
    return known[1]


def _keep_recent(key: tuple, known: tuple[str, object]) -> None:
    """``known`` as the most recently asked form, dropping the oldest beyond ``VARIANTS_KEPT``."""
    with _variants_lock:
        _variants[key] = known
        _variants.move_to_end(key)
        while len(_variants) > VARIANTS_KEPT:
            _variants.popitem(last=False)
