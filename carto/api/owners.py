"""Owners' pages: ask for a one-time link from a site page, use it to propose a change, withdraw a
pending proposal from its follow-up page; administrators choose where owners publish directly.

Thin: links, proposals and the domains setting live in ``carto.community.owners``.
"""
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse

from carto.api.contribute import commune_text, form_page
from carto.api.deps import RowId, ServiceDep
from carto.api.security import CheckedForm, PageAdmin, PageError, client_address, render
from carto.community import contributions, mail, owners, ratelimit
from carto.community.site_form import FormErrors, site_data, values_from_form, values_from_snapshot
from carto.directory import sites
from carto.query import params
from carto.storage.db import session_scope
from carto.storage.models import Site, SiteStatus

router = APIRouter(include_in_schema=False)
LINK_REQUESTS = ratelimit.Rule("owner-links", 10, 3600)  # per address, on top of the per-site cap


def _published(session, site_id: int) -> Site:
    site = session.get(Site, site_id)
    if site is None or site.status != SiteStatus.published:
        raise PageError(404, f"Site {site_id} introuvable.")
    return site


@router.get("/sites/{site_id}/proprietaire")
def owner_page(request: Request, service: ServiceDep, site_id: RowId):
    with service.session() as session:
        site = _published(session, site_id)
        error = None if site.email else owners.NO_EMAIL
        return render(request, "contribute/owner_link.html", site=site, asking=True,
                      sent_to=owners.masked(site.email) if site.email else None, error=error)


@router.post("/sites/{site_id}/proprietaire")
def ask_for_link(request: Request, service: ServiceDep, _form: CheckedForm, background: BackgroundTasks,
                 site_id: RowId):
    address = client_address(request)
    if wait := ratelimit.take(service.engine, LINK_REQUESTS, address):
        raise PageError(429, f"Trop de demandes de lien depuis votre adresse : réessayez dans "
                             f"{ratelimit.in_words(wait)}.")
    try:
        with session_scope(service.engine) as session:
            site = _published(session, site_id)
            sent_to, name = owners.send_link(session, service, site), site.name
    except owners.OwnerError as e:
        ratelimit.give_back(service.engine, LINK_REQUESTS, address)  # nothing sent: the request does not count
        with service.session() as session:
            return render(request, "contribute/owner_link.html", 422, site=_published(session, site_id),
                          asking=False, sent_to=None, error=str(e))
    background.add_task(mail.deliver_pending, service.engine, service.settings)
    return render(request, "contribute/owner_link.html", site={"id": site_id, "name": name}, asking=False,
                  sent_to=sent_to, error=None)


@router.get("/sites/{site_id}/proprietaire/{token}")
def owner_form(request: Request, service: ServiceDep, site_id: RowId, token: str):
    with service.session() as session:
        site = _published(session, site_id)
        _link(session, site_id, token)
        values = values_from_snapshot(sites.snapshot(session, site), commune_text(service, site.commune_code))
        return form_page(request, service, "contribute/owner.html", site=site, base_version=site.version,
                         values=values, token=token, comment="")


def _link(session, site_id: int, token: str):
    try:
        return owners.usable_link(session, site_id, token)
    except owners.OwnerError as e:
        raise PageError(404, f"{str(e)[0].upper()}{str(e)[1:]}.") from None


@router.post("/sites/{site_id}/proprietaire/{token}")
def owner_change(request: Request, service: ServiceDep, form: CheckedForm, background: BackgroundTasks,
                 site_id: RowId, token: str):
    values, comment = values_from_form(form), str(form.get("comment") or "")[:5000]
    version = params.parse_id(str(form.get("base_version") or "")) or -1
    with session_scope(service.engine) as session:
        site = _published(session, site_id)
        link = _link(session, site_id, token)
        try:
            receipt, _published_now = owners.propose(session, service, link, site, version, site_data(session, values),
                                                     comment)
        except (FormErrors, sites.VersionConflict) as e:
            session.rollback()
            errors = e.by_field() if isinstance(e, FormErrors) else {"": "la fiche a changé entre-temps : "
                                                                          "rechargez la page"}
            return form_page(request, service, "contribute/owner.html", 422, site=site, base_version=version,
                             values=values, token=token, comment=comment, errors=errors)
    background.add_task(mail.deliver_pending, service.engine, service.settings)
    return RedirectResponse(f"/suivi/{receipt.token}?merci=1", status_code=303)


@router.post("/suivi/{token}/retirer")
def withdraw(request: Request, service: ServiceDep, _form: CheckedForm, token: str):
    try:
        with session_scope(service.engine) as session:
            c = contributions.by_token(session, token)
            if c is None:
                raise PageError(404, "Lien de suivi inconnu : vérifiez qu'il est complet.")
            contributions.withdraw(session, c)
    except FormErrors as e:
        raise PageError(409, f"{e.errors[0].message[0].upper()}{e.errors[0].message[1:]}.") from None
    return RedirectResponse(f"/suivi/{token}", status_code=303)


@router.get("/moderation/proprietaires")
def publishing_page(request: Request, service: ServiceDep, _me: PageAdmin, fait: bool = False):
    with service.session() as session:
        chosen = owners.publishing_domains(session)
    return render(request, "moderation/owners.html", chosen=chosen, done=fait, error=None, campaign=None)


@router.post("/moderation/proprietaires")
def set_publishing(request: Request, service: ServiceDep, me: PageAdmin, form: CheckedForm):
    domains = [str(d)[:40] for d in form.getlist("domains")][:50]
    try:
        with session_scope(service.engine) as session:
            owners.set_publishing_domains(session, service, me.user, domains)
    except owners.OwnerError as e:
        return render(request, "moderation/owners.html", 422, chosen=set(domains), done=False, error=str(e),
                      campaign=None)
    return RedirectResponse("/moderation/proprietaires?fait=1", status_code=303)
