"""Without reference geography the service still starts, and says territory features are off."""
from carto.directory.service import Service
from tests.helpers import make_client, settings_for


def test_the_map_and_api_work_without_geodata(tmp_path):
    settings = settings_for(tmp_path / "bare.db")
    settings.geodata = tmp_path / "no-geodata"
    service = Service.open(settings)
    with make_client(service) as client:
        home = client.get("/")
        assert home.status_code == 200
        assert "Les territoires ne sont pas chargés" in home.text
        assert client.get("/api/sites").json()["numberMatched"] == 0
        assert client.get("/api/poles/at", params={"lon": -1.6778, "lat": 48.1173}).json() == {
            "commune": None, "poles": []}
