"""The import queues of the moderation console (pages and JSON API): conflicts between a
moderator's correction and a re-import, and sites their source no longer lists.

Thin: listing, deciding and scope live in ``carto.importers.conflicts``.
"""
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from carto.api.deps import ServiceDep
from carto.api.security import ApiModerator, CheckedForm, CsrfHeader, PageModerator, render
from carto.community import moderation
from carto.importers import conflicts
from carto.query import params


def _private(response: Response) -> None:
    response.headers["Cache-Control"] = "no-store"


pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/moderation", tags=["modération"], dependencies=[Depends(_private)])
PAGE_SIZE = 50
PageNumber = Annotated[int, Query(ge=1, le=100_000)]

# Each queue: its decisions (form value → (decide function, label of what was done)).
CONFLICT_CHOICES = {"keep": (False, "valeur actuelle gardée"), "source": (True, "valeur de la source appliquée")}
MISSING_CHOICES = {"archive": (True, "fiche archivée"), "keep": (False, "fiche gardée")}


def _conflict_decider(service, me, apply: bool):
    return lambda session, scope, item_id: conflicts.decide_conflict(session, service, me.user, scope, item_id, apply)


def _missing_decider(service, me, archive: bool):
    return lambda session, scope, item_id: conflicts.decide_missing(session, service, me.user, scope, item_id, archive)


QUEUES = {
    "conflits": {"title": "Conflits d'import", "choices": CONFLICT_CHOICES, "decider": _conflict_decider,
                 "template": "moderation/import_conflicts.html"},
    "absentes": {"title": "Fiches absentes de leur source", "choices": MISSING_CHOICES, "decider": _missing_decider,
                 "template": "moderation/import_missing.html"},
}


def _page(request, service, me, queue: str, page: int, results=None, status_code=200):
    with service.session() as session:
        counts = {"conflits": conflicts.count_conflicts(session, me.scope, service),
                  "absentes": conflicts.count_missing(session, me.scope, service)}
        offset = (page - 1) * PAGE_SIZE
        items = (conflicts.conflict_rows(session, me.scope, service, limit=PAGE_SIZE, offset=offset)
                 if queue == "conflits" else
                 conflicts.missing_in_scope(session, me.scope, service, limit=PAGE_SIZE, offset=offset))
        total = counts[queue]
        return render(request, QUEUES[queue]["template"], status_code, queue=queue, title=QUEUES[queue]["title"],
                      counts=counts, items=items, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                      results=results, paris=moderation.paris_time)


@pages.get("/moderation/imports/conflits")
def conflicts_page(request: Request, service: ServiceDep, me: PageModerator, page: PageNumber = 1):
    return _page(request, service, me, "conflits", page)


@pages.get("/moderation/imports/absentes")
def missing_page(request: Request, service: ServiceDep, me: PageModerator, page: PageNumber = 1):
    return _page(request, service, me, "absentes", page)


@pages.post("/moderation/imports/{queue}")
def decide_page(request: Request, service: ServiceDep, me: PageModerator, form: CheckedForm,
                queue: Literal["conflits", "absentes"]):
    """One row (a button ``row=choice:id``) or the ticked rows (``ids`` and ``choice``)."""
    choice, _, one = str(form.get("row") or "").partition(":")
    ids = [params.parse_id(one)] if one else [params.parse_id(str(v)) for v in form.getlist("ids")]
    ids = [i for i in ids if i is not None][:500]
    choice = choice or str(form.get("choice") or "")
    spec = QUEUES[queue]
    if choice not in spec["choices"] or not ids:
        message = "Cochez au moins une ligne, puis choisissez une décision." if not ids else "Décision inconnue."
        return _page(request, service, me, queue, 1, results=[moderation.BatchResult(0, False, message)],
                     status_code=422)
    return _page(request, service, me, queue, 1, results=_decide(service, me, queue, ids, choice))


def _decide(service, me, queue: str, ids: list[int], choice: str) -> list[moderation.BatchResult]:
    spec = QUEUES[queue]
    flag, label = spec["choices"][choice]
    return conflicts.decide_many(service, me.user, ids, spec["decider"](service, me, flag), label)


# --- JSON API -----------------------------------------------------------------------------------

def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


@api.get("/import-conflicts", summary="Conflits d'import ouverts du périmètre : notre valeur et celle de la source, "
                                      "avec leurs dates")
def conflicts_api(service: ServiceDep, me: ApiModerator, limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
                  offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    with service.session() as session:
        total = conflicts.count_conflicts(session, me.scope, service)
        rows = conflicts.conflict_rows(session, me.scope, service, limit=limit, offset=offset)
        return {"total": total, "items": [{
            "id": r.conflict.id, "field": r.conflict.field, "label": r.label, "source": r.conflict.source,
            "site": {"id": r.site.id, "name": r.site.name, "commune": r.site.commune_name},
            "ours": {"value": r.conflict.current, "text": r.ours, "by": r.ours_by, "at": _when(r.ours_at)},
            "theirs": {"value": r.conflict.incoming, "text": r.theirs, "at": _when(r.theirs_at),
                       "run_id": r.conflict.run_id},
        } for r in rows]}


@api.get("/missing-sites", summary="Fiches du périmètre que leur source d'import ne liste plus")
def missing_api(service: ServiceDep, me: ApiModerator, limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
                offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0):
    with service.session() as session:
        total = conflicts.count_missing(session, me.scope, service)
        rows = conflicts.missing_in_scope(session, me.scope, service, limit=limit, offset=offset)
        return {"total": total, "items": [{
            "id": s.id, "name": s.name, "commune": s.commune_name, "source": s.source, "source_key": s.source_key,
            "missing_since": _when(s.missing_from_source_at), "status": s.status.value} for s in rows]}


class ConflictDecisions(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=params.MAX_ID)]] = Field(min_length=1, max_length=500)
    choice: Literal["keep", "source"]


class MissingDecisions(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=params.MAX_ID)]] = Field(min_length=1, max_length=500)
    choice: Literal["archive", "keep"]


@api.post("/import-conflicts/decisions", dependencies=[CsrfHeader],
          summary="Garder notre valeur (keep) ou prendre celle de la source (source), conflit par conflit")
def decide_conflicts_api(service: ServiceDep, me: ApiModerator, body: ConflictDecisions):
    return {"results": [r.__dict__ for r in _decide(service, me, "conflits", body.ids, body.choice)]}


@api.post("/missing-sites/decisions", dependencies=[CsrfHeader],
          summary="Archiver (archive) ou garder (keep) des fiches absentes de leur source")
def decide_missing_api(service: ServiceDep, me: ApiModerator, body: MissingDecisions):
    return {"results": [r.__dict__ for r in _decide(service, me, "absentes", body.ids, body.choice)]}
