"""The two import queues of moderation: fields a re-import wanted to change after a moderator
corrected them (conflicts), and sites their source no longer lists (missing).

A conflict is resolved by applying the source's value (a normal write through ``carto.directory.sites``,
in the moderator's name) or by keeping the current one; either way the next import will not ask
again unless the source changes the field once more. A missing site is archived, or kept: then it
is not asked about again until the source lists it and drops it once more.

Both queues are scoped like every other one (``carto.community.users.Scope``): a moderator lists
and decides only the sites it may moderate, and a source's value that would move a site out of
its scope needs an administrator.
"""
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from carto.community import moderation, users
from carto.community.digest import DigestItem
from carto.community.site_form import LABELS, display
from carto.community.users import Scope
from carto.directory import reserved_status, sites
from carto.directory.service import Service
from carto.importers.reconcile import GROUPS
from carto.storage.db import session_scope
from carto.storage.models import (RESERVED_VERIFICATIONS, ImportConflict, ImportConflictStatus, Site, SiteStatus,
                                  SiteVersion, User, utcnow)
from carto.territory.locator import Locator


class ConflictError(ValueError):
    """A conflict that cannot be resolved as asked (unknown, already resolved, invalid value)."""


# --- Conflicts ---------------------------------------------------------------------------------

def open_conflicts(session: Session, *, site_id: int | None = None, source: str | None = None,
                   site_ids: list[int] | None = None) -> list[ImportConflict]:
    """Open conflicts, oldest first; optionally of one site, one source or a set of sites."""
    query = select(ImportConflict).where(ImportConflict.status == ImportConflictStatus.open)
    if site_id is not None:
        query = query.where(ImportConflict.site_id == site_id)
    if source is not None:
        query = query.where(ImportConflict.source == source)
    if site_ids is not None:
        query = query.where(col(ImportConflict.site_id).in_(site_ids))
    return list(session.exec(query.order_by(ImportConflict.created_at, ImportConflict.id)))


def resolve(session: Session, conflict_id: int, *, apply: bool, actor: str, locator: Locator) -> ImportConflict:
    """Apply the incoming value (``apply``) or keep the current one; returns the closed conflict."""
    conflict = session.get(ImportConflict, conflict_id)
    if conflict is None or conflict.status != ImportConflictStatus.open:
        raise ConflictError(f"aucun conflit d'import ouvert n° {conflict_id}")
    if apply:
        try:
            _apply(session, session.get(Site, conflict.site_id), incoming_fields(conflict), locator, actor)
        except (sites.SiteError, ValidationError) as e:
            raise ConflictError(f"la valeur de la source ne peut pas être appliquée : {e}") from None
    conflict.status = ImportConflictStatus.applied if apply else ImportConflictStatus.kept
    conflict.resolved_at, conflict.resolved_by = utcnow(), actor
    session.add(conflict)
    session.flush()
    return conflict


def _apply(session: Session, site: Site, fields: dict, locator, actor: str) -> None:
    """The source's values, a reserved status's proof through its own write (no form field holds one)."""
    fields = dict(fields)
    proofs = {flag: fields.pop(column) for flag, column in RESERVED_VERIFICATIONS.items() if column in fields}
    sites.update(session, site, fields, locator, actor=actor)
    for flag, proof in proofs.items():
        sites.set_verification(session, site, flag, proof if getattr(site, flag) else None, actor=actor)


def incoming_fields(conflict: ImportConflict) -> dict:
    keys = GROUPS[conflict.field]
    return conflict.incoming if len(keys) > 1 else {keys[0]: conflict.incoming}


@dataclass
class ConflictRow:
    """A conflict as a moderator weighs it: both values and when each was set."""
    conflict: ImportConflict
    site: Site
    label: str
    ours: str  # the value on the site now (a moderator's correction)
    ours_by: str  # who made that correction
    ours_at: datetime | None
    theirs: str  # the source's value
    theirs_at: datetime  # the import that brought it


def _scoped_conflicts(scope: Scope, service: Service, what):
    return (select(what).select_from(ImportConflict).join(Site, Site.id == ImportConflict.site_id)
            .where(ImportConflict.status == ImportConflictStatus.open, *scope.site_conditions(service.taxonomy)))


def count_conflicts(session: Session, scope: Scope, service: Service, since: datetime | None = None) -> int:
    query = _scoped_conflicts(scope, service, func.count())
    return session.exec(query.where(ImportConflict.created_at > since) if since else query).one()


def conflict_rows(session: Session, scope: Scope, service: Service, *, limit: int = 50, offset: int = 0,
                  since: datetime | None = None) -> list[ConflictRow]:
    """Open conflicts in scope, oldest first, with the dates and authors of both values."""
    query = _scoped_conflicts(scope, service, ImportConflict)
    if since:
        query = query.where(ImportConflict.created_at > since)
    found = session.exec(query.order_by(ImportConflict.created_at, ImportConflict.id).offset(offset).limit(limit)).all()
    corrections = _last_corrections(session, found)
    names = moderation.actor_names(session, {v.actor for v in corrections.values()})
    rows = []
    for c in found:
        version = corrections.get(c.id)
        rows.append(ConflictRow(c, session.get(Site, c.site_id), LABELS.get(c.field, c.field),
                                _shown(c.field, c.current, service), names[version.actor] if version else "?",
                                version.changed_at if version else None, _shown(c.field, c.incoming, service),
                                c.created_at))
    return rows


