"""The moderation console (pages) and its JSON API. Every route checks the moderator's scope."""
from datetime import date
from typing import Annotated, Literal
from urllib.parse import quote

import pydantic_core
from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field
from sqlmodel import Session, select

from carto.community import contributions, mail, moderation, review_locks

from carto.directory import geojson, reserved_status, sirene, sites

from carto.query import params, search
from carto.api.contribute import SITE_FIELDS, commune_text, form_page, map_options
from carto.api.deps import ServiceDep, RowId
from carto.api.security import (ApiModerator, CheckedForm, CsrfHeader, PageModerator, Visitor, csrf_token, render)
from carto.directory.service import Service
from carto.storage.db import session_scope
from carto.storage.models import Contribution, ContributionKind, ContributionStatus, Pole, Site, User
from carto.community.moderation import Action, Queue, QueueFilter
from carto.community.site_form import (LABELS, FormErrors, diff_rows, display, rebase_values, site_data,
                                      values_from_form, values_from_snapshot)
from carto.community.users import display_name

def _private(response: Response) -> None:
    # Moderation data holds contributors' personal data: never kept by a browser or proxy cache.
    response.headers["Cache-Control"] = "no-store"


pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/moderation", tags=["modération"], dependencies=[Depends(_private)])
PAGE_SIZE = 50


def queue_filter(domaine: Annotated[str | None, Query(max_length=40)] = None,
                 pole: Annotated[str | None, Query(max_length=80)] = None,
                 commune: Annotated[str | None, Query(max_length=80)] = None,
                 age: Annotated[int | None, Query(ge=0, le=3650)] = None) -> QueueFilter:
    """Console filters; unknown values simply match nothing."""
    code = (commune or "").strip()
    code = code[-6:-1] if code.endswith(")") else code
    return QueueFilter(domain=domaine or None, pole=pole or None, commune=code or None, min_age_days=age or None)


FilterDep = Annotated[QueueFilter, Depends(queue_filter)]


def _known_domain(service: Service, f: QueueFilter) -> QueueFilter:
    if f.domain and f.domain not in {d.slug for d in service.taxonomy.domains}:
        raise moderation.NotFound(f"domaine inconnu : « {f.domain} »")
    return f


def _deliver(background: BackgroundTasks, service: Service) -> None:
    background.add_task(mail.deliver_pending, service.engine, service.settings)


# --- Presenting items ---------------------------------------------------------------------------

def summary(session: Session, service: Service, c: Contribution) -> dict:
    """A proposal as moderators see it (contributor included: never sent to the public side)."""
    site = session.get(Site, c.site_id)
    decided_by = session.get(User, c.decided_by) if c.decided_by else None
    return {
        "id": c.id, "kind": c.kind.value, "kind_label": contributions.KIND_LABELS[c.kind], "status": c.status.value,
        "status_label": contributions.STATUS_LABELS[c.status], "created_at": c.created_at.isoformat(),
        "site": {"id": site.id, "name": site.name, "commune": site.commune_name, "status": site.status.value,
                 "version": site.version},
        "base_version": c.base_version,
        "changes": [row.__dict__ for row in diff_rows(c.changes, service.taxonomy, service.locator)],
        "reason": c.reason.value if c.reason else None,
        "reason_label": contributions.REPORT_REASONS[c.reason] if c.reason else None,
        "comment": c.comment, "duplicates": c.duplicates,
        "activities": [service.taxonomy.activities[a].label if a in service.taxonomy.activities else a
                       for a in sites.activities_of(session, site.id)] if c.kind == ContributionKind.new_site else [],
        "no_pole": bool(moderation.outside_poles(session, [site.id])),
        "contributor": {"name": c.contributor_name, "email": c.contributor_email},
        "decided_by": display_name(decided_by) if c.decided_by else None,
        "decided_at": c.decided_at.isoformat() if c.decided_at else None,
        "decision_reason": c.decision_reason, "merged_into": c.merged_into,
        "in_review": _in_review(session, c), "verified_owner": c.verified_owner,
        "actions": (sorted(a.value for a in moderation.ALLOWED[c.kind])
                    if c.status == ContributionStatus.pending else []),
    }


