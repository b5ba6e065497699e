"""Public contribution pages (no account): propose a site, propose a change, report, follow up.

Every form carries a CSRF token and a hidden honeypot field; submissions are limited per IP.
The JSON duplicate check serves the form's early warning and only tells about published sites.
"""
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse

from carto.community import contributions, mail, ratelimit

from carto.directory import sites

from carto.query import params
from carto.api.deps import ServiceDep, RowId
from carto.api.security import CheckedForm, PageError, render
from carto.directory.service import Service
from carto.storage.db import session_scope
from carto.storage.models import (LEGAL_FORM_LABELS, ContributionKind, ContributionStatus, ReportReason, Site,
                          SiteStatus)
from carto.community.site_form import FieldError, FormErrors, commune_label, diff_rows, display, empty_values, site_data
from carto.community.site_form import values_from_form, values_from_snapshot
from carto.directory.site_schema import check_siret

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/contributions", tags=["contributions"])

SUBMISSIONS_PER_HOUR = 10
HONEYPOT = "url_confirmation"  # hidden from people; robots fill it in
SITE_FIELDS = ("name", "activities", "description", "street", "postcode", "commune_code", "position_precision",
               "website", "email", "phone", "opening_hours", "siret", "legal_form", "siae", "ea_esat",
               "serves_individuals", "serves_professionals", "labels")


def map_options(service: Service) -> dict:
    tiles = service.settings.tiles
    if tiles == "blank":
        return {"tiles": "/static/tiles/blank.png", "attribution": "Fond neutre (hors ligne)"}
    return {"tiles": tiles, "attribution": "© contributeurs OpenStreetMap"}


def form_page(request: Request, service: Service, template: str, status_code: int = 200, **context):
    communes = sorted(service.locator.communes, key=lambda c: (c.nom, c.code))
    context.setdefault("errors", {})
    return render(request, template, status_code, communes=[commune_label(c) for c in communes],
                  legal_forms=LEGAL_FORM_LABELS, map=map_options(service), **context)


def _limiter(request: Request) -> ratelimit.RateLimiter:
    return ratelimit.limiter(request.app.state, "submissions", SUBMISSIONS_PER_HOUR, 3600)


def _ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def _guard(request: Request, form) -> None:
    """Refuse robots (honeypot) and floods (per-IP limit) before any work."""
    if form.get(HONEYPOT):
        raise PageError(400, "Envoi refusé.")
    if _limiter(request).blocked(_ip(request)):
        raise PageError(429, f"Trop d'envois depuis votre adresse : {SUBMISSIONS_PER_HOUR} par heure au plus. "
                             "Réessayez plus tard.")


def _received(request: Request, service: Service, background: BackgroundTasks, token: str) -> RedirectResponse:
    _limiter(request).hit(_ip(request))
    background.add_task(mail.deliver_pending, service.engine, service.settings)
    return RedirectResponse(f"/suivi/{token}?merci=1", status_code=303)


