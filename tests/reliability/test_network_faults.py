"""Network faults between the teller client and the service, through a fault proxy, as the teller meets them.

Each scenario drives the client core (Desk over a Runtime, as the window does) against the real
service process, with the proxy injecting one fault, and checks: the teller gets the fail-closed
path within the time budget, nothing is ever allowed without a screening the service gave, and
once the fault clears every acknowledgement and audit record reaches the service, each once.
"""

import dataclasses
import email.utils
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from teller_client.contract import ScreeningResult
from teller_client.desk import AckOutcome
from teller_client.offline_queue import OfflineQueue, PendingScreening
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.workflow import State
from tests.reliability.fault_proxy import (
    CLEAN,
    FAIL_CLOSED_BOUND_SECONDS,
    PEER_REPORTED,
    POLICE_LISTED,
    READ_TIMEOUT_SECONDS,
    WARN_PURPOSE,
    Fault,
    FaultProxy,
    Mode,
    Teller,
    answers_to,
    assert_fail_closed,
    assert_never_allowed_unscreened,
    assert_nothing_lost,
    network_service_fixture,  # noqa: F401 - the suite's fixtures
    proxy_fixture,  # noqa: F401
    teller_at,
    teller_fixture,  # noqa: F401
    timed,
)
from tests.service.conftest import RunningService, seeded, start_service

SCREENINGS = "/v1/screenings"
AUDIT = "/v1/audit-records"

FaultFactory = Callable[[], Fault]


def _at(path: str, mode: Mode, **options: Any) -> FaultFactory:
    return lambda: Fault(mode, path=path, method="POST", **options)


def _http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# A fault on the screening call that lasts: the teller must get "screening unavailable".
LASTING = [
    pytest.param(lambda: Fault(Mode.DOWN), {FailureReason.REFUSED}, id="service-down-refused"),
    pytest.param(_at(SCREENINGS, Mode.HANG), {FailureReason.TIMEOUT}, id="accept-then-hang"),
    pytest.param(
        _at(SCREENINGS, Mode.DELAY, seconds=READ_TIMEOUT_SECONDS + 2),
        {FailureReason.TIMEOUT},
        id="answer-held-beyond-read-timeout",
    ),
    pytest.param(
        _at(SCREENINGS, Mode.TRICKLE, seconds=0.05), {FailureReason.TIMEOUT}, id="answer-trickled-bytewise"
    ),
    pytest.param(_at(SCREENINGS, Mode.RESET), {FailureReason.REFUSED}, id="reset-after-request"),
    pytest.param(_at(SCREENINGS, Mode.STATUS, status=500), {FailureReason.SERVER_ERROR}, id="http-500"),
    pytest.param(
        _at(SCREENINGS, Mode.STATUS, status=503, retry_after="0.5"), {FailureReason.BUSY}, id="http-503"
    ),
    pytest.param(
        _at(SCREENINGS, Mode.STATUS, status=429, retry_after="1"), {FailureReason.BUSY}, id="http-429"
    ),
    pytest.param(
        _at(SCREENINGS, Mode.STATUS, status=503, retry_after="120"),
        {FailureReason.BUSY},
        id="retry-after-beyond-budget",
    ),
    pytest.param(_at(SCREENINGS, Mode.TRUNCATE), {FailureReason.BAD_RESPONSE}, id="truncated-body"),
    pytest.param(_at(SCREENINGS, Mode.NOT_JSON), {FailureReason.BAD_RESPONSE}, id="html-captive-portal"),
]


@pytest.mark.no_loss
@pytest.mark.parametrize(("make_fault", "reasons"), LASTING)
def test_a_lasting_screening_fault_fails_closed_then_loses_nothing(
    teller: Teller, make_fault: FaultFactory, reasons: set[FailureReason]
) -> None:
    """Screening under a lasting fault: fail-closed in the budget, then retried to one screening"""
    session = teller.submitted()
    fault = make_fault()
    teller.proxy.set_fault(fault)
    outcome, elapsed = timed(lambda: teller.desk.screen(session))
    assert_fail_closed(session, outcome, elapsed, reasons)
    assert_never_allowed_unscreened(teller)
    if fault.mode is not Mode.DOWN:
        assert teller.proxy.applied >= 1, "the fault was never hit"
    sent = teller.proxy.exchanges("POST", SCREENINGS)
    assert {each.headers["idempotency-key"] for each in sent} <= {session.idempotency_key}

    teller.proxy.clear()
    result = teller.desk.retry(session)  # the same idempotency key: a stored screening comes back
    assert isinstance(result, ScreeningResult) and result.decision == "allow"
    done = teller.desk.acknowledge(session, "proceed")
    assert isinstance(done, AckOutcome) and done.state is State.DONE
    assert_nothing_lost(teller)


