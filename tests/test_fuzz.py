"""Fuzzing the API from its own OpenAPI documents with schemathesis.

``/openapi.json`` (the public API, and the moderation API called with a signed-in administrator's
session and CSRF header) is held to every check schemathesis has (as ``schemathesis run --checks
all``): every status and content type answered is declared, errors have the declared shape, values
the schema allows are accepted and values it forbids are refused. The OGC API's ``/ogc/api`` is
held to no 5xx and no answer breaking its schema. Bounded: a fixed number of examples per operation
and mode, derandomised so that CI runs are reproducible; the test counts the requests and asserts
how many were made (at least MIN_REQUESTS). The address and company look-ups answer from a local
fake of their services.

The schema cannot say some rules of the API: a box's west is not east of its east (nor its south
north of its north), a radius or a distance order needs a centre, a SIRET ends with its Luhn key,
a ``cursor`` is only ever one the API handed out, and a reserved status's proof is of a kind of that
status (an ESAT's number a FINESS number) and dated between 1975 and today. Valid inputs are generated with those rules
applied (``within_runtime_rules``); invalid ones are left as generated.
"""
import warnings
from datetime import date
from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CHECKS, load_all_checks, not_a_server_error, response_schema_conformance
from schemathesis.generation import GenerationMode

from carto.app import create_app
from carto.directory import reserved_status, sirene
from carto.territory import geocoder
from tests.fake_registers import FakeRegisters

EXAMPLES = 25  # per operation and generation mode (fewer when an operation has fewer distinct inputs)
MIN_REQUESTS = 1000
OGC_CHECKS = [not_a_server_error, response_schema_conformance]


def all_checks() -> list:
    load_all_checks()
    return CHECKS.get_all()


def luhn_key(digits: str) -> int:
    """The last digit that makes a SIRET's Luhn sum a multiple of 10."""
    total = sum(sum(divmod(int(d) * (2 if i % 2 == 0 else 1), 10)) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _proof_within_rules(case) -> None:
    flag, body = (case.path_parameters or {}).get("flag"), case.body
    if flag not in reserved_status.STATUSES or not isinstance(body, dict) or "document_date" not in body:
        return
    kinds = reserved_status.STATUSES[flag].kinds
    if body.get("kind") not in (*kinds, *((None,) if len(kinds) == 1 else ())):
        body["kind"] = kinds[-1]
    if body.get("kind") == "esat":
        body["number"] = "350012345"
    body["document_date"] = min(max(str(body["document_date"]), "1975-01-01"), date.today().isoformat())


def within_runtime_rules(case):
    query = case.query or {}
    query.pop("cursor", None)
    if not query.get("near") and not query.get("around"):
        query.pop("radius_km", None)  # a radius, or a distance order, needs a centre
        if str(query.get("sort", "")).lstrip("-") == "distance":
            query.pop("sort")
    if isinstance(query.get("bbox"), str) and query["bbox"].count(",") == 3:
        west, south, east, north = query["bbox"].split(",")
        if float(west) > float(east):
            west, east = east, west
        if float(south) > float(north):
            south, north = north, south
        query["bbox"] = ",".join((west, south, east, north))
    _proof_within_rules(case)
    siret = (case.path_parameters or {}).get("siret")
    if isinstance(siret, str) and siret.isdigit() and len(siret) == 14:
        case.path_parameters["siret"] = siret[:13] + str(luhn_key(siret[:13]))
    return case


def fuzz(schema, calls: Counter, checks: list, **credentials) -> list[str]:
    """Run every operation of ``schema`` in both modes; returns the failures (operation: error)."""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            if mode == GenerationMode.POSITIVE:
                strategy = strategy.map(within_runtime_rules)

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def run(case):
                calls[operation.label] += 1
                case.call_and_validate(checks=checks, **credentials)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid (no parameter, or only free text): positive mode covers it
            except (Exception, BaseExceptionGroup) as e:  # noqa: BLE001 - every failure, with its operation
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
    failures = fuzz(schema, calls, all_checks(), **credentials) + fuzz(ogc, calls, OGC_CHECKS)
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
