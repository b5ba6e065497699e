"""Public contribution pages (no account): propose a site, propose a change, report, follow up.

Every form carries a CSRF token and a hidden honeypot field; submissions are limited per IP.
The JSON duplicate check serves the form's early warning and only tells about published sites.
"""
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import RedirectResponse, Response

from carto.community import contributions, mail, ratelimit

from carto.directory import sites

from carto.query import params
from carto.api.deps import ServiceDep, RowId
from carto.api.security import FORM_EXPIRED, PageError, PostedForm, client_address, form_csrf_ok, render
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
    communes = sorted(service.locator.communes, key=lambda c: (c.name, c.code))
    context.setdefault("errors", {})
    return render(request, template, status_code, communes=[commune_label(c) for c in communes],
                  legal_forms=LEGAL_FORM_LABELS, map=map_options(service), **context)


def submission_rule(service: Service) -> ratelimit.Rule:
    return ratelimit.Rule("submissions", service.settings.submissions_per_hour, 3600)


def _refusal(request: Request, service: Service, form) -> PageError | None:
    """Why a form is refused before any work: expired page, robot, or too many sendings from this
    address (else one sending is now reserved for it, given back by ``_submit`` if nothing is recorded)."""
    if not form_csrf_ok(request, form):
        return PageError(403, FORM_EXPIRED)
    if form.get(HONEYPOT):
        return PageError(400, "Envoi refusé.")
    rule = submission_rule(service)
    if wait := ratelimit.take(service.engine, rule, client_address(request)):
        return PageError(429, f"Trop d'envois depuis votre adresse : {rule.limit} par heure au plus. Réessayez dans "
                              f"{ratelimit.in_words(wait)} ; votre saisie est conservée ci-dessous.")
    return None


def _submit(request: Request, service: Service, form, background: BackgroundTasks,
            work: Callable[[], contributions.Receipt | Response], again: Callable[..., Response]) -> Response:
    """What every public form goes through: the refusals above, then ``work``, which records the
    contribution (its receipt) or answers a page (the form with its errors, a duplicate warning).
    ``again(status, refusal=…)`` shows the form with what was typed."""
    if refused := _refusal(request, service, form):
        return again(refused.status_code, refusal=str(refused))
    outcome = None
    try:
        outcome = work()
    finally:
        if not isinstance(outcome, contributions.Receipt):
            ratelimit.give_back(service.engine, submission_rule(service), client_address(request))
    if not isinstance(outcome, contributions.Receipt):
        return outcome
    background.add_task(mail.deliver_pending, service.engine, service.settings)
    return RedirectResponse(f"/suivi/{outcome.token}?merci=1", status_code=303)


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
def new_site(request: Request, service: ServiceDep, form: PostedForm, background: BackgroundTasks):
    values, contact = values_from_form(form), _contact(form)

    def again(status_code: int = 200, **context) -> Response:
        context = {"duplicates": [], "errors": {}} | context
        return form_page(request, service, "contribute/new.html", status_code, values=values, contact=contact,
                          **context)

    def work():
        try:
            with service.session() as session:
                data, who = _collect(lambda: site_data(session, values), lambda: _who(form, True))
            contributions.check_domains_open(service.taxonomy, data.activities)
            if not form.get("not_duplicate"):
                found = _duplicates(service, data.name, data.lon, data.lat, data.commune_code, data.siret)
                if found:
                    return again(duplicates=found)
            with session_scope(service.engine) as session:
                return contributions.propose_site(session, service, data, who, contact["comment"])
        except FormErrors as e:
            return again(422, errors=e.by_field())

    return _submit(request, service, form, background, work, again)


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
def change(request: Request, service: ServiceDep, form: PostedForm, background: BackgroundTasks, site_id: RowId):
    values, contact = values_from_form(form), _contact(form)
    with service.session() as session:
        site = _published(session, site_id)
        session.expunge(site)

    def again(status_code: int = 200, **context) -> Response:
        return form_page(request, service, "contribute/change.html", status_code, site=site,
                          base_version=form.get("base_version") or site.version, values=values, contact=contact,
                          **context)

    def work():
        with session_scope(service.engine) as session:
            try:
                data, who, base = _collect(lambda: site_data(session, values), lambda: _who(form, True),
                                           lambda: _base_version(form))
                return contributions.propose_change(session, service, _published(session, site_id), base, data,
                                                    who, contact["comment"])
            except FormErrors as e:
                session.rollback()
                return again(422, errors=e.by_field())

    return _submit(request, service, form, background, work, again)


# --- Report -------------------------------------------------------------------------------------

@router.get("/sites/{site_id}/signaler")
def report_form(request: Request, service: ServiceDep, site_id: RowId):
    with service.session() as session:
        site = _published(session, site_id)
        return render(request, "contribute/report.html", site=site, reasons=contributions.REPORT_REASONS,
                      reason="", contact=_contact({}), errors={})


@router.post("/sites/{site_id}/signaler")
def report(request: Request, service: ServiceDep, form: PostedForm, background: BackgroundTasks, site_id: RowId):
    contact = _contact(form)
    reason = str(form.get("reason") or "")
    with service.session() as session:
        site = _published(session, site_id)
        session.expunge(site)

    def again(status_code: int = 200, **context) -> Response:
        return render(request, "contribute/report.html", status_code, site=site, reasons=contributions.REPORT_REASONS,
                      reason=reason, contact=contact, **({"errors": {}} | context))

    def work():
        with session_scope(service.engine) as session:
            try:
                who, reason_value = _collect(lambda: _who(form, False), lambda: _reason(reason))
                return contributions.report_site(session, service, _published(session, site_id), reason_value,
                                                 contact["comment"], who)
            except FormErrors as e:
                session.rollback()
                return again(422, errors=e.by_field())

    return _submit(request, service, form, background, work, again)


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
        response = render(request, "contribute/follow.html", c=c, site=site, public_id=public_id, thanks=merci, token=token,
                          kind=contributions.KIND_LABELS[c.kind], status=contributions.STATUS_LABELS[c.status],
                          pending=c.status == ContributionStatus.pending, proposal=proposal,
                          changes=diff_rows(c.changes, service.taxonomy, service.locator),
                          reason=contributions.REPORT_REASONS.get(c.reason) if c.reason else None)
    # The token is the only key to this page: never send it on as a referrer, never index it.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response