def test_a_retry_after_beyond_the_budget_gives_up_at_once(teller: Teller) -> None:
    """Retry-After beyond the budget: unavailable at once, one attempt"""
    session = teller.submitted()
    teller.proxy.set_fault(_at(SCREENINGS, Mode.STATUS, status=503, retry_after="120")())
    outcome, elapsed = timed(lambda: teller.desk.screen(session))
    assert_fail_closed(session, outcome, elapsed, {FailureReason.BUSY})
    assert teller.proxy.applied == 1 and elapsed < 0.5 * FAIL_CLOSED_BOUND_SECONDS


# A fault on the first attempt(s) only: the client's retries absorb it, with the same key.
PASSING = [
    pytest.param(
        _at(SCREENINGS, Mode.STATUS, status=503, retry_after="0.2", times=2), id="503-twice-retry-after"
    ),
    pytest.param(
        lambda: Fault(Mode.STATUS, SCREENINGS, "POST", 1, 429, _http_date(1)), id="429-retry-after-http-date"
    ),
    pytest.param(_at(SCREENINGS, Mode.STATUS, status=502, times=1), id="502-once"),
    pytest.param(_at(SCREENINGS, Mode.RESET, times=1), id="answer-lost-once"),
    pytest.param(_at(SCREENINGS, Mode.TRUNCATE, times=1), id="truncated-once"),
    pytest.param(_at(SCREENINGS, Mode.HANG, times=1), id="hang-once"),
]


@pytest.mark.no_loss
@pytest.mark.parametrize("make_fault", PASSING)
def test_a_passing_fault_is_retried_with_the_same_key_into_one_screening(
    teller: Teller, make_fault: FaultFactory
) -> None:
    """Screening under a passing fault: retried with the same key into one screening"""
    session = teller.submitted()
    fault = make_fault()
    teller.proxy.set_fault(fault)
    result, elapsed = timed(lambda: teller.desk.screen(session))
    assert isinstance(result, ScreeningResult), result
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS
    assert teller.proxy.applied == fault.times
    sent = teller.proxy.exchanges("POST", SCREENINGS)
    assert len(sent) == (fault.times or 0) + 1
    assert {each.headers["idempotency-key"] for each in sent} == {session.idempotency_key}
    if fault.mode in (Mode.RESET, Mode.TRUNCATE):
        # The service screened the first attempt; the retry got that stored screening back.
        assert [each.upstream_status for each in sent] == [201, 201]
    done = teller.desk.acknowledge(session, "proceed")
    assert isinstance(done, AckOutcome) and done.state is State.DONE
    assert_nothing_lost(teller)


# ---------------------------------------------------------------- acknowledgements


def _acknowledgements_of(screening_id: str) -> str:
    return f"{SCREENINGS}/{screening_id}/acknowledgements"


@pytest.mark.no_loss
def test_an_acknowledgement_answer_lost_once_is_retried_with_the_same_event(teller: Teller) -> None:
    """Acknowledgement answer lost once: retried with the same event, recorded once"""
    session, result = teller.screened(purpose=WARN_PURPOSE)
    assert result.decision == "warn"
    path = _acknowledgements_of(result.screening_id)
    teller.proxy.set_fault(_at(path, Mode.RESET, times=1)())
    done = teller.desk.acknowledge(session, "proceed", answers_to(result), "客户确认为本人购物退款")
    assert isinstance(done, AckOutcome) and done.state is State.DONE
    sent = teller.proxy.exchanges("POST", path)
    assert [each.upstream_status for each in sent] == [201, 201]
    events = {each.body_field("client_event_id") for each in sent}
    assert len(events) == 1
    assert [ack.client_event_id for ack in teller.db.acknowledgements_of(result.screening_id)] == list(events)
    assert_nothing_lost(teller)


