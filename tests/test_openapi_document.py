"""The OpenAPI document declares what the API answers: error responses and their shape, the
grammar of text parameters, the closed lists of values. (``test_fuzz.py`` holds the API to it with
every schemathesis check.)"""
import jsonschema


def test_the_document_declares_errors_and_parameter_formats(client):
    document = client.get("/openapi.json").json()
    sites = document["paths"]["/api/sites"]["get"]
    assert {"400", "404", "422"} <= set(sites["responses"])
    moderation = document["paths"]["/api/moderation/decisions"]["post"]
    assert {"401", "403", "409", "413"} <= set(moderation["responses"])
    parameters = {p["name"]: p["schema"] for p in sites["parameters"]}
    assert parameters["bbox"]["pattern"].startswith("^(") and "example" in parameters["bbox"]
    assert "velo" in parameters["activity"]["items"]["enum"]
    assert "mobilite" in parameters["domain"]["items"]["enum"]
    assert moderation["responses"]["413"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_a_sites_feature_is_described_in_the_public_vocabulary_and_answers_conform(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    described = schemas["SiteFeature"]["properties"]["properties"]["properties"]
    assert described["code_commune"]["title"] == "Code INSEE de la commune"  # the exports' schema's titles
    assert described["date_verification"]["format"] == "date" and "distance_km" in described
    one = document["paths"]["/api/sites/{site_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert one["schema"] == {"$ref": "#/components/schemas/SiteFeature"}
    resolver = {"components": {"schemas": schemas}}
    page = client.get("/api/sites", params={"near": "-1.68,48.11", "limit": 20}).json()
    jsonschema.validate(page, schemas["SitePage"] | resolver)
    for feature in page["features"]:
        assert set(feature["properties"]) <= set(described), set(feature["properties"]) - set(described)
        jsonschema.validate(feature, schemas["SiteFeature"])