def _in_review(session: Session, c: Contribution) -> dict | None:
    """« En cours d'examen »: who opened the proposal and since when (a pending one only)."""
    reviewer = review_locks.reviewers(session, [c.id]).get(c.id) if c.status == ContributionStatus.pending else None
    return {"by": reviewer.name, "user_id": reviewer.user_id, "since": reviewer.since.isoformat(),
            "since_text": moderation.paris_time(reviewer.since)} if reviewer else None


def _console_context(session: Session, service: Service, me: Visitor, queue: Queue, f: QueueFilter, page: int) -> dict:
    counts = moderation.counts(session, me.scope, f, service.taxonomy)
    offset = (page - 1) * PAGE_SIZE
    if queue == Queue.stale:
        total, rows = moderation.stale(session, me.scope, f, service.taxonomy, limit=PAGE_SIZE, offset=offset)
        items = [{"site": s} for s in rows]
    else:
        total, rows = moderation.pending(session, me.scope, queue, f, service.taxonomy, limit=PAGE_SIZE, offset=offset)
        items = [summary(session, service, c) for c in rows]
    poles = session.exec(select(Pole.id, Pole.name).order_by(Pole.name)).all()
    if not me.scope.everything and me.scope.poles:
        poles = [p for p in poles if p.id in me.scope.poles]
    no_pole = moderation.no_pole_communes(session) if me.scope.everything else []
    return {"queue": queue, "queues": moderation.QUEUE_LABELS, "counts": counts, "items": items, "total": total,
            "no_pole_communes": no_pole, "no_pole": moderation.NO_POLE,
            "page": page, "pages": max(1, -(-total // PAGE_SIZE)), "filter": f, "poles": poles,
            "action_labels": moderation.ACTION_LABELS, "today": date.today()}


def _filter_query(f: QueueFilter) -> str:
    pairs = [("domaine", f.domain), ("pole", f.pole), ("commune", f.commune), ("age", f.min_age_days)]
    return "&".join(f"{k}={quote(str(v))}" for k, v in pairs if v)


# --- Console pages ------------------------------------------------------------------------------

@pages.get("/moderation")
def console(request: Request, service: ServiceDep, me: PageModerator, f: FilterDep,
            file: Annotated[Queue, Query()] = Queue.new_sites, page: Annotated[int, Query(ge=1, le=100_000)] = 1,
            fait: Annotated[str | None, Query(max_length=300)] = None):
    _known_domain(service, f)
    with service.session() as session:
        context = _console_context(session, service, me, file, f, page)
    return render(request, "moderation/console.html", **context, done=fait, results=None,
                  filter_query=_filter_query(f), map=map_options(service))


@pages.get("/moderation/propositions/{contribution_id}")
def contribution_page(request: Request, service: ServiceDep, me: PageModerator, contribution_id: RowId):
    return _contribution_page(request, service, me, contribution_id)


@pages.post("/moderation/propositions/{contribution_id}/examen")
def take_over_page(request: Request, service: ServiceDep, me: PageModerator, _form: CheckedForm,
                   contribution_id: RowId):
    """Take over the review of a proposal another moderator opened (after the page's warning)."""
    with session_scope(service.engine) as session:
        moderation.item(session, me.scope, contribution_id, service.taxonomy)
        review_locks.open_item(session, me.user, contribution_id, take_over=True)
    return RedirectResponse(f"/moderation/propositions/{contribution_id}", status_code=303)


def _proposed_siret(c: Contribution, site: Site) -> str | None:
    """The SIRET a proposal is about: the one it proposes, else the site's."""
    change = (c.changes or {}).get("siret") if c.kind == ContributionKind.change else None
    return change[1] if change and change[1] else site.siret


def _contribution_page(request, service, me, contribution_id, status_code=200, error=None, errors=None):
    with session_scope(service.engine) as session:  # opening it marks it « en cours d'examen »
        c = moderation.item(session, me.scope, contribution_id, service.taxonomy)
        other = (review_locks.open_item(session, me.user, c.id)
                 if c.status == ContributionStatus.pending else None)
    with service.session() as session:
        c = session.get(Contribution, contribution_id)
        site = session.get(Site, c.site_id)
        snapshot = sites.snapshot(session, site)
        duplicates = [s for s in (session.get(Site, i) for i in c.duplicates) if s is not None]
        context = {
            "c": summary(session, service, c), "site": site,
            "fields": [(f, display(f, snapshot.get(f), service.taxonomy, service.locator)) for f in SITE_FIELDS],
            "duplicates": duplicates, "action_labels": moderation.ACTION_LABELS, "error": error,
            "reviewer": other,
            "stale": moderation.stale_fields(session, service, c),
            "dropped_proofs": reserved_status.dropped_by(site, c.changes) if c.kind == ContributionKind.change else [],
            "paris": moderation.paris_time,
            "errors": errors or {}, "map": map_options(service),
            "point": {"lon": site.lon, "lat": site.lat, "name": site.name},
            "sirene": sirene.line_for(session, service.sirene, _proposed_siret(c, site)),
            "annuaire": sirene.annuaire_url(_proposed_siret(c, site) or ""),
        }
    return render(request, "moderation/contribution.html", status_code, **context)


@pages.post("/moderation/propositions/{contribution_id}/decision")
def decide_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm,
                background: BackgroundTasks, contribution_id: RowId):
    target = params.parse_id(str(form.get("target_site_id") or ""))
    try:
        with session_scope(service.engine) as session:
            c = moderation.decide(session, service, me.user, me.scope, contribution_id, str(form.get("action") or ""),
                                  str(form.get("reason") or ""), target, _field_choices(form))
            message = f"Proposition n° {c.id} : {contributions.STATUS_LABELS[c.status].lower()}"
    except (moderation.DecisionError, FormErrors) as e:
        errors = e.by_field() if isinstance(e, FormErrors) else {e.field: str(e)}
        return _contribution_page(request, service, me, contribution_id, 422, error=str(e), errors=errors)
    except moderation.Conflict as e:
        return _contribution_page(request, service, me, contribution_id, 409, error=str(e))
    except moderation.LeavesScope as e:
        return _contribution_page(request, service, me, contribution_id, 403,
                                  error=f"{e}. La proposition reste en attente : un administrateur la verra dans sa file.")
    _deliver(background, service)
    return RedirectResponse(f"/moderation?file={_queue_of(form).value}&fait={quote(message)}", status_code=303)


def _field_choices(form) -> dict[str, bool]:
    """A stale change's field-by-field choices: ``field_<name>`` = ``proposed`` or ``current``."""
    return {k[6:]: v == "proposed" for k, v in form.items() if k.startswith("field_") and v in ("proposed", "current")}


def _queue_of(form) -> Queue:
    """The console queue a form was posted from (to go back to it)."""
    return Queue(form.get("file")) if form.get("file") in {q.value for q in Queue} else Queue.new_sites


@pages.post("/moderation/decisions")
def decide_many_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm,
                     background: BackgroundTasks):
    ids = [i for i in (params.parse_id(str(v)) for v in form.getlist("ids")) if i is not None][:500]
    results = moderation.decide_many(service, me.user, ids, str(form.get("action") or ""), str(form.get("reason") or ""))
    _deliver(background, service)
    with service.session() as session:
        context = _console_context(session, service, me, _queue_of(form), QueueFilter(), 1)
    return render(request, "moderation/console.html", **context, done=None, results=results, filter_query="",
                  map=map_options(service))