# The teller's choice, the fault on every attempt, and whether the service got the request.
LOST_ACKNOWLEDGEMENTS = [
    pytest.param("warn", _at("", Mode.RESET), True, id="warn-proceed-answer-lost"),
    pytest.param("warn", _at("", Mode.TRUNCATE), True, id="warn-proceed-answer-truncated"),
    pytest.param("warn", _at("", Mode.HANG), False, id="warn-proceed-hang"),
    pytest.param("warn", _at("", Mode.STATUS, status=503), False, id="warn-proceed-503"),
    pytest.param("hold", _at("", Mode.RESET), True, id="hold-supervisor-proceed-answer-lost"),
    pytest.param("allow", _at("", Mode.RESET), True, id="allow-delay-arrival-answer-lost"),
]


@pytest.mark.no_loss
@pytest.mark.parametrize(("decision", "make_fault", "reaches_service"), LOST_ACKNOWLEDGEMENTS)
def test_an_unanswered_acknowledgement_sent_again_is_recorded_once(
    teller: Teller, decision: str, make_fault: FaultFactory, reaches_service: bool
) -> None:
    """Acknowledgement never answered, sent again by the teller: recorded once, never "already decided".

    The answer never comes back; the teller presses the same button again once the network is back.
    """
    payee, purpose = {
        "warn": (CLEAN, WARN_PURPOSE),
        "hold": (PEER_REPORTED, "房租"),
        "allow": (CLEAN, "房租"),
    }[decision]
    session, result = teller.screened(payee, purpose)
    assert result.decision == decision
    action = "delay_arrival" if decision == "allow" else "proceed"
    choice: dict[str, Any] = {"answers": answers_to(result), "note": "客户确认为本人购物退款"}
    if decision == "hold":
        choice |= {"supervisor_id": "S2001", "supervisor_password": "super-demo-1"}
    if decision == "allow":
        choice |= {"delay": "next_day"}
    path = _acknowledgements_of(result.screening_id)
    teller.proxy.set_fault(dataclasses.replace(make_fault(), path=path))

    first, elapsed = timed(lambda: teller.desk.acknowledge(session, action, **choice))
    assert isinstance(first, ServiceFailure), first
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS
    assert session.state is State.ACKNOWLEDGE, "an unanswered acknowledgement must not finish the remittance"
    stored = teller.db.acknowledgements_of(result.screening_id)
    assert len(stored) == (1 if reaches_service else 0)

    teller.proxy.clear()
    again = teller.desk.acknowledge(session, action, **choice)
    assert isinstance(again, AckOutcome), f"sending the same choice again failed: {again}"
    assert again.state is State.DONE and again.delivered
    stored = teller.db.acknowledgements_of(result.screening_id)
    assert len(stored) == 1 and stored[0].action == action
    if decision == "hold":
        assert stored[0].supervisor_id == "S2001" and again.supervisor_id == "S2001"
    assert_nothing_lost(teller)


@pytest.mark.no_loss
@pytest.mark.parametrize(
    "make_fault",
    [pytest.param(lambda: Fault(Mode.DOWN), id="down"), pytest.param(_at("", Mode.RESET), id="lost")],
)
def test_a_cancel_without_an_answer_is_kept_and_reaches_the_service(
    teller: Teller, make_fault: FaultFactory
) -> None:
    """Cancel without an answer: kept locally, reaches the service with the audit records"""
    session, result = teller.screened(POLICE_LISTED)
    assert result.decision == "block"
    fault = make_fault()
    if fault.mode is not Mode.DOWN:
        fault = dataclasses.replace(fault, path=_acknowledgements_of(result.screening_id))
    teller.proxy.set_fault(fault)
    kept, elapsed = timed(lambda: teller.desk.acknowledge(session, "cancel", note="客户放弃汇款"))
    assert isinstance(kept, AckOutcome) and not kept.delivered and kept.state is State.CANCELLED
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS
    assert teller.runtime.audit.backlog() > 0
    teller.proxy.clear()
    assert_nothing_lost(teller)


# Whether the first acknowledgement reached the service before its answer was lost.
FIRST_CHOICE_FAULTS = [
    pytest.param(_at("", Mode.RESET), True, id="first-recorded-answer-lost"),
    pytest.param(_at("", Mode.HANG), False, id="first-never-arrived"),
]


