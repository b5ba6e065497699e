"""Names sort as a French reader expects — Œ as OE, accents and case ignored, « Le », « La » kept —
and the same on both backends (CI runs PostgreSQL under a French ICU collation)."""
import pytest

from carto.core.textnorm import sort_key
from carto.directory import bulk, sites
from carto.directory.site_schema import SiteData
from carto.storage.db import session_scope
from tests.helpers import make_client

RENNES = (-1.6778, 48.1173)
# In the order a French reader expects (letter by letter: « La Roue » before « L'Atelier »).
NAMES = ["atelier du coin", "Écocyclerie des Monts", "établi partagé", "La Roue libre", "L'Atelier vélo",
         "Le Grenier", "Œuvre solidaire", "ordi solidaire", "Zèbre"]


def test_the_key_folds_what_french_order_ignores():
    assert sort_key("Œuvre Réemploi") == "oeuvrereemploi"
    assert sort_key("L'Atelier — Vélo") == "lateliervelo"
    assert sorted(NAMES, key=sort_key) == NAMES


@pytest.fixture
def named(service):
    """The names, written in a shuffled order, one by the single-site path and one by the batch path."""
    shuffled = NAMES[::2][::-1] + NAMES[1::2]
    with session_scope(service.engine) as session:
        for name in shuffled[:5]:
            sites.create(session, SiteData(name=name, activities=["velo"], lon=RENNES[0], lat=RENNES[1]),
                         service.locator, actor="test")
        rows = [bulk.new_row({"name": name, "lon": RENNES[0], "lat": RENNES[1]}, source="test", source_key=name)
                for name in shuffled[5:]]
        bulk.place(rows, service.locator)
        bulk.insert_sites(session, rows, [["velo"]] * len(rows), actor="test")


def test_every_list_in_name_order_is_in_french_order_on_either_backend(service, named):
    with make_client(service) as client:
        features = client.get("/api/sites").json()["features"]
        assert [f["properties"]["nom"] for f in features] == NAMES
        first = client.get("/api/sites", params={"limit": 4}).json()
        rest = client.get("/api/sites", params={"limit": 10, "cursor": first["next_cursor"]}).json()
        assert [f["properties"]["nom"] for f in first["features"] + rest["features"]] == NAMES
        ogc = client.get("/ogc/collections/sites/items", params={"f": "json"}).json()["features"]
        assert [f["properties"]["nom"] for f in ogc] == NAMES
        sourcing = client.get("/api/sourcing", params={"zone": "commune:35238"}).json()["features"]
        assert [f["properties"]["nom"] for f in sourcing] == NAMES
        export = client.get("/api/exports/sites.csv").text
        assert [export.index(name) for name in NAMES] == sorted(export.index(name) for name in NAMES)
        listing = client.get("/liste").text
        assert [listing.index(name.replace("'", "&#39;")) for name in NAMES] == sorted(
            listing.index(name.replace("'", "&#39;")) for name in NAMES)
