"""Fuzzing the API from its own OpenAPI documents with schemathesis: no 5xx, no answer that breaks
the documented schema.

Every operation of ``/openapi.json`` (the public API, and the moderation API called with a signed-in
administrator's session and CSRF header) and of the OGC API's ``/ogc/api`` gets valid and invalid
inputs generated from its parameters. Bounded: a fixed number of examples per operation and mode,
derandomised so that CI runs are reproducible; the test counts the requests and asserts how many
were made (at least MIN_REQUESTS).
"""
import warnings
from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from carto.app import create_app
from carto.directory import sirene
from carto.territory import geocoder
from tests.fake_registers import FakeRegisters

EXAMPLES = 25  # per operation and generation mode (fewer when an operation has fewer distinct inputs)
MIN_REQUESTS = 1000
CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz(schema, calls: Counter, **credentials) -> list[str]:
    """Run every operation of ``schema`` in both modes; returns the failures (operation: error)."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                calls[operation.label] += 1
                case.call_and_validate(checks=CHECKS, **credentials)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameter, or only free text): positive mode covers it
            except Exception as e:  # noqa: BLE001 - every failure is reported, with the operation
                failures.append(f"{operation.label} ({mode.value}): {str(e)[:1500]}")
    return failures


@pytest.fixture
def app(demo_service):
    # The registers' look-ups answer 503 when their service is off: fuzz them against the fakes.
    with FakeRegisters() as fake:
        demo_service.geocoder = geocoder.Ban(fake.url, 2)
        demo_service.sirene = sirene.Api(fake.url, 2, rate=1000)
        yield create_app(service=demo_service)


def moderator_credentials(app, email, sign_in) -> dict:
    with TestClient(app) as client:
        csrf = sign_in(client, email)
        return {"cookies": {"carto_session": client.cookies.get("carto_session")},
                "headers": {"X-CSRF-Token": csrf}}


def test_the_api_never_fails_on_generated_input(app, demo_service, moderation_accounts, sign_in):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        ogc = schemathesis.openapi.from_asgi("/ogc/api?f=json", app)
    credentials = moderator_credentials(app, moderation_accounts["admin"], sign_in)
    calls = Counter()
    failures = fuzz(schema, calls, **credentials) + fuzz(ogc, calls)
    assert failures == [], "\n\n".join(failures)
    assert sum(calls.values()) >= MIN_REQUESTS, calls
    assert any(label.startswith("POST /api/moderation") for label in calls)


BEYOND = "99999999999999999999"  # more than any id column holds (found by this fuzzer: it was a 500)


@pytest.mark.parametrize("path", [f"/sites/{BEYOND}", "/sites/²", f"/sites/{BEYOND}/modifier",
                                  f"/sites/{BEYOND}/signaler", f"/ogc/collections/sites/items/{BEYOND}",
                                  f"/api/sites/-{BEYOND}"])
def test_numbers_beyond_any_id_in_addresses_are_not_found_or_refused(client, path):
    assert client.get(path).status_code in (404, 422)


def test_numbers_beyond_any_id_in_moderation_forms_are_refused(client, moderation_accounts, sign_in):
    csrf = sign_in(client, moderation_accounts["admin"])
    site = client.get("/api/sites?limit=1").json()["features"][0]["id"]
    answers = [client.post("/moderation/decisions", data={"csrf_token": csrf, "ids": [BEYOND], "action": "accept"}),
               client.post(f"/moderation/sites/{site}/restaurer", data={"csrf_token": csrf, "version": BEYOND}),
               client.post("/moderation/propositions/1/decision",
                           data={"csrf_token": csrf, "action": "merge", "target_site_id": BEYOND}),
               client.post("/api/moderation/decisions", json={"ids": [-int(BEYOND)], "action": "accept"},
                           headers={"X-CSRF-Token": csrf})]
    assert [a.status_code for a in answers] == [200, 422, 404, 422]
