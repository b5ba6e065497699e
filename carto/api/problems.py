"""The one error format of ``/api``: RFC 9457 problem details (``application/problem+json``).

``detail`` is a French sentence naming the parameter at fault; ``errors`` lists every fault as
``{loc, msg, type}`` (``loc``: where, then the parameter's name), FastAPI's shape. ``/ogc`` keeps the
OGC exception members (``carto.publish.ogc``); pages show French HTML pages.
"""
from http import HTTPStatus

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

MEDIA_TYPE = "application/problem+json"
PREFIX = "/api/"
TITLES = {400: "Requête incorrecte", 401: "Authentification requise", 403: "Accès refusé", 404: "Introuvable",
          405: "Méthode non permise", 409: "Conflit", 413: "Requête trop volumineuse", 422: "Valeur invalide",
          429: "Trop de requêtes", 503: "Service indisponible"}


def _french(error: dict) -> str:
    """pydantic's English message of a query, path or body value, in French."""
    ctx, kind = error.get("ctx") or {}, error["type"]
    messages = {
        "int_parsing": "nombre entier attendu", "int_from_float": "nombre entier attendu",
        "float_parsing": "nombre attendu", "bool_parsing": "valeur attendue : true ou false",
        "missing": "paramètre obligatoire", "string_too_long": f"{ctx.get('max_length')} caractères au plus",
        "string_too_short": f"{ctx.get('min_length')} caractères au moins",
        "greater_than_equal": f"valeur attendue d'au moins {ctx.get('ge')}",
        "greater_than": f"valeur attendue de plus de {ctx.get('gt')}",
        "less_than_equal": f"valeur attendue d'au plus {ctx.get('le')}",
        "less_than": f"valeur attendue de moins de {ctx.get('lt')}",
        "literal_error": f"valeur attendue : {ctx.get('expected', '').replace(' or ', ' ou ')}",
        "enum": f"valeur attendue : {ctx.get('expected', '').replace(' or ', ' ou ')}",
        "string_pattern_mismatch": "format invalide", "json_invalid": "JSON invalide",
        "model_attributes_type": "objet JSON attendu", "dict_type": "objet JSON attendu",
        "list_type": "liste attendue", "string_type": "texte attendu",
        "date_parsing": "date attendue (AAAA-MM-JJ)", "date_from_datetime_parsing": "date attendue (AAAA-MM-JJ)",
        "value_error": str(ctx.get("error", error.get("msg", ""))).removeprefix("Value error, "),
    }
    return messages.get(kind, error.get("msg", "valeur invalide"))


def problem(request: Request, status: int, detail: str, errors: list[dict] | None = None,
            headers: dict | None = None) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, HTTPStatus(status).phrase), "status": status,
            "detail": detail, "instance": request.url.path}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def _sentence(errors: list[dict]) -> str:
    return " ; ".join(f"{e['loc'][-1]} : {e['msg']}" if e["loc"] else e["msg"] for e in errors)


async def http_error(request: Request, exc: HTTPException) -> Response:
    if not request.url.path.startswith(PREFIX):
        return await http_exception_handler(request, exc)
    if isinstance(exc.detail, list):  # FastAPI's shape, from carto.api.deps.error_detail
        return problem(request, exc.status_code, _sentence(exc.detail), exc.detail, exc.headers)
    return problem(request, exc.status_code, str(exc.detail), headers=exc.headers)


async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    # Without the echoed input: it may be large or hold what a visitor typed.
    errors = [{"loc": list(e["loc"]), "msg": _french(e), "type": e["type"]} for e in exc.errors()]
    if not request.url.path.startswith(PREFIX):
        return JSONResponse({"detail": errors}, status_code=422)
    return problem(request, 422, _sentence(errors), errors)


PROBLEM_SCHEMA = {
    "type": "object", "title": "Problème (RFC 9457)", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string", "description": "Message en français qui nomme le paramètre en cause"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
            "msg": {"type": "string"}, "type": {"type": "string"}}}},
    },
}


def document(openapi: dict) -> dict:
    """The OpenAPI document with every ``/api`` error response declared as problem details."""
    openapi.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in openapi.get("paths", {}).items():
        if not path.startswith(PREFIX):
            continue
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                if status.startswith("4") or status.startswith("5"):
                    response["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return openapi
