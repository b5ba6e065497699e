"""Plans that must hold at a million sites, checked on an analysed PostgreSQL table of 20,000 sites
(and, for SQLite's own choices, on the demo database).

Nothing is timed: the plan of each read says whether it reads through its index or walks the
table, which is what made a search for a word found nowhere take 25 s at 1,000,000 sites, a
region's marker page 1.8 s and its clusters 0.5 s.
"""
import re
import time

import pytest
from sqlalchemy import inspect, select, text

from carto.query import search
from carto.query.search import SiteFilter
from carto.storage import cells, search_index
from carto.storage.models import Site
from tests.databases import TEST_DATABASE_URL
from tests.helpers import built_database

postgis = pytest.mark.postgis
COPIES = 40  # of the 500 demo sites


@pytest.fixture(scope="module")
def big_db(test_databases, demo_db, tmp_path_factory) -> str:
    """The demo sites copied 40 times (20,000 sites, the same words in the same proportions), analysed.
    Built once: each test reads a copy of it (``big``), which keeps its statistics."""
    def build(service):
        with service.engine.begin() as conn:
            columns = [c["name"] for c in inspect(conn).get_columns("site") if c["name"] != "id"]
            values = ["source_key || '-' || g" if c == "source_key" else c for c in columns]
            conn.execute(text(f"INSERT INTO site ({', '.join(columns)}) SELECT {', '.join(values)} "
                              f"FROM site CROSS JOIN generate_series(1, {COPIES - 1}) AS g"))
        with service.session() as session:  # the copies bypassed the write path: recount the cells
            cells.rebuild(session)
            session.commit()
        vacuum_analyze(service)
    return built_database(test_databases, demo_db, tmp_path_factory, "big", build)


@pytest.fixture
def big(copy_of, big_db):
    return copy_of(big_db)


def vacuum_analyze(service, tries: int = 20) -> None:
    """VACUUM ANALYZE, as autovacuum leaves a table: statistics, and every page of the sites marked
    all-visible (an index-only walk is priced on it). A concurrent autoanalyze of the copied rows
    holds back the visibility map: vacuum again until it is whole."""
    with service.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for _ in range(tries):
            conn.execute(text("VACUUM ANALYZE"))
            pages, visible = conn.execute(text("SELECT relpages, relallvisible FROM pg_class WHERE relname = 'site'")).one()
            if visible >= pages:
                return
            time.sleep(0.5)
    raise AssertionError(f"visibility map of site still partial after {tries} VACUUM: {visible}/{pages} pages")


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


@postgis
@pytest.mark.parametrize("q", ["xyzzy", "ressourcerie xyzzy", "zzz plouguerneau"])
def test_a_rare_or_absent_word_is_read_through_the_text_index(big, q):
    with big.session() as session:
        plans = page_plans(session, q)
        assert plans.count("ix_site_search_vector") == plans.count("---") + 1, plans
        assert "Seq Scan on site" not in plans


@postgis
def test_a_frequent_word_never_reads_the_whole_table(big):
    """A word in many names: its first page stops early, through the name order or the text index."""
    with big.session() as session:
        plans = page_plans(session, "atelier")
        assert "Seq Scan on site" not in plans, plans


@postgis
def test_the_statistics_know_a_frequent_word_from_an_absent_one(big):
    with big.session() as session:
        def estimate(q: str) -> int:
            sql = f"EXPLAIN (FORMAT JSON) SELECT id FROM site WHERE search_vector @@ to_tsquery('simple', '{q}')"
            return session.execute(text(sql)).scalar()[0]["Plan"]["Plan Rows"]
        assert estimate("xyzzy:*") < 100 < estimate("atelier:*")


VIEW = (-4.8, 47.9, -3.5, 48.7)  # the west of Brittany: about a fifth of the sites


def plans_of(service, read, as_if_large: bool = False) -> list[str]:
    """The plans of every query ``read(session)`` runs, as the database would run them."""
    return [plan for _, plan in statements_of(service, read, as_if_large)]


