"""OGC API – Features, Part 1: Core (OGC 17-069r4), independent of the web framework.

Like pygeoapi, the API logic takes a plain ``Request`` (base URL, query, Accept header) and returns
a ``Response``: a JSON document with its media type, or the name and context of an HTML template.
``carto.api.ogc`` only translates HTTP to these calls. Conformance classes: core, GeoJSON, HTML
and OpenAPI 3.0. Links carry absolute URLs; a format is chosen by ``f=json|html`` or, without it,
by the Accept header (JSON by default).
"""
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from sqlmodel import Session

from carto.core.licences import Licence
from carto.publish import ogc_openapi

from carto.query import params
from carto.directory.service import Service
from carto.publish.ogc_collections import COLLECTIONS, Collection

CONFORMANCE = [f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}"
               for c in ("core", "geojson", "html", "oas30")]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
SCHEMA = "application/schema+json"
FORMATS = ("json", "html")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
ITEMS_PARAMS = {"f", "bbox", "limit", "offset", "datetime"}
TITLE = "Carto ESS Bretagne — OGC API Features"
DESCRIPTION = ("Sites de l'économie sociale et solidaire en Bretagne, pôles ESS et communes, "
               "en données ouvertes (GeoJSON, HTML).")


class OGCError(Exception):
    """A request we cannot answer; ``param`` names the query parameter at fault, if any."""

    def __init__(self, status: int, message: str, param: str | None = None, where: str = "query"):
        super().__init__(message)
        self.status = status
        self.param = param
        self.where = where

    @property
    def code(self) -> str:
        return {400: "InvalidParameterValue", 404: "NotFound", 406: "NotAcceptable"}.get(self.status, "Error")

    def body(self) -> dict:
        """The OGC exception document, with FastAPI's ``detail`` beside it (one error shape for all APIs)."""
        description = f"{self.param} : {self}" if self.param else str(self)
        return {"code": self.code, "description": description,
                "detail": [{"loc": [self.where, self.param], "msg": str(self), "type": self.code}]}


@dataclass
class Request:
    base_url: str  # absolute URL of the landing page, without a trailing slash
    path: str  # below the landing page: "", "/collections", "/collections/sites/items"…
    query: list[tuple[str, str]] = field(default_factory=list)
    accept: str = ""

    def arg(self, name: str) -> str | None:
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None


@dataclass
class Response:
    format: str  # json | html
    media_type: str
    document: dict  # the JSON document; the HTML template gets it too
    template: str = ""
    context: dict = field(default_factory=dict)  # more for the HTML template
    features: list[bytes] | None = None  # a collection's features, JSON comma-separated, in pieces (UTF-8): the document's last member


def negotiate(f: str | None, accept: str | None) -> str:
    """``f`` wins; otherwise HTML only when the Accept header prefers it to JSON (browsers do)."""
    if f is not None:
        if f not in FORMATS:
            raise OGCError(400, f"format inconnu : « {f} » (attendu : json ou html)", "f")
        return f
    best = {"json": 0.0, "html": 0.0, "any": 0.0}
    for part in (accept or "").split(","):
        media, *options = [p.strip().lower() for p in part.split(";")]
        quality = next((_quality(o[2:]) for o in options if o.startswith("q=")), 1.0)
        kind = ("html" if media in ("text/html", "application/xhtml+xml") else
                "json" if media.endswith("json") or media == "application/*" else
                "any" if media == "*/*" else None)
        if kind:
            best[kind] = max(best[kind], quality)
    return "html" if best["html"] > max(best["json"], best["any"]) else "json"


