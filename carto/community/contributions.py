"""Proposals from the public (no account): a new site, a change to a site, a report.

A proposed new site is written at once through ``carto.directory.sites`` as a Site with status *pending*:
it has its commune and pôles like any site (so moderation scope applies to it) but the public read
path never shows it. A change is a shadow copy kept beside the site: only the changed fields, as
``{field: [old, new]}`` against the version the contributor saw; it is applied through
``carto.directory.sites`` when a moderator accepts it. Each proposal gets a private follow-up token; only its
SHA-256 is stored. Contributors' names and e-mails stay in ``Contribution`` and never leave the
moderation side.
"""
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlmodel import Session, col, select

from carto.community import auth, mail, messages, ratelimit

from carto.directory import sites

from carto.query import search
from carto.directory.service import Service
from carto.storage.models import (Contribution, ContributionKind, ContributionStatus, PositionPrecision, ReportReason,
                                  Site, SiteStatus, SiteVersion, utcnow)
from carto.community.site_form import FieldError, FormErrors, french_errors
from carto.directory.site_schema import SiteData, check_no_control
from carto.core.taxonomy import Taxonomy
from carto.core.textnorm import words
from carto.community.users import UserError, normalise_email

DUPLICATE_RADIUS_KM = 0.2
MAX_COMMENT = 2000
# Fields a contributor may change; the position (lon/lat or commune) is handled on its own.
CHANGEABLE = tuple(f for f in SiteData.model_fields
                   if f not in ("lon", "lat", "commune_code", "position_precision", "verified_at"))
# Words that say nothing about which structure a name designates.
_NAME_NOISE = {"de", "du", "des", "la", "le", "les", "l", "d", "et", "a", "au", "aux", "en", "demo",
               "solidaire", "solidaires", "association", "asso", "atelier", "pays"}

REPORT_REASONS = {
    ReportReason.closed: "Le lieu n'existe plus",
    ReportReason.wrong: "Informations erronées",
    ReportReason.duplicate: "Doublon d'une autre fiche",
    ReportReason.off_charter: "Hors charte (pas une structure de l'ESS)",
}
KIND_LABELS = {ContributionKind.new_site: "Nouveau site", ContributionKind.change: "Modification",
               ContributionKind.report: "Signalement"}
STATUS_LABELS = {
    ContributionStatus.pending: "En attente de modération",
    ContributionStatus.accepted: "Acceptée",
    ContributionStatus.refused: "Refusée",
    ContributionStatus.merged: "Fusionnée avec une fiche existante",
    ContributionStatus.archived: "Fiche archivée à la suite du signalement",
    ContributionStatus.corrected: "Fiche corrigée à la suite du signalement",
    ContributionStatus.dismissed: "Signalement classé sans suite",
    ContributionStatus.withdrawn: "Retirée par son auteur",
}


class Contributor(BaseModel):
    """Who proposes (private, never published)."""
    model_config = ConfigDict(str_strip_whitespace=True)
    contributor_name: str = Field(default="", max_length=120)
    contributor_email: str | None = Field(default=None, max_length=254)
    consent: bool = False

    @field_validator("contributor_name", "contributor_email", mode="before")
    @classmethod
    def _no_control_characters(cls, value):
        return check_no_control(value)

    @field_validator("contributor_email", mode="before")
    @classmethod
    def _email(cls, value):
        if isinstance(value, str) and not value.strip():
            return None
        try:
            return normalise_email(value)
        except UserError as e:
            raise ValueError(str(e)) from None


def contributor(name: str, email: str, consent: bool, *, identified: bool) -> Contributor:
    """Validate the contributor part of a form. ``identified``: name and e-mail are required."""
    try:
        who = Contributor(contributor_name=name or "", contributor_email=email or "", consent=consent)
    except ValidationError as e:
        raise FormErrors(french_errors(e)) from None
    errors = []
    if identified and not who.contributor_name:
        errors.append(FieldError("contributor_name", "indiquez votre nom (il ne sera pas publié)"))
    if identified and not who.contributor_email:
        errors.append(FieldError("contributor_email", "indiquez votre e-mail pour suivre la proposition"))
    if (identified or who.contributor_email) and not who.consent:
        errors.append(FieldError("consent", "votre accord est nécessaire pour enregistrer la proposition"))
    if errors:
        raise FormErrors(errors)
    return who