# --- Sites: history, edit, verify, archive, restore -------------------------------------------------

@pages.get("/moderation/sites/{site_id}")
def site_page(request: Request, service: ServiceDep, me: PageModerator, site_id: RowId,
              fait: Annotated[str | None, Query(max_length=300)] = None):
    return _site_page(request, service, me, site_id, done=fait)


def _reserved_forms(site: Site, typed: dict[str, dict]) -> list[dict]:
    """Per reserved status: what it is now, and the verification form (with what was typed, after an error)."""
    forms = []
    for flag, status in reserved_status.STATUSES.items():
        proof = getattr(site, status.column)
        kinds = [reserved_status.KINDS[k] for k in status.kinds]
        # A default authority only where one kind leaves no doubt: « DREETS » offered for an ESAT
        # (authorised by the ARS) would be recorded as its source by a moderator in a hurry.
        default_authority = kinds[0].authority if len(kinds) == 1 else ""
        values = typed.get(flag) or {"kind": (proof or {}).get("kind") or kinds[0].slug,
                                     "authority": (proof or {}).get("authority") or default_authority,
                                     "number": "", "document_date": ""}
        forms.append({"flag": flag, "status": status, "kinds": kinds, "entered": values, "proof": proof,
                      "authority_hint": " ou ".join(f"{k.authority} ({k.label})" for k in kinds),
                      "typed": flag in typed,
                      "now": (reserved_status.label(flag, getattr(site, flag), proof)
                              or f"{status.label} — non déclaré"),
                      "proof_text": proof and reserved_status.proof_text(flag, proof)})
    return forms