@pytest.mark.no_loss
@pytest.mark.parametrize(("make_fault", "reaches_service"), FIRST_CHOICE_FAULTS)
def test_another_choice_after_an_unanswered_one_never_makes_two_decisions(
    teller: Teller, make_fault: FaultFactory, reaches_service: bool
) -> None:
    """Another choice after an unanswered acknowledgement: one decision, the one the service holds"""
    session, result = teller.screened(purpose=WARN_PURPOSE)
    answers = answers_to(result)
    path = _acknowledgements_of(result.screening_id)
    teller.proxy.set_fault(dataclasses.replace(make_fault(), path=path))
    first = teller.desk.acknowledge(session, "proceed", answers, "客户确认为本人购物退款")
    assert isinstance(first, ServiceFailure) and session.state is State.ACKNOWLEDGE
    teller.proxy.clear()

    other = teller.desk.acknowledge(session, "cancel", note="客户改变主意，放弃汇款")
    if reaches_service:
        # The service holds the proceed: a cancel now would be a second decision, and is refused.
        assert isinstance(other, ServiceFailure) and other.reason is FailureReason.REJECTED
        assert other.problem_type.endswith(":already-decided") and session.state is State.ACKNOWLEDGE
        # Back to the choice the service holds: settled as it was recorded.
        again = teller.desk.acknowledge(session, "proceed", answers, "客户确认为本人购物退款")
        assert isinstance(again, AckOutcome) and again.state is State.DONE
    else:
        assert isinstance(other, AckOutcome) and other.state is State.CANCELLED and other.delivered
    stored = teller.db.acknowledgements_of(result.screening_id)
    assert [ack.action for ack in stored] == (["proceed"] if reaches_service else ["cancel"])
    assert_nothing_lost(teller)


@pytest.mark.no_loss
def test_lost_answers_leave_one_screening_and_one_acknowledgement_on_each_database(
    database_url: str, tmp_path: Path
) -> None:
    """Lost answers on SQLite and PostgreSQL: one screening and one acknowledgement each"""
    seed = seeded(database_url)
    service = start_service(database_url, tmp_path)
    try:
        with FaultProxy(service.url) as proxy, teller_at(RunningService(service, seed), proxy) as teller:
            session = teller.submitted(purpose=WARN_PURPOSE)
            proxy.set_fault(_at(SCREENINGS, Mode.RESET, times=1)())
            result = teller.desk.screen(session)
            assert isinstance(result, ScreeningResult) and result.decision == "warn"
            path = _acknowledgements_of(result.screening_id)
            proxy.set_fault(_at(path, Mode.RESET)())
            answers = answers_to(result)
            lost = teller.desk.acknowledge(session, "proceed", answers, "客户确认为本人购物退款")
            assert isinstance(lost, ServiceFailure)
            proxy.clear()
            done = teller.desk.acknowledge(session, "proceed", answers, "客户确认为本人购物退款")
            assert isinstance(done, AckOutcome) and done.state is State.DONE
            forwarded = proxy.exchanges("POST", SCREENINGS) + proxy.exchanges("POST", path)
            assert len(forwarded) >= 4 and all(each.upstream_status == 201 for each in forwarded)
            assert_nothing_lost(teller)
    finally:
        service.stop()


def test_an_offline_queue_from_before_the_first_request_column_keeps_its_entries(tmp_path: Path) -> None:
    """An offline queue written by the previous version: opened, its entries kept"""
    path = tmp_path / "offline_queue.db"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE pending (idempotency_key TEXT PRIMARY KEY, session_id TEXT NOT NULL,"
        " request TEXT NOT NULL, queued_at TEXT NOT NULL)"
    )
    old.execute("INSERT INTO pending VALUES ('key-old', 'cs_1', '{\"amount\": \"1.00\"}', '2026-11-01')")
    old.commit()
    old.close()
    queue = OfflineQueue(path)
    try:
        queue.put("key-new", "cs_2", {"arrival_mode": "next_day"}, {"arrival_mode": "realtime"})
        assert queue.pending()[0] == PendingScreening("key-old", "cs_1", {"amount": "1.00"}, "2026-11-01")
        assert queue.pending()[1].first_request == {"arrival_mode": "realtime"}
    finally:
        queue.close()


# ---------------------------------------------------------------- the outbox and the offline queue