def check_comment(comment: str) -> str:
    comment = (comment or "").strip()
    try:
        check_no_control(comment)
    except ValueError as e:
        raise FormErrors([FieldError("comment", str(e))]) from None
    if len(comment) > MAX_COMMENT:
        raise FormErrors([FieldError("comment", f"{MAX_COMMENT} caractères au plus")])
    return comment


def check_domains_open(taxonomy: Taxonomy, activities: list[str], today: date | None = None) -> None:
    closed = {taxonomy.domain_of(a) for a in activities if not taxonomy.domain_of(a).is_open(today)}
    if closed:
        labels = ", ".join(f"« {d.label} »" for d in sorted(closed, key=lambda d: d.slug))
        raise FormErrors([FieldError("activities", f"la modération du domaine {labels} n'est pas encore ouverte : "
                                                   "les propositions n'y sont pas acceptées pour le moment")])


@dataclass
class Receipt:
    contribution: Contribution
    token: str


def follow_url(service: Service, token: str) -> str:
    return f"{service.settings.public_base_url.rstrip('/')}/suivi/{token}"


def _open(session: Session, kind: ContributionKind, who: Contributor, comment: str, **fields) -> Receipt:
    token = auth.new_token()
    contribution = Contribution(kind=kind, contributor_name=who.contributor_name,
                                contributor_email=who.contributor_email, comment=comment,
                                token_hash=auth.token_digest(token), **fields)
    session.add(contribution)
    session.flush()
    return Receipt(contribution, token)


def mail_rule(service: Service) -> ratelimit.Rule:
    return ratelimit.Rule("mail", service.settings.mails_per_recipient_per_day, 24 * 3600)


def _acknowledge(session: Session, service: Service, receipt: Receipt, site_name: str) -> None:
    """Mail the contributor a receipt, at most ``CARTO_MAILS_PER_RECIPIENT_PER_DAY`` a day to one address:
    anyone may type anyone's address. Beyond it the contribution is recorded all the same."""
    c = receipt.contribution
    # In the contribution's transaction: a rolled-back proposal uses up no mail.
    if c.contributor_email and not ratelimit.take(session.connection(), mail_rule(service), c.contributor_email):
        subject, body = messages.received(c, site_name, follow_url(service, receipt.token))
        mail.queue(session, c.contributor_email, subject, body)


def propose_site(session: Session, service: Service, data: SiteData, who: Contributor, comment: str = "") -> Receipt:
    """Record a new site as a pending Site and its proposal; flags likely duplicates."""
    check_domains_open(service.taxonomy, data.activities)
    receipt = _open(session, ContributionKind.new_site, who, check_comment(comment))
    c = receipt.contribution
    try:
        site = sites.create(session, data, service.locator, actor=f"contribution:{c.id}", status=SiteStatus.pending,
                            contribution_id=c.id)
    except sites.SiteError as e:
        raise FormErrors([FieldError({"lon": "position", "commune_code": "commune"}.get(e.field, e.field or ""),
                                     str(e))]) from None
    c.site_id = site.id
    c.duplicates = [s.id for s in duplicates(session, site, statuses=(SiteStatus.published, SiteStatus.pending))]
    c.likely_duplicate = bool(c.duplicates)
    session.add(c)
    _acknowledge(session, service, receipt, site.name)
    return receipt


def base_snapshot(session: Session, site_id: int, version: int) -> dict | None:
    row = session.exec(select(SiteVersion.snapshot).where(SiteVersion.site_id == site_id,
                                                          SiteVersion.version == version)).first()
    return dict(row) if row is not None else None


def blank(value):
    """Empty values compare equal whatever their type (None, "", [])."""
    return None if value in ("", None, []) else value


def change_diff(base: dict, data: SiteData) -> dict:
    """{field: [old, new]} between a stored version and what the contributor submitted."""
    new = data.model_dump(mode="json")
    diff = {f: [base.get(f), new[f]] for f in CHANGEABLE if blank(base.get(f)) != blank(new[f])}
    if data.lon is not None:
        if abs(data.lon - base["lon"]) > 1e-7 or abs(data.lat - base["lat"]) > 1e-7:
            diff.update(lon=[base["lon"], data.lon], lat=[base["lat"], data.lat])
    elif data.commune_code and data.commune_code != base.get("commune_code"):
        diff["commune_code"] = [base.get("commune_code"), data.commune_code]
    return diff


