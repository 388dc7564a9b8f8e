"""Fuzz the published OpenAPI schema of a running server: never a 500, every answer as documented.

Valid and invalid inputs (schemathesis' positive and negative modes). Bounded: a few
examples per operation and mode, no deadline, so the run stays short.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.server.harness import make_repo, serve

pytestmark = pytest.mark.integration

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 25


def test_no_server_errors_and_answers_match_the_schema(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    with serve(repo, "--no-access-log") as server:
        schema = schemathesis.openapi.from_url(server.url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.path for op in operations} >= {
            "/get-online-features",
            "/push",
            "/write-to-online-store",
            "/health",
            "/ready",
            "/feature-services",
            "/feature-views",
            "/feature-views/{name}",
        }
        runs = [(op, schemathesis.GenerationMode.POSITIVE) for op in operations]
        # Invalid input needs a body to break (the one path parameter takes any string).
        runs += [(op, schemathesis.GenerationMode.NEGATIVE) for op in operations if op.method.upper() == "POST"]
        for operation, mode in runs:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS, timeout=10)

            fuzz()
