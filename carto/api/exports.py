"""Downloads of the published sites: the whole dataset, or exactly the result of a buyer's search.

Same query parameters as ``/sourcing`` and ``/api/sourcing`` (none: every published site). CSV and
GeoJSON stream as they are written; XLSX and GeoPackage are files, built then sent. Every download
names, in its ``Link`` header, its Data Package (credits, licences, schema), the published Table
Schema and its licences.
"""
import json
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from carto.publish import exports, table_schema

from carto.query import sourcing
from carto.api.deps import ServiceDep, SessionDep
from carto.api.sourcing import CriteriaDep
from carto.directory.service import Service
from carto.query.sourcing import Results

router = APIRouter(tags=["exports"])
Format = Literal["csv", "xlsx", "geojson", "gpkg"]
Separator = Annotated[Literal[",", ";"], Query(description="Séparateur CSV (; : décimales à virgule, pour les "
                                                           "tableurs en français)")]


@router.get("/api/exports/sites.{fmt}",
            summary="Export des sites publiés (CSV, XLSX, GeoJSON, GeoPackage), avec licences et crédits",
            description="Sans critère : le jeu de données complet. Avec les critères de /api/sourcing : exactement "
                        "ses résultats, dans son ordre. Champs décrits par le schéma /schema/sites.json ; crédits "
                        "et licences dans /api/exports/datapackage.json (même requête), indiqué par l'en-tête Link.",
            response_class=Response,
            responses={200: {"description": "Le fichier, dans le format demandé",
                             "content": {media: {} for media, _ in exports.FORMATS.values()}}})
def export_sites(fmt: Format, request: Request, service: ServiceDep, session: SessionDep, c: CriteriaDep,
                 sep: Separator = ","):
    results = sourcing.run(session, c, sources=True)
    day = date.today()
    media_type = exports.FORMATS[fmt][0]
    name = exports.file_name(fmt, day)
    headers = {"Link": _links(request, service, session, results)}
    if fmt in ("csv", "geojson"):
        return StreamingResponse(_stream(service, results, fmt, sep, day), media_type=media_type,
                                 headers=headers | {"Content-Disposition": f'attachment; filename="{name}"'})
    path = Path(tempfile.mkstemp(suffix=f".{fmt}", prefix="carto-export-")[1])
    try:
        exports.write(_table(service, session, results, day), fmt, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=media_type, filename=name, headers=headers,
                        background=BackgroundTask(path.unlink, missing_ok=True))


@router.get("/api/exports/datapackage.json", summary="Description Frictionless (Data Package) de l'export CSV",
            description="Mêmes critères que /api/exports/sites.csv : l'adresse du fichier, son dialecte, son schéma, "
                        "ses licences et ses crédits.")
def export_datapackage(request: Request, service: ServiceDep, session: SessionDep, c: CriteriaDep,
                       sep: Separator = ","):
    results = sourcing.run(session, c, sources=True)
    t = _table(service, session, results, date.today())
    package = table_schema.datapackage(t, service.taxonomy, service.settings.public_base_url,
                                       _url(request, service, "/api/exports/sites.csv"), sep)
    return Response(json.dumps(package, ensure_ascii=False, indent=1), media_type="application/json")


@router.get(table_schema.SCHEMA_PATH, summary="Schéma des sites exportés (Table Schema)",
            description="Noms, titres et descriptions des champs, types, formats, codes des activités et motifs du "
                        "SIRET et des codes INSEE : le vocabulaire de l'API, d'OGC API et de chaque export.")
def sites_schema(service: ServiceDep):
    return Response(json.dumps(table_schema.schema(service.taxonomy), ensure_ascii=False, indent=1),
                    media_type="application/json")


def _url(request: Request, service: Service, path: str) -> str:
    """``path`` with this request's query, under the public address."""
    query = request.url.query
    return service.settings.public_base_url.rstrip("/") + path + (f"?{query}" if query else "")


def _links(request: Request, service: Service, session, results: Results) -> str:
    base = service.settings.public_base_url.rstrip("/")
    links = [f'<{_url(request, service, "/api/exports/datapackage.json")}>; rel="describedby"; '
             'type="application/json"; title="Data Package"',
             f'<{base}{table_schema.SCHEMA_PATH}>; rel="describedby"; type="application/json"; title="Table Schema"']
    links += [f'<{lic.url}>; rel="license"' for lic in exports.file_licences(session, results) if lic.url]
    return ", ".join(links)


def _table(service: Service, session, results: Results, day: date) -> exports.Table:
    return exports.table(session, service.taxonomy, results, service.settings.public_base_url, day)


def _stream(service: Service, results: Results, fmt: str, sep: str, day: date) -> Iterator[bytes]:
    # Its own session: the request's may be closed before the last piece is sent.
    with service.session() as session:
        t = _table(service, session, results, day)
        for chunk in exports.csv_chunks(t, sep) if fmt == "csv" else exports.geojson_chunks(t):
            yield chunk.encode("utf-8")
