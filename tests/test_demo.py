"""Demonstration data: fictional, flagged, deterministic, spread by population, every open domain."""
from collections import Counter

from sqlmodel import select

from carto.directory import demo
from carto.storage.models import Site, SiteActivity


def test_demo_sites_are_flagged_and_named_as_demonstration(demo_service):
    with demo_service.session() as session:
        sites = session.exec(select(Site)).all()
    assert len(sites) == 500
    assert all(s.is_demo and s.name.startswith("[Démo] ") for s in sites)
    assert all(s.commune_code for s in sites)


def test_demo_covers_every_open_domain_and_activity(demo_service):
    with demo_service.session() as session:
        used = set(session.exec(select(SiteActivity.activity)))
    opened = {a.slug for d in demo_service.taxonomy.domains if d.is_open() for a in d.activities}
    assert opened <= used


def test_demo_is_deterministic_and_follows_population(service):
    first = demo.generate(service.locator, service.taxonomy, 300, seed=7)
    again = demo.generate(service.locator, service.taxonomy, 300, seed=7)
    assert [s.model_dump() for s in first] == [s.model_dump() for s in again]
    communes = Counter(service.locator.locate(s.lon, s.lat).commune_code for s in first)
    # Rennes and Brest, the two largest cities, hold the most sites.
    assert {code for code, _ in communes.most_common(2)} == {"35238", "29019"}


def test_loading_the_demo_twice_adds_nothing(service):
    assert demo.load(service.engine, service.locator, service.taxonomy, 20) == 20
    assert demo.load(service.engine, service.locator, service.taxonomy, 20) == 0
