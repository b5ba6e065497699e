"""The freshness dashboard: in a moderator's scope (everything for administrators, its pôles and
domains otherwise), the share of published sheets verified within twelve months, by pôle, domain
and EPCI, and the stalest sheets. Read-only; campaigns that improve it are in ``campaigns``.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, distinct, func
from sqlmodel import Session, select

from carto.community.users import Scope
from carto.core.taxonomy import Taxonomy
from carto.storage.models import Pole, PoleCommune, Site, SiteActivity, SiteStatus, Territory

FRESH_DAYS = 365
STALEST = 20


@dataclass(frozen=True)
class Share:
    code: str
    name: str
    total: int
    verified: int  # within twelve months

    @property
    def percent(self) -> float | None:
        return 100 * self.verified / self.total if self.total else None


@dataclass
class Board:
    overall: Share
    by_pole: list[Share]
    by_domain: list[Share]
    by_epci: list[Share]
    stalest: list[Site]


def board(session: Session, scope: Scope, taxonomy: Taxonomy, today: date | None = None) -> Board:
    cutoff = (today or date.today()) - timedelta(days=FRESH_DAYS)
    fresh = func.sum(case((Site.verified_at >= cutoff, 1), else_=0))
    where = [Site.status == SiteStatus.published, *scope.site_conditions(taxonomy)]

    def grouped(key, name, *joins) -> list[Share]:
        query = select(key, name, func.count(distinct(Site.id)), fresh).select_from(Site)
        for table, on in joins:
            query = query.join(table, on)
        rows = session.exec(query.where(*where).group_by(key, name)).all()
        return sorted((Share(code or "", label or "sans territoire", total, verified or 0)
                       for code, label, total, verified in rows), key=lambda s: (s.percent or 0, s.name))

    total, verified = session.exec(select(func.count(), fresh).select_from(Site).where(*where)).one()
    domain_of = case({a.slug: d.slug for d in taxonomy.domains for a in d.activities}, value=SiteActivity.activity,
                     else_="autre")
    by_domain = grouped(domain_of, domain_of, (SiteActivity, SiteActivity.site_id == Site.id))
    labels = {d.slug: d.label for d in taxonomy.domains}
    stalest = session.exec(select(Site).where(*where).order_by(
        func.coalesce(Site.verified_at, func.date(Site.created_at)), Site.id).limit(STALEST)).all()
    return Board(
        overall=Share("", "Ensemble", total, verified or 0),
        by_pole=grouped(Pole.id, Pole.name, (PoleCommune, PoleCommune.commune_code == Site.commune_code),
                        (Pole, Pole.id == PoleCommune.pole_id)),
        by_domain=[Share(s.code, labels.get(s.code, s.code), s.total, s.verified) for s in by_domain],
        by_epci=grouped(Site.epci_code, Territory.name, (Territory, (Territory.level == "epci")
                                                        & (Territory.code == Site.epci_code))),
        stalest=list(stalest))
