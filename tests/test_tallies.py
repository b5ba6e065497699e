"""Published sites counted per territory and per label, kept by the write path: the statistics, the
pôles' index and the supplier form's label choices read them, and give what a count of the sites gives."""
from collections import Counter

from sqlmodel import select

from carto.core.textnorm import fold
from carto.directory import bulk, sites
from carto.directory.site_schema import SiteData
from carto.query import sourcing
from carto.storage import tallies
from carto.storage.models import LabelTally, Site, SiteStatus, SiteTally
from carto.territory import poles, stats
from tests.helpers import add

PARIS = (2.3488, 48.8534)  # outside every territory of the reference data


def kept(session) -> tuple[dict, dict]:
    return ({(r.level, r.code, r.activities): r.count for r in session.exec(select(SiteTally).where(SiteTally.count != 0))},
            {r.label: r.count for r in session.exec(select(LabelTally).where(LabelTally.count != 0))})


def test_every_kind_of_write_keeps_the_tallies_as_a_full_recount_would(service, session):
    rennes = add(service, session, "Atelier A", activities=["velo"], labels=["Le Rab"])
    add(service, session, "Ressourcerie B", lon=-4.4861, lat=48.3904, activities=["reemploi", "textile"],
        labels=["Le Rab", "Mob'In Bretagne", "Le Rab"])
    gone = add(service, session, "Fermé C", lon=-2.76, lat=47.66, activities=["reparation"])
    sites.create(session, SiteData(name="Ailleurs D", activities=["velo"], lon=PARIS[0], lat=PARIS[1]),
                 service.locator, actor="test", allow_outside=True)
    sites.update(session, rennes, {"lon": -4.48, "lat": 48.39, "activities": ["velo", "reparation"], "labels": []},
                 service.locator, actor="test")
    sites.set_status(session, gone, SiteStatus.archived, actor="test")
    rows = [bulk.new_row({"name": f"Lot {i}", "lon": -3.0 + i / 100, "lat": 48.0, "labels": ["Le Rab"] * (i % 2)},
                         source="t", source_key=str(i)) for i in range(20)]
    bulk.place(rows, service.locator)
    ids = bulk.insert_sites(session, rows, [["textile"], []] * 10, actor="test")
    batch = [session.get(Site, i) for i in ids[:6]]
    before = [sites.snapshot(session, site) for site in batch]
    moved = [site.model_dump() | {"lat": 48.2, "labels": ["Mob'In Bretagne"]} for site in batch]  # as an import rewrites them
    assert all(bulk.rewrite_sites(session, moved, [["velo"]] * 6, before, actor="test"))
    session.expire_all()
    assert tallies.differences(session) == []
    maintained = kept(session)
    assert maintained[1] == {"Le Rab": 8, "Mob'In Bretagne": 7}  # a site once per label it holds
    assert maintained[0][("departement", tallies.NOWHERE, "velo")] == 1  # the site outside counts in the region
    tallies.rebuild(session)
    assert kept(session) == maintained


def test_the_statistics_and_the_poles_index_give_what_a_count_of_the_sites_gives(demo_service):
    with demo_service.session() as session:
        published = session.exec(select(Site).where(Site.status == SiteStatus.published)).all()
        active = [s for s in published if s.activity_slugs]
        for level, column in (("departement", "dep_code"), ("pays", "pays_code"), ("epci", "epci_code")):
            expected = Counter(getattr(s, column) for s in active if getattr(s, column))  # some in no pays
            counted = {r.code: r.sites for r in stats.territory_stats(session, demo_service.taxonomy, level) if r.sites}
            assert counted == expected, level
        pole_stats = {r.code: r.sites for r in stats.territory_stats(session, demo_service.taxonomy, "pole")}
        assert stats.region_total(session) == len(active)
        for summary in poles.summaries(session):
            communes = set(poles.communes_of(session, summary.pole.id))
            assert summary.sites == sum(s.commune_code in communes for s in published), summary.pole.id
            assert pole_stats[summary.pole.id] == sum(s.commune_code in communes for s in active), summary.pole.id
        assert sourcing.available_labels(session) == sorted({label for s in published for label in s.labels}, key=fold)