def _site_page(request, service, me, site_id, status_code=200, done=None, error=None, typed=None):
    with service.session() as session:
        site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
        snapshot = sites.snapshot(session, site)
        history = [{"entry": e, "rows": diff_rows(e.version.changes, service.taxonomy, service.locator)}
                   for e in moderation.history(session, site_id)]
        open_items = session.exec(select(Contribution).where(Contribution.site_id == site_id,
                                                             Contribution.status == ContributionStatus.pending)
                                  .order_by(Contribution.id)).all()
        context = {"site": site, "history": history, "open_items": open_items, "done": done, "error": error,
                   "fields": [(f, display(f, snapshot.get(f), service.taxonomy, service.locator)) for f in SITE_FIELDS],
                   "kind_labels": contributions.KIND_LABELS, "paris": moderation.paris_time,
                   "reserved": _reserved_forms(site, typed or {}), "today": date.today().isoformat()}
    return render(request, "moderation/site.html", status_code, **context)


def _site_action(request, service, me, site_id, work, message: str, typed: dict | None = None):
    try:
        with session_scope(service.engine) as session:
            site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
            work(session, site)
    except (moderation.DecisionError, FormErrors) as e:
        return _site_page(request, service, me, site_id, 422, error=str(e), typed=typed)
    except moderation.Conflict as e:
        return _site_page(request, service, me, site_id, 409, error=str(e), typed=typed)
    return RedirectResponse(f"/moderation/sites/{site_id}?fait={quote(message)}", status_code=303)


@pages.post("/moderation/sites/{site_id}/verifier")
def verify_page(request: Request, service: ServiceDep, me: PageModerator, _form: CheckedForm, site_id: RowId):
    return _site_action(request, service, me, site_id,
                        lambda s, site: moderation.mark_verified(s, service, me.user, me.scope, site),
                        "Fiche marquée vérifiée aujourd'hui")


ReservedFlag = Literal["siae", "ea_esat"]
PROOF_FIELDS = ("kind", "authority", "number", "document_date")


@pages.post("/moderation/sites/{site_id}/statuts/{flag}/verifier")
def verify_reserved_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm,
                         site_id: RowId, flag: ReservedFlag):
    typed = {name: str(form.get(name) or "") for name in PROOF_FIELDS}
    return _site_action(request, service, me, site_id,
                        lambda s, site: moderation.verify_reserved(s, me.user, site, flag, **typed),
                        f"Statut {reserved_status.STATUSES[flag].label} marqué vérifié", typed={flag: typed})


@pages.post("/moderation/sites/{site_id}/statuts/{flag}/retirer")
def revoke_reserved_page(request: Request, service: ServiceDep, me: PageModerator, _form: CheckedForm,
                         site_id: RowId, flag: ReservedFlag):
    return _site_action(request, service, me, site_id,
                        lambda s, site: moderation.revoke_reserved(s, me.user, site, flag),
                        f"Vérification du statut {reserved_status.STATUSES[flag].label} retirée : il reste déclaré")


@pages.post("/moderation/sites/{site_id}/archiver")
def archive_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm, site_id: RowId):
    archived = form.get("archive") == "1"
    return _site_action(request, service, me, site_id,
                        lambda s, site: moderation.set_archived(s, me.user, site, archived),
                        "Fiche archivée" if archived else "Fiche republiée")


@pages.post("/moderation/sites/{site_id}/restaurer")
def restore_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm, site_id: RowId):
    version = params.parse_id(str(form.get("version") or ""))
    if version is None:
        return _site_page(request, service, me, site_id, 422, error="version à restaurer manquante")
    return _site_action(request, service, me, site_id,
                        lambda s, site: moderation.restore(s, service, me.user, me.scope, site, version),
                        f"Version {version} restaurée")


@pages.get("/moderation/sites/{site_id}/modifier")
def edit_page(request: Request, service: ServiceDep, me: PageModerator, site_id: RowId,
              signalement: Annotated[int | None, Query(ge=1)] = None):
    with service.session() as session:
        site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
        values = values_from_snapshot(sites.snapshot(session, site), commune_text(service, site.commune_code))
        return form_page(request, service, "moderation/edit.html", site=site, base_version=site.version,
                          values=values, report_id=signalement, error=None)


