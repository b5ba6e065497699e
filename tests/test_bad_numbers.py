"""Numbers that are not numbers (nan, inf), negative or huge radii: a 400 naming the parameter,
never a silent search of the whole region."""
import pytest


@pytest.mark.parametrize("radius", ["nan", "NaN", "inf", "-inf", "-1", "0", "1e400", "dix"])
@pytest.mark.parametrize("path", ["/api/sourcing?around=35238", "/api/sourcing?near=-1.68,48.11",
                                  "/api/sites?near=-1.68,48.11"])
def test_a_radius_that_is_no_distance_is_refused_by_name(client, path, radius):
    response = client.get(f"{path}&radius_km={radius}")
    assert response.status_code in (400, 422)
    assert ["query", "radius_km"] in [e["loc"] for e in response.json()["errors"]]


@pytest.mark.parametrize("near", ["nan,48", "-1.6,inf", "-1.6", "a,b"])
def test_a_centre_that_is_no_point_is_refused_by_name(client, near):
    response = client.get(f"/api/sourcing?near={near}&radius_km=5")
    assert response.status_code == 400
    assert ["query", "near"] in [e["loc"] for e in response.json()["errors"]]
