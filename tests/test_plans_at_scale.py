"""Plans that must hold at a million sites, checked on an analysed PostgreSQL table of 20,000 sites.

Nothing is timed: the plan of each read says whether it reads through its index or walks the
table, which is what made a search for a word found nowhere take 25 s at 1,000,000 sites.
"""
import pytest
from sqlalchemy import inspect, select, text

from carto.query import search
from carto.query.search import SiteFilter
from carto.storage import cells, search_index
from carto.storage.models import Site

pytestmark = pytest.mark.postgis
COPIES = 40  # of the 500 demo sites


@pytest.fixture
def big(demo_service):
    """The demo sites copied 40 times (20,000 sites, the same words in the same proportions), analysed."""
    with demo_service.engine.begin() as conn:
        columns = [c["name"] for c in inspect(conn).get_columns("site") if c["name"] != "id"]
        values = ["source_key || '-' || g" if c == "source_key" else c for c in columns]
        conn.execute(text(f"INSERT INTO site ({', '.join(columns)}) SELECT {', '.join(values)} "
                          f"FROM site CROSS JOIN generate_series(1, {COPIES - 1}) AS g"))
    with demo_service.session() as session:  # the copies bypassed the write path: recount the cells
        cells.rebuild(session)
        session.commit()
    with demo_service.engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return demo_service


def page_plans(session, q: str) -> str:
    """The plans of every query of the first page of a search, in relevance order."""
    matching = search.conditions_of(session, SiteFilter(q=q))
    plans = []
    for extra in search_index.relevance_tiers(session, q):
        where = matching.clauses(session) + extra
        query = select(Site.id).where(*where).order_by(Site.sort_name, Site.id).limit(101)
        sql = str(query.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
        plans.append("\n".join(session.execute(text(f"EXPLAIN {sql}")).scalars()))
    return "\n---\n".join(plans)


@pytest.mark.parametrize("q", ["xyzzy", "ressourcerie xyzzy", "zzz plouguerneau"])
def test_a_rare_or_absent_word_is_read_through_the_text_index(big, q):
    with big.session() as session:
        plans = page_plans(session, q)
        assert plans.count("ix_site_search_vector") == plans.count("---") + 1, plans
        assert "Seq Scan on site" not in plans


def test_a_frequent_word_never_reads_the_whole_table(big):
    """A word in many names: its first page stops early, through the name order or the text index."""
    with big.session() as session:
        plans = page_plans(session, "atelier")
        assert "Seq Scan on site" not in plans, plans


def test_the_statistics_know_a_frequent_word_from_an_absent_one(big):
    with big.session() as session:
        def estimate(q: str) -> int:
            sql = f"EXPLAIN (FORMAT JSON) SELECT id FROM site WHERE search_vector @@ to_tsquery('simple', '{q}')"
            return session.execute(text(sql)).scalar()[0]["Plan"]["Plan Rows"]
        assert estimate("xyzzy:*") < 100 < estimate("atelier:*")


def test_clusters_and_counts_of_a_wide_view_read_cells_not_the_sites_of_the_view(big):
    """A region-wide view at 1,000,000 sites read every site of the view (0.9 s); now the cells on
    screen and, site by site, only the thin strips along the view's edges."""
    from sqlalchemy import event
    from carto.query import clusters
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))
    event.listen(big.engine, "before_cursor_execute", keep)
    try:
        with big.session() as session:
            f = SiteFilter(bbox=(-5.2, 47.2, -1.0, 48.9))
            clusters.grid(session, f, 8)
            search.activity_counts(session, f)
            plans = ["\n".join(row[0] for row in session.connection().exec_driver_sql(f"EXPLAIN {sql}", params))
                     for sql, params in statements]
    finally:
        event.remove(big.engine, "before_cursor_execute", keep)
    assert any("sitecell" in plan for plan in plans)
    for plan in plans:
        assert "Seq Scan on site " not in plan + " ", plan