def propose_change(session: Session, service: Service, site: Site, base_version: int, data: SiteData,
                   who: Contributor, comment: str = "") -> Receipt:
    """Keep the changed fields as a diff against ``base_version``; the site is untouched until accepted."""
    base = base_snapshot(session, site.id, base_version)
    if base is None:
        raise FormErrors([FieldError("", "version de la fiche inconnue : rechargez la page")])
    diff = change_diff(base, data)
    if not diff:
        raise FormErrors([FieldError("", "aucun changement par rapport à la fiche actuelle")])
    check_domains_open(service.taxonomy, data.activities)
    receipt = _open(session, ContributionKind.change, who, check_comment(comment), site_id=site.id,
                    base_version=base_version, changes=diff)
    _acknowledge(session, service, receipt, site.name)
    return receipt


def propose_fields(session: Session, service: Service, site: Site, changes: dict, who: Contributor,
                   comment: str = "") -> Receipt:
    """A change of some fields (``{field: [current, proposed]}``) against the site's current version:
    a proposal from a check of a register rather than from a form."""
    receipt = _open(session, ContributionKind.change, who, check_comment(comment), site_id=site.id,
                    base_version=site.version, changes=changes)
    _acknowledge(session, service, receipt, site.name)
    return receipt


def report_site(session: Session, service: Service, site: Site, reason: ReportReason, comment: str,
                who: Contributor) -> Receipt:
    receipt = _open(session, ContributionKind.report, who, check_comment(comment), site_id=site.id,
                    reason=ReportReason(reason))
    _acknowledge(session, service, receipt, site.name)
    return receipt


def withdraw(session: Session, c: Contribution) -> None:
    """Its author takes back a proposal not yet decided (a proposed new site is then refused)."""
    if c.status != ContributionStatus.pending:
        raise FormErrors([FieldError("", "cette proposition a déjà été examinée : elle ne peut plus être retirée")])
    c.status, c.decided_at = ContributionStatus.withdrawn, utcnow()
    session.add(c)
    if c.kind == ContributionKind.new_site:
        sites.set_status(session, session.get(Site, c.site_id), SiteStatus.refused, actor=f"contribution:{c.id}",
                         contribution_id=c.id)


def by_token(session: Session, token: str) -> Contribution | None:
    if not token or len(token) > 100:
        return None
    return session.exec(select(Contribution).where(Contribution.token_hash == auth.token_digest(token))).first()


def name_key(name: str, commune_name: str = "") -> set[str]:
    noise = _NAME_NOISE | set(words(commune_name))
    return {w for w in words(name) if w not in noise} or set(words(name))


def similar_names(a: str, b: str, commune_name: str = "") -> bool:
    """Whether two names likely designate the same structure (commune and generic words ignored)."""
    ka, kb = name_key(a, commune_name), name_key(b, commune_name)
    if not ka or not kb:
        return False
    return ka <= kb or kb <= ka or SequenceMatcher(None, " ".join(sorted(ka)), " ".join(sorted(kb))).ratio() >= 0.8


def probe(service: Service, name: str, lon: float | None, lat: float | None, commune_code: str | None = None,
          siret: str | None = None) -> Site | None:
    """An unsaved Site standing for a proposal, to look for duplicates before it is submitted."""
    precision = PositionPrecision.address
    if lon is None or lat is None:
        centre = service.locator.centre(commune_code or "")
        if centre is None:
            return None
        (lon, lat), precision = centre, PositionPrecision.commune
    placement = service.locator.locate(lon, lat)
    return Site(name=name, lon=lon, lat=lat, siret=siret, position_precision=precision,
                commune_code=placement.commune_code if placement else None,
                commune_name=placement.commune_name if placement else "")


def duplicates(session: Session, site: Site, statuses=(SiteStatus.published,)) -> list[Site]:
    """Sites that are likely the same as ``site``: the same SIRET, or a similar name within ~200 m
    (in the same commune when ``site`` is only placed at its commune's centre)."""
    found: dict[int, Site] = {}
    if site.siret:
        for other in session.exec(select(Site).where(Site.siret == site.siret, col(Site.status).in_(statuses))):
            found[other.id] = other
    if site.position_precision == PositionPrecision.commune and site.commune_code:
        nearby = session.exec(select(Site).where(Site.commune_code == site.commune_code,
                                                 col(Site.status).in_(statuses)).limit(2000)).all()
    else:
        nearby = search.find(session, search.SiteFilter(near=(site.lon, site.lat), radius_km=DUPLICATE_RADIUS_KM,
                                                        statuses=tuple(statuses)), limit=200).sites
    for other in nearby:
        if similar_names(site.name, other.name, site.commune_name):
            found[other.id] = other
    found.pop(site.id, None)
    return sorted(found.values(), key=lambda s: s.id)