@pages.post("/moderation/sites/{site_id}/modifier")
def edit(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm, background: BackgroundTasks,
         site_id: RowId):
    """Save a correction. Whatever goes wrong, the form comes back with what was typed: beside a
    colleague's concurrent change (to send again against it), or, when the change would take the
    site out of the moderator's scope, with the offer to send it to an administrator."""
    values = values_from_form(form)
    report_id = params.parse_id(str(form.get("report_id") or ""))
    version = params.parse_id(str(form.get("base_version") or "")) or -1
    try:
        with session_scope(service.engine) as session:
            site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
            data = site_data(session, values)
            if form.get("as_proposal"):
                receipt = moderation.propose_to_admin(session, service, me.user, site, version, data)
                done = f"Proposition n° {receipt.contribution.id} envoyée aux administrateurs"
            else:
                moderation.correct(session, service, me.user, me.scope, site, data, version, report_id)
                done = "Fiche enregistrée"
    except moderation.LeavesScope as e:
        return _edit_again(request, service, site_id, values, version, report_id, 403, error=str(e), leaves_scope=True)
    except moderation.AlreadyDecided as e:
        return _edit_again(request, service, site_id, values, version, None, 409, error=f"Le signalement est {e}.")
    except moderation.Conflict as e:
        return _edit_after_conflict(request, service, site_id, values, version, report_id, str(e))
    except (FormErrors, moderation.DecisionError) as e:
        errors = e.by_field() if isinstance(e, FormErrors) else {}
        return _edit_again(request, service, site_id, values, version, report_id, 422, errors=errors,
                           error=None if errors else str(e))
    _deliver(background, service)
    return RedirectResponse(f"/moderation/sites/{site_id}?fait={quote(done)}", status_code=303)


def _edit_again(request, service, site_id, values, version, report_id, status_code, **context):
    with service.session() as session:
        site = session.get(Site, site_id)
        return form_page(request, service, "moderation/edit.html", status_code, site=site, base_version=version,
                         values=values, report_id=report_id, **({"error": None} | context))


def _edit_after_conflict(request, service, site_id, typed, version, report_id, error):
    """Someone saved the site meanwhile: their change beside the typed values, which now apply to
    the new version (fields left untouched take their value)."""
    with service.session() as session:
        site = session.get(Site, site_id)
        base = contributions.base_snapshot(session, site_id, version)
        if base is None:  # not a version of this site: nothing to compare with
            return _edit_again(request, service, site_id, typed, site.version, report_id, 409, error=error)
        current = sites.snapshot(session, site)
        values, both = rebase_values(typed, values_from_snapshot(base, commune_text(service, base.get("commune_code"))),
                                     values_from_snapshot(current, commune_text(service, site.commune_code)))
        meanwhile = [{"entry": e, "rows": diff_rows(e.version.changes, service.taxonomy, service.locator)}
                     for e in moderation.changes_since(session, site_id, version)]
        new_version = site.version
    return _edit_again(request, service, site_id, values, new_version, report_id, 409, meanwhile=meanwhile,
                       both=[LABELS.get(f, f) for f in both], paris=moderation.paris_time,
                       error="Cette fiche a été modifiée pendant que vous la corrigiez.")


# --- JSON API -----------------------------------------------------------------------------------

@api.get("/me", summary="Le compte connecté, son périmètre et son jeton CSRF")
def me_api(request: Request, me: ApiModerator):
    return {"email": me.user.email, "name": me.user.name, "role": me.user.role.value,
            "scope": {"everything": me.scope.everything, "poles": sorted(me.scope.poles),
                      "domains": sorted(me.scope.domains)},
            "csrf_token": csrf_token(request)}


@api.get("/queues", summary="Nombre d'éléments par file, dans le périmètre du compte")
def queues_api(service: ServiceDep, me: ApiModerator, f: FilterDep):
    _known_domain(service, f)
    with service.session() as session:
        counts = moderation.counts(session, me.scope, f, service.taxonomy)
    return {"queues": [{"queue": q.value, "label": moderation.QUEUE_LABELS[q], "count": n} for q, n in counts.items()]}


