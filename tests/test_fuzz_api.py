"""Schemathesis against /api/openapi.json: every JSON API operation, with generated parameters
and bodies, must answer as described (status code, content type, body schema) and never 500.

Print export is left out (each example renders a sheet; tests/test_web_export.py covers it).
Examples per operation are bounded (``MAX_EXAMPLES``) to keep the suite fast.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from store import accounts
from web.auth import database

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
# the test client does not undo gzip, and the JSON must be read as sent
HEADERS = {"Accept-Encoding": "identity"}


@pytest.fixture
def fuzz_app(app):
    app.config.update(UPLOAD_RATE_LIMIT="100000 per minute", REQUEST_LOG="")
    return app


@pytest.fixture
def token(fuzz_app):
    with fuzz_app.app_context(), database().write() as session:
        accounts.create_user(session, "fuzz.clerk", "password-123", "land_staff")
        return accounts.new_api_token(session, "fuzz.clerk")


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app).exclude(path_regex="^/api/export")
    return [result.ok() for result in schema.get_all_operations()]


def _fuzz(operation, headers: dict) -> None:
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              derandomize=os.environ.get("CI") == "true",  # CI: a fixed, reproducible set of examples
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


def test_the_description_covers_every_json_route(fuzz_app):
    described = {op.path for op in _operations(fuzz_app)} - {"/healthz"}
    rules = {r.rule for r in fuzz_app.url_map.iter_rules()
             if r.rule.startswith("/api/") and not r.rule.startswith("/api/export")
             and r.endpoint != "ops.openapi_json"}
    as_openapi = {rule.replace("<int:", "{").replace("<any(approve, release):", "{")
                  .replace("<", "{").replace(">", "}") for rule in rules}
    assert as_openapi == described


def test_signed_in_operations_conform(fuzz_app, token):
    for operation in _operations(fuzz_app):
        _fuzz(operation, {**HEADERS, "Authorization": f"Bearer {token}"})


def test_anonymous_operations_conform(fuzz_app):
    """Without a token every quota operation answers 401, as described, and never runs."""
    for operation in _operations(fuzz_app):
        if operation.path.startswith("/api/quota"):
            _fuzz(operation, HEADERS)


# ----- what the fuzzing found, kept as plain regression tests -----------------------------------

HUGE = 2**70  # past a signed 64-bit integer: once an OverflowError deep in the driver, a 500


def test_ids_beyond_the_database_range_are_not_found(fuzz_app, token):
    client = fuzz_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/quota/checks/{HUGE}", headers=auth).status_code == 404
    assert client.post(f"/api/quota/allocations/{HUGE}/approve", json={"reason": "x"},
                       headers=auth).status_code == 404
    r = client.post("/api/quota/reserve", json={"check_id": HUGE, "parcel_no": HUGE, "reason": "x"},
                    headers=auth)
    assert r.status_code == 404 and r.json["message_en"]


def test_nul_characters_are_refused_before_any_view(fuzz_app, token):
    """PostgreSQL cannot take a NUL in a text parameter (the driver raises): found by the
    fuzzer on /api/quota/audit?action=…%00…; now every field refuses it, on every database."""
    client = fuzz_app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    cases = [client.get("/api/quota/audit?action=a%00b", headers=auth),
             client.get("/api/quota/ledger?year=2013&x=1&x=%00", headers=auth),
             client.get("/quota/areas/park%0001", headers=auth),
             client.post("/api/quota/areas/park-01/quota", json={"quota_ha": 1, "reason": "a\x00"},
                         headers=auth),
             client.post("/auth/login", data={"username": "a\x00", "password": "password-123"})]
    for r in cases:
        assert r.status_code == 400, r.request.path
        assert "NUL" in r.get_data(as_text=True)
