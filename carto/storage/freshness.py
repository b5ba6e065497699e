"""One token that changes whenever what the public read API shows may have changed.

Every write of a site leaves a row in ``siteversion`` (``carto.directory.sites`` is the only write path), so
the highest history id moves with any site change; pôles, their coverage, communes and territories
are counted or summed beside it. The code, templates and taxonomy shape a response too: a token of
their files' modification times, taken once per process, covers a deploy. Reading all this costs a
few index lookups, cheap enough for every request.
"""
import hashlib
from functools import lru_cache

from sqlalchemy import text
from sqlmodel import Session

from carto.core.settings import PROJECT_ROOT

CODE_PATTERNS = ("carto/**/*.py", "web/templates/**/*", "geodata/*")


@lru_cache
def code_token() -> str:
    mtimes = sorted(p.stat().st_mtime_ns for pattern in CODE_PATTERNS for p in PROJECT_ROOT.glob(pattern)
                    if p.is_file())
    return hashlib.blake2b(repr(mtimes).encode(), digest_size=6).hexdigest()


# Portable SQL (SQLite and PostgreSQL). Pôle coverage: the set of covered communes, and the uploaded
# polygons, which may change the displayed area without changing that set.
VERSION_SQL = text("""
SELECT (SELECT max(id) FROM siteversion),
       (SELECT count(*) FROM commune),
       (SELECT count(*) FROM territory),
       (SELECT count(*) FROM pole), (SELECT sum(length(coverage_geojson)) FROM pole),
       (SELECT max(updated_at) FROM pole),
       (SELECT count(*) FROM polecommune),
       (SELECT sum(cast(commune_code AS integer) * length(pole_id)) FROM polecommune)
""")


# A session may be given the version it answers for, read once already (``answering_for``): a read
# request's ETag, so that the answers kept per version (``carto.query.search``) belong to that same version.
_ANSWERING_FOR = "data_version"


def data_version(session: Session) -> str:
    known = session.info.get(_ANSWERING_FOR)
    if known is not None:
        return known
    row = session.connection().execute(VERSION_SQL).one()
    return f"{code_token()}-" + hashlib.blake2b(repr(tuple(row)).encode(), digest_size=8).hexdigest()


def answering_for(session: Session, version: str) -> None:
    """Have ``session`` answer for ``version`` (read by the caller in the same request) instead of
    reading it again: a session that does not write."""
    session.info[_ANSWERING_FOR] = version
