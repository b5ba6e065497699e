"""Downloads of the published sites: the whole dataset, or exactly the result of a buyer's search.

Same query parameters as ``/sourcing`` and ``/api/sourcing`` (none: every published site). CSV and
GeoJSON stream as they are written; XLSX and GeoPackage are files, built then sent.
"""
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from carto.publish import exports

from carto.query import sourcing
from carto.api.deps import ServiceDep, SessionDep
from carto.api.sourcing import CriteriaDep
from carto.directory.service import Service
from carto.query.sourcing import Results

router = APIRouter(prefix="/api/exports", tags=["exports"])
Format = Literal["csv", "xlsx", "geojson", "gpkg"]


@router.get("/sites.{fmt}", summary="Export des sites publiés (CSV, XLSX, GeoJSON, GeoPackage), avec licence et crédits",
            description="Sans critère : le jeu de données complet. Avec les critères de /api/sourcing : exactement "
                        "ses résultats, dans son ordre. Licence Ouverte Etalab 2.0 ; chaque fichier porte la source, "
                        "le crédit de chaque fiche et la date.")
def export_sites(fmt: Format, service: ServiceDep, session: SessionDep, c: CriteriaDep,
                 sep: Annotated[Literal[",", ";"], Query(description="Séparateur CSV (; : décimales à virgule)")] = ","):
    results = sourcing.run(session, c)
    day = date.today()
    media_type = exports.FORMATS[fmt][0]
    name = exports.file_name(fmt, day)
    if fmt in ("csv", "geojson"):
        return StreamingResponse(_stream(service, results, fmt, sep, day), media_type=media_type,
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})
    path = Path(tempfile.mkstemp(suffix=f".{fmt}", prefix="carto-export-")[1])
    try:
        exports.write(_table(service, session, results, day), fmt, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=media_type, filename=name,
                        background=BackgroundTask(path.unlink, missing_ok=True))


def _table(service: Service, session, results: Results, day: date) -> exports.Table:
    return exports.table(session, service.taxonomy, results, service.settings.public_base_url, day)


def _stream(service: Service, results: Results, fmt: str, sep: str, day: date) -> Iterator[bytes]:
    # Its own session: the request's may be closed before the last piece is sent.
    with service.session() as session:
        t = _table(service, session, results, day)
        for chunk in exports.csv_chunks(t, sep) if fmt == "csv" else exports.geojson_chunks(t):
            yield chunk.encode("utf-8")
