"""Schemathesis calls every documented operation with generated parameters: never a 5xx, and
every response conforms to the OpenAPI document."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from tests.api import test_api as shared

# The fixtures live in test_api.py; naming them here makes pytest find them for this module.
api_app = shared.api_app
world = shared.world


@pytest.fixture
def api_schema(api_app, world):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_responses_match_the_schema(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
