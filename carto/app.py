"""The FastAPI application: routers, static files, templates and error shapes."""
import copy

from fastapi import Depends, FastAPI, routing
from starlette.exceptions import HTTPException
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from carto.api import clusters, docs, ogc, pages, poles, sites, taxonomy, territories
from carto.api import exports as exports_api, poles_pages, sourcing as sourcing_api, stats as stats_api
from carto.api import accounts, contribute, moderation as moderation_api, security
from carto.api import freshness_board, freshness_pages, import_review, imports as imports_api, owners as owners_api
from carto.api import deps, embed as embed_api, legal, problems, strict_query
from carto.api import feeds, registers
from carto.api import openapi_errors, openapi_sites
from carto.api.body_limit import BodyLimit
from carto.api.compression import GZip
from carto.api.headers import SecurityHeaders
from carto.api.http_cache import ReadEndpoints
from carto.core import licences
from carto.directory.service import Service
from carto.core.settings import PROJECT_ROOT, Settings, check_deployment, get_settings

STATIC_DIR = PROJECT_ROOT / "web" / "static"


def create_app(settings: Settings | None = None, service: Service | None = None) -> FastAPI:
    """The application; without arguments (``carto serve``, uvicorn's ``--factory``), from the
    environment, refusing settings unsafe for a deployment."""
    if service is None:
        settings = settings or get_settings()
        check_deployment(settings)
        service = Service.open(settings)
    app = FastAPI(title="Carto ESS", description="Annuaire et carte de l'économie sociale et solidaire en Bretagne",
                  version="0.1.0", docs_url=None, redoc_url=None, license_info=licences.API_LICENCE,
                  dependencies=[Depends(strict_query.known_parameters_only)])
    app.state.service = service
    app.add_middleware(ReadEndpoints)  # CORS and ETag on the open data (innermost: gzip wraps it)
    app.add_middleware(GZip)  # ISA-L's gzip: see carto.api.compression
    # Before anything reads a body, one beyond its limit is refused (with the security headers).
    app.add_middleware(BodyLimit, small=service.settings.max_form_kb * 1024,
                       large=service.settings.max_upload_mb * 1024 * 1024, secret=service.settings.secret_key)
    app.add_middleware(SecurityHeaders, embed_frame_ancestors=service.settings.embed_frame_ancestors,
                       tiles=service.settings.tiles, https=service.settings.public_base_url.startswith("https://"))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(clusters.router)  # before sites: /api/sites/clusters is not a site id
    for module in (sites, taxonomy, feeds, registers, poles, territories, ogc, pages, docs):
        app.include_router(module.router)
    for router in (sourcing_api.router, sourcing_api.pages, exports_api.router, poles_pages.router,
                   stats_api.router, stats_api.pages):
        app.include_router(router)
    for router in (contribute.router, contribute.api, accounts.router, moderation_api.pages, moderation_api.api):
        app.include_router(router)
    for router in (imports_api.router, import_review.pages, import_review.api, owners_api.router,
                   freshness_pages.router, freshness_board.pages, freshness_board.api):
        app.include_router(router)
    app.include_router(embed_api.router)
    app.include_router(legal.router)
    app.include_router(embed_api.api)
    security.install_error_pages(app)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    _document_problems(app, service)
    return app


def _document_problems(app: FastAPI, service: Service) -> None:
    """``/openapi.json`` declares the error responses of ``/api`` (``carto.api.openapi_errors``: which,
    and the parameters' formats, the taxonomy's slugs among them) in the format they are sent
    (``carto.api.problems``), and the properties of a site's feature (``carto.api.openapi_sites``);
    written again when the service follows a new taxonomy."""
    build = app.openapi
    documented = [None]  # the taxonomy of the document kept

    def openapi() -> dict:
        if app.openapi_schema is None or documented[0] is not service.taxonomy:
            app.openapi_schema = None  # FastAPI builds it again
            document = openapi_sites.document(_document_query_parameters(app, build()))
            app.openapi_schema = problems.document(openapi_errors.document(document, service.taxonomy))
            documented[0] = service.taxonomy
        return app.openapi_schema

    app.openapi = openapi


def _document_query_parameters(app: FastAPI, document: dict) -> dict:
    """Adds to each operation the query parameters its dependencies read themselves
    (``carto.api.deps.QUERY_PARAMETERS``: the site filter), after its own (in place)."""
    for route in routing.iter_route_contexts(app.routes):  # included routers' routes with their full paths
        operations = document["paths"].get(route.path_format, {})
        for method in route.methods or ():
            if (operation := operations.get(method.lower())) is not None:
                parameters = deps.query_parameters(route.original_route.dependant)
                operation.setdefault("parameters", []).extend(copy.deepcopy(parameters))
    return document
