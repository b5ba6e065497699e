"""Moderation: queues, scope checks, decisions, corrections, history and restore.

Every function takes the moderator's ``Scope`` (see ``carto.community.users``) and refuses anything outside
it with ``Forbidden``: scope is a permission, checked on each item, not only a list filter.
A decision first *claims* the proposal with a conditional UPDATE (``status = pending``), so of two
moderators deciding the same item only one applies it; the other gets ``AlreadyDecided`` with who
decided and when. Every site write goes through ``carto.directory.sites`` with the moderator as actor and
the proposal's id, so history says who, when, what and through which proposal.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from enum import Enum
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from carto.community import contributions, mail, messages, review_locks, users

from carto.directory import reserved_status, sites
from carto.directory.service import Service
from carto.storage.db import session_scope
from carto.storage.models import (Commune, Contribution, ContributionKind, ContributionStatus, FreshnessRequest,
                                  PoleCommune, Site,
                                  SiteActivity, SiteStatus, SiteVersion, User, utcnow)
from carto.community.site_form import LABELS, FormErrors, diff_rows, french_errors
from carto.directory.site_schema import SiteData
from carto.core.taxonomy import Taxonomy
from carto.community.users import Scope

STALE_AFTER_DAYS = 365
MAX_REASON = 2000
PARIS = ZoneInfo("Europe/Paris")


class Queue(str, Enum):
    new_sites = "nouveaux"
    changes = "modifications"
    reports = "signalements"
    duplicates = "doublons"
    stale = "a-verifier"


QUEUE_LABELS = {Queue.new_sites: "Nouveaux sites", Queue.changes: "Modifications", Queue.reports: "Signalements",
                Queue.duplicates: "Doublons probables", Queue.stale: "À vérifier (plus de 12 mois)"}


class Action(str, Enum):
    accept = "accept"
    refuse = "refuse"
    merge = "merge"
    archive = "archive"
    dismiss = "dismiss"


ACTION_LABELS = {Action.accept: "Accepter", Action.refuse: "Refuser", Action.merge: "Fusionner",
                 Action.archive: "Archiver la fiche", Action.dismiss: "Classer sans suite"}
ALLOWED = {ContributionKind.new_site: {Action.accept, Action.refuse, Action.merge},
           ContributionKind.change: {Action.accept, Action.refuse},
           ContributionKind.report: {Action.archive, Action.dismiss}}
OUTCOME = {Action.accept: ContributionStatus.accepted, Action.refuse: ContributionStatus.refused,
           Action.merge: ContributionStatus.merged, Action.archive: ContributionStatus.archived,
           Action.dismiss: ContributionStatus.dismissed}


class Forbidden(Exception):
    def __init__(self, message: str = "hors de votre périmètre de modération"):
        super().__init__(message)


class LeavesScope(Forbidden):
    """A write, valid in itself, that would take the site out of the moderator's scope."""

    def __init__(self):
        super().__init__("la fiche sortirait de votre périmètre de modération : un administrateur doit le faire")


class NotFound(LookupError):
    pass


class Conflict(Exception):
    """The item changed under the moderator's feet (HTTP 409); the message says how."""


class AlreadyDecided(Conflict):
    """The proposal was decided before: says by whom and when."""


class DecisionError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@dataclass
class QueueFilter:
    domain: str | None = None
    pole: str | None = None
    commune: str | None = None
    min_age_days: int | None = None