@api.get("/queues/{queue}", summary="Les éléments d'une file, les plus anciens d'abord")
def queue_api(service: ServiceDep, me: ApiModerator, f: FilterDep, queue: Queue,
              limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
              offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    _known_domain(service, f)
    with service.session() as session:
        if queue == Queue.stale:
            total, rows = moderation.stale(session, me.scope, f, service.taxonomy, limit=limit, offset=offset)
            return {"total": total, "items": [pydantic_core.from_json(service.pieces.site_feature(s)) for s in rows]}
        total, rows = moderation.pending(session, me.scope, queue, f, service.taxonomy, limit=limit, offset=offset)
        return {"total": total, "items": [summary(session, service, c) for c in rows]}


@api.get("/contributions/{contribution_id}", summary="Une proposition (403 hors périmètre)")
def contribution_api(service: ServiceDep, me: ApiModerator, contribution_id: RowId):
    with service.session() as session:
        c = moderation.item(session, me.scope, contribution_id, service.taxonomy)
        return summary(session, service, c) | {"stale_fields": [
            {"field": f.choice, "label": f.label, "proposed_from": f.proposed_from, "proposed": f.proposed,
             "now": f.now, "changed_by": f.by, "changed_at": f.at.isoformat() if f.at else None}
            for f in moderation.stale_fields(session, service, c)]}


class Review(BaseModel):
    take_over: bool = Field(default=False, description="Prendre la main sur l'examen d'un autre modérateur")


@api.post("/contributions/{contribution_id}/review", dependencies=[CsrfHeader],
          summary="Marquer une proposition « en cours d'examen » (10 minutes) ; 409 si un autre l'examine, "
                  "sauf take_over")
def review_api(service: ServiceDep, me: ApiModerator, contribution_id: RowId, body: Review):
    with session_scope(service.engine) as session:
        c = moderation.item(session, me.scope, contribution_id, service.taxonomy)
        if c.status != ContributionStatus.pending:
            raise moderation.AlreadyDecided(moderation.decider_note(session, c))
        other = review_locks.open_item(session, me.user, c.id, take_over=body.take_over)
        if other is not None:
            raise moderation.Conflict(f"en cours d'examen par {other.name} depuis le "
                                      f"{moderation.paris_time(other.since)}")
        return {"in_review": _in_review(session, c)}


class Decision(BaseModel):
    action: Action
    reason: str = Field(default="", max_length=moderation.MAX_REASON)
    target_site_id: int | None = Field(default=None, ge=1, le=params.MAX_ID)
    fields: dict[Annotated[str, Field(max_length=40)], Literal["proposed", "current"]] = Field(
        default_factory=dict, max_length=40,
        description="Modification devenue obsolète : pour chaque champ modifié depuis, garder la valeur actuelle "
                    "(current) ou prendre celle proposée (proposed)")


class BatchDecision(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=params.MAX_ID)]] = Field(min_length=1, max_length=500)
    action: Literal["accept", "refuse", "archive", "dismiss"]
    reason: str = Field(default="", max_length=moderation.MAX_REASON)


def _unprocessable(field: str, message: str) -> HTTPException:
    return HTTPException(422, detail=[{"loc": ["body", field], "msg": message, "type": "value_error"}])


@api.post("/contributions/{contribution_id}/decision", dependencies=[CsrfHeader],
          summary="Décider : accepter, refuser (motif obligatoire), fusionner, archiver, classer "
                  "(409 si déjà décidée)")
def decide_api(service: ServiceDep, me: ApiModerator, background: BackgroundTasks, contribution_id: RowId,
               decision: Decision):
    try:
        with session_scope(service.engine) as session:
            c = moderation.decide(session, service, me.user, me.scope, contribution_id, decision.action,
                                  decision.reason, decision.target_site_id,
                                  {k: v == "proposed" for k, v in decision.fields.items()})
            result = summary(session, service, c)
    except moderation.DecisionError as e:
        raise _unprocessable(e.field, str(e)) from None
    except FormErrors as e:
        raise _unprocessable(e.errors[0].field, e.errors[0].message) from None
    _deliver(background, service)
    return result


@api.post("/decisions", dependencies=[CsrfHeader], summary="La même décision sur plusieurs propositions")
def decide_many_api(service: ServiceDep, me: ApiModerator, background: BackgroundTasks, batch: BatchDecision):
    results = moderation.decide_many(service, me.user, batch.ids, batch.action, batch.reason)
    _deliver(background, service)
    return {"results": [r.__dict__ for r in results]}


