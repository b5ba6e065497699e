"""Freshness campaigns: structures keep their own sheets up to date.

``send`` (``carto freshness send``, or the administrators' button) mails every structure whose
published sheet has not been verified for ``freshness_months`` a link to confirm « toujours exact »
or to correct it (through an owner link, ``carto.community.owners``). An unanswered question is
asked again after ``freshness_reminder_days``, twice at most; then the site goes to the moderators'
« à vérifier » queue, which leaves out the sites a campaign is still asking about. Each address gets
at most one mail per run (all its sheets in it) and can unsubscribe; sites without a public e-mail
are never mailed (they stay in the moderators' queue).
"""
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_
from sqlmodel import Session, col, select

from carto.community import auth, mail, messages, owners
from carto.directory import sites
from carto.directory.service import Service
from carto.storage.models import FreshnessOptOut, FreshnessRequest, Site, SiteStatus, utcnow

MAX_REMINDERS = 2
SHEETS_PER_MAIL = 20  # an address with more gets the rest in the next runs


class CampaignError(ValueError):
    """A link that cannot be used (unknown or already answered)."""


@dataclass
class CampaignReport:
    asked: int = 0  # sheets asked for the first time
    reminded: int = 0
    unanswered: int = 0  # sheets handed to the moderators after the last reminder
    mails: int = 0
    without_email: int = 0  # stale sheets no one can be asked about: in the moderators' queue
    addresses: set = field(default_factory=set)


def open_requests():
    """The condition of a question still waiting for its answer."""
    return col(FreshnessRequest.outcome).is_(None)


def _cutoff_moment(service: Service, today: date) -> datetime:
    """Sheets verified before this moment are stale."""
    cutoff = today - timedelta(days=round(service.settings.freshness_months * 30.44))
    return datetime.combine(cutoff, time.min, timezone.utc)


def _stale_sites(service: Service, today: date):
    cutoff = _cutoff_moment(service, today)
    return (select(Site).where(Site.status == SiteStatus.published,
                               or_(Site.verified_at < cutoff.date(),
                                   col(Site.verified_at).is_(None) & (Site.created_at < cutoff)))
            .order_by(Site.id))


def send(session: Session, service: Service, now: datetime | None = None) -> CampaignReport:
    """One run of the campaign (in the caller's transaction): close, remind, ask, one mail per address."""
    now = now or utcnow()
    due_before = now - timedelta(days=service.settings.freshness_reminder_days)
    report = CampaignReport()
    waiting = session.exec(select(FreshnessRequest).where(open_requests(), FreshnessRequest.last_sent_at <= due_before)
                           .order_by(FreshnessRequest.id)).all()
    for request in waiting:
        if request.reminders >= MAX_REMINDERS:
            request.outcome, request.answered_at = "unanswered", now
            report.unanswered += 1
            session.add(request)
    reminders = [r for r in waiting if r.outcome is None]
    # Asked already in this cycle (still waiting, or answered or handed over since the sheet went stale).
    asked = set(session.exec(select(FreshnessRequest.site_id).where(
        or_(open_requests(), FreshnessRequest.created_at > _cutoff_moment(service, now.date())))))
    opted_out = set(session.exec(select(FreshnessOptOut.email)))
    new = []
    for site in session.exec(_stale_sites(service, now.date())):
        if not site.email:
            report.without_email += 1
        elif site.id not in asked and site.email.lower() not in opted_out:
            new.append(FreshnessRequest(site_id=site.id, email=site.email.lower(), token_hash="", created_at=now,
                                        last_sent_at=now))
    by_address: dict[str, list[FreshnessRequest]] = {}
    for request in [*reminders, *new]:
        if request.email not in opted_out:
            by_address.setdefault(request.email, []).append(request)
    for address, requests in by_address.items():
        _mail(session, service, address, requests[:SHEETS_PER_MAIL], now, report)
    return report


def _mail(session, service, address: str, requests: list[FreshnessRequest], now: datetime,
          report: CampaignReport) -> None:
    base = service.settings.public_base_url.rstrip("/")
    lines = []
    for request in requests:
        token = auth.new_token()  # only digests are kept: each mail carries fresh links
        reminder = request.id is not None
        request.token_hash, request.last_sent_at = auth.token_digest(token), now
        request.reminders += reminder
        report.reminded += reminder
        report.asked += not reminder
        session.add(request)
        site = session.get(Site, request.site_id)
        lines.append((site.name, site.commune_name, f"{base}/fraicheur/{token}"))
    session.flush()
    unsubscribe = lines[0][2] + "/desinscription"
    mail.queue(session, address, *messages.freshness(lines, any(r.reminders for r in requests), unsubscribe))
    report.mails += 1
    report.addresses.add(address)


def request_by_token(session: Session, token: str) -> FreshnessRequest:
    request = session.exec(select(FreshnessRequest).where(
        FreshnessRequest.token_hash == auth.token_digest(token or ""))).first()
    if request is None:
        raise CampaignError("lien inconnu ou remplacé par un e-mail plus récent : utilisez le dernier reçu")
    return request


def _open(request: FreshnessRequest) -> None:
    if request.outcome is not None:
        raise CampaignError("cette question a déjà reçu sa réponse : merci !")


def confirm(session: Session, service: Service, request: FreshnessRequest, today: date | None = None) -> None:
    """« Toujours exact »: the sheet is verified today (a version says by whom)."""
    _open(request)
    site = session.get(Site, request.site_id)
    sites.update(session, site, {"verified_at": (today or date.today()).isoformat()}, service.locator,
                 actor=f"freshness:{request.id}")
    request.outcome, request.answered_at = "confirmed", utcnow()
    session.add(request)


def correct(session: Session, request: FreshnessRequest) -> str:
    """The structure wants to correct its sheet: an owner link (its address is proven), as a path."""
    _open(request)
    site = session.get(Site, request.site_id)
    if site.status != SiteStatus.published or (site.email or "").lower() != request.email:
        raise CampaignError("la fiche a changé depuis cet e-mail : demandez un lien depuis la fiche")
    request.outcome, request.answered_at = "corrected", utcnow()
    session.add(request)
    return f"/sites/{site.id}/proprietaire/{owners.new_link(session, site)}"


def opt_out(session: Session, request: FreshnessRequest) -> None:
    """No more freshness mails to this address; its open questions go to the moderators."""
    if session.get(FreshnessOptOut, request.email) is None:
        session.add(FreshnessOptOut(email=request.email))
    for other in session.exec(select(FreshnessRequest).where(FreshnessRequest.email == request.email,
                                                             open_requests())):
        other.outcome, other.answered_at = "unanswered", utcnow()
        session.add(other)