def _quality(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        return 0.0


def _outward(box: tuple[float, ...]) -> list[float]:
    """A bounding box rounded to 5 decimals (~1 m) without cutting anything off."""
    west, south, east, north = box
    return [math.floor(west * 1e5) / 1e5, math.floor(south * 1e5) / 1e5,
            math.ceil(east * 1e5) / 1e5, math.ceil(north * 1e5) / 1e5]


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class API:
    def __init__(self, service: Service, collections: dict[str, Collection] = COLLECTIONS):
        self.service = service
        self.collections = collections

    # --- helpers ------------------------------------------------------------------------------
    @staticmethod
    def url(req: Request, path: str, f: str) -> str:
        return f"{req.base_url}{path}?f={f}"

    @staticmethod
    def _links(req: Request, fmt: str, json_type: str = JSON) -> list[dict]:
        """``self`` in the format served and ``alternate`` in the other one, keeping the query."""
        kept = [(k, v) for k, v in req.query if k != "f"]
        types = {"json": json_type, "html": HTML}
        return [{"rel": "self" if other == fmt else "alternate", "type": types[other],
                 "title": "Ce document" + ("" if other == fmt else f" en {other.upper()}"),
                 "href": req.base_url + req.path + "?" + urlencode(kept + [("f", other)])}
                for other in (fmt, *(o for o in FORMATS if o != fmt))]

    @staticmethod
    def _check_params(req: Request, allowed: set[str]) -> None:
        """OGC /req/core/query-param-unknown: a parameter the API does not define is a 400."""
        for name, _value in req.query:
            if name not in allowed:
                raise OGCError(400, f"paramètre inconnu : « {name} » (acceptés : {', '.join(sorted(allowed))})",
                               name)

    def _collection(self, collection_id: str) -> Collection:
        if collection_id not in self.collections:
            raise OGCError(404, f"collection inconnue : « {collection_id} » "
                                f"(disponibles : {', '.join(self.collections)})", "collectionId", "path")
        return self.collections[collection_id]

    @staticmethod
    def _licence_links(licences: list[Licence]) -> list[dict]:
        return [{"rel": "license", "type": HTML, "title": lic.title, "href": lic.url} for lic in licences if lic.url]

    def _all_licences(self, session: Session) -> list[Licence]:
        found = {lic for c in self.collections.values() for lic in c.licences(session)}
        return sorted(found, key=lambda lic: lic.id)

    def _format(self, req: Request, allowed: set[str] = frozenset({"f"})) -> str:
        self._check_params(req, set(allowed))
        return negotiate(req.arg("f"), req.accept)

    # --- resources ----------------------------------------------------------------------------
    def landing(self, req: Request, session: Session) -> Response:
        fmt = self._format(req)
        links = self._links(req, fmt) + [
            {"rel": "service-desc", "type": OPENAPI, "title": "Définition de l'API (OpenAPI 3.0)",
             "href": self.url(req, "/api", f="json")},
            {"rel": "service-doc", "type": HTML, "title": "Documentation de l'API",
             "href": self.url(req, "/api", f="html")},
            {"rel": "conformance", "type": JSON, "title": "Classes de conformité",
             "href": self.url(req, "/conformance", f="json")},
            {"rel": "data", "type": JSON, "title": "Collections de données",
             "href": self.url(req, "/collections", f="json")},
        ] + self._licence_links(self._all_licences(session))
        return Response(fmt, JSON, {"title": TITLE, "description": DESCRIPTION, "links": links}, "landing")

    def conformance(self, req: Request) -> Response:
        fmt = self._format(req)
        return Response(fmt, JSON, {"links": self._links(req, fmt), "conformsTo": CONFORMANCE}, "conformance")

    def openapi(self, req: Request) -> Response:
        fmt = self._format(req)
        document = ogc_openapi.document(req.base_url, TITLE, DESCRIPTION, self.collections, MAX_LIMIT, DEFAULT_LIMIT)
        return Response(fmt, OPENAPI, document, "api")

    def collections_list(self, req: Request, session: Session) -> Response:
        fmt = self._format(req)
        return Response(fmt, JSON, {
            "links": self._links(req, fmt) + self._licence_links(self._all_licences(session)),
            "collections": [self._describe(req, c, session) for c in self.collections.values()],
            "crs": [CRS84]}, "collections")

    def collection(self, req: Request, session: Session, collection_id: str) -> Response:
        fmt = self._format(req)
        collection = self._collection(collection_id)
        document = self._describe(req, collection, session)
        document["links"] = self._links(req, fmt) + document["links"]
        return Response(fmt, JSON, document, "collection")

    def _describe(self, req: Request, c: Collection, session: Session) -> dict:
        base = f"/collections/{c.id}"
        extent = c.extent(self.service, session)
        links = [{"rel": "items", "type": GEOJSON, "title": "Les objets en GeoJSON",
                  "href": self.url(req, base + "/items", f="json")},
                 {"rel": "items", "type": HTML, "title": "Les objets en HTML",
                  "href": self.url(req, base + "/items", f="html")},
                 {"rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": SCHEMA,
                  "title": "Filtres disponibles", "href": self.url(req, base + "/queryables", f="json")},
                 *self._licence_links(c.licences(session))]
        if req.path != base:
            links.insert(0, {"rel": "collection", "type": JSON, "title": c.title,
                             "href": self.url(req, base, f="json")})
        return {"id": c.id, "title": c.title, "description": c.description, "keywords": list(c.keywords),
                "itemType": "feature", "crs": [CRS84], "links": links,
                **({"extent": {"spatial": {"bbox": [_outward(extent)], "crs": CRS84}}} if extent else {})}

    def queryables(self, req: Request, collection_id: str) -> Response:
        fmt = self._format(req)
        c = self._collection(collection_id)
        document = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"{req.base_url}/collections/{c.id}/queryables",
            "type": "object", "title": c.title,
            "properties": {name: {"title": q.title or name, "description": q.description, **q.schema}
                           for name, q in c.queryables.items()},
            "additionalProperties": False,
            "links": self._links(req, fmt, SCHEMA)}
        return Response(fmt, SCHEMA, document, "queryables")

    def items(self, req: Request, session: Session, collection_id: str) -> Response:
        c = self._collection(collection_id)
        fmt = self._format(req, ITEMS_PARAMS | set(c.parameters))
        try:
            limit = params.parse_int(req.arg("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
            offset = params.parse_int(req.arg("offset"), "offset", 0, 0)
            bbox = params.parse_bbox(req.arg("bbox"), allow_3d=True)
            check_datetime(req.arg("datetime"))
            filters = {name: value for name, value in req.query if name in c.parameters and value != ""}
            page = c.items(self.service, session, filters, bbox, limit, offset)
        except params.ParamError as e:
            # OGC /req/core/query-param-invalid: any unusable value is a 400, an unknown code too.
            raise OGCError(400, str(e), e.param) from None
        # Past the count's limit, a next page exists while pages are full; numberMatched, which must
        # be exact, is left out (it is optional in OGC API – Features).
        known = page.total if page.exact else offset + page.returned + (page.returned == limit)
        links = self._links(req, fmt, GEOJSON) + self._paging_links(req, limit, offset, known, page.next_cursor) + [
            {"rel": "collection", "type": JSON, "title": c.title,
             "href": self.url(req, f"/collections/{c.id}", f="json")}] + self._licence_links(c.licences(session))
        document = {"type": "FeatureCollection", "links": links, "timeStamp": _now(),
                    **({"numberMatched": page.total} if page.exact else {}), "numberReturned": page.returned}
        return Response(fmt, GEOJSON, document, "items",
                        {"collection": c, "limit": limit, "offset": None if req.arg("cursor") else offset},
                        page.features)

    @staticmethod
    def _paging_links(req: Request, limit: int, offset: int, total: int, next_cursor: str | None) -> list[dict]:
        """``prev`` and ``next`` pages, in GeoJSON and HTML, keeping the filters. A collection paged by
        cursor (the sites) gives ``next`` its cursor: a client following the links through a million
        sites (QGIS, GDAL) reads each page from the index where the last one stopped, where an offset
        read again every site before it. A page reached by cursor has no ``prev`` (optional in OGC API)."""
        kept = [(k, v) for k, v in req.query if k not in ("offset", "cursor", "f")]
        by_offset = not req.arg("cursor")
        starts = {"prev": [("offset", str(max(offset - limit, 0)))] if offset and by_offset else None,
                  "next": [("cursor", next_cursor)] if next_cursor else
                  [("offset", str(offset + limit))] if by_offset and offset + limit < total else None}
        return [{"rel": rel, "type": media, "title": "Page précédente" if rel == "prev" else "Page suivante",
                 "href": req.base_url + req.path + "?" + urlencode(kept + start + [("f", fmt)])}
                for rel, start in starts.items() if start is not None
                for fmt, media in (("json", GEOJSON), ("html", HTML))]

    def item(self, req: Request, session: Session, collection_id: str, fid: str) -> Response:
        c = self._collection(collection_id)
        fmt = self._format(req)
        feature = c.item(self.service, session, fid)
        if feature is None:
            raise OGCError(404, f"objet introuvable : « {fid} » dans la collection « {c.id} »", "featureId", "path")
        feature["links"] = self._links(req, fmt, GEOJSON) + [
            {"rel": "collection", "type": JSON, "title": c.title,
             "href": self.url(req, f"/collections/{c.id}", f="json")}] + self._licence_links(c.item_licences(session, feature))
        return Response(fmt, GEOJSON, feature, "item", {"collection": c})


_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?")


def check_datetime(raw: str | None) -> None:
    """``datetime`` (an instant or an interval with ``..``) is checked, then matches every feature:
    none of ours has a temporal geometry (OGC /req/core/fc-time-response C)."""
    if not raw:
        return
    bounds = raw.split("/")
    if len(bounds) > 2 or not all(b in ("", "..") or _DATETIME.fullmatch(b) for b in bounds) or \
            all(b in ("", "..") for b in bounds):
        raise params.ParamError("datetime", "date RFC 3339 ou intervalle attendu (ex. 2024-01-01T00:00:00Z/..)")
    for bound in bounds:
        if bound not in ("", ".."):
            try:
                datetime.fromisoformat(bound.replace("z", "Z").replace("t", "T"))
            except ValueError:
                raise params.ParamError("datetime", f"date invalide : « {bound} »") from None