def statements_of(service, read, as_if_large: bool = False) -> list[tuple[str, str]]:
    """(statement, plan) of every query ``read(session)`` runs; ``as_if_large`` prices sequential
    scans out on PostgreSQL, as a national table's size would: a query that no index can serve is
    still planned as a scan, so the plan says whether each query can be read through its keys."""
    from sqlalchemy import event
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))
    event.listen(service.engine, "before_cursor_execute", keep)
    try:
        with service.session() as session:
            read(session)
            explain = "EXPLAIN QUERY PLAN" if session.get_bind().dialect.name == "sqlite" else "EXPLAIN"
            if as_if_large:
                session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
            return [(sql, "\n".join(str(row[-1]) for row in session.connection().exec_driver_sql(f"{explain} {sql}", params)))
                    for sql, params in statements]
    finally:
        event.remove(service.engine, "before_cursor_execute", keep)


def view_reads(session) -> None:
    """What the map asks for a wide view: its clusters at several zooms, with and without an activity
    and the ESS flag (the public map's default), its total and its counts per activity."""
    from carto.query import clusters
    for f in (SiteFilter(bbox=VIEW), SiteFilter(bbox=VIEW, ess=True), SiteFilter(bbox=VIEW, activities={"velo"})):
        for zoom in (6, 8, 9):
            clusters.grid(session, f, zoom)
        search.count(session, f, search.conditions_of(session, f))
        search.activity_counts(session, f)


@postgis
def test_clusters_and_counts_of_a_wide_view_read_cells_and_edge_strips_from_indexes_alone(big):
    """A region-wide view at 1,000,000 sites read every site of the view (0.9 s), then every cell of
    the grid (0.5 s): now the cells on screen through their keys, and only the thin strips along the
    view's edges site by site, from an index holding what they count (no table row read). The 40
    copies share the demo's 500 positions, so the cells are those of 500 sites, a table small enough
    to be read whole at times: planned as if it were large."""
    plans = plans_of(big, view_reads, as_if_large=True)
    assert any("sitecell" in plan for plan in plans)
    for plan in plans:
        assert "Seq Scan on site" not in plan and "Bitmap Heap Scan on site " not in plan + " ", plan
        assert not re.search(r"(?<!Only )Index Scan using \S+ on site ", plan + " "), plan  # reads the table too
        assert "Seq Scan on sitecell" not in plan, plan


@postgis
def test_the_marker_page_of_a_crowded_view_walks_the_name_index_and_stops(big):
    """The first 1,000 markers of a view holding thousands of sites: the name index walked in order,
    the box tested on its entries, until the page is full (the planner, misled by its estimate of the
    box, sorted every site of the view: 1.8 s at 1,000,000 sites)."""
    from carto.directory import site_json
    from carto.query import paging
    with big.session() as session:
        assert search.count(session, SiteFilter(bbox=VIEW), search.conditions_of(session, SiteFilter(bbox=VIEW)))[0] > 4000
    plans = plans_of(big, lambda session: paging.find(session, SiteFilter(bbox=VIEW), 1000,
                                                      columns=site_json.MARKER_COLUMNS))
    page = [plan for plan in plans if plan.startswith("Limit")]
    assert len(page) == 1 and "Index Only Scan using ix_site_status_name" in page[0], plans
    assert "Sort" not in page[0], page[0]


@pytest.mark.sqlite_only("SQLite's choice of index for each edge strip")
def test_sqlite_reads_each_edge_strip_through_the_index_of_its_thin_side(demo_service):
    """The strips along the north and south edges of a view were read through (status, lon, lat) over
    the whole width of the view: most of the sites of a region at 100,000 sites."""
    plans = [plan for plan in plans_of(demo_service, view_reads) if "UNION ALL" in plan or "COMPOUND" in plan]
    strips = [plan for plan in plans if "ix_site_status_lat_lon" in plan]
    assert strips, plans
    for plan in strips:
        assert "COVERING INDEX ix_site_status_lon_lat" in plan and "COVERING INDEX ix_site_status_lat_lon" in plan, plan
        assert "SCAN site" not in plan, plan