def _last_corrections(session: Session, found: list[ImportConflict]) -> dict[int, SiteVersion]:
    """Per conflict, the latest version not written by an import that changed its field."""
    by_site: dict[int, list[SiteVersion]] = {}
    query = (select(SiteVersion).where(col(SiteVersion.site_id).in_({c.site_id for c in found}),
                                       col(SiteVersion.actor).not_like("import:%"))
             .order_by(SiteVersion.site_id, col(SiteVersion.version).desc()))
    for version in session.exec(query):
        by_site.setdefault(version.site_id, []).append(version)
    out = {}
    for c in found:
        keys = GROUPS[c.field]
        out[c.id] = next((v for v in by_site.get(c.site_id, []) if any(k in v.changes for k in keys)), None)
    return {k: v for k, v in out.items() if v is not None}


def _shown(field: str, value, service: Service) -> str:
    if field == "position" and isinstance(value, dict):
        return f"{float(value['lat']):.5f}, {float(value['lon']):.5f}"
    if field in RESERVED_VERIFICATIONS and isinstance(value, dict):
        return reserved_status.label(field, value[field], value[RESERVED_VERIFICATIONS[field]]) or "non"
    return display(field, value, service.taxonomy, service.locator)


def decide_conflict(session: Session, service: Service, user: User, scope: Scope, conflict_id: int,
                    apply: bool) -> ImportConflict:
    """A moderator's answer to one conflict: only on a site of its scope, which must stay in it."""
    conflict = session.get(ImportConflict, conflict_id)
    if conflict is None:
        raise moderation.NotFound(f"conflit d'import n° {conflict_id} introuvable")
    site = moderation.site_in_scope(session, scope, conflict.site_id, service.taxonomy)
    resolved = resolve(session, conflict_id, apply=apply, actor=f"user:{user.id}", locator=service.locator)
    moderation.check_still_in_scope(session, scope, site, service.taxonomy)
    return resolved


# --- Sites missing from their source -----------------------------------------------------------

def missing_query(source: str | None = None, what=Site):
    """Sites whose import source stopped listing them and that still await a moderator's answer."""
    query = select(what).select_from(Site).where(col(Site.missing_from_source_at).is_not(None),
                                                 col(Site.missing_kept_at).is_(None),
                                                 col(Site.status).in_((SiteStatus.published, SiteStatus.pending)))
    return query.where(Site.source == source) if source is not None else query


def missing_sites(session: Session, source: str | None = None) -> list[Site]:
    """Sites whose import source stopped listing them, longest missing first."""
    return list(session.exec(missing_query(source).order_by(Site.missing_from_source_at, Site.id)))


def count_missing(session: Session, scope: Scope, service: Service, since: datetime | None = None) -> int:
    query = missing_query(what=func.count()).where(*scope.site_conditions(service.taxonomy))
    return session.exec(query.where(Site.missing_from_source_at > since) if since else query).one()


def missing_in_scope(session: Session, scope: Scope, service: Service, *, limit: int = 50, offset: int = 0,
                     since: datetime | None = None) -> list[Site]:
    query = missing_query().where(*scope.site_conditions(service.taxonomy))
    if since:
        query = query.where(Site.missing_from_source_at > since)
    return list(session.exec(query.order_by(Site.missing_from_source_at, Site.id).offset(offset).limit(limit)))


def decide_missing(session: Session, service: Service, user: User, scope: Scope, site_id: int,
                   archive: bool) -> Site:
    """Archive a site its source dropped, or keep it published (and stop asking)."""
    site = moderation.site_in_scope(session, scope, site_id, service.taxonomy)
    if site.missing_from_source_at is None or site.missing_kept_at is not None:
        raise ConflictError(f"la fiche n° {site_id} n'attend pas de décision : sa source la liste")
    if site.status != SiteStatus.published and archive:
        raise ConflictError(f"la fiche n° {site_id} n'est pas publiée")
    if archive:
        moderation.set_archived(session, user, site, True)
    else:
        sites.keep_despite_source(session, site, actor=f"user:{user.id}")
    return site


# --- In moderators' digests ---------------------------------------------------------------------

def digest_items(session: Session, service: Service, scope: Scope, since: datetime | None,
                 until: datetime) -> list[DigestItem]:
    """Conflicts opened and sites found missing in the scope between ``since`` and ``until``."""
    query = _scoped_conflicts(scope, service, ImportConflict).where(ImportConflict.created_at <= until)
    found = session.exec(query.where(ImportConflict.created_at > since) if since else query).all()
    gone = missing_query().where(*scope.site_conditions(service.taxonomy), Site.missing_from_source_at <= until)
    gone = session.exec(gone.where(Site.missing_from_source_at > since) if since else gone).all()
    site_of = {s.id: s for s in session.exec(select(Site).where(col(Site.id).in_({c.site_id for c in found})))}
    outside = moderation.outside_poles(session, [*site_of, *(s.id for s in gone)])
    return ([DigestItem(f"Conflit d'import ({LABELS.get(c.field, c.field)}) : « {site_of[c.site_id].name} »",
                        "/moderation/imports/conflits", c.created_at, c.site_id in outside) for c in found]
            + [DigestItem(f"Absente de sa source ({s.source}) : « {s.name} »", "/moderation/imports/absentes",
                          s.missing_from_source_at, s.id in outside) for s in gone])


# --- In batch ----------------------------------------------------------------------------------

def decide_many(service: Service, user: User, ids: list[int], decide, done: str) -> list[moderation.BatchResult]:
    """``decide(session, scope, id)`` on each id in its own transaction; reports each outcome
    (``done`` says what was done to those that succeeded)."""
    results = []
    for item_id in dict.fromkeys(ids):
        try:
            with session_scope(service.engine) as session:
                decide(session, users.scope_of(session, session.get(User, user.id)), item_id)
            results.append(moderation.BatchResult(item_id, True, done))
        except (moderation.NotFound, moderation.Forbidden, ConflictError, moderation.DecisionError) as e:
            results.append(moderation.BatchResult(item_id, False, str(e)))
    return results
