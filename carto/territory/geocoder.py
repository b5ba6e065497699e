"""Addresses → positions through the Base Adresse Nationale (BAN).

The BAN's API (served by the Géoplateforme, formerly api-adresse.data.gouv.fr; a self-hosted
addok answers the same) has ``/search/`` (GeoCodeJSON: a FeatureCollection whose properties hold
``label``, ``score``, ``type``, ``housenumber``, ``name``, ``street``, ``postcode``, ``city``,
``citycode``) and ``/search/csv/`` (a CSV file sent as ``data``, the columns to read named by
``columns``, ``postcode`` naming the postcode column; the same file comes back with ``latitude``,
``longitude``, ``result_label``, ``result_score``, ``result_type``… appended).

``CARTO_GEOCODER=none``, or the service out of reach, raises ``GeocoderUnavailable`` with a French
message: forms and imports then fall back on the commune's centre and say so.
"""
from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from urllib.error import URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from carto.core.settings import Settings
from carto.storage.models import PositionPrecision

# The BAN's result types, and how precisely each places a site.
PRECISIONS = {"housenumber": PositionPrecision.address, "street": PositionPrecision.street,
              "locality": PositionPrecision.street, "municipality": PositionPrecision.commune}
CSV_BATCH = 1000  # rows per request of the CSV endpoint (its limit is a file size: 50 MB)


class GeocoderUnavailable(Exception):
    """No answer from the address service; the message is French, for the people waiting."""


@dataclass(frozen=True)
class Address:
    label: str  # « 8 Boulevard du Port 80000 Amiens »
    street: str  # number and street (« 8 Boulevard du Port »), or the place's name
    postcode: str
    city: str
    citycode: str  # INSEE code
    lon: float
    lat: float
    score: float  # 0 to 1: how well it matches what was asked
    precision: PositionPrecision


@dataclass(frozen=True)
class Query:
    street: str
    postcode: str = ""
    city: str = ""


class Ban:
    def __init__(self, base_url: str, timeout: float):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout

    def search(self, text: str, *, postcode: str | None = None, limit: int = 5) -> list[Address]:
        """Addresses matching ``text`` (autocompletion), best first."""
        params = {"q": text, "limit": limit} | ({"postcode": postcode} if postcode else {})
        body = self._call(Request(f"{self.base_url}/search/?{urlencode(params)}"))
        try:
            features = json.loads(body)["features"]
            return [_address(f["properties"], *f["geometry"]["coordinates"]) for f in features]
        except (ValueError, KeyError, TypeError) as e:
            raise GeocoderUnavailable(f"réponse illisible du service d'adresses ({e})") from None

    def batch(self, queries: list[Query]) -> list[Address | None]:
        """One match per query (None when nothing matched), through the CSV endpoint."""
        found: list[Address | None] = []
        for start in range(0, len(queries), CSV_BATCH):
            found += self._batch(queries[start:start + CSV_BATCH])
        return found

    def _batch(self, queries: list[Query]) -> list[Address | None]:
        data = io.StringIO()
        writer = csv.writer(data)
        writer.writerow(["adresse", "code_postal", "commune"])
        writer.writerows([q.street, q.postcode, q.city] for q in queries)
        fields = [("columns", "adresse"), ("columns", "commune"), ("postcode", "code_postal")]
        body, content_type = _multipart(fields, data.getvalue().encode("utf-8"))
        answer = self._call(Request(f"{self.base_url}/search/csv/", data=body, method="POST",
                                    headers={"Content-Type": content_type}))
        rows = list(csv.DictReader(io.StringIO(answer.decode("utf-8-sig"))))
        if len(rows) != len(queries):
            raise GeocoderUnavailable(f"réponse incomplète du service d'adresses ({len(rows)} lignes "
                                      f"pour {len(queries)} adresses)")
        return [_csv_address(row) for row in rows]

    def _call(self, request: Request) -> bytes:
        try:
            with urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except (URLError, OSError, ValueError) as e:
            raise GeocoderUnavailable(f"service d'adresses injoignable ({getattr(e, 'reason', e)})") from None


class Off:
    """No geocoder: every call says so."""

    def search(self, text: str, *, postcode: str | None = None, limit: int = 5) -> list[Address]:
        raise GeocoderUnavailable("recherche d'adresses désactivée (CARTO_GEOCODER=none)")

    def batch(self, queries: list[Query]) -> list[Address | None]:
        raise GeocoderUnavailable("géocodage désactivé (CARTO_GEOCODER=none)")


def for_settings(settings: Settings) -> Ban | Off:
    return Ban(settings.geocoder_url, settings.external_timeout) if settings.geocoder == "ban" else Off()


def _address(props: dict, lon: float, lat: float) -> Address:
    kind = props.get("type", "")
    street = props.get("name", "") if kind in ("housenumber", "street", "locality") else ""
    return Address(props.get("label", ""), street, props.get("postcode", ""), props.get("city", ""),
                   props.get("citycode", ""), float(lon), float(lat), float(props.get("score") or 0),
                   PRECISIONS.get(kind, PositionPrecision.commune))


def _csv_address(row: dict) -> Address | None:
    if not (row.get("latitude") and row.get("longitude")):
        return None
    props = {k.removeprefix("result_"): v for k, v in row.items() if k.startswith("result_")}
    return _address(props, row["longitude"], row["latitude"])


def _multipart(fields: list[tuple[str, str]], csv_bytes: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="data"; filename="adresses.csv"\r\n'
                 f"Content-Type: text/csv\r\n\r\n".encode() + csv_bytes + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