@pytest.fixture(scope="module")
def searchable_db(test_databases, big_db, tmp_path_factory) -> str:
    """``big_db`` with the copies' activity links, and their name words as the text index's writer gives them."""
    def build(service):
        with service.engine.begin() as conn:
            conn.execute(text("INSERT INTO siteactivity (site_id, activity, status, lon, lat) "
                              "SELECT c.id, a.activity, a.status, a.lon, a.lat FROM site c JOIN site o "
                              "ON o.source_key = regexp_replace(c.source_key, '-[0-9]+$', '') "
                              "AND o.source IS NOT DISTINCT FROM c.source AND o.id < c.id "
                              "JOIN siteactivity a ON a.site_id = o.id WHERE c.id NOT IN (SELECT site_id FROM siteactivity)"))
            conn.execute(text("INSERT INTO siteword (word, sort_name, site_id) SELECT DISTINCT w, sort_name, id FROM site, "
                              "regexp_split_to_table(split_part(search_text, ' | ', 1), ' ') AS w "
                              "WHERE id NOT IN (SELECT site_id FROM siteword) AND w <> ''"))
        vacuum_analyze(service)
    return built_database(test_databases, big_db, tmp_path_factory, "searchable", build)


@pytest.fixture
def searchable(copy_of, searchable_db):
    return copy_of(searchable_db)


def page_of(f: SiteFilter):
    from carto.query import paging
    return lambda session: paging.find(session, f, 100)


@postgis
@pytest.mark.parametrize("f", [SiteFilter(q="atelier"), SiteFilter(q="atelier", departement="35"),
                               SiteFilter(q="atelier", activities={"velo"})],
                         ids=["frequent word", "word + territory", "word + activity"])
def test_a_frequent_word_reads_its_names_in_name_order_from_their_words(searchable, f):
    """« Atelier … » opens 1 name in 8: its page is read from the name words' key, in name order,
    and never sorts every name holding it nor lists them from the text index (0.4 s for 200,000
    sites at 1,000,000), whatever the filters."""
    plans = statements_of(searchable, page_of(f))
    pages = [plan for sql, plan in plans if "marker_json" in sql or "JOIN site" in sql]  # the page's rows, its walks
    assert pages and "Index Only Scan using siteword_pkey" in pages[0], plans
    for plan in pages:
        assert "ix_site_search_vector" not in plan and "Seq Scan on site " not in plan + " ", plan


@postgis
def test_the_count_of_a_word_frequent_in_names_reads_their_words_only(searchable):
    """More than ``COUNT_LIMIT`` names hold « atelier »: the total is known without testing any
    site's text (10,000 matches of « ressourcerie » read 50,000 texts at 1,000,000 sites)."""
    plans = statements_of(searchable, page_of(SiteFilter(q="atelier")))
    assert not any("search_vector" in sql for sql, _ in plans), [sql for sql, _ in plans]


@postgis
def test_the_count_of_a_word_in_a_town_view_reads_the_views_sites_not_every_match(searchable):
    """A town view holds a few thousand sites: its matches are counted from the box, each site's text
    tested, not by ANDing the box with the text index's list of every site holding the word
    (199,289 for « ressourc » at 1,000,000 sites, 0.1 s)."""
    f = SiteFilter(q="atelier", bbox=(-1.75, 48.07, -1.60, 48.15))
    plans = statements_of(searchable, page_of(f))
    counts = [plan for sql, plan in plans if "count(" in sql and "siteword" not in sql]  # not the name words'
    assert counts and all("ix_site_point" in plan and "ix_site_search_vector" not in plan for plan in counts), counts


@postgis
def test_the_supplier_search_reads_its_territory_once_and_sorts_its_few_matches(searchable):
    """Total, facets, credits and sources in one pass over the territory's sites, from its index;
    the page sorts the few matches instead of walking every name (800,000 at 1,000,000 sites)."""
    from carto.query import sourcing

    def supplier_search(session):
        criteria = sourcing.parse(searchable, session, zone="commune:35238", activity="velo")
        list(sourcing.iter_rows(session, sourcing.run(session, criteria), 0, 100))
    plans = statements_of(searchable, supplier_search)
    assert len([sql for sql, _ in plans if "GROUP BY" in sql]) == 1
    for sql, plan in plans:
        assert "Seq Scan on site " not in plan + " " and "ix_site_status_name" not in plan, (sql, plan)


