"""The OpenAPI 3.0 definition of our OGC API – Features (conformance class « oas30»).

Written out per collection, so that generic clients (GDAL, QGIS) read each one's property filters,
the maximum ``limit`` and the media types from it.
"""
from carto.core import licences

OGC_STANDARD = "http://www.opengis.net/doc/IS/ogcapi-features-1/1.0"


def _param(name: str, description: str, schema: dict, **more) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema,
            "style": "form", "explode": False, **more}


def _content(*media_types: str) -> dict:
    return {m: {"schema": {"type": "object"}} for m in media_types}


def _ok(description: str, *media_types: str) -> dict:
    return {"200": {"description": description, "content": _content(*media_types, "text/html")},
            "400": {"$ref": "#/components/responses/InvalidParameter"}}


def _get(operation_id: str, summary: str, parameters: list, responses: dict, tag: str) -> dict:
    return {"get": {"operationId": operation_id, "summary": summary, "tags": [tag],
                    "parameters": parameters, "responses": responses}}


COMPONENTS = {
    "parameters": {
        "f": _param("f", "Format de la réponse (sinon, selon l'en-tête Accept ; JSON par défaut)",
                    {"type": "string", "enum": ["json", "html"]}),
        "bbox": _param("bbox", "Objets intersectant la boîte ouest,sud,est,nord (WGS84, CRS84)",
                       {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}),
        "datetime": _param("datetime", "Instant ou intervalle RFC 3339 ; nos objets n'ont pas de géométrie "
                           "temporelle : tous correspondent", {"type": "string"}),
        "offset": _param("offset", "Nombre d'objets à sauter (pagination)", {"type": "integer", "minimum": 0,
                                                                             "default": 0}),
        "featureId": {"name": "featureId", "in": "path", "required": True, "description": "Identifiant de l'objet",
                      "schema": {"type": "string"}},
    },
    "responses": {
        "InvalidParameter": {"description": "Paramètre inconnu ou valeur invalide (le message le nomme)",
                             "content": _content("application/json")},
        "NotFound": {"description": "Collection ou objet introuvable", "content": _content("application/json")},
    },
}
REF = {name: {"$ref": f"#/components/parameters/{name}"} for name in COMPONENTS["parameters"]}


def document(base_url: str, title: str, description: str, collections: dict, max_limit: int,
             default_limit: int) -> dict:
    limit = _param("limit", f"Nombre maximal d'objets par page (au-delà de {max_limit}, {max_limit})",
                   {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit})
    paths = {
        "/": _get("getLandingPage", "Page d'accueil de l'API", [REF["f"]],
                  _ok("Liens vers la définition, la conformité et les collections", "application/json"),
                  "Capacités"),
        "/conformance": _get("getConformanceDeclaration", "Classes de conformité", [REF["f"]],
                             _ok("Liste des classes de conformité", "application/json"), "Capacités"),
        "/api": _get("getAPIDefinition", "Cette définition OpenAPI", [REF["f"]],
                     _ok("Définition OpenAPI 3.0", "application/vnd.oai.openapi+json;version=3.0"), "Capacités"),
        "/collections": _get("getCollections", "Les collections", [REF["f"]],
                             _ok("Métadonnées des collections", "application/json"), "Capacités"),
    }
    for c in collections.values():
        base = f"/collections/{c.id}"
        not_found = {"404": {"$ref": "#/components/responses/NotFound"}}
        filters = [_param(name, q.description, q.schema) for name, q in c.parameters.items()]
        paths[base] = _get(f"describe_{c.id}", c.title, [REF["f"]],
                           _ok("Métadonnées de la collection", "application/json") | not_found, c.id)
        paths[base + "/queryables"] = _get(f"queryables_{c.id}", f"Filtres de « {c.id} »", [REF["f"]],
                                           _ok("Schéma JSON des filtres", "application/schema+json"), c.id)
        paths[base + "/items"] = _get(
            f"getFeatures_{c.id}", f"Objets de « {c.id} »",
            [REF["f"], REF["bbox"], REF["datetime"], limit, REF["offset"], *filters],
            _ok("Une page d'objets (GeoJSON), avec numberMatched, numberReturned et les liens next/prev",
                "application/geo+json") | not_found, c.id)
        paths[base + "/items/{featureId}"] = _get(
            f"getFeature_{c.id}", f"Un objet de « {c.id} »", [REF["featureId"], REF["f"]],
            _ok("Un objet (GeoJSON)", "application/geo+json") | not_found, c.id)
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": "1.0.0", "license": licences.API_LICENCE},
        "externalDocs": {"description": "OGC API – Features – Part 1: Core", "url": OGC_STANDARD},
        "servers": [{"url": base_url}],
        "tags": [{"name": "Capacités"}] + [{"name": c.id, "description": c.title} for c in collections.values()],
        "paths": paths,
        "components": COMPONENTS,
    }
