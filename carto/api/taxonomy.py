"""The activity taxonomy, with the number of matching sites per activity."""
from fastapi import APIRouter

from carto.query import search
from carto.api.deps import ServiceDep, FilterDep, SessionDep

router = APIRouter(prefix="/api", tags=["taxonomie"])


@router.get("/taxonomy", summary="Domaines et activités, avec le nombre de sites pour les filtres donnés",
            description="`count` est `null` quand un texte (`q`) correspond à plus de 1 000 sites : "
                        "ces nombres ne sont alors pas comptés.")
def get_taxonomy(service: ServiceDep, session: SessionDep, f: FilterDep):
    counts = search.activity_counts(session, f)
    tree = service.taxonomy.as_dict()
    for domain in tree:
        for activity in domain["activities"]:
            activity["count"] = None if counts is None else counts.get(activity["slug"], 0)
    return {"domains": tree}
