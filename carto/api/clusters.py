"""Sites counted per grid cell of the map view (see ``carto.query.clusters``)."""
from typing import Annotated

from fastapi import APIRouter, Query

from carto.query import clusters
from carto.api.deps import FilterDep, SessionDep, bad_request
from carto.api.json_response import FastJSONResponse

router = APIRouter(prefix="/api", tags=["sites"])

DESCRIPTION = """
Pour afficher un très grand nombre de sites : les sites publiés de la vue (`bbox`, obligatoire),
comptés par case d'une grille dont la taille suit le `zoom` (environ 60 pixels d'écran). Chaque
groupe donne son nombre de sites, leur centre et leur emprise ; un groupe d'un seul site donne son
`id` (fiche : `/api/sites/{id}`). Les filtres sont ceux de `/api/sites` et les nombres concordent.

`total` compte les sites de la `bbox` demandée ; les cases sont entières, donc `bbox` en réponse
est un peu plus large, et les groupes du bord peuvent compter des sites juste hors de la vue.
La réponse ne dépasse jamais 2 000 groupes, quel que soit le nombre de sites.
"""


@router.get("/sites/clusters", summary="Sites de la vue groupés par case (carte à grand nombre de sites)",
            description=DESCRIPTION)
def site_clusters(session: SessionDep, f: FilterDep,
                  zoom: Annotated[int, Query(ge=0, le=clusters.MAX_ZOOM, description="Niveau de zoom de la carte")]):
    if f.bbox is None:
        raise bad_request("bbox", "la vue est obligatoire : ouest,sud,est,nord (WGS84)")
    grid = clusters.grid(session, f, zoom)
    return FastJSONResponse({"zoom": grid.zoom, "cell": grid.cell, "bbox": list(grid.bbox), "total": grid.total,
                         "clusters": [c.as_json() for c in grid.clusters]})