VERIFIED_READS = {
    "verified only": SiteFilter(reserved_verified=True),
    "verified SIAE": SiteFilter(siae=True, reserved_verified=True),
    "verified, in a département": SiteFilter(reserved_verified=True, departement="35"),
}


# ``test_databases`` in the two fixtures below: the PostgreSQL round keeps only the tests that ask for
# it (conftest), and these ask for their database by name.
@pytest.fixture
def either(request, test_databases):
    """The analysed 20,000 sites on PostgreSQL; the demo database on SQLite, which plans without statistics."""
    return request.getfixturevalue("big" if TEST_DATABASE_URL else "demo_service")


@pytest.fixture
def either_searchable(request, test_databases):
    """``either``, with the copies' activities and name words on PostgreSQL (``searchable``)."""
    return request.getfixturevalue("searchable" if TEST_DATABASE_URL else "demo_service")


@pytest.mark.parametrize("f", VERIFIED_READS.values(), ids=VERIFIED_READS.keys())
def test_the_verified_only_filter_reads_the_index_of_the_verified_few(either, f):
    """``reserved_verified=true``: the page and its total read the sites holding a proof from their
    partial index, never every published site's proofs (146 ms at 100,000 sites for none), nor the
    flag's or the territory's own index (a fifth and a third of the sites)."""
    plans = [plan for sql, plan in statements_of(either, page_of(f)) if "verification" in sql]
    assert plans, "no read of the verified sites"  # the page, and its total unless the page holds every match
    for plan in plans:
        assert "ix_site_reserved_verified" in plan, plan
        assert not re.search(r"Seq Scan on site |SCAN site(?! USING)", plan + " "), plan


def first_tier_reads(service, q: str, monkeypatch, **few) -> list[tuple[str, str]]:
    """(statement, plan) of the reads of a first page's names holding ``q`` in département 35, pages
    of 5 and short walks (the filters stop them early), ``FEW_NAMES`` as given."""
    from carto.query import paging
    monkeypatch.setattr(search, "WORD_WALK", 1)
    monkeypatch.setattr(search, "FEW_NAMES", few.get("few", search.FEW_NAMES))
    read = lambda session: paging.find(session, SiteFilter(q=q, departement="35"), 5)  # noqa: E731
    return [(sql, plan) for sql, plan in statements_of(service, read)
            if "siteword.word IN" in sql and "site.status" in sql]


@pytest.mark.sqlite_only("SQLite's walk of the names")
def test_the_names_walked_with_an_activity_have_its_links_tested_by_their_key_and_no_row_read(demo_service, monkeypatch):
    """The names holding a word, walked with an activity: each name's links are tested through their
    key and its status in the status's index. Listing every link of the activity first cost 9.4 ms
    for each walk (10,069 for vélo at 100,000 sites) against 1.0 ms, and each name's row was read."""
    from carto.query import paging
    monkeypatch.setattr(search, "FEW_NAMES", 0)  # the demo's few names are walked as many would be
    read = lambda session: paging.find(session, SiteFilter(q="atelier", activities={"velo"}), 5)  # noqa: E731
    walks = [plan for sql, plan in statements_of(demo_service, read) if "JOIN site" in sql and "siteword" in sql]
    assert len(walks) >= 2, "no walk of the count and of the page"
    for plan in walks:
        assert "sqlite_autoindex_siteactivity_1 (site_id=? AND activity=?)" in plan, plan
        assert "COVERING INDEX ix_site_status (status=? AND rowid=?)" in plan and "LIST SUBQUERY" not in plan, plan


