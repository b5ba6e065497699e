"""The OpenAPI document declares what the API answers: error responses and their shape, the
grammar of text parameters, the closed lists of values. (``test_fuzz.py`` holds the API to it with
every schemathesis check.)"""


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
