"""The freshness dashboard: share of sheets verified within twelve months by pôle, domain and EPCI,
the stalest sheets, a map, each account within its own scope."""
from datetime import date

from sqlalchemy import update
from sqlmodel import select

from carto.storage.db import session_scope
from carto.storage.models import Site, SiteStatus


def test_shares_by_pole_domain_and_epci_follow_the_verification_dates(client, demo_service, moderation_accounts,
                                                                      sign_in):
    with session_scope(demo_service.engine) as session:
        session.execute(update(Site).values(verified_at=date(2020, 1, 1)))
        rennes = session.exec(select(Site.id).where(Site.commune_code == "35238",
                                                    Site.status == SiteStatus.published)).all()
        session.execute(update(Site).where(Site.id.in_(rennes)).values(verified_at=date.today()))
    sign_in(client, moderation_accounts["reso"])
    board = client.get("/api/moderation/freshness").json()
    rennes_metropole = next(e for e in board["by_epci"] if e["name"] == "Rennes Métropole")
    assert rennes_metropole["verified"] == len(rennes) and 0 < rennes_metropole["percent"] < 100
    assert [p["code"] for p in board["by_pole"]] == ["reso-solidaire"]  # its scope only
    assert board["overall"]["verified"] == len(rennes)
    assert all(s["verified_at"] == "2020-01-01" for s in board["stalest"])
    assert {d["code"] for d in board["by_domain"]} <= {d.slug for d in demo_service.taxonomy.domains}

    sign_in(client, moderation_accounts["admin"])
    everything = client.get("/api/moderation/freshness").json()
    assert everything["overall"]["total"] > board["overall"]["total"] and len(everything["by_pole"]) == 19
    page = client.get("/moderation/fraicheur").text
    assert "Fraîcheur des fiches" in page and "Rennes Métropole" in page and "Les fiches les plus anciennes" in page
    assert "leaflet" in page.lower() and "Vérifiées depuis moins d" in page
