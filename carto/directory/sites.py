"""The write path of sites: validation, territory assignment, indexes and history in one place.

Every write of a site goes through ``create`` or ``update``/``set_status`` so that its commune
(and EPCI, pays, département, pôles), its search indexes and its history stay in step.
"""
from datetime import date, datetime
from enum import Enum

from sqlalchemy import update as update_statement
from sqlmodel import Session, delete, select

from carto.core.textnorm import sort_key
from carto.directory import site_json

from carto.storage import freshness, search_index, site_counts
from carto.territory import locator as locators
from carto.territory.locator import Locator, Placement
from carto.storage.models import (RESERVED_VERIFICATIONS, PositionPrecision, Site, SiteActivity, SiteStatus,
                                  SiteVersion, utcnow)
from carto.directory.site_schema import SiteData

# Fields a snapshot keeps (everything a restore needs); derived and bookkeeping columns excluded.
HISTORY_EXCLUDED = {"search_text", "sort_name", "version", "updated_at", "created_at", *site_json.COLUMNS}


class SiteError(ValueError):
    """A write that cannot be done as asked; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class VersionConflict(SiteError):
    def __init__(self, site: Site, expected: int):
        super().__init__(f"la fiche a été modifiée entre-temps (version {site.version}, attendue {expected})",
                         "version")
        self.site = site


def activities_of(session: Session, site_id: int) -> list[str]:
    return sorted(session.exec(select(SiteActivity.activity).where(SiteActivity.site_id == site_id)))


def snapshot(session: Session, site: Site) -> dict:
    return snapshot_of(site.model_dump(), activities_of(session, site.id))


def snapshot_of(columns: dict, activities: list[str]) -> dict:
    """A history snapshot from a site's column values and its (sorted) activities."""
    data = {k: v if type(v) in _JSON_TYPES else _jsonable(v) for k, v in columns.items() if k not in HISTORY_EXCLUDED}
    data["activities"] = activities
    return data


_JSON_TYPES = {str, int, float, bool, type(None), list, dict}  # stored as they are (the common case)