def test_the_total_of_a_word_of_an_activitys_own_label_is_proven_from_its_links(demo_service, monkeypatch):
    """Every site of vélo (« Atelier et réemploi de vélos ») holds « atelier » in its search text: that
    more than ``COUNT_LIMIT`` match is read from the activity's links, without a name walked or the
    text index read (15 ms at 100,000 sites for « plus de 1 000 » sites known at once)."""
    monkeypatch.setattr(search, "COUNT_LIMIT", 3)
    f = SiteFilter(q="atel", activities={"velo", "textile"})

    def count(session):
        assert search.count(session, f, search.conditions_of(session, f)) == (3, False)
    plans = statements_of(demo_service, count)
    assert plans and not any(word in sql for sql, _ in plans for word in ("site_fts", "search_vector", "siteword")), plans
    assert search_index.activities_holding("atel", {"velo", "textile"}) == {"velo"}
    assert search_index.activities_holding("atelier xyzzy", {"velo"}) == set()


@pytest.mark.sqlite_only("SQLite's start of the rest of a tier")
def test_the_rest_of_the_names_the_walk_did_not_reach_is_read_from_their_key(demo_service, monkeypatch):
    """When the filters keep few of the names walked, the rest is read from the last key walked: SQLite
    walked the name index from its first name (29–91 ms for « ressourcerie » in a département at 100,000)."""
    reads = first_tier_reads(demo_service, "atelier", monkeypatch, few=0)
    assert reads, "the walk filled the page: no rest read"
    for sql, plan in reads:  # the département's own index holds its names in order
        assert "ix_site_departement (dep_code=? AND status=? AND sort_name>?)" in plan, (sql, plan)


@pytest.mark.sqlite_only("SQLite's start of a few names")
def test_a_word_held_by_few_names_is_read_from_them_not_from_an_index_of_every_site(demo_service, monkeypatch):
    """Few names hold the word (« 9999 » and its eleven forms at 100,000 sites): they are read at once
    from the name words, never by walking the status's or the name's index (15–51 ms for 11 sites)."""
    reads = first_tier_reads(demo_service, "atelier", monkeypatch)
    assert reads
    for sql, plan in reads:
        assert "LIST SUBQUERY" in plan and "ix_site_status" not in plan, (sql, plan)


@postgis
def test_the_counts_per_activity_of_a_frequent_word_read_none_of_its_matches(searchable):
    """« Atelier » opens 1 name in 8 (2,500 here): its counts per activity are not given, and nothing
    reads its matches to group them (1 s for the list page's counts at 1,000,000 sites)."""
    plans = statements_of(searchable, lambda session: search.activity_counts(session, SiteFilter(q="atelier")))
    assert plans and not any("GROUP BY" in sql or "search_vector" in sql for sql, _ in plans), plans
    with searchable.session() as session:
        assert search.activity_counts(session, SiteFilter(q="atelier")) is None


@pytest.mark.parametrize("zone", ["departement:35", "epci:243500139"])
@pytest.mark.parametrize("activity", ["velo", ""], ids=["an activity", "every activity"])
def test_the_supplier_search_of_a_territory_reads_its_index_alone_then_the_pages_rows(either_searchable, zone,
                                                                                      activity):
    """A territory's sites lie all over the table (a département's 18,464 rows on 17,910 pages at
    1,000,000 sites): its grouped pass (total, facets, credits, sources) reads an index of the territory
    alone, on SQLite a département's in the groups' order (no sort of its entries), its page's keys in
    name order read the territory's index (``ix_site_departement``, ``ix_site_epci``…) alone, and only
    the page's rows are read from the table, by id."""
    from carto.query import sourcing
    index = f"ix_site_{zone.split(':')[0]}"

    def supplier_search(session):
        criteria = sourcing.parse(either_searchable, session, zone=zone, activity=activity)
        assert list(sourcing.iter_rows(session, sourcing.run(session, criteria), 0, 100))
    plans = statements_of(either_searchable, supplier_search)
    grouped = [plan for sql, plan in plans if "GROUP BY" in sql]
    page = [plan for sql, plan in plans if "LIMIT" in sql and "site.feature_json" in sql]
    assert len(grouped) == 1 and len(page) == 1, plans
    if not TEST_DATABASE_URL:
        if index == "ix_site_departement":
            assert "COVERING INDEX ix_site_departement_groups" in grouped[0] and "TEMP B-TREE" not in grouped[0], grouped
        assert f"COVERING INDEX {index} " in page[0] and "SCAN site" not in page[0], page
        return
    assert f"Index Only Scan using {index}" in grouped[0], grouped
    assert f"Index Only Scan using {index}" in page[0], page
    assert not re.search(r"Seq Scan on site |Bitmap Heap Scan on site |(?<!Only )Index Scan using ix_site", page[0]), page
    if not activity:  # the territory's first names walked in its index's order, not all of them sorted
        assert re.search(rf"Limit .*\n\s*->  Index Only Scan using {index}", page[0]), page