@api.get("/sites/{site_id}/history", summary="L'historique d'une fiche : qui, quand, quoi, par quelle proposition")
def history_api(service: ServiceDep, me: ApiModerator, site_id: RowId):
    with service.session() as session:
        moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
        return {"versions": [{"version": e.version.version, "action": e.version.action, "actor": e.actor,
                              "contribution_id": e.version.contribution_id,
                              "changed_at": e.version.changed_at.isoformat(), "changes": e.version.changes}
                             for e in moderation.history(session, site_id)]}


_PRINTABLE = r"[^\x00-\x1f\x7f-\x9f]"


class ReservedProof(BaseModel):
    """What the schema cannot say is checked by ``reserved_status.proof`` (422 naming the field): the
    kind fits the status, an ESAT's number is a FINESS number, the document is not dated after today."""
    kind: Literal["siae", "ea", "esat"] | None = Field(None, description="siae ; pour ea_esat : ea ou esat")
    authority: str = Field(max_length=reserved_status.MAX_AUTHORITY,
                           pattern=rf"^{_PRINTABLE}*[^\s\x00-\x1f\x7f-\x9f]{_PRINTABLE}*$",
                           description="Qui a délivré le document (DREETS Bretagne, ARS Bretagne…)")
    number: str = Field(max_length=reserved_status.MAX_NUMBER, pattern=rf"^{reserved_status.NUMBER_PATTERN}$",
                        description="N° de conventionnement (SIAE), d'agrément (EA) ou FINESS (ESAT, 9 caractères)")
    document_date: date = Field(description="Date du document (AAAA-MM-JJ), au plus tard aujourd'hui")


def _reserved_write(service: Service, me, site_id: int, work) -> dict:
    try:
        with session_scope(service.engine) as session:
            site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
            changes = work(session, site)
            return {"version": site.version, "changes": changes,
                    "labels": reserved_status.labels(site)}
    except moderation.DecisionError as e:
        raise _unprocessable(e.field, str(e)) from None
    except moderation.Conflict as e:
        raise HTTPException(409, detail=str(e)) from None


@api.post("/sites/{site_id}/reserved-statuses/{flag}/verification", dependencies=[CsrfHeader],
          summary="Marquer vérifié un statut SIAE ou EA/ESAT (source, numéro, date du document)")
def verify_reserved_api(service: ServiceDep, me: ApiModerator, site_id: RowId, flag: ReservedFlag, body: ReservedProof):
    return _reserved_write(service, me, site_id, lambda session, site: moderation.verify_reserved(
        session, me.user, site, flag, **body.model_dump()))


@api.post("/sites/{site_id}/reserved-statuses/{flag}/revocation", dependencies=[CsrfHeader],
          summary="Retirer la vérification d'un statut SIAE ou EA/ESAT (il reste déclaré ; 409 s'il n'est pas "
                  "vérifié)")
def revoke_reserved_api(service: ServiceDep, me: ApiModerator, site_id: RowId, flag: ReservedFlag):
    return _reserved_write(service, me, site_id, lambda session, site: moderation.revoke_reserved(
        session, me.user, site, flag))


class Restore(BaseModel):
    version: int = Field(ge=1, le=params.MAX_ID)


@api.post("/sites/{site_id}/restore", dependencies=[CsrfHeader], summary="Restaurer une version antérieure")
def restore_api(service: ServiceDep, me: ApiModerator, site_id: RowId, body: Restore):
    try:
        with session_scope(service.engine) as session:
            site = moderation.site_in_scope(session, me.scope, site_id, service.taxonomy)
            changes = moderation.restore(session, service, me.user, me.scope, site, body.version)
            return {"version": site.version, "changes": changes}
    except moderation.DecisionError as e:
        raise _unprocessable(e.field, str(e)) from None


@api.get("/pending-sites", summary="Les nouveaux sites proposés, en attente (GeoJSON), pour la carte des modérateurs")
def pending_sites_api(service: ServiceDep, me: ApiModerator):
    with service.session() as session:
        rows = moderation.pending_sites(session, me.scope, service.taxonomy)
        activities = search.activities_by_site(session, [s.id for _c, s in rows])
        return geojson.collection([
            {"type": "Feature", "id": s.id, "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
             "properties": {"nom": s.name, "contribution_id": c.id, "activites": activities[s.id],
                            "likely_duplicate": c.likely_duplicate, "url": f"/moderation/propositions/{c.id}"}}
            for c, s in rows])