def paris_time(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


# --- Reading the queues ------------------------------------------------------------------------

NO_POLE = "aucun"  # the pôle filter for communes covered by no pôle (administrators handle them)


def _covered():
    return select(PoleCommune.commune_code)


def outside_poles(session: Session, site_ids: list[int]) -> set[int]:
    """Those of ``site_ids`` whose commune no pôle covers: no pôle moderator will see them."""
    if not site_ids:
        return set()
    return set(session.exec(select(Site.id).where(col(Site.id).in_(site_ids),
                                                  col(Site.commune_code).not_in(_covered()))))


def no_pole_communes(session: Session) -> list[str]:
    """Names of the communes no pôle covers."""
    return list(session.exec(select(Commune.name).where(col(Commune.code).not_in(_covered())).order_by(Commune.name)))


def _site_where(scope: Scope, f: QueueFilter, taxonomy: Taxonomy) -> list:
    where = scope.site_conditions(taxonomy)
    if f.domain:
        where.append(col(Site.id).in_(select(SiteActivity.site_id).where(
            col(SiteActivity.activity).in_(taxonomy.expand([], [f.domain])))))
    if f.pole == NO_POLE:
        where.append(or_(col(Site.commune_code).is_(None), col(Site.commune_code).not_in(_covered())))
    elif f.pole:
        where.append(col(Site.commune_code).in_(select(PoleCommune.commune_code)
                                                .where(PoleCommune.pole_id == f.pole)))
    if f.commune:
        where.append(Site.commune_code == f.commune)
    return where


def _queue_where(queue: Queue) -> list:
    kind = {Queue.new_sites: ContributionKind.new_site, Queue.duplicates: ContributionKind.new_site,
            Queue.changes: ContributionKind.change, Queue.reports: ContributionKind.report}[queue]
    where = [Contribution.kind == kind, Contribution.status == ContributionStatus.pending]
    if kind == ContributionKind.new_site:
        where.append(Contribution.likely_duplicate == (queue == Queue.duplicates))
    return where


def _contributions_query(scope, queue, f, taxonomy, what):
    where = [*_queue_where(queue), *_site_where(scope, f, taxonomy)]
    if f.min_age_days:
        where.append(Contribution.created_at <= utcnow() - timedelta(days=f.min_age_days))
    return select(what).select_from(Contribution).join(Site, Site.id == Contribution.site_id).where(*where)


def _stale_where(scope, f, taxonomy, today: date | None) -> list:
    days = max(STALE_AFTER_DAYS, f.min_age_days or 0)
    cutoff = (today or date.today()) - timedelta(days=days)
    cutoff_moment = datetime.combine(cutoff, time.min, timezone.utc)
    # A site a freshness campaign is still asking its structure about waits for that answer.
    asked = select(FreshnessRequest.site_id).where(col(FreshnessRequest.outcome).is_(None))
    return [Site.status == SiteStatus.published, *_site_where(scope, f, taxonomy), col(Site.id).not_in(asked),
            or_(Site.verified_at < cutoff,
                (col(Site.verified_at).is_(None)) & (Site.created_at < cutoff_moment))]


def counts(session: Session, scope: Scope, f: QueueFilter, taxonomy: Taxonomy,
           today: date | None = None) -> dict[Queue, int]:
    out = {q: session.exec(_contributions_query(scope, q, f, taxonomy, func.count())).one()
           for q in Queue if q != Queue.stale}
    out[Queue.stale] = session.exec(select(func.count()).select_from(Site)
                                    .where(*_stale_where(scope, f, taxonomy, today))).one()
    return {q: out[q] for q in Queue}


def pending(session: Session, scope: Scope, queue: Queue, f: QueueFilter, taxonomy: Taxonomy,
            limit: int = 50, offset: int = 0) -> tuple[int, list[Contribution]]:
    """A queue's proposals in scope, oldest first."""
    total = session.exec(_contributions_query(scope, queue, f, taxonomy, func.count())).one()
    rows = session.exec(_contributions_query(scope, queue, f, taxonomy, Contribution)
                        .order_by(Contribution.created_at, Contribution.id).offset(offset).limit(limit)).all()
    return total, list(rows)


def stale(session: Session, scope: Scope, f: QueueFilter, taxonomy: Taxonomy, today: date | None = None,
          limit: int = 50, offset: int = 0) -> tuple[int, list[Site]]:
    """Published sites not verified for more than 12 months (or never, created that long ago), oldest first."""
    where = _stale_where(scope, f, taxonomy, today)
    total = session.exec(select(func.count()).select_from(Site).where(*where)).one()
    rows = session.exec(select(Site).where(*where).order_by(func.coalesce(Site.verified_at, Site.created_at), Site.id)
                        .offset(offset).limit(limit)).all()
    return total, list(rows)


def pending_sites(session: Session, scope: Scope, taxonomy: Taxonomy,
                  limit: int = 1000) -> list[tuple[Contribution, Site]]:
    """Proposed new sites awaiting a decision, for the moderators' map."""
    rows = session.exec(select(Contribution, Site).join(Site, Site.id == Contribution.site_id)
                        .where(Contribution.kind == ContributionKind.new_site,
                               Contribution.status == ContributionStatus.pending,
                               *scope.site_conditions(taxonomy)).order_by(Contribution.id).limit(limit)).all()
    return [(c, s) for c, s in rows]


def item(session: Session, scope: Scope, contribution_id: int, taxonomy: Taxonomy) -> Contribution:
    c = session.get(Contribution, contribution_id)
    if c is None:
        raise NotFound(f"proposition {contribution_id} introuvable")
    if not scope.allows(session, c.site_id, taxonomy):
        raise Forbidden()
    return c


def site_in_scope(session: Session, scope: Scope, site_id: int, taxonomy: Taxonomy) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound(f"fiche {site_id} introuvable")
    if not scope.allows(session, site.id, taxonomy):
        raise Forbidden()
    return site


def decider_note(session: Session, c: Contribution) -> str:
    if c.status == ContributionStatus.withdrawn:
        return f"retirée par son auteur le {paris_time(c.decided_at)}"
    who = users.display_name(session.get(User, c.decided_by)) if c.decided_by else "un autre modérateur"
    when = paris_time(c.decided_at) if c.decided_at else "?"
    return (f"déjà décidée par {who} le {when} "
            f"({contributions.STATUS_LABELS[c.status].lower()})")


# --- Deciding ----------------------------------------------------------------------------------

def _claim(session: Session, c: Contribution, status: ContributionStatus, user: User, reason: str,
           merged_into: int | None = None) -> None:
    """Mark ``c`` decided if and only if it is still pending (the first writer wins)."""
    claimed = session.execute(
        update(Contribution).where(Contribution.id == c.id, Contribution.status == ContributionStatus.pending)
        .values(status=status, decided_by=user.id, decided_at=utcnow(), decision_reason=reason,
                merged_into=merged_into).execution_options(synchronize_session=False))
    session.refresh(c)
    if claimed.rowcount != 1:
        raise AlreadyDecided(decider_note(session, c))


def _check_reason(action: Action, reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise DecisionError(f"motif trop long ({MAX_REASON} caractères au plus)", "reason")
    if action == Action.refuse and not reason:
        raise DecisionError("le motif du refus est obligatoire : il est envoyé au contributeur", "reason")
    return reason


def decide(session: Session, service: Service, user: User, scope: Scope, contribution_id: int, action: Action | str,
           reason: str = "", target_site_id: int | None = None, choices: dict[str, bool] | None = None) -> Contribution:
    """Apply a moderator's decision on one proposal (within the caller's transaction).

    ``choices``: for a change made stale by a later edit, per conflicting field (``stale_fields``),
    True to take the proposed value, False to keep the current one."""
    c = item(session, scope, contribution_id, service.taxonomy)
    try:
        action = Action(action)
    except ValueError:
        raise DecisionError(f"action inconnue : « {str(action)[:40]} »", "action") from None
    if c.status != ContributionStatus.pending:
        raise AlreadyDecided(decider_note(session, c))
    if action not in ALLOWED[c.kind]:
        raise DecisionError(f"« {ACTION_LABELS[action]} » ne s'applique pas à : "
                            f"{contributions.KIND_LABELS[c.kind].lower()}", "action")
    reason = _check_reason(action, reason)
    target = _merge_target(session, scope, c, target_site_id, service.taxonomy) if action == Action.merge else None
    _claim(session, c, OUTCOME[action], user, reason, target.id if target else None)
    review_locks.release(session, c.id)
    not_kept = _apply(session, service, user, scope, c, action, target, choices or {})
    _tell_contributor(session, service, c, not_kept)
    return c


def _merge_target(session, scope, c, target_site_id, taxonomy) -> Site:
    if not target_site_id:
        raise DecisionError("indiquez la fiche existante dans laquelle fusionner", "target_site_id")
    try:
        target = site_in_scope(session, scope, target_site_id, taxonomy)
    except NotFound:
        raise DecisionError(f"fiche {target_site_id} introuvable", "target_site_id") from None
    if target.id == c.site_id or target.status != SiteStatus.published:
        raise DecisionError("la fusion se fait dans une autre fiche, publiée", "target_site_id")
    return target


def _apply(session, service, user, scope, c: Contribution, action: Action, target: Site | None,
           choices: dict[str, bool]) -> list[str]:
    """Carry a decision out; returns the labels of proposed fields left as they were (stale ones)."""
    actor = f"user:{user.id}"
    site = session.get(Site, c.site_id)
    if action == Action.accept and c.kind == ContributionKind.new_site:
        sites.set_status(session, site, SiteStatus.published, actor=actor, contribution_id=c.id)
    elif action == Action.accept:
        return _apply_change(session, service, scope, site, c, actor, choices)
    elif action in (Action.refuse, Action.merge) and c.kind == ContributionKind.new_site:
        if target is not None:
            _merge(session, service, site, target, actor, c.id)
        sites.set_status(session, site, SiteStatus.refused, actor=actor, contribution_id=c.id)
    elif action == Action.archive:
        sites.set_status(session, site, SiteStatus.archived, actor=actor, contribution_id=c.id)
    return []


# A position is one choice: longitude and latitude go together.
_CHOICE_OF = {"lon": "position", "lat": "position"}


def _stale_keys(current: dict, changes: dict) -> list[str]:
    """Proposed fields changed on the site since the proposal, to something else than proposed."""
    blank = contributions.blank
    return [f for f, (old, new) in changes.items() if blank(current.get(f)) not in (blank(old), blank(new))]


@dataclass
class StaleField:
    """A field of a change proposal that a later edit changed too: the three values and who edited it."""
    choice: str  # the name of the decision ("position" for lon and lat)
    label: str
    proposed_from: str
    proposed: str
    now: str
    by: str
    at: datetime | None


def stale_fields(session: Session, service: Service, c: Contribution) -> list[StaleField]:
    """The fields a moderator must decide one by one before accepting ``c`` (none if not stale, or
    not a pending change)."""
    if c.kind != ContributionKind.change or c.status != ContributionStatus.pending:
        return []
    site = session.get(Site, c.site_id)
    current = sites.snapshot(session, site)
    keys = _stale_keys(current, c.changes)
    later = changes_since(session, site.id, c.base_version or 0)
    out = {}
    for key in keys:
        choice = _CHOICE_OF.get(key, key)
        if choice in out:
            continue
        group = [k for k in keys if _CHOICE_OF.get(k, k) == choice]
        editor = next((e for e in later if any(k in e.version.changes for k in group)), None)
        [row] = diff_rows({k: c.changes[k] for k in c.changes if _CHOICE_OF.get(k, k) == choice},
                          service.taxonomy, service.locator)
        [now] = diff_rows({k: [None, current.get(k)] for k in c.changes if _CHOICE_OF.get(k, k) == choice},
                          service.taxonomy, service.locator)
        out[choice] = StaleField(choice, row.label, row.old, row.new, now.new, editor.actor if editor else "?",
                                 editor.version.changed_at if editor else None)
    return list(out.values())


def _apply_change(session, service, scope, site: Site, c: Contribution, actor: str,
                  choices: dict[str, bool]) -> list[str]:
    """Fields nobody touched since are applied; stale ones as the moderator chose, field by field."""
    stale = _stale_keys(sites.snapshot(session, site), c.changes)
    undecided = sorted({_CHOICE_OF.get(f, f) for f in stale} - choices.keys())
    if undecided:
        names = ", ".join(LABELS.get(f, f) for f in undecided)
        raise Conflict(f"la fiche a changé depuis la proposition (champs : {names}) : pour chacun, choisissez "
                       "de garder la valeur actuelle ou de prendre celle proposée")
    left = [f for f in stale if not choices[_CHOICE_OF.get(f, f)]]
    _update(session, service, scope, site, {f: new for f, (_old, new) in c.changes.items() if f not in left},
            actor, c.id)
    return list(dict.fromkeys(LABELS.get(_CHOICE_OF.get(f, f), f) for f in left))


def _update(session, service, scope, site, changes: dict, actor: str, contribution_id: int | None = None,
            expected_version: int | None = None, action: str = "update") -> dict:
    try:
        diff = sites.update(session, site, changes, service.locator, actor=actor, contribution_id=contribution_id,
                            expected_version=expected_version, action=action)
    except ValidationError as e:
        raise FormErrors(french_errors(e)) from None
    except sites.VersionConflict as e:
        raise Conflict(str(e)) from None
    except sites.SiteError as e:
        raise DecisionError(str(e), e.field or "") from None
    check_still_in_scope(session, scope, site, service.taxonomy)
    return diff


def check_still_in_scope(session: Session, scope: Scope, site: Site, taxonomy: Taxonomy) -> None:
    """After a write (in its transaction, rolled back by the raise): the site must stay in scope."""
    if not scope.allows(session, site.id, taxonomy):
        raise LeavesScope()


def _merge(session, service, source: Site, target: Site, actor: str, contribution_id: int) -> None:
    """Complete ``target`` with what ``source`` knows and it does not (never overwrite)."""
    src, dst = sites.snapshot(session, source), sites.snapshot(session, target)
    fills = {f: src[f] for f in contributions.CHANGEABLE
             if contributions.blank(dst.get(f)) is None and contributions.blank(src.get(f)) is not None}
    fills["activities"] = sorted(set(dst["activities"]) | set(src["activities"]))
    fills["labels"] = sorted(set(dst.get("labels") or []) | set(src.get("labels") or []))
    sites.update(session, target, fills, service.locator, actor=actor, contribution_id=contribution_id)


def site_url(service: Service, site_id: int) -> str:
    return f"{service.settings.public_base_url.rstrip('/')}/sites/{site_id}"


def _tell_contributor(session, service, c: Contribution, not_kept: list[str] = ()) -> None:
    if not c.contributor_email:
        return
    site = session.get(Site, c.site_id)
    public_id = c.merged_into or (site.id if site.status == SiteStatus.published else None)
    kept = [r.label for r in diff_rows(c.changes, service.taxonomy) if r.label not in not_kept] if not_kept else []
    subject, body = messages.decided(c, site.name, site_url(service, public_id) if public_id else None,
                                     kept, list(not_kept))
    mail.queue(session, c.contributor_email, subject, body)


@dataclass
class BatchResult:
    id: int  # of the proposal, conflict or site
    ok: bool
    message: str


def decide_many(service: Service, user: User, contribution_ids: list[int], action: Action | str,
                reason: str = "") -> list[BatchResult]:
    """The same decision on several proposals, each in its own transaction; reports each outcome."""
    results = []
    for cid in dict.fromkeys(contribution_ids):
        try:
            with session_scope(service.engine) as session:
                scope = users.scope_of(session, session.get(User, user.id))
                c = decide(session, service, user, scope, cid, action, reason)
                results.append(BatchResult(cid, True, contributions.STATUS_LABELS[c.status]))
        except (NotFound, Forbidden, Conflict, DecisionError, FormErrors) as e:
            results.append(BatchResult(cid, False, str(e)))
    return results


# --- Moderators' own edits, verification, history -----------------------------------------------

def correct(session: Session, service: Service, user: User, scope: Scope, site: Site, data: SiteData,
            expected_version: int, report_id: int | None = None) -> dict:
    """A moderator's correction of a site; closes the report it answers, if any."""
    report = None
    if report_id is not None:
        report = item(session, scope, report_id, service.taxonomy)
        if report.kind != ContributionKind.report or report.site_id != site.id:
            raise DecisionError("ce signalement ne concerne pas cette fiche", "report")
        if report.status != ContributionStatus.pending:
            raise AlreadyDecided(decider_note(session, report))
    changes = {f: new for f, (_old, new) in contributions.change_diff(sites.snapshot(session, site), data).items()}
    diff = _update(session, service, scope, site, changes, f"user:{user.id}",
                   report.id if report else None, expected_version) if changes else {}
    if report is not None:
        _claim(session, report, ContributionStatus.corrected, user, "")
        _tell_contributor(session, service, report)
    return diff


def mark_verified(session: Session, service: Service, user: User, scope: Scope, site: Site,
                  today: date | None = None) -> dict:
    return _update(session, service, scope, site, {"verified_at": (today or date.today()).isoformat()},
                   f"user:{user.id}")


def verify_reserved(session: Session, user: User, site: Site, flag: str, *, kind: str | None, authority: str,
                    number: str, document_date: str | date | None, today: date | None = None) -> dict:
    """A moderator has seen the document proving a reserved status (conventionnement, agrément,
    autorisation ARS): the status becomes verified, with its source, number and date, in the
    site's history. Nothing else ever verifies a status a contributor ticked."""
    try:
        proof = reserved_status.proof(flag, kind=kind, authority=authority, number=number,
                                      document_date=document_date, verified_by=f"user:{user.id}",
                                      verified_at=today or date.today())
    except reserved_status.ProofError as e:
        raise DecisionError(str(e), e.field) from None
    return sites.set_verification(session, site, flag, proof, actor=f"user:{user.id}")


def revoke_reserved(session: Session, user: User, site: Site, flag: str) -> dict:
    """Withdraw the verification of a reserved status; it stays declared (the form can untick it)."""
    try:
        status = reserved_status.status_of(flag)
    except reserved_status.ProofError as e:
        raise DecisionError(str(e), e.field) from None
    if getattr(site, status.column) is None:  # not a bad request: the sheet is not in that state (any more)
        raise Conflict(f"le statut {status.label} de cette fiche n'est pas vérifié")
    return sites.set_verification(session, site, flag, None, actor=f"user:{user.id}")


def set_archived(session: Session, user: User, site: Site, archived: bool) -> dict:
    if archived and site.status != SiteStatus.published:
        raise DecisionError("seule une fiche publiée peut être archivée", "status")
    if not archived and site.status != SiteStatus.archived:
        raise DecisionError("cette fiche n'est pas archivée", "status")
    return sites.set_status(session, site, SiteStatus.archived if archived else SiteStatus.published,
                            actor=f"user:{user.id}")


def restore(session: Session, service: Service, user: User, scope: Scope, site: Site, version: int) -> dict:
    """Bring the content of an earlier version back (as a new version; status is left as it is)."""
    snapshot = contributions.base_snapshot(session, site.id, version)
    if snapshot is None or version >= site.version:
        # Not a bad request: the sheet is not (or no longer) in a state where this version is behind it.
        raise Conflict(f"version {version} introuvable ou actuelle : la fiche est à la version {site.version}")
    fields = {k: snapshot[k] for k in SiteData.model_fields if k in snapshot and k != "commune_code"}
    return _update(session, service, scope, site, fields, f"user:{user.id}", action="restore")


@dataclass
class HistoryEntry:
    version: SiteVersion
    actor: str
    contribution: Contribution | None


def actor_names(session: Session, actors: set[str]) -> dict[str, str]:
    """History actors (« user:3 », « contribution:8 », « import:lvao »…) as a moderator reads them."""
    user_ids = {int(a[5:]) for a in actors if a.startswith("user:") and a[5:].isdigit()}
    names = {u.id: users.display_name(u) for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    out = {}
    for actor in actors:
        kind, _, ident = actor.partition(":")
        out[actor] = {"user": names.get(int(ident) if ident.isdigit() else -1, actor),
                      "contribution": f"proposition n° {ident}", "import": f"import {ident}"}.get(kind, actor)
    return out


def history(session: Session, site_id: int) -> list[HistoryEntry]:
    versions = sites.history(session, site_id)
    names = actor_names(session, {v.actor for v in versions})
    by_id = {c.id: c for c in session.exec(select(Contribution).where(
        col(Contribution.id).in_({v.contribution_id for v in versions if v.contribution_id})))}
    return [HistoryEntry(v, names[v.actor], by_id.get(v.contribution_id)) for v in reversed(versions)]


def changes_since(session: Session, site_id: int, version: int) -> list[HistoryEntry]:
    """What was written on a site after ``version`` (newest first): who, when, what."""
    return [e for e in history(session, site_id) if e.version.version > version]


def propose_to_admin(session: Session, service: Service, user: User, site: Site, base_version: int,
                     data: SiteData) -> contributions.Receipt:
    """A moderator's edit that would leave its scope, sent as a change proposal for an administrator."""
    who = contributions.Contributor(contributor_name=users.display_name(user), contributor_email=user.email,
                                    consent=True)
    comment = (f"Correction de {users.display_name(user)} (modération) : elle sortirait la fiche de son "
               "périmètre, elle est donc soumise à un administrateur.")
    return contributions.propose_change(session, service, site, base_version, data, who, comment)
