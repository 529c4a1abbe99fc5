"""The API fuzzed from its own OpenAPI schema (Schemathesis): no 5xx, no unhandled exception.

Schemathesis turns every operation of ``/openapi.json`` into a Hypothesis strategy of
requests — valid ones (positive) and ones that break the schema (negative) — sent to
the app in process (ASGI) with an admin token, over the real store and the fake daemon.
A response of 500 or more, or an exception out of the app, fails. Bounded to a few
examples per operation and mode, so it stays well under a minute; derandomized in CI
(``CI=true``) like the other property tests (tests/conftest.py).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from controller.store import Store
from tests.helpers.fakes import FakeControlService
from tests.helpers.figures import Figures
from web.app import create_app

EXAMPLES = 10  # per operation and mode
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _operations(store: Store) -> list[Any]:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", create_app(FakeControlService(probe_store=store), store)
    )
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_input_makes_the_api_fail(store: Store, mode: GenerationMode, figures: Figures) -> None:
    token = store.create_token("fuzz", "admin")[1]
    operations = _operations(store)
    assert len(operations) >= 19
    for operation in operations:

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def fuzz(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            figures.add("api_fuzz_cases")
            figures.add("api_5xx", int(response.status_code >= 500))
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)
            case.validate_response(response, checks=[not_a_server_error])

        fuzz()