@pytest.mark.no_loss
@pytest.mark.parametrize(
    "make_fault",
    [
        pytest.param(lambda: Fault(Mode.DOWN), id="down"),
        pytest.param(_at(AUDIT, Mode.RESET, times=3), id="three-answers-lost"),
        pytest.param(_at(AUDIT, Mode.STATUS, status=503, retry_after="0.1"), id="503-storm"),
        pytest.param(_at(AUDIT, Mode.HANG), id="hang"),
        pytest.param(_at(AUDIT, Mode.NOT_JSON, times=2), id="html-page"),
    ],
)
def test_audit_records_reach_the_service_once_after_a_fault(teller: Teller, make_fault: FaultFactory) -> None:
    """Audit outbox under a fault: every record reaches the service once"""
    for payee in (CLEAN, POLICE_LISTED):
        session, result = teller.screened(payee)
        action = "proceed" if result.decision == "allow" else "cancel"
        assert isinstance(teller.desk.acknowledge(session, action), AckOutcome)
    waiting = teller.runtime.audit.backlog()
    assert waiting > 4
    teller.proxy.set_fault(make_fault())
    report, elapsed = timed(teller.runtime.delivery.run_once)
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS  # the records before the fault went at once
    if report.failure is not None:
        assert teller.runtime.audit.backlog() > 0
    teller.proxy.clear()
    assert_nothing_lost(teller)
    delivered = teller.proxy.exchanges("POST", AUDIT)
    # Every record sent at least once, however many times; the service holds each once (checked above).
    assert len({each.headers["idempotency-key"] for each in delivered}) >= waiting


@pytest.mark.no_loss
@pytest.mark.parametrize(
    "first_fault",
    [
        pytest.param(lambda: Fault(Mode.DOWN), id="down"),
        pytest.param(_at(SCREENINGS, Mode.RESET), id="answers-lost"),
    ],
)
def test_an_offline_remittance_is_screened_once_when_the_service_is_back(
    teller: Teller, first_fault: FaultFactory
) -> None:
    """Offline procedure after a fault: the queued remittance is screened once when the service is back"""
    session = teller.submitted()
    teller.proxy.set_fault(first_fault())
    outcome, elapsed = timed(lambda: teller.desk.screen(session))
    assert_fail_closed(session, outcome, elapsed, {FailureReason.REFUSED})
    teller.desk.offline_procedure(session, "S2001", "系统故障，主管批准按应急流程办理", "next_day")
    assert session.state is State.OFFLINE_QUEUED and len(teller.runtime.offline_queue) == 1
    # Back, but the answer to the queued screening is lost once: the retry must not screen it twice.
    teller.proxy.set_fault(_at(SCREENINGS, Mode.RESET, times=1)())
    assert_nothing_lost(teller)
    assert not teller.runtime.late_risks, teller.runtime.late_risks


# ---------------------------------------------------------------- signing in, and the proxy itself


def test_signing_in_while_the_service_is_down_signs_nobody_in(teller: Teller) -> None:
    """Sign-in with the service down: nobody signed in, within the budget"""
    teller.desk.sign_out()
    teller.proxy.set_fault(Fault(Mode.DOWN))
    outcome, elapsed = timed(lambda: teller.desk.sign_in("T1001", "teller-demo-1"))
    assert isinstance(outcome, ServiceFailure) and outcome.reason is FailureReason.REFUSED
    assert elapsed <= FAIL_CLOSED_BOUND_SECONDS
    assert teller.desk.teller is None


def test_the_proxy_counts_requests_and_goes_down_and_up_on_the_same_port(proxy: FaultProxy) -> None:
    """The fault proxy itself: counts, down and up on one port, status, HTML, hang"""
    import requests

    url = proxy.url
    assert requests.get(f"{url}/healthz", timeout=2).status_code == 200
    proxy.set_fault(Fault(Mode.DOWN))
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/healthz", timeout=2)
    proxy.set_fault(Fault(Mode.STATUS, path="/healthz", status=429, retry_after="7", times=1))
    first = requests.get(f"{url}/healthz", timeout=2)
    assert first.status_code == 429 and first.headers["Retry-After"] == "7"
    assert requests.get(f"{url}/healthz", timeout=2).status_code == 200
    proxy.set_fault(Fault(Mode.NOT_JSON))
    assert requests.get(f"{url}/healthz", timeout=2).headers["Content-Type"].startswith("text/html")
    proxy.set_fault(Fault(Mode.HANG))
    with pytest.raises(requests.Timeout):
        requests.get(f"{url}/healthz", timeout=0.3)
    assert proxy.url == url and proxy.counts()[("GET", "/healthz")] == 5
