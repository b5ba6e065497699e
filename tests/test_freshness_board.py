"""The freshness dashboard: share of sheets verified within twelve months by pôle, domain and EPCI,
the stalest sheets, a map, each account within its own scope."""
from datetime import date, timedelta

from sqlmodel import func, select

from carto.directory import sites
from carto.storage.db import session_scope
from carto.storage.models import Site, SiteStatus

RENNES_METROPOLE = "243500139"


def test_shares_by_pole_domain_and_epci_follow_the_verification_dates(client, demo_service, moderation_accounts,
                                                                      sign_in):
    with session_scope(demo_service.engine) as session:
        for site in session.exec(select(Site).where(Site.commune_code == "35238",
                                                    Site.status == SiteStatus.published)).all():
            sites.update(session, site, {"verified_at": date.today().isoformat()}, demo_service.locator, actor="test")
    with demo_service.session() as session:
        in_epci = [Site.status == SiteStatus.published, Site.epci_code == RENNES_METROPOLE]
        total = session.exec(select(func.count()).select_from(Site).where(*in_epci)).one()
        fresh = session.exec(select(func.count()).select_from(Site).where(
            *in_epci, Site.verified_at >= date.today() - timedelta(days=365))).one()
    sign_in(client, moderation_accounts["reso"])
    board = client.get("/api/moderation/freshness").json()
    rennes_metropole = next(e for e in board["by_epci"] if e["code"] == RENNES_METROPOLE)
    assert (rennes_metropole["total"], rennes_metropole["verified"]) == (total, fresh)
    assert rennes_metropole["name"] == "Rennes Métropole" and 0 < rennes_metropole["percent"] <= 100
    assert [p["code"] for p in board["by_pole"]] == ["reso-solidaire"]  # its scope only
    dates = [s["verified_at"] or s["created_at"][:10] for s in board["stalest"]]
    assert dates == sorted(dates) and dates[0] < (date.today() - timedelta(days=365)).isoformat()
    assert {d["code"] for d in board["by_domain"]} <= {d.slug for d in demo_service.taxonomy.domains}

    sign_in(client, moderation_accounts["admin"])
    everything = client.get("/api/moderation/freshness").json()
    assert everything["overall"]["total"] > board["overall"]["total"] and len(everything["by_pole"]) == 19
    page = client.get("/moderation/fraicheur").text
    assert "Fraîcheur des fiches" in page and "Rennes Métropole" in page and "Les fiches les plus anciennes" in page
    assert "leaflet" in page.lower() and "Vérifiées depuis moins d" in page