def _jsonable(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


OUTSIDE_MESSAGE = "la position est en dehors des communes de Bretagne chargées"


def territory_fields(placement: Placement | None) -> dict:
    """The columns a site's placement sets (``None``: outside every commune)."""
    if placement is None:
        return dict(commune_code=None, commune_name="", epci_code=None, pays_code=None, dep_code=None,
                    outside_territory=True)
    return dict(commune_code=placement.commune_code, commune_name=placement.commune_name,
                epci_code=placement.epci_code, pays_code=placement.pays_code, dep_code=placement.dep_code,
                outside_territory=False)


def _place(site: Site, locator: Locator, allow_outside: bool) -> None:
    """Fill the commune and derived territory keys of a site from its point."""
    if not locator.enabled:
        return
    placement = locator.locate(site.lon, site.lat)
    if placement is None and not allow_outside:
        raise SiteError(OUTSIDE_MESSAGE, "lon")
    for name, value in territory_fields(placement).items():
        setattr(site, name, value)


def resolve_position(data: dict, locator: Locator) -> None:
    """Without coordinates, a site sits at its commune's centre (and says so)."""
    if data.get("lon") is not None:
        data.setdefault("position_precision", PositionPrecision.address)
        return
    centre = locator.centre(data.get("commune_code") or "")
    if centre is None:
        raise SiteError(f"commune inconnue : « {data.get('commune_code')} »", "commune_code")
    data.update(lon=centre[0], lat=centre[1], position_precision=PositionPrecision.commune)


def create(session: Session, data: SiteData, locator: Locator, *, actor: str,
           status: SiteStatus = SiteStatus.published, allow_outside: bool = False,
           contribution_id: int | None = None, **extra) -> Site:
    """Write a new site and its first history version. ``extra``: source, source_key, credit, is_demo."""
    freshness.bump(session)
    locator = locators.current(session, locator)  # the geography of this transaction
    fields = data.model_dump(exclude_none=True)
    activities = fields.pop("activities")
    resolve_position(fields, locator)
    fields.pop("commune_code", None)
    site = Site(**fields, **extra, status=status)
    drop_undeclared_proofs(site)
    _place(site, locator, allow_outside)
    site.sort_name = sort_key(site.name)
    session.add(site)
    session.flush()
    _set_activities(session, site, activities)
    search_index.index_site(session, site, activities)
    site_json.store(site, activities)
    site_counts.change(session, [], [site_counts.counted(site, activities)])
    _record(session, site, activities, "create", actor, {}, contribution_id)
    return site


def update(session: Session, site: Site, changes: dict, locator: Locator, *, actor: str,
           expected_version: int | None = None, allow_outside: bool = False,
           contribution_id: int | None = None, action: str = "update") -> dict:
    """Apply validated field changes; returns {field: [old, new]} of what really changed."""
    if expected_version is not None and expected_version != site.version:
        raise VersionConflict(site, expected_version)
    freshness.bump(session)
    locator = locators.current(session, locator)  # the geography of this transaction
    before = snapshot(session, site)
    merged = {k: v for k, v in before.items() if k in SiteData.model_fields} | changes
    if "lon" in changes:
        merged["position_precision"] = changes.get("position_precision", PositionPrecision.address)
    elif changes.get("commune_code") not in (None, before["commune_code"]):
        merged["lon"] = merged["lat"] = None  # moved to another commune without a point: its centre
    data = SiteData.model_validate(merged).model_dump()
    activities = data.pop("activities")
    resolve_position(data, locator)
    data.pop("commune_code")
    for name, value in data.items():
        setattr(site, name, value)
    drop_undeclared_proofs(site)
    _place(site, locator, allow_outside)
    _set_activities(session, site, activities)
    diff = _diff(before, snapshot_of(site.model_dump(), activities))
    if diff:
        _bump(session, site, activities, action, actor, diff, contribution_id)
    site_counts.change(session, [site_counts.counted(before, before["activities"])],
                       [site_counts.counted(site, activities)])
    return diff


def set_status(session: Session, site: Site, status: SiteStatus, *, actor: str,
               contribution_id: int | None = None, expected_version: int | None = None) -> dict:
    if expected_version is not None and expected_version != site.version:
        raise VersionConflict(site, expected_version)
    if site.status == status:
        return {}
    freshness.bump(session)
    diff = {"status": [site.status.value, status.value]}
    activities = activities_of(session, site.id)
    counted_before = site_counts.counted(site, activities)
    site.status = status
    session.exec(update_statement(SiteActivity).where(SiteActivity.site_id == site.id).values(status=status))
    _bump(session, site, activities, "status", actor, diff, contribution_id)
    site_counts.change(session, [counted_before], [site_counts.counted(site, activities)])
    return diff


def drop_undeclared_proofs(values) -> None:
    """A reserved status nobody declares any more (unticked by a form, a restore or an import) keeps
    no proof of verification: ticked again later, it is declared, never verified by the past.
    ``values``: a Site, or a row dict of ``carto.directory.bulk``."""
    row = isinstance(values, dict)
    for flag, column in RESERVED_VERIFICATIONS.items():
        declared = values[flag] if row else getattr(values, flag)
        if not declared:
            if row:
                values[column] = None
            else:
                setattr(values, column, None)


def set_verification(session: Session, site: Site, flag: str, verification: dict | None, *, actor: str,
                     expected_version: int | None = None) -> dict:
    """Record (or, with None, revoke) the proof that a reserved status of the site is verified
    (``carto.directory.reserved_status``). Verifying declares the status too; revoking leaves it declared."""
    if expected_version is not None and expected_version != site.version:
        raise VersionConflict(site, expected_version)
    column = RESERVED_VERIFICATIONS[flag]
    diff = {}
    if verification is not None and not getattr(site, flag):
        diff[flag] = [False, True]
        setattr(site, flag, True)
    if getattr(site, column) != verification:
        diff[column] = [getattr(site, column), verification]
        setattr(site, column, verification)
    if diff:
        freshness.bump(session)
        _bump(session, site, activities_of(session, site.id), "verification", actor, diff, None)
    return diff


def keep_despite_source(session: Session, site: Site, *, actor: str) -> dict:
    """A moderator keeps a site its import source no longer lists (a version says who and when)."""
    if site.missing_from_source_at is None or site.missing_kept_at is not None:
        return {}
    freshness.bump(session)
    site.missing_kept_at = utcnow()
    diff = {"missing_kept_at": [None, site.missing_kept_at.isoformat()]}
    _bump(session, site, activities_of(session, site.id), "status", actor, diff, None)
    return diff


def _bump(session, site, activities, action, actor, diff, contribution_id) -> None:
    """A new version of a site whose activities (sorted) are ``activities``."""
    site.version += 1
    site.updated_at = utcnow()
    site.sort_name = sort_key(site.name)
    session.add(site)
    search_index.index_site(session, site, activities)
    site_json.store(site, activities)
    _record(session, site, activities, action, actor, diff, contribution_id)


def _set_activities(session: Session, site: Site, activities: list[str]) -> None:
    session.exec(delete(SiteActivity).where(SiteActivity.site_id == site.id))
    session.add_all(SiteActivity(site_id=site.id, activity=a, status=site.status, lon=site.lon, lat=site.lat)
                    for a in activities)
    session.flush()


def _diff(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def _record(session, site, activities, action, actor, changes, contribution_id) -> None:
    session.add(SiteVersion(site_id=site.id, version=site.version, action=action, actor=actor,
                            contribution_id=contribution_id, changes=changes,
                            snapshot=snapshot_of(site.model_dump(), activities)))
    session.flush()


def history(session: Session, site_id: int) -> list[SiteVersion]:
    return list(session.exec(select(SiteVersion).where(SiteVersion.site_id == site_id)
                             .order_by(SiteVersion.version)))
