"""For the moderation queue: fields a re-import wanted to change after a moderator corrected them,
and sites their source no longer lists.

A conflict is resolved by applying the source's value (a normal write through ``carto.directory.sites``,
in the moderator's name) or by keeping the current one; either way the next import will not ask
again unless the source changes the field once more.
"""
from sqlmodel import Session, col, select

from carto.directory import sites
from carto.importers.reconcile import GROUPS
from carto.territory.locator import Locator
from carto.storage.models import ImportConflict, ImportConflictStatus, Site, utcnow


class ConflictError(ValueError):
    """A conflict that cannot be resolved as asked (unknown, already resolved)."""


def open_conflicts(session: Session, *, site_id: int | None = None, source: str | None = None,
                   site_ids: list[int] | None = None) -> list[ImportConflict]:
    """Open conflicts, oldest first; optionally of one site, one source or a set of sites (a scope)."""
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
        site = session.get(Site, conflict.site_id)
        keys = GROUPS[conflict.field]
        incoming = conflict.incoming if len(keys) > 1 else {keys[0]: conflict.incoming}
        sites.update(session, site, incoming, locator, actor=actor)
    conflict.status = ImportConflictStatus.applied if apply else ImportConflictStatus.kept
    conflict.resolved_at, conflict.resolved_by = utcnow(), actor
    session.add(conflict)
    session.flush()
    return conflict


def missing_query(source: str | None = None):
    """Sites whose import source stopped listing them (a query, to count or to page through)."""
    query = select(Site).where(col(Site.missing_from_source_at).is_not(None))
    return query.where(Site.source == source) if source is not None else query


def missing_sites(session: Session, source: str | None = None) -> list[Site]:
    """Sites whose import source stopped listing them, longest missing first."""
    return list(session.exec(missing_query(source).order_by(Site.missing_from_source_at, Site.id)))
