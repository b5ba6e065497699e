"""What a site's feature holds, in the OpenAPI document: the schema of its properties, derived from
the one table of public fields (``carto.directory.public_fields``), so that ``/docs`` and generated
clients read the same French names, titles and descriptions as the exports' Table Schema.

FastAPI sees the site routes answer JSON text (``carto.directory.site_json``) and cannot describe it:
the schema is added once to the document it builds.
"""
from carto.directory import public_fields
from carto.directory.public_fields import Field

_TYPES = {"str": "string", "code": "string", "int": "integer", "float": "number", "bool": "boolean",
          "date": "string", "datetime": "string"}
_FORMATS = {"date": "date", "datetime": "date-time"}
REF = "#/components/schemas/"
# The routes answering site features, and how: one feature, or a collection of them (or markers).
FEATURE_ROUTES = {"/api/sites/{site_id}": "SiteFeature", "/api/sites": "SitePage", "/api/sourcing": "SitePage"}


def _property(f: Field) -> dict:
    schema = ({"type": ["array", "null"], "items": {"type": "string"}} if f.kind == "list"
              else {"type": [_TYPES[f.kind], "null"]})
    if f.kind in _FORMATS:
        schema["format"] = _FORMATS[f.kind]
    return {"title": f.title, "description": f.description, **schema}


def schemas() -> dict:
    """The components: a site's feature (its properties, every one of the table published in
    features) and a page of them or of compact markers."""
    fields = [f for f in public_fields.FIELDS if f.in_feature] + [public_fields.DISTANCE]
    feature = {
        "type": "object", "title": "Site (GeoJSON Feature)", "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"const": "Feature"}, "id": {"type": "integer"},
            "geometry": {"type": "object", "description": "Point [longitude, latitude] en WGS 84",
                         "properties": {"type": {"const": "Point"},
                                        "coordinates": {"type": "array", "items": {"type": "number"},
                                                        "minItems": 2, "maxItems": 2}}},
            "properties": {"type": "object", "description": "Champs publics de la fiche (noms du schéma "
                           "/schema/sites.json) ; distance_km seulement autour d'un point",
                           "properties": {f.name: _property(f) for f in fields}}}}
    page = {"type": "object", "title": "Page de sites",
            "description": "GeoJSON : FeatureCollection dont features sont des sites ; compact : sites est une "
                           "liste de [id, longitude, latitude, nom, activites]",
            "properties": {"features": {"type": "array", "items": {"$ref": REF + "SiteFeature"}},
                           "sites": {"type": "array", "items": {"type": "array"}}}}
    return {"SiteFeature": feature, "SitePage": page}


def document(document_: dict) -> dict:
    """Adds the site schemas to FastAPI's ``document_`` and names them as the 200 answers of the site
    routes (in place)."""
    document_.setdefault("components", {}).setdefault("schemas", {}).update(schemas())
    for path, name in FEATURE_ROUTES.items():
        answer = document_.get("paths", {}).get(path, {}).get("get", {}).get("responses", {}).get("200")
        if answer is not None:
            answer["content"] = {"application/json": {"schema": {"$ref": REF + name}}}
    return document_
