"""Each moderator's digest mail (``carto notify``): what arrived in its scope since its last digest,
one line and one link per item; sites unverified for a year are counted apart, not as work to do.

Items come from *sources* — functions ``(session, service, scope, since, until) -> list[DigestItem]``:
the proposals (``contribution_items`` here) and, given by the caller, the import queues
(``carto.importers.conflicts.digest_items``), which this layer cannot import. A moderator's
``last_digest_at`` moves in the transaction that queues its mail, so a second run sends nothing new
and nothing that arrives while a run works is skipped (each run covers up to its own start).
"""
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlmodel import Session, select

from carto.community import contributions, mail, messages, moderation, users
from carto.community.users import Scope
from carto.directory.service import Service
from carto.storage.db import session_scope
from carto.storage.models import Contribution, ContributionKind, ContributionStatus, Site, User, utcnow

MAX_LINES = 100  # beyond, the mail says how many more and links to the console


@dataclass(frozen=True)
class DigestItem:
    line: str  # « Nouveau site « Atelier » (Rennes) »
    path: str  # the console page of the item
    at: datetime
    no_pole: bool = False  # its commune is covered by no pôle: only administrators handle it


Source = Callable[[Session, Service, Scope, datetime | None, datetime], list[DigestItem]]


def contribution_items(session: Session, service: Service, scope: Scope, since: datetime | None,
                       until: datetime) -> list[DigestItem]:
    """Proposals still pending that arrived in the scope between ``since`` and ``until``."""
    where = [Contribution.status == ContributionStatus.pending, Contribution.created_at <= until,
             *scope.site_conditions(service.taxonomy)]
    if since is not None:
        where.append(Contribution.created_at > since)
    rows = session.exec(select(Contribution, Site).join(Site, Site.id == Contribution.site_id).where(*where)
                        .order_by(Contribution.created_at, Contribution.id)).all()
    outside = moderation.outside_poles(session, [s.id for _c, s in rows])
    return [DigestItem(_line(c, s), f"/moderation/propositions/{c.id}", c.created_at, s.id in outside)
            for c, s in rows]


def _line(c: Contribution, site: Site) -> str:
    what = ("Doublon probable" if c.kind == ContributionKind.new_site and c.likely_duplicate
            else contributions.KIND_LABELS[c.kind])
    where = f" ({site.commune_name})" if site.commune_name else ""
    return f"{what} : « {site.name} »{where}"


def queue_digests(service: Service, sources: list[Source], now: datetime | None = None) -> int:
    """Queue a digest for each active moderator with something new in its scope; returns how many."""
    until = now or utcnow()
    base = service.settings.public_base_url.rstrip("/")
    queued = 0
    with session_scope(service.engine) as session:
        for user in session.exec(select(User).where(User.active, User.digest).order_by(User.id)).all():
            scope = users.scope_of(session, user)
            since = user.last_digest_at
            items = sorted((i for source in sources for i in source(session, service, scope, since, until)),
                           key=lambda i: i.at)
            user.last_digest_at = until
            session.add(user)
            if not items:
                continue
            stale = moderation.counts(session, scope, moderation.QueueFilter(), service.taxonomy)[moderation.Queue.stale]
            lines = [(f"[aucun pôle] {i.line}" if i.no_pole and scope.everything else i.line, base + i.path)
                     for i in items]
            mail.queue(session, user.email, *messages.digest(users.display_name(user), lines[:MAX_LINES],
                                                             len(lines), stale, f"{base}/moderation"))
            queued += 1
    return queued

