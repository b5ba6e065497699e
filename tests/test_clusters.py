"""Sites grouped per grid cell for large maps: bounded answers whose counts agree with the list."""
import pytest

from carto.query import clusters

BRITTANY = "-5.3,47.2,-1.0,48.95"
RENNES_VIEW = "-1.75,48.05,-1.6,48.15"


def grouped(client, bbox=BRITTANY, zoom=8, **filters) -> dict:
    response = client.get("/api/sites/clusters", params={"bbox": bbox, "zoom": zoom, **filters})
    assert response.status_code == 200, response.text
    return response.json()


def listed_total(client, bbox=BRITTANY, **filters) -> int:
    return client.get("/api/sites", params={"bbox": bbox, "limit": 1, **filters}).json()["numberMatched"]


@pytest.mark.parametrize("filters", [
    {}, {"activity": "velo"}, {"domain": "dechets"}, {"q": "atelier"}, {"departement": "29"},
    {"pole": "adesk"}, {"siae": "true"}, {"near": "-1.6778,48.1173", "radius_km": "25"},
    {"activity": "velo,textile", "epci": "243500139"},
], ids=lambda f: "&".join(f"{k}={v}" for k, v in f.items()) or "none")
def test_counts_agree_with_the_list_for_every_filter(client, filters):
    answer = grouped(client, **filters)
    assert answer["total"] == sum(c["count"] for c in answer["clusters"]) == listed_total(client, **filters)


def test_total_counts_the_view_asked_for_while_cells_stay_whole(client):
    answer = grouped(client, RENNES_VIEW, zoom=11)
    assert answer["total"] == listed_total(client, RENNES_VIEW) > 0
    west, south, east, north = answer["bbox"]
    assert west <= -1.75 and south <= 48.05 and east >= -1.6 and north >= 48.15
    assert sum(c["count"] for c in answer["clusters"]) == listed_total(client, ",".join(map(str, answer["bbox"])))


@pytest.mark.parametrize("zoom", [0, 5, 9, 13, 18, clusters.MAX_ZOOM])
def test_the_answer_is_bounded_at_any_zoom(client, zoom):
    answer = grouped(client, "-180,-85,180,85", zoom=zoom)
    assert len(answer["clusters"]) <= clusters.MAX_CELLS
    assert answer["total"] == listed_total(client, "-180,-85,180,85")


def test_zooming_in_splits_groups_down_to_single_sites(client):
    coarse, fine = grouped(client, zoom=6), grouped(client, zoom=18)
    assert len(coarse["clusters"]) < 30 < len(fine["clusters"])
    single = next(c for c in fine["clusters"] if c["count"] == 1)
    site = client.get(f"/api/sites/{single['id']}").json()
    assert site["geometry"]["coordinates"] == pytest.approx([single["lon"], single["lat"]], abs=1e-6)
    assert all("id" not in c for c in coarse["clusters"] if c["count"] > 1)


def test_a_cell_answers_the_same_whatever_the_view_around_it(client):
    """Cells sit on a fixed lattice: panning does not move or recount the groups both views hold."""
    left, right = grouped(client, "-2.2,47.8,-1.2,48.4", zoom=10), grouped(client, "-1.9,47.8,-0.9,48.4", zoom=10)
    inner = lambda answer: {(c["lon"], c["lat"], c["count"]) for c in answer["clusters"]
                            if -1.85 < c["bbox"][0] and c["bbox"][2] < -1.25}
    assert inner(left) == inner(right) and inner(left)


def test_groups_carry_their_extent_for_zooming_onto_them(client):
    for c in grouped(client, zoom=7)["clusters"]:
        west, south, east, north = c["bbox"]
        assert west <= c["lon"] <= east and south <= c["lat"] <= north


def test_bad_requests_name_the_parameter(client):
    missing = client.get("/api/sites/clusters", params={"zoom": 8})
    assert missing.status_code == 400 and missing.json()["errors"][0]["loc"] == ["query", "bbox"]
    for params, name in (({"bbox": BRITTANY}, "zoom"), ({"bbox": BRITTANY, "zoom": 40}, "zoom"),
                         ({"bbox": "1,2,3", "zoom": 5}, "bbox")):
        response = client.get("/api/sites/clusters", params=params)
        assert response.status_code in (400, 422) and response.json()["errors"][0]["loc"][-1] == name
    unknown = client.get("/api/sites/clusters", params={"bbox": BRITTANY, "zoom": 8, "commune": "99999"})
    assert unknown.status_code == 404


def test_clusters_are_open_data_with_cache_validation(client):
    response = client.get("/api/sites/clusters", params={"bbox": BRITTANY, "zoom": 8})
    assert response.headers["access-control-allow-origin"] == "*"
    again = client.get("/api/sites/clusters", params={"bbox": BRITTANY, "zoom": 8},
                       headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