def _published(session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.status != SiteStatus.published:
        raise PageError(404, f"Site {site_id} introuvable.")
    return site


def _who(form, identified: bool) -> contributions.Contributor:
    return contributions.contributor(str(form.get("contributor_name") or ""), str(form.get("contributor_email") or ""),
                                     bool(form.get("consent")), identified=identified)


def _contact(form) -> dict:
    return {"contributor_name": str(form.get("contributor_name") or "")[:120],
            "contributor_email": str(form.get("contributor_email") or "")[:254],
            "consent": bool(form.get("consent")), "comment": str(form.get("comment") or "")[:5000]}


def _collect(*steps):
    """Run validation steps, gathering the errors of all of them; returns their results."""
    results, errors = [], []
    for step in steps:
        try:
            results.append(step())
        except FormErrors as e:
            errors.extend(e.errors)
            results.append(None)
    if errors:
        raise FormErrors(errors)
    return results


# --- New site -----------------------------------------------------------------------------------

@router.get("/proposer")
def new_site_form(request: Request, service: ServiceDep):
    return form_page(request, service, "contribute/new.html", values=empty_values(), contact=_contact({}),
                      duplicates=[])


@router.post("/proposer")
def new_site(request: Request, service: ServiceDep, form: CheckedForm, background: BackgroundTasks):
    _guard(request, form)
    values, contact = values_from_form(form), _contact(form)
    try:
        with service.session() as session:
            data, who = _collect(lambda: site_data(session, values), lambda: _who(form, True))
        contributions.check_domains_open(service.taxonomy, data.activities)
        if not form.get("not_duplicate"):
            found = _duplicates(service, data.name, data.lon, data.lat, data.commune_code, data.siret)
            if found:
                return form_page(request, service, "contribute/new.html", values=values, contact=contact,
                                  duplicates=found)
        with session_scope(service.engine) as session:
            receipt = contributions.propose_site(session, service, data, who, contact["comment"])
    except FormErrors as e:
        return form_page(request, service, "contribute/new.html", 422, values=values, contact=contact,
                          duplicates=[], errors=e.by_field())
    return _received(request, service, background, receipt.token)


def _duplicates(service: Service, name, lon, lat, commune_code, siret) -> list[Site]:
    site = contributions.probe(service, name, lon, lat, commune_code, siret)
    if site is None:
        return []
    with service.session() as session:
        found = contributions.duplicates(session, site)
        for s in found:
            session.expunge(s)
    return found


@api.get("/duplicates", summary="Sites publiés ressemblant à une proposition (même SIRET, ou nom proche à ~200 m)")
def duplicates_api(service: ServiceDep, name: Annotated[str, Query(min_length=2, max_length=200)],
                   lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
                   lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
                   commune: Annotated[str | None, Query(pattern=r"^[0-9AB]{5}$")] = None,
                   siret: Annotated[str | None, Query(max_length=20)] = None):
    try:
        siret = check_siret(siret) if siret else None
    except ValueError:
        siret = None
    found = _duplicates(service, name, lon, lat, commune, siret)
    return {"duplicates": [{"id": s.id, "name": s.name, "commune": s.commune_name, "url": f"/sites/{s.id}",
                            "change_url": f"/sites/{s.id}/modifier"} for s in found]}


# --- Change to a site ---------------------------------------------------------------------------

@router.get("/sites/{site_id}/modifier")
def change_form(request: Request, service: ServiceDep, site_id: RowId):
    with service.session() as session:
        site = _published(session, site_id)
        values = values_from_snapshot(sites.snapshot(session, site), commune_text(service, site.commune_code))
        return form_page(request, service, "contribute/change.html", site=site, base_version=site.version,
                          values=values, contact=_contact({}))


def commune_text(service: Service, code: str | None) -> str:
    placement = service.locator.placement(code or "")
    return f"{placement.commune_name} ({code})" if placement else ""


def _base_version(form) -> int:
    version = params.parse_id(str(form.get("base_version") or ""))
    if version is None:
        raise FormErrors([FieldError("", "version de la fiche manquante : rechargez la page")])
    return version


@router.post("/sites/{site_id}/modifier")
def change(request: Request, service: ServiceDep, form: CheckedForm, background: BackgroundTasks, site_id: RowId):
    _guard(request, form)
    values, contact = values_from_form(form), _contact(form)
    with session_scope(service.engine) as session:
        site = _published(session, site_id)
        try:
            data, who, base = _collect(lambda: site_data(session, values), lambda: _who(form, True),
                                       lambda: _base_version(form))
            receipt = contributions.propose_change(session, service, site, base, data, who, contact["comment"])
        except FormErrors as e:
            session.rollback()
            return form_page(request, service, "contribute/change.html", 422, site=site,
                              base_version=form.get("base_version") or site.version, values=values,
                              contact=contact, errors=e.by_field())
    return _received(request, service, background, receipt.token)


# --- Report -------------------------------------------------------------------------------------

@router.get("/sites/{site_id}/signaler")
def report_form(request: Request, service: ServiceDep, site_id: RowId):
    with service.session() as session:
        site = _published(session, site_id)
        return render(request, "contribute/report.html", site=site, reasons=contributions.REPORT_REASONS,
                      reason="", contact=_contact({}), errors={})


@router.post("/sites/{site_id}/signaler")
def report(request: Request, service: ServiceDep, form: CheckedForm, background: BackgroundTasks, site_id: RowId):
    _guard(request, form)
    contact = _contact(form)
    reason = str(form.get("reason") or "")
    with session_scope(service.engine) as session:
        site = _published(session, site_id)
        try:
            who, reason_value = _collect(lambda: _who(form, False), lambda: _reason(reason))
            receipt = contributions.report_site(session, service, site, reason_value, contact["comment"], who)
        except FormErrors as e:
            session.rollback()
            return render(request, "contribute/report.html", 422, site=site, reasons=contributions.REPORT_REASONS,
                          reason=reason, contact=contact, errors=e.by_field())
    return _received(request, service, background, receipt.token)


def _reason(raw: str) -> ReportReason:
    try:
        return ReportReason(raw)
    except ValueError:
        raise FormErrors([FieldError("reason", "choisissez le motif du signalement")]) from None


# --- Follow-up ----------------------------------------------------------------------------------

@router.get("/suivi/{token}")
def follow(request: Request, service: ServiceDep, token: str, merci: bool = False):
    with service.session() as session:
        c = contributions.by_token(session, token)
        if c is None:
            raise PageError(404, "Lien de suivi inconnu : vérifiez qu'il est complet.")
        site = session.get(Site, c.site_id)
        public_id = c.merged_into or (site.id if site.status == SiteStatus.published else None)
        proposal = []
        if c.kind == ContributionKind.new_site:
            snap = sites.snapshot(session, site)
            proposal = [(f, display(f, snap.get(f), service.taxonomy, service.locator)) for f in SITE_FIELDS]
        response = render(request, "contribute/follow.html", c=c, site=site, public_id=public_id, thanks=merci,
                          kind=contributions.KIND_LABELS[c.kind], status=contributions.STATUS_LABELS[c.status],
                          pending=c.status == ContributionStatus.pending, proposal=proposal,
                          changes=diff_rows(c.changes, service.taxonomy, service.locator),
                          reason=contributions.REPORT_REASONS.get(c.reason) if c.reason else None)
    # The token is the only key to this page: never send it on as a referrer, never index it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response

