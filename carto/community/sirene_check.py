"""``carto sites check-sirene``: every published site with a SIRET compared with Sirene.

An establishment closed in Sirene goes to the moderators' reports queue (« fermé selon Sirene »,
with the date); a name or legal form that changed in Sirene since the previous check becomes a
change proposal (a site's name is often not its legal name: only a change is news), and so does
the legal form of a site that has none. Nothing is written to the site
itself: moderators decide, as for any contribution. What Sirene said is remembered per SIRET with
the time of the check, so an interrupted run resumes where it stopped (sites checked within
``max_age`` are passed over) and the API's rate limit is kept by the adapter.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from carto.community import contributions
from carto.core.textnorm import fold
from carto.directory import sirene
from carto.directory.service import Service
from carto.storage.models import (Contribution, ContributionKind, ContributionStatus, ReportReason, SireneRecord,
                                  Site, SiteStatus, utcnow)

ROBOT = contributions.Contributor(contributor_name="Vérification Sirene (automatique)")


@dataclass
class CheckReport:
    checked: int = 0
    closed: list[int] = field(default_factory=list)  # sites reported as closed
    changed: list[int] = field(default_factory=list)  # sites with a change proposal
    unknown: list[int] = field(default_factory=list)  # SIRET unknown to Sirene
    failed: str | None = None  # why the run stopped early (Sirene out of reach)


def due(session: Session, max_age: timedelta, now: datetime | None = None) -> list[tuple[int, str]]:
    """Published sites with a SIRET whose establishment was not checked within ``max_age``."""
    limit = (now or utcnow()) - max_age
    fresh = select(SireneRecord.siret).where(SireneRecord.checked_at >= limit)
    query = (select(Site.id, Site.siret).where(Site.status == SiteStatus.published, col(Site.siret).is_not(None),
                                               col(Site.siret).not_in(fresh)).order_by(Site.id))
    return list(session.exec(query))


def run(service: Service, max_age: timedelta, progress: Callable[[int], None] = lambda n: None) -> CheckReport:
    report = CheckReport()
    with service.session() as session:
        todo = due(session, max_age)
    for site_id, siret in todo:
        try:
            record = service.sirene.lookup(siret)
        except sirene.SireneUnavailable as e:
            report.failed = str(e)
            return report
        with service.session() as session:  # one transaction per site: an interruption loses nothing
            before = session.get(SireneRecord, siret)
            previous = (before.name, before.legal_form_code) if before and before.found else None
            sirene.remember(session, record)
            outcome = _compare(session, service, session.get(Site, site_id), record, previous)
            session.commit()
        report.checked += 1
        if outcome:
            getattr(report, outcome).append(site_id)
        progress(1)
    return report


def _compare(session: Session, service: Service, site: Site, record: SireneRecord,
             previous: tuple[str, str] | None) -> str | None:
    if not record.found:
        return "unknown"
    if _pending_from_sirene(session, site.id):
        return None  # moderators have not answered the last one yet: no second copy
    if record.active is False:
        when = f" le {record.closed_on.strftime('%d/%m/%Y')}" if record.closed_on else ""
        contributions.report_site(session, service, site, ReportReason.closed,
                                  f"Fermé selon Sirene{when} (SIRET {record.siret}).", ROBOT)
        return "closed"
    changes = {}
    renamed = previous is not None and fold(previous[0]) != fold(record.name)
    if renamed and record.name and fold(record.name) != fold(site.name):
        changes["name"] = [site.name, record.name[:200]]
    form = sirene.legal_form(record.legal_form_code)
    reformed = site.legal_form is None or (previous is not None and previous[1] != record.legal_form_code)
    if form is not None and reformed and form != site.legal_form:
        changes["legal_form"] = [site.legal_form.value if site.legal_form else None, form.value]
    if not changes:
        return None
    contributions.propose_fields(session, service, site, changes, ROBOT,
                                 f"Selon Sirene (SIRET {record.siret}) : {sirene.summary(record)}.")
    return "changed"


def _pending_from_sirene(session: Session, site_id: int) -> bool:
    query = select(Contribution.id).where(Contribution.site_id == site_id,
                                          Contribution.status == ContributionStatus.pending,
                                          Contribution.contributor_name == ROBOT.contributor_name,
                                          col(Contribution.kind).in_((ContributionKind.report, ContributionKind.change)))
    return session.exec(query).first() is not None