@postgis
def test_a_word_frequent_in_a_departements_names_is_counted_from_keys_alone(searchable, monkeypatch):
    """More names of the département hold the word than a page counts (``COUNT_LIMIT``, lowered here:
    the copies hold fewer): the name words and the département's index are merged in name order, no
    site row read, and the text index is not asked for every site holding the word (199,289 for
    « ressourc » at 1,000,000 sites: 0.4 s); the rest of the page's names read their keys the same way."""
    monkeypatch.setattr(search, "COUNT_LIMIT", 300)
    plans = statements_of(searchable, page_of(SiteFilter(q="atelier", departement="35")))
    assert not any("search_vector" in sql for sql, _ in plans), [sql for sql, _ in plans]
    counted = [plan for sql, plan in plans if "count(" in sql and "JOIN site" in sql]
    assert len(counted) == 1 and "Index Only Scan using ix_site_departement" in counted[0], plans
    assert not re.search(r"Heap Scan on site |(?<!Only )Index Scan using \S+ on site ", counted[0] + " "), counted[0]
    with searchable.session() as session:
        assert search.find(session, SiteFilter(q="atelier", departement="35")).total_exact is False


@pytest.mark.sqlite_only("SQLite's lookup of a search's matches by id")
@pytest.mark.parametrize("q", ["xyzzy", "9999", "atelier"])
def test_a_searchs_total_looks_its_matches_up_by_id_not_by_walking_every_published_site(demo_service, q):
    """The total of a search: SQLite tests « status = ? AND id = ? » for each id the text index lists, in
    the index of the status alone (it ends with the row id); an index of (status, …) other columns
    would be walked whole for the status (« xyzzy » at 100,000 sites: 44 ms of CPU for no match)."""
    plans = [(sql, plan) for sql, plan in statements_of(demo_service, page_of(SiteFilter(q=q)))
             if "count(" in sql and "site_fts" in sql]
    assert plans, "no count of the text index's matches"
    for sql, plan in plans:
        assert not re.search(r"ix_site_status_\w+ \(status=\?\)", plan), (sql, plan)


def test_a_page_of_the_change_feed_walks_the_history_from_its_cursor_and_stops(either):
    """Every site written once, a quarter of them twice: the first page from 0 walks the history in
    write order and tests each write against the site's later ones by the site's key; it neither
    groups nor sorts every write after the cursor (a full download from 0 paid the whole history at
    every page: 4 s a page at 1,000,000 sites)."""
    from carto.directory import site_json
    from carto.query import changes
    with either.engine.begin() as conn:  # the copied sites have no history yet
        conn.execute(text("INSERT INTO siteversion (site_id, version, action, actor, changed_at, changes, snapshot) "
                          "SELECT id, 1, 'create', 'test', created_at, '{}', '{}' FROM site s WHERE NOT EXISTS "
                          "(SELECT 1 FROM siteversion v WHERE v.site_id = s.id)"))
        conn.execute(text("INSERT INTO siteversion (site_id, version, action, actor, changed_at, changes, snapshot) "
                          "SELECT id, 2, 'update', 'test', created_at, '{}', '{}' FROM site WHERE id % 4 = 0"))
    if either.engine.dialect.name == "postgresql":
        vacuum_analyze(either)

    def first_page(session):
        return changes.since(session, site_json.Pieces(either.taxonomy), 0, 100)
    with either.session() as session:
        assert len(first_page(session).changes) == 100
    walk = plans_of(either, first_page)[0]
    assert "Aggregate" not in walk and "Sort" not in walk and "TEMP B-TREE" not in walk, walk
    assert "Seq Scan" not in walk and "SCAN siteversion" not in walk, walk
