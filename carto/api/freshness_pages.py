"""Freshness campaign pages: the structure's answer (« toujours exact » or correct), unsubscribing,
and the administrators' button that runs a campaign. Thin: ``carto.community.campaigns`` decides."""
from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import RedirectResponse

from carto.api.deps import ServiceDep
from carto.api.security import CheckedForm, PageAdmin, PageError, render
from carto.community import campaigns, mail, owners
from carto.storage.db import session_scope
from carto.storage.models import Site

router = APIRouter(include_in_schema=False)


def _request(session, token: str):
    try:
        return campaigns.request_by_token(session, token)
    except campaigns.CampaignError as e:
        raise PageError(404, f"{str(e)[0].upper()}{str(e)[1:]}.") from None


def _page(request: Request, service, token: str, status_code: int = 200, **context):
    with service.session() as session:
        asked = _request(session, token)
        site = session.get(Site, asked.site_id)
        response = render(request, "contribute/freshness.html", status_code, site=site, asked=asked, token=token,
                          **({"done": None, "error": None} | context))
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/fraicheur/{token}")
def freshness_page(request: Request, service: ServiceDep, token: str):
    return _page(request, service, token)


@router.post("/fraicheur/{token}")
def answer(request: Request, service: ServiceDep, form: CheckedForm, token: str):
    try:
        with session_scope(service.engine) as session:
            asked = _request(session, token)
            if form.get("answer") == "corriger":
                return RedirectResponse(campaigns.correct(session, asked), status_code=303)
            campaigns.confirm(session, service, asked)
    except campaigns.CampaignError as e:
        return _page(request, service, token, 409, error=str(e))
    return _page(request, service, token, done="Merci ! La fiche est marquée comme vérifiée aujourd'hui.")


@router.get("/fraicheur/{token}/desinscription")
def unsubscribe_page(request: Request, service: ServiceDep, token: str):
    return _page(request, service, token, unsubscribing=True)


@router.post("/fraicheur/{token}/desinscription")
def unsubscribe(request: Request, service: ServiceDep, _form: CheckedForm, token: str):
    with session_scope(service.engine) as session:
        campaigns.opt_out(session, _request(session, token))
    return _page(request, service, token, done="C'est noté : cette adresse ne recevra plus ces e-mails.")


@router.post("/moderation/fraicheur/envoyer")
def send_page(request: Request, service: ServiceDep, _me: PageAdmin, _form: CheckedForm,
              background: BackgroundTasks):
    with session_scope(service.engine) as session:
        report = campaigns.send(session, service)
        chosen = owners.publishing_domains(session)
    background.add_task(mail.deliver_pending, service.engine, service.settings)
    return render(request, "moderation/owners.html", chosen=chosen, done=False, error=None, campaign=report)
