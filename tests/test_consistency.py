"""``carto db check``: every derived copy of every site recomputed from its source columns; each
difference reported (exit 1), ``--repair`` rewrites them through the write path."""
from sqlalchemy import text
from typer.testing import CliRunner

from carto.cli import app
from carto.core.settings import get_settings
from carto.directory import consistency
from carto.storage.models import Site

BROKEN = 7  # a demonstration site


def check(service, **options):
    with service.session() as session:
        report = consistency.check(session, **options)
        session.commit()
    return report


def break_copies(service) -> None:
    """What a module writing behind the write path's back leaves: stale copies (a test's own SQL)."""
    with service.engine.begin() as conn:
        conn.execute(text("UPDATE site SET epci_code = '200000000', commune_name = 'Ailleurs', "
                          "marker_json = '0,0,\"x\"' WHERE id = :id"), {"id": BROKEN})
        conn.execute(text("UPDATE siteactivity SET lon = 0 WHERE site_id = :id"), {"id": BROKEN})


def cli(service, monkeypatch, *args):
    monkeypatch.setenv("CARTO_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("CARTO_GEODATA", str(service.settings.geodata))
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(app, ["db", "check", *args])
    finally:
        get_settings.cache_clear()


def test_the_demonstration_database_is_consistent(demo_service):
    report = check(demo_service)
    assert (report.sites, report.differences) == (500, [])


def test_each_stale_copy_is_reported_then_repaired(demo_service, monkeypatch):
    with demo_service.session() as session:
        right = session.get(Site, BROKEN)
        expected_epci, expected_name, version = right.epci_code, right.commune_name, right.version
    break_copies(demo_service)
    found = cli(demo_service, monkeypatch)
    assert found.exit_code == 1, found.output
    assert f"site n° {BROKEN} : epci_code enregistré '200000000', attendu '{expected_epci}'" in found.output
    assert f"site n° {BROKEN} : liens d'activités enregistré [" in found.output and "(published, 0.0, " in found.output
    assert "500 sites vérifiés ; 4 différence(s) sur 1 site(s)" in found.output  # epci, name, marker, links
    repaired = cli(demo_service, monkeypatch, "--repair")
    assert repaired.exit_code == 0 and "1 site(s) réparé(s)" in repaired.output
    assert check(demo_service).differences == []
    with demo_service.session() as session:
        site = session.get(Site, BROKEN)
        assert (site.epci_code, site.commune_name, site.version) == (expected_epci, expected_name, version + 1)
    assert cli(demo_service, monkeypatch).exit_code == 0


def break_cells(service) -> tuple:
    """A cell counting one site too many, and the cell of a published site gone (a test's own SQL)."""
    with service.engine.begin() as conn:
        inflated = conn.execute(text("SELECT zoom, cx, cy, count FROM sitecell WHERE activities = '*' AND ess "
                                     "AND count > 1 ORDER BY zoom DESC, cx, cy LIMIT 1")).one()
        conn.execute(text("UPDATE sitecell SET count = count + 1 WHERE zoom = :zoom AND activities = '*' "
                          "AND cx = :cx AND cy = :cy AND ess"), dict(inflated._mapping))
        gone = conn.execute(text("SELECT zoom, activities, cx, cy FROM sitecell WHERE activities <> '*' AND ess "
                                 "AND count = 1 ORDER BY zoom DESC, cx, cy LIMIT 1")).one()
        conn.execute(text("DELETE FROM sitecell WHERE zoom = :zoom AND activities = :activities "
                          "AND cx = :cx AND cy = :cy AND ess"), dict(gone._mapping))
    return inflated, gone


def test_a_wrong_map_cell_is_reported_then_counted_again(demo_service, monkeypatch):
    inflated, gone = break_cells(demo_service)
    found = cli(demo_service, monkeypatch)
    assert found.exit_code == 1, found.output
    zoom, cx, cy, count = inflated
    assert (f"maille zoom {zoom} ({cx}, {cy}), tous les sites, ESS : {count + 1} site(s) enregistré(s), "
            f"attendu {count} site(s)") in found.output
    assert (f"maille zoom {gone.zoom} ({gone.cx}, {gone.cy}), activités « {gone.activities} », ESS : absente, "
            f"attendu 1") in found.output
    assert "500 sites vérifiés ; 0 différence(s) sur 0 site(s)" in found.output
    assert "mailles de la carte : 2 différence(s)" in found.output
    repaired = cli(demo_service, monkeypatch, "--repair")
    assert repaired.exit_code == 0 and "mailles de la carte : 2 différence(s) ; toutes recomptées" in repaired.output
    assert check(demo_service).cells == []
    assert cli(demo_service, monkeypatch).exit_code == 0


def test_a_wrong_tally_is_reported_then_counted_again(demo_service, monkeypatch):
    with demo_service.engine.begin() as conn:  # one count too many, one label's count gone (a test's own SQL)
        inflated = conn.execute(text("SELECT code, activities, count FROM sitetally WHERE level = 'epci' "
                                     "AND code <> '' AND count > 1 ORDER BY code, activities LIMIT 1")).one()
        conn.execute(text("UPDATE sitetally SET count = count + 1 WHERE level = 'epci' AND code = :code "
                          "AND activities = :activities"), dict(inflated._mapping))
        label = conn.execute(text("SELECT label, count FROM labeltally ORDER BY label LIMIT 1")).one()
        conn.execute(text("DELETE FROM labeltally WHERE label = :label"), {"label": label.label})
    found = cli(demo_service, monkeypatch)
    assert found.exit_code == 1, found.output
    assert (f"compte par EPCI « {inflated.code} », activités « {inflated.activities} » : "
            f"{inflated.count + 1} site(s) enregistré(s), attendu {inflated.count} site(s)") in found.output
    assert f"compte par label « {label.label} » : absent, attendu {label.count} site(s)" in found.output
    assert "comptes par territoire et par label : 2 différence(s)" in found.output
    repaired = cli(demo_service, monkeypatch, "--repair")
    assert repaired.exit_code == 0 and "comptes par territoire et par label : 2 différence(s) ; tous recomptés" in repaired.output
    assert check(demo_service).tallies == []
    assert cli(demo_service, monkeypatch).exit_code == 0


def test_cells_whose_bounds_miss_a_site_are_reported(demo_service):
    with demo_service.engine.begin() as conn:  # bounds may be wider than the sites, never narrower
        conn.execute(text("UPDATE sitecell SET max_lon = max_lon + 1 WHERE zoom = 0"))
        assert check(demo_service).cells == []
        conn.execute(text("UPDATE sitecell SET min_lat = min_lat + 0.001 WHERE zoom = 10 AND activities = '*' "
                          "AND count = 1 AND ess AND cx = (SELECT min(cx) FROM sitecell WHERE zoom = 10 AND ess)"))
    assert [(d.zoom, d.stored, d.expected) for d in check(demo_service).cells] == [(10, 1, 1)]


def test_missing_name_words_are_reported_then_repaired(demo_service):
    """The words of each name, read in name order by a text search, are a copy checked like the others."""
    with demo_service.engine.begin() as conn:
        conn.execute(text("DELETE FROM siteword WHERE site_id = :id"), {"id": BROKEN})
    found = check(demo_service).differences
    assert [(d.site_id, d.copy, d.stored) for d in found] == [(BROKEN, consistency.NAME_WORDS, [])]
    assert found[0].expected and all(sort_name == found[0].expected[0][1] for _, sort_name in found[0].expected)
    assert check(demo_service, repair=True).repaired == 1
    assert check(demo_service).differences == []
