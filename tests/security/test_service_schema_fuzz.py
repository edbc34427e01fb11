"""Schemathesis over every operation of the service's own /openapi.json, against a real service process
on SQLite and PostgreSQL: zero 5xx and zero responses that break the published schema.

Each operation gets the schema's own examples, then Hypothesis fuzzing from the schema in positive and
negative mode (schemathesis' strategies), four times: with a counter terminal key and a teller session
(so the cases reach past authentication, and into every handler: each operation must see a 2xx), with
a kiosk key, with no credentials and with wrong ones. The last two must never get a 2xx.

The explicit boundary cases (sizes, depths, NUL bytes, huge numbers, unicode tricks) are in
test_hostile_input.py. The schemathesis pytest plugin (`from_fixture`) does not run under this
pytest, so the cases are drawn from `APIOperation.as_strategy()` in a plain Hypothesis test.

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance and negative_data_rejection (data that breaks
the schema must get a 4xx). Not positive_data_acceptance: the schema cannot say everything the service
checks (a resident ID's check digit, the terminal's own branch, the rules file's typologies), so
schema-valid data is rightly refused with a 422 naming the field, which the published 422 documents.
"""

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from screening_service.idempotency import KEY_PATTERN
from tests.service.conftest import Api, RunningService, remittance, seeded, start_service

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Fuzzing examples per operation and generation mode; the schema's examples come on top. Measured on a
# 2-core machine shared with other test runs: the four runs take 60-110 s per database (SQLite or PostgreSQL).
FUZZ_EXAMPLES = 25
REQUEST_SECONDS = 30
WRONG_KEY = "cgk_000000000000_wrong-secret-wrong-secret"
_KEY = re.compile(KEY_PATTERN)
_SCREENING_ID = re.compile(r"^scr_[A-Za-z0-9]{1,36}$")
_TELLER_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


@dataclass
class FuzzTarget:
    service: RunningService
    teller: Api
    prescreen_code: str
    lookups: int = 0
    cases_sent: int = 0

    def fresh_session(self) -> str:
        token = self.service.teller("T1002").token
        assert token
        return token

    def fresh_screening(self) -> str:
        response = self.teller.screen(remittance(payee_account="6214830012341234120", payee_name="周杰"))
        assert response.status_code == 201, response.text
        return str(response.json()["screening_id"])


@pytest.fixture(scope="module")
def fuzz_target(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    seed = seeded(module_database_url)
    with pytest.MonkeyPatch.context() as env:
        # Random teller IDs are failed sign-ins; the throttle for them is tested in test_authorization.
        env.setenv("COUNTERGUARD_SERVICE_TERMINAL_SIGN_IN_FAILURES", "1000000")
        process = start_service(
            module_database_url, tmp_path_factory.mktemp("logs"), "--lookup-per-minute", "1000000"
        )
    service = RunningService(process, seed)
    try:
        teller = service.teller()
        created = service.kiosk().post(
            "/v1/prescreens",
            {
                "purpose": "investment",
                "who_asked": "online_contact",
                "relationship_to_payee": "never_met",
                "urgency": "today",
                "on_phone_now": False,
                "told_to_keep_secret": True,
                "first_time_payee": True,
                "amount_band": "10k_to_50k",
            },
        )
        assert created.status_code == 201, created.text
        yield FuzzTarget(service, teller, created.json()["code"])
    finally:
        process.stop()
        # The log must show no unhandled exception either.
        assert "Traceback" not in process.log(), process.log()[-5000:]


def _credentials(target: FuzzTarget, case: Case, auth: str) -> dict[str, str]:
    if auth == "none":
        return {}
    if auth == "wrong":
        return {"X-Terminal-Key": WRONG_KEY, "Authorization": "Bearer cgs_not-a-session"}
    if auth == "kiosk":
        return {"X-Terminal-Key": target.service.seed.kiosk_key}
    # Signing out must not end the session the other cases use.
    token = target.fresh_session() if case.operation.path == "/v1/sessions/current" else target.teller.token
    return {"X-Terminal-Key": target.service.seed.counter_key, "Authorization": f"Bearer {token}"}


def _reach_further(target: FuzzTarget, case: Case) -> None:
    """Where a generated value is valid but could name nothing, name something real, so that the case
    reaches the code behind the look-up: every other time, so that unknown ones (404) are sent too.
    Invalid values stay, for the negative cases."""
    path_parameters = case.path_parameters or {}
    target.lookups += 1
    if target.lookups % 2 and _SCREENING_ID.match(str(path_parameters.get("screening_id", ""))):
        path_parameters["screening_id"] = target.fresh_screening()
    if target.lookups % 2 and "code" in path_parameters:  # any string is a code to look up
        path_parameters["code"] = target.prescreen_code
    body = case.body
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if (
        positive
        and case.operation.path == "/v1/sessions"
        and isinstance(body, dict)
        and _TELLER_ID.match(str(body.get("teller_id")))
    ):
        # A real teller with the right password: the sign-in path, not only the refusals.
        teller, password = (
            ("S2002", "super-demo-1") if body.get("purpose") == "approval" else ("T1002", "teller-demo-1")
        )
        body.update(teller_id=teller, password=password)
    headers = case.headers or {}
    if _KEY.match(str(headers.get("Idempotency-Key", ""))):
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4().hex}"  # not a replay of another case's key


