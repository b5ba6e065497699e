"""What the OpenAPI document says beyond FastAPI's own: the errors each operation may answer, and
the formats of the parameters that are text to FastAPI but have a grammar (``bbox``, ``near``,
activity and domain slugs from the running taxonomy).

Generated clients and checkers (``schemathesis --checks all``, ``tests/test_openapi_conformance.py``)
then know that a 400 names a parameter, that moderation answers 401/403 without a session, and
which values are worth sending. Added once to the document FastAPI builds, for every route.
"""
from fastapi import FastAPI

from carto.core.taxonomy import Taxonomy

ERROR_SCHEMA = {
    "title": "Erreur",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {
        "description": "Message en français, ou liste des paramètres en cause (loc, msg, type)",
        "anyOf": [{"type": "string"},
                  {"type": "array", "items": {"type": "object", "properties": {
                      "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                      "msg": {"type": "string"}, "type": {"type": "string"}}}}]}},
}
ERRORS = {
    "400": "Paramètre invalide (nommé dans detail)",
    "401": "Connexion requise (session de modération)",
    "403": "Hors du périmètre du compte, ou jeton CSRF manquant",
    "404": "Introuvable (identifiant, code de territoire ou de pôle inconnu)",
    "409": "Conflit : l'élément a changé depuis sa lecture",
    "413": "Corps de requête trop volumineux",
    "422": "Requête mal formée",
    "429": "Trop de requêtes : réessayez plus tard",
    "503": "Service extérieur (adresses, entreprises) indisponible",
}
_LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\.[0-9]+)?)"
_LAT = r"-?(90(\.0+)?|[0-8]?[0-9](\.[0-9]+)?)"
# Text parameters with a grammar (empty means absent, unless the route requires the parameter).
# A radius given as a number keeps FastAPI's bounds.
FORMATS = {
    "bbox": (rf"{_LON},{_LAT},{_LON},{_LAT}", "ouest,sud,est,nord en WGS84 (ouest ≤ est, sud ≤ nord)",
             "-1.75,48.07,-1.60,48.15"),
    "near": (rf"{_LON},{_LAT}", "lon,lat en WGS84", "-1.6778,48.1173"),
    "radius_km": (r"(1000|[1-9][0-9]{0,2}([.,][0-9]+)?|0[.,][0-9]*[1-9][0-9]*)",
                  "Rayon en km : plus de 0, au plus 1000 (virgule ou point décimal)", "15"),
}
# Parameters a route cannot do without, though the shared filter grammar makes them optional.
REQUIRED = {"/api/sites/clusters": {"bbox"}}


def _statuses(path: str, method: str, operation: dict) -> list[str]:
    statuses = ["400", "404", "422"]
    if path.startswith("/api/moderation"):
        statuses += ["401", "403", "409"]
    if method in ("post", "put", "patch", "delete"):
        statuses += ["403", "413"]
    if path.startswith("/api/geocode") or "registers" in operation.get("tags", []):
        statuses.append("503")
    return sorted(set(statuses))


def _error_response(status: str) -> dict:
    return {"description": ERRORS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}}


def _is_number(parameter: dict) -> bool:
    schema = parameter.get("schema", {})
    return "number" in (schema.get("type"), *(s.get("type") for s in schema.get("anyOf", [])))


def _slugs(parameter: dict, slugs: list[str]) -> None:
    schema = parameter.setdefault("schema", {})
    target = schema.get("items", schema) if schema.get("type") == "array" else schema
    target.clear()
    target.update({"type": "string", "enum": slugs})


def document(document_: dict, taxonomy: Taxonomy) -> dict:
    """Adds the error responses and parameter formats to FastAPI's ``document_`` (in place)."""
    document_.setdefault("components", {}).setdefault("schemas", {})["Erreur"] = ERROR_SCHEMA
    activities = sorted(taxonomy.activities)
    domains = sorted(d.slug for d in taxonomy.domains)
    for path, operations in document_.get("paths", {}).items():
        for method, operation in operations.items():
            for status in _statuses(path, method, operation):
                operation.setdefault("responses", {}).setdefault(status, _error_response(status))
            for parameter in operation.get("parameters", []):
                name = parameter.get("name")
                if name in REQUIRED.get(path, ()):
                    parameter["required"] = True
                if name in FORMATS and not _is_number(parameter):
                    grammar, description, example = FORMATS[name]
                    pattern = f"^{grammar}$" if parameter.get("required") else f"^({grammar})?$"
                    parameter["schema"] = {"type": "string", "pattern": pattern, "description": description,
                                           "example": example}
                elif name == "activity":
                    _slugs(parameter, activities)
                elif name == "domain":
                    _slugs(parameter, domains)
    return document_


def install(app: FastAPI, taxonomy: Taxonomy) -> None:
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document(build(), taxonomy)
        return app.openapi_schema

    app.openapi = openapi
