"""Owners keep their own sheets: « Vous gérez cette structure ? » mails a one-time link to the site's
public e-mail address (the only proof of ownership we can check without an account). With it the
owner proposes a change that reaches the queue marked « propriétaire vérifié »; in the domains where
an administrator allows it (``OwnerPublishing``), it is published at once, with its history.
"""
from datetime import datetime, timedelta, timezone

from sqlmodel import Session, col, delete, func, select

from carto.community import auth, contributions, mail, messages
from carto.directory import sites
from carto.directory.service import Service
from carto.directory.site_schema import SiteData
from carto.storage.models import (ContributionStatus, OwnerLink, OwnerPublishing, Site, SiteStatus, User, utcnow)

LINK_LIFETIME = timedelta(days=7)
LINKS_PER_DAY = 3  # per site: the link goes to the structure's own address, which must not be flooded
OWNER_NAME = "Responsable de la structure"


NO_EMAIL = ("cette fiche n'a pas d'adresse e-mail publique : proposez votre modification avec le formulaire "
            "ordinaire, l'équipe de modération la vérifiera")


class OwnerError(ValueError):
    """A link that cannot be sent or used; the message says why, in French."""


def masked(email: str) -> str:
    """« c•••@exemple.org »: enough for the owner to recognise the address, not to harvest it."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def link_url(service: Service, site_id: int, token: str) -> str:
    return f"{service.settings.public_base_url.rstrip('/')}/sites/{site_id}/proprietaire/{token}"


def send_link(session: Session, service: Service, site: Site, now: datetime | None = None) -> str:
    """Mail a one-time link to the site's public address; returns that address, masked."""
    now = now or utcnow()
    if site.status != SiteStatus.published:
        raise OwnerError("cette fiche n'est pas publiée")
    if not site.email:
        raise OwnerError(NO_EMAIL)
    recent = session.exec(select(func.count()).select_from(OwnerLink).where(
        OwnerLink.site_id == site.id, OwnerLink.created_at > now - timedelta(days=1))).one()
    if recent >= LINKS_PER_DAY:
        raise OwnerError(f"{LINKS_PER_DAY} liens ont déjà été envoyés pour cette fiche depuis 24 heures : "
                         "utilisez le dernier reçu, ou réessayez demain")
    token = new_link(session, site, now)
    mail.queue(session, site.email, *messages.owner_link(site.name, link_url(service, site.id, token),
                                                         LINK_LIFETIME.days))
    return masked(site.email)


def new_link(session: Session, site: Site, now: datetime | None = None) -> str:
    """A one-time link for the site's public address (already proven: a mail to it was answered)."""
    now = now or utcnow()
    token = auth.new_token()
    session.add(OwnerLink(site_id=site.id, email=site.email, token_hash=auth.token_digest(token), created_at=now,
                          expires_at=now + LINK_LIFETIME))
    return token


def usable_link(session: Session, site_id: int, token: str, now: datetime | None = None) -> OwnerLink:
    now = now or utcnow()
    link = session.exec(select(OwnerLink).where(OwnerLink.token_hash == auth.token_digest(token or ""))).first()
    if link is None or link.site_id != site_id or link.used_at is not None or _aware(link.expires_at) <= now:
        raise OwnerError("lien inconnu, expiré ou déjà utilisé : demandez-en un nouveau depuis la fiche")
    return link


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite gives naive UTC back


def propose(session: Session, service: Service, link: OwnerLink, site: Site, base_version: int, data: SiteData,
            comment: str = "") -> tuple[contributions.Receipt, bool]:
    """The owner's change: queued as « propriétaire vérifié », or published at once where allowed.
    Returns the receipt and whether it was published. The link is spent either way."""
    who = contributions.Contributor(contributor_name=OWNER_NAME, contributor_email=link.email, consent=True)
    receipt = contributions.propose_change(session, service, site, base_version, data, who, comment)
    c = receipt.contribution
    c.verified_owner = True
    link.used_at = utcnow()
    session.add_all([c, link])
    published = publishes_directly(session, service, sites.activities_of(session, site.id), data.activities)
    if published:
        sites.update(session, site, {f: new for f, (_old, new) in c.changes.items()}, service.locator,
                     actor=f"owner:{link.id}", contribution_id=c.id, expected_version=base_version)
        c.status, c.decided_at = ContributionStatus.accepted, utcnow()
    session.flush()
    return receipt, published


def publishes_directly(session: Session, service: Service, *activity_lists: list[str]) -> bool:
    """Whether every domain the site had or will have lets verified owners publish."""
    domains = {service.taxonomy.domain_of(a).slug for activities in activity_lists for a in activities}
    allowed = set(session.exec(select(OwnerPublishing.domain)))
    return bool(domains) and domains <= allowed


def publishing_domains(session: Session) -> set[str]:
    return set(session.exec(select(OwnerPublishing.domain)))


def set_publishing_domains(session: Session, service: Service, user: User, domains: list[str]) -> None:
    """An administrator's choice of the domains where verified owners publish directly."""
    known = {d.slug for d in service.taxonomy.domains}
    unknown = [d for d in domains if d not in known]
    if unknown:
        raise OwnerError(f"domaine inconnu : « {unknown[0][:40]} »")
    session.exec(delete(OwnerPublishing).where(col(OwnerPublishing.domain).not_in(domains)))
    present = publishing_domains(session)
    session.add_all(OwnerPublishing(domain=d, enabled_by=user.id) for d in sorted(set(domains) - present))
    session.flush()