def run_case(target: FuzzTarget, case: Case, auth: str) -> int:
    if auth == "teller":
        _reach_further(target, case)
    headers = _credentials(target, case, auth)
    response = case.call(headers=headers, timeout=REQUEST_SECONDS)
    target.cases_sent += 1
    case.validate_response(response, checks=CHECKS, headers=headers)
    if auth in ("none", "wrong"):
        assert not 200 <= response.status_code < 300, f"{case.operation.label} answered without credentials"
    return response.status_code


FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # No shrinking: every step would be more HTTP calls; the failure report has the case's curl command.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
EXAMPLES = settings(FUZZ, max_examples=3)


def fuzz_operation(target: FuzzTarget, operation: APIOperation, auth: str) -> tuple[list[str], set[int]]:
    """The schema's examples, then positive and negative fuzzing; returns the failures and the statuses."""
    statuses: set[int] = set()
    failures: list[str] = []
    runs = [(EXAMPLES, "example", example) for example in operation.get_strategies_from_examples()]
    runs += [(FUZZ, mode.value, operation.as_strategy(generation_mode=mode)) for mode in GenerationMode]
    for run_settings, name, strategy in runs:

        @run_settings
        @given(case=strategy)
        def check(case: Case) -> None:
            statuses.add(run_case(target, case, auth))

        try:
            check()
        except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"{operation.label} ({name}): {error}")
    return failures, statuses


@pytest.mark.parametrize("auth", ["teller", "kiosk", "none", "wrong"])
def test_every_operation_keeps_to_its_schema(
    fuzz_target: FuzzTarget, auth: str, request: pytest.FixtureRequest
) -> None:
    """Schemathesis over every operation: no 5xx, every response as the OpenAPI document publishes it."""
    published = requests.get(f"{fuzz_target.service.url}/openapi.json", timeout=10).json()
    loaded = schemathesis.openapi.from_url(f"{fuzz_target.service.url}/openapi.json")
    operations = [result.ok() for result in loaded.get_all_operations()]
    labels = {f"{method.upper()} {path}" for path, item in published["paths"].items() for method in item}
    assert {operation.label for operation in operations} == labels
    failures: list[str] = []
    statuses: dict[str, set[int]] = {}
    sent_before = fuzz_target.cases_sent
    for operation in operations:
        found, statuses[operation.label] = fuzz_operation(fuzz_target, operation, auth)
        failures += found
    sent = fuzz_target.cases_sent - sent_before
    request.node.user_properties.append(("cases_sent", sent))
    # Hypothesis stops early when a strategy has few distinct values, but not this early.
    assert sent >= FUZZ_EXAMPLES * len(operations), sent
    assert not failures, "\n\n".join(failures)
    if auth == "teller":
        # Worth something only if valid credentials got cases past authentication into every handler.
        unreached = {label: seen for label, seen in statuses.items() if not any(200 <= s < 300 for s in seen)}
        assert not unreached, unreached
