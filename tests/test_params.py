"""One vocabulary of public filters (``carto.query.params``): the same word means the same thing
through every door (JSON API, OGC API, supplier search, embed), strictly or leniently."""
import pytest
from starlette.datastructures import QueryParams

from carto.directory import public_fields
from carto.publish import embed
from carto.query import params, sourcing


def test_every_door_takes_its_filters_from_the_one_table(client):
    api = {p["name"] for p in client.get("/openapi.json").json()["paths"]["/api/sites"]["get"]["parameters"]}
    assert set(params.FILTER_NAMES) <= api
    queryables = client.get("/ogc/collections/sites/queryables?f=json").json()["properties"]
    assert set(queryables) == {f.property for f in params.FILTERS if f.queryable and f.property}
    assert set(queryables) <= set(public_fields.BY_NAME)  # named after the properties they test
    assert queryables["siae"]["type"] == "boolean"
    assert set(embed.FILTER_KEYS) == {f.name for f in params.FILTERS if f.embed}


@pytest.mark.parametrize("word, expected", [("on", True), ("oui", True), ("1", True), ("off", False), ("non", False)])
def test_a_boolean_reads_the_same_in_the_api_and_in_the_embed(client, word, expected):
    api = client.get(f"/api/sites?siae={word}&limit=1")
    assert api.status_code == 200
    options = embed.parse(QueryParams(f"siae={word}"), client.app.state.service.taxonomy, lambda *_: False)
    assert options.siae is expected


def test_a_bad_point_gets_the_same_words_from_the_api_and_the_supplier_search(client, demo_service):
    api = client.get("/api/sites?near=-1.6,200").json()["errors"][0]["msg"]
    with demo_service.session() as session, pytest.raises(params.ParamError) as supplier:
        sourcing.parse(demo_service, session, near="-1.6,200")
    assert api == str(supplier.value) == "point hors limites : longitude entre -180 et 180, latitude entre -90 et 90"


def test_the_radius_has_one_limit_everywhere(client, demo_service):
    assert client.get("/api/sites?near=-1.6,48.1&radius_km=500&limit=1").status_code == 200
    with demo_service.session() as session:
        assert sourcing.parse(demo_service, session, near="-1.6,48.1", radius_km="500").radius_km == 500
        with pytest.raises(params.ParamError, match="1000 km"):
            sourcing.parse(demo_service, session, near="-1.6,48.1", radius_km="1000,5")
    assert client.get("/api/sites?near=-1.6,48.1&radius_km=1000.5").json()["errors"][0]["msg"] == (
        "rayon attendu entre 0 (exclu) et 1000 km")


def test_the_lenient_reading_falls_back_where_the_strict_one_refuses(demo_service):
    taxonomy = demo_service.taxonomy
    with pytest.raises(params.ParamError, match="parapente"):
        params.parse_slugs(taxonomy, ["velo,parapente"], "activity")
    assert params.parse_slugs(taxonomy, ["velo,parapente"], "activity", lenient=True) == ["velo"]
    assert params.lenient(params.parse_bbox, "5,1,2,3") is None
    with pytest.raises(params.ParamError):
        params.parse_text("x" * 201)
    assert params.parse_text("x" * 201, clip=True) == "x" * 200
