"""Local stand-ins for the public registers, answering in their documented formats: the BAN
(``/search/``, ``/search/csv/``) and recherche-entreprises (``/search?q=SIRET``). No request of a
test leaves the machine: the settings point the adapters here."""
import csv
import email
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from carto.core.textnorm import fold

# label → (type, housenumber, name, postcode, city, citycode, lon, lat)
ADDRESSES = {
    "12 Rue de la Motte Brûlon 35700 Rennes": ("housenumber", "12", "12 Rue de la Motte Brûlon", "35700", "Rennes",
                                                "35238", -1.6614, 48.1204),
    "Rue de Saint-Malo 35000 Rennes": ("street", "", "Rue de Saint-Malo", "35000", "Rennes", "35238", -1.6790, 48.1146),
    "3 Allée du Cap 29000 Quimper": ("housenumber", "3", "3 Allée du Cap", "29000", "Quimper", "29232",
                                     -4.1016, 47.9960),
    "Kerprigent 22300 Lannion": ("locality", "", "Kerprigent", "22300", "Lannion", "22113", -3.4566, 48.7326),
}


def _matches(query: str, postcode: str | None = None) -> list[tuple[str, tuple, float]]:
    """Addresses whose label holds every word of the query (a crude addok), best first."""
    words = [w for w in fold(query).replace(",", " ").split() if len(w) > 1]
    found = []
    for label, row in ADDRESSES.items():
        if postcode and row[3] != postcode:
            continue
        hits = sum(w in fold(label) for w in words)
        if words and hits == len(words):
            found.append((label, row, 0.95 if row[0] == "housenumber" else 0.72))
        elif words and hits >= len(words) / 2:
            found.append((label, row, 0.31))  # a poor match, as the BAN gives for a vague address
    return sorted(found, key=lambda f: -f[2])


def _properties(label: str, row: tuple, score: float) -> dict:
    kind, number, name, postcode, city, citycode, *_ = row
    props = {"label": label, "score": score, "type": kind, "name": name, "postcode": postcode,
             "city": city, "citycode": citycode, "context": "Bretagne", "id": f"{citycode}_x"}
    if number:
        props["housenumber"] = number
    return props


SIRET = "44306184100047"  # a valid key


def establishment(siret=SIRET, state="A", closed=None, name="RECYCLERIE DU PAYS DE RENNES", nature="9220",
                  ess=True) -> dict:
    """A recherche-entreprises result: a legal unit and its establishment matching the SIRET."""
    return {
        "siren": siret[:9], "nom_complet": name, "nature_juridique": nature, "activite_principale": "38.32Z",
        "etat_administratif": "A", "complements": {"est_ess": ess, "est_siae": False},
        "matching_etablissements": [{
            "siret": siret, "etat_administratif": state, "date_fermeture": closed, "activite_principale": "38.32Z",
            "adresse": "12 RUE DE LA MOTTE BRULON 35700 RENNES", "code_postal": "35700", "commune": "35238",
            "libelle_commune": "RENNES", "liste_enseignes": None, "nom_commercial": None}],
    }


class FakeRegisters:
    """``with FakeRegisters() as fake:`` serves on a free loopback port; ``fake.url``;
    ``fake.requests`` lists the paths asked; ``fake.down = True`` answers 503 to everything."""

    def __init__(self):
        self.requests: list[str] = []
        self.down = False
        self.companies: dict[str, dict] = {}  # SIRET → a recherche-entreprises result
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.requests.append(self.path)
                if fake.down:
                    return self._send(503, b"indisponible", "text/plain")
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/search/":
                    return self._json(fake.ban_search(query))
                if url.path == "/search":
                    return self._json(fake.company_search(query))
                self._send(404, b"{}", "application/json")

            def do_POST(self):
                fake.requests.append(self.path)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if fake.down:
                    return self._send(503, b"indisponible", "text/plain")
                if urlparse(self.path).path == "/search/csv/":
                    return self._send(200, fake.ban_csv(self.headers["Content-Type"], body), "text/csv")
                self._send(404, b"{}", "application/json")

            def _json(self, document):
                self._send(200, json.dumps(document).encode(), "application/json")

            def _send(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # --- BAN ---------------------------------------------------------------------------------

    def ban_search(self, query: dict) -> dict:
        found = _matches(query.get("q", ""), query.get("postcode"))[:int(query.get("limit", 5))]
        return {"type": "FeatureCollection", "version": "draft", "query": query.get("q", ""),
                "attribution": "BAN", "licence": "ETALAB-2.0",
                "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [row[6], row[7]]},
                              "properties": _properties(label, row, score)} for label, row, score in found]}

    def ban_csv(self, content_type: str, body: bytes) -> bytes:
        message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields, data = {}, b""
        for part in message.get_payload():
            name = part.get_param("name", header="content-disposition")
            if name == "data":
                data = part.get_payload(decode=True)
            else:
                fields.setdefault(name, []).append(part.get_payload())
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        columns = list(rows[0]) if rows else []
        added = ["latitude", "longitude", "result_label", "result_score", "result_type", "result_id",
                 "result_housenumber", "result_name", "result_street", "result_postcode", "result_city",
                 "result_context", "result_citycode", "result_status"]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns + added)
        writer.writeheader()
        for row in rows:
            text = " ".join(row[c] for c in fields.get("columns", []))
            found = _matches(text, row.get(fields.get("postcode", [""])[0]) or None)
            if found:
                label, data_row, score = found[0]
                props = _properties(label, data_row, score)
                row |= {"latitude": data_row[7], "longitude": data_row[6], "result_status": "ok"}
                row |= {f"result_{k}": v for k, v in props.items() if f"result_{k}" in added}
            else:
                row |= {"result_status": "not-found"}
            writer.writerow(row)
        return out.getvalue().encode("utf-8")

    # --- recherche-entreprises ----------------------------------------------------------------

    def company_search(self, query: dict) -> dict:
        siret = query.get("q", "").replace(" ", "")
        results = [self.companies[siret]] if siret in self.companies else []
        return {"results": results, "total_results": len(results), "page": 1, "per_page": 10,
                "total_pages": 1 if results else 0}
