"""Server mode on PostgreSQL + PostGIS: the same queries, answered through PostGIS and GIN indexes.

Tests marked ``postgis`` run only with CARTO_TEST_DATABASE_URL (see tests/databases.py); the others
state what both backends must agree on.
"""
import pytest
from sqlalchemy import select, text

from carto.storage import search_index
from carto.storage.db import normalize_url
from carto.storage.models import Site
from carto.query.search import SiteFilter, conditions

def plan(session, f: SiteFilter) -> str:
    """The plan of the filter's query, statistics fresh and sequential scans discouraged (500 rows
    would fit one), and index-only scans too: over 500 vacuumed rows a walk of the (status, lon,
    lat) btree can cost less than the GiST, which PostgreSQL takes for a town at 1,000,000 sites."""
    session.execute(text("ANALYZE site"))
    session.execute(text("SET LOCAL enable_seqscan = off"))
    session.execute(text("SET LOCAL enable_indexonlyscan = off"))
    query = select(Site.id).where(*conditions(session, f))
    sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    return "\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars())


@pytest.mark.postgis
def test_box_filters_use_the_gist_index(demo_service):
    """(The text index at a scale where it matters: tests/test_plans_at_scale.py.)"""
    with demo_service.session() as session:
        assert "ix_site_point" in plan(session, SiteFilter(bbox=(-2.0, 47.9, -1.4, 48.3)))


@pytest.mark.postgis
def test_the_indexes_exist_and_postgis_is_installed(demo_service):
    with demo_service.engine.connect() as conn:
        indexes = set(conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'site'")).scalars())
        assert set(search_index.PG_INDEXES) <= indexes
        assert conn.execute(text("SELECT postgis_lib_version()")).scalar()


@pytest.mark.postgis
def test_the_long_texts_of_a_site_are_compressed_by_lz4(demo_service):
    """pglz cost the batch write path 12 % of the server's CPU; this server has lz4, as Debian's has."""
    with demo_service.engine.connect() as conn:
        methods = dict(conn.execute(text(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'site'::regclass "
            "AND attname = ANY(:names)"), {"names": list(search_index.PG_LZ4_COLUMNS)}).all())
        assert methods == {name: "l" for name in search_index.PG_LZ4_COLUMNS}
        stored = conn.execute(text("SELECT DISTINCT pg_column_compression(feature_json) FROM site "
                                   "WHERE pg_column_compression(feature_json) IS NOT NULL")).scalars().all()
        assert stored == ["lz4"]


@pytest.mark.postgis
def test_sessions_run_in_utc_whatever_the_server_zone(demo_service):
    with demo_service.engine.connect() as conn:
        assert conn.execute(text("SHOW timezone")).scalar() == "UTC"


def test_text_search_is_a_word_prefix_match_like_fts5(service, session):
    """Both backends: punctuation splits words (as FTS5's tokenizer does); each query word is a prefix."""
    from tests.helpers import add, names
    add(service, session, "Répar'Café", description="contact@velo-solidaire.bzh, ouvert 3.5 jours")
    assert names(session, q="repar cafe") == ["Répar'Café"]
    assert names(session, q="solid") == ["Répar'Café"]  # inside an e-mail address
    assert names(session, q="3 5") == ["Répar'Café"]
    assert names(session, q="afe") == []  # not a substring match


def test_a_plain_postgresql_url_selects_psycopg_3():
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("sqlite:///x.db").drivername == "sqlite"


def test_a_nul_character_in_a_filter_is_an_unknown_value_not_a_failure(client):
    """PostgreSQL text cannot hold NUL (SQLite can): both backends answer 404, never 500."""
    response = client.get("/api/sites", params={"pole": "reso\x00"})
    assert response.status_code == 404 and response.json()["errors"][0]["loc"] == ["query", "pole"]
