"""Every transition of the counter workflow, the illegal ones, and the fail-closed branch."""

import json
import sqlite3
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from teller_client.audit import AuditStore
from teller_client.contract import parse_screening
from teller_client.masking import mask_account, mask_id_number
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.workflow import (
    MAX_FACE_ATTEMPTS,
    CounterSession,
    Customer,
    FaceException,
    FaceSummary,
    Remittance,
    State,
    WorkflowError,
)

CUSTOMER = Customer("resident_id", "11010519491231002X", "张建国", date(1949, 12, 31))
MATCH = FaceSummary("match", 0.31, "passed", ("ok", "ok", "ok"))
REMITTANCE = Remittance(
    "6222020200112233446", "6212260200001234562", "王小明", "中国工商银行", Decimal("5000"), "CNY", "房租"
)
UNAVAILABLE = ServiceFailure(FailureReason.TIMEOUT, "/v1/screenings: timed out")


def result(decision: str, questions: tuple[str, ...] = (), allowed: tuple[str, ...] = ()) -> Any:
    default_allowed = {
        "allow": ("proceed", "delay_arrival", "cancel"),
        "warn": ("cancel", "delay_arrival", "refer_police", "proceed"),
        "hold": ("cancel", "delay_arrival", "refer_police", "proceed"),
        "block": ("cancel", "refer_police"),
    }[decision]
    reason = {
        "code": "R",
        "typology": "t",
        "typology_label": {"zh-CN": "类", "en": "type"},
        "severity": "high",
        "source": "rule",
        "score": 50,
        "message": {"zh-CN": "原因", "en": "reason"},
    }
    return parse_screening(
        {
            "screening_id": "scr_1",
            "decision": decision,
            "score": 0 if decision == "allow" else 50,
            "reasons": [] if decision == "allow" else [reason],
            "payee_name_check": {"outcome": "match", "name_on_record": None},
            "questions": [{"id": q, "text": {"zh-CN": "问", "en": "q"}} for q in questions],
            "required_actions": [],
            "allowed_actions": list(allowed or default_allowed),
            "expires_at": "2026-11-27T10:00:00Z",
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    audit = AuditStore(tmp_path / "audit.db")
    yield audit
    audit.close()


@pytest.fixture
def session(store: AuditStore) -> CounterSession:
    return CounterSession(store, "BJ0101", "T1001")


def at_entry(session: CounterSession) -> CounterSession:
    session.identify(CUSTOMER)
    session.face_consent(True)
    session.face_verified(MATCH)
    return session


def screened(session: CounterSession, decision: str, questions: tuple[str, ...] = ()) -> CounterSession:
    at_entry(session).submit(REMITTANCE)
    session.screened(result(decision, questions))
    return session


def kinds(store: AuditStore) -> list[str]:
    return [record.kind for record in store.records()]


def test_happy_path_is_recorded_step_by_step(session: CounterSession, store: AuditStore) -> None:
    session.identify(CUSTOMER)
    assert session.state is State.VERIFY_FACE
    with pytest.raises(WorkflowError, match="consent"):
        session.face_verified(MATCH)
    session.face_consent(True)
    session.face_verified(MATCH)
    assert session.state is State.ENTER_REMITTANCE
    request = session.submit(REMITTANCE)
    assert session.state is State.SCREENING
    assert request["amount"] == "5000.00"
    assert request["face_verification"] == {"outcome": "match", "distance": 0.31, "liveness": "passed"}
    assert request["customer"]["birth_date"] == "1949-12-31"
    session.screened(result("allow"))
    body = session.acknowledgement("proceed")
    session.acknowledged(body)
    assert session.state is State.DONE and session.finished
    assert kinds(store) == [
        "customer_identified",
        "face_consent",
        "face_verified",
        "remittance_submitted",
        "screening_result",
        "acknowledgement",
    ]
    assert store.verify().ok
    # Personal data in the audit log is masked; no face data at all.
    text = " ".join(record.payload for record in store.records())
    assert "11010519491231002X" not in text and "6212260200001234562" not in text
    assert mask_id_number("11010519491231002X") in text and mask_account("6212260200001234562") in text


@pytest.mark.parametrize(
    ("step", "state"),
    [
        (lambda s: s.face_verified(MATCH), State.IDENTIFY),
        (lambda s: s.submit(REMITTANCE), State.IDENTIFY),
        (lambda s: s.screened(result("allow")), State.IDENTIFY),
        (lambda s: s.retry(), State.IDENTIFY),
        (lambda s: s.acknowledgement("proceed"), State.IDENTIFY),
        (lambda s: s.offline_procedure("S2001", "n"), State.IDENTIFY),
    ],
)
def test_illegal_steps_raise_and_change_nothing(
    session: CounterSession, store: AuditStore, step: Any, state: State
) -> None:
    with pytest.raises(WorkflowError, match="not allowed in state"):
        step(session)
    assert session.state is state
    assert store.records() == []


def test_identity_cannot_be_given_twice(session: CounterSession) -> None:
    session.identify(CUSTOMER)
    with pytest.raises(WorkflowError):
        session.identify(CUSTOMER)


def test_face_verified_needs_match_and_liveness(session: CounterSession) -> None:
    session.identify(CUSTOMER)
    session.face_consent(True)
    for summary in (FaceSummary("no_match", 0.7, "passed"), FaceSummary("match", 0.3, "failed")):
        with pytest.raises(WorkflowError, match="match and a passed liveness"):
            session.face_verified(summary)
    assert session.state is State.VERIFY_FACE


def test_failed_attempts_then_alternative_verification(session: CounterSession, store: AuditStore) -> None:
    session.identify(CUSTOMER)
    session.face_consent(True)
    with pytest.raises(WorkflowError, match="at least one failed attempt"):
        session.face_exception(FaceException.REPEATED_MISMATCH, "second document")
    for _ in range(MAX_FACE_ATTEMPTS):
        session.face_attempt_failed(FaceSummary("no_match", 0.71, "passed"))
    assert session.face_attempts_left == 0
    with pytest.raises(WorkflowError, match="alternative verification"):
        session.face_attempt_failed(FaceSummary("no_match", 0.7, "passed"))
    with pytest.raises(WorkflowError, match="say how the identity was checked"):
        session.face_exception(FaceException.REPEATED_MISMATCH, "  ")
    session.face_exception(FaceException.REPEATED_MISMATCH, "护照 E12345678 核对无误")
    assert session.state is State.ENTER_REMITTANCE
    request = session.submit(REMITTANCE)
    # The service learns the face check failed, and rules on it.
    assert request["face_verification"]["outcome"] == "no_match"
    assert request["face_verification"]["distance"] == 0.71
    assert kinds(store).count("face_attempt_failed") == MAX_FACE_ATTEMPTS


@pytest.mark.parametrize(
    ("reason", "outcome"),
    [(FaceException.NO_CAMERA, "not_performed"), (FaceException.CONSENT_REFUSED, "declined")],
)
def test_no_camera_and_refused_consent_lead_to_alternative_check(
    session: CounterSession, store: AuditStore, reason: FaceException, outcome: str
) -> None:
    session.identify(CUSTOMER)
    session.face_exception(reason, "联网核查身份证，本人")
    request = session.submit(REMITTANCE)
    assert request["face_verification"] == {"outcome": outcome, "distance": None, "liveness": "not_performed"}
    payload = json.loads(store.records()[1].payload)
    assert payload["reason"] == reason.value and payload["alternative_check"] == "联网核查身份证，本人"


def test_unavailable_screening_fails_closed_and_retries_with_the_same_key(session: CounterSession) -> None:
    first = at_entry(session).submit(REMITTANCE)
    key = session.idempotency_key
    session.screening_failed(UNAVAILABLE)
    assert session.state is State.UNAVAILABLE
    assert session.result is None  # nothing that could be read as a decision
    with pytest.raises(WorkflowError):
        session.acknowledgement("proceed")
    again = session.retry()
    assert again == first and session.idempotency_key == key
    assert session.state is State.SCREENING
    session.screened(result("warn", ("q1",)))
    assert session.state is State.ACKNOWLEDGE


def test_offline_procedure_needs_supervisor_note_and_delayed_arrival(
    session: CounterSession, store: AuditStore
) -> None:
    at_entry(session).submit(REMITTANCE)
    session.screening_failed(UNAVAILABLE)
    with pytest.raises(WorkflowError, match="supervisor's ID and a note"):
        session.offline_procedure("", "service down")
    with pytest.raises(WorkflowError, match="delayed arrival"):
        session.offline_procedure("S2001", "service down", arrival_mode="realtime")
    request = session.offline_procedure("S2001", "central service down since 10:02", "delay_2h")
    assert request["arrival_mode"] == "delay_2h"
    assert session.state is State.OFFLINE_QUEUED and session.finished
    assert json.loads(store.records()[-1].payload)["supervisor_id"] == "S2001"


def test_cancel_before_screening_and_after_unavailable(session: CounterSession) -> None:
    session.identify(CUSTOMER)
    with pytest.raises(WorkflowError, match="say why"):
        session.cancel("")
    session.cancel("customer left")
    assert session.state is State.CANCELLED
    with pytest.raises(WorkflowError):
        session.cancel("again")


def test_cancel_is_not_allowed_while_screening(session: CounterSession) -> None:
    at_entry(session).submit(REMITTANCE)
    with pytest.raises(WorkflowError, match="not allowed in state screening"):
        session.cancel("impatient")


def test_warn_needs_answers_and_note_to_proceed(session: CounterSession) -> None:
    screened(session, "warn", ("q1", "q2"))
    with pytest.raises(WorkflowError, match="q1, q2"):
        session.acknowledgement("proceed", note="ok")
    with pytest.raises(WorkflowError, match="q2"):
        session.acknowledgement("proceed", {"q1": "朋友", "q2": "  "}, note="ok")
    with pytest.raises(WorkflowError, match="note"):
        session.acknowledgement("proceed", {"q1": "朋友", "q2": "房租"})
    body = session.acknowledgement("proceed", {"q1": "朋友", "q2": "房租"}, note="已核实")
    assert body["answers"] == [
        {"question_id": "q1", "answer": "朋友"},
        {"question_id": "q2", "answer": "房租"},
    ]
    assert body["client_event_id"].startswith("evt_")
    session.acknowledged(body)
    assert session.state is State.DONE


def test_hold_needs_an_approval_and_block_cannot_proceed(store: AuditStore) -> None:
    held = screened(CounterSession(store, "BJ0101", "T1001"), "hold", ("q1",))
    with pytest.raises(WorkflowError, match="supervisor's approval"):
        held.acknowledgement("proceed", {"q1": "a"}, note="n")
    body = held.acknowledgement("proceed", {"q1": "a"}, note="n", approval_token="cgs_x")
    assert body["supervisor_approval"] == {"approval_token": "cgs_x"}
    held.acknowledged(body, supervisor_id="S2001")
    assert json.loads(store.records()[-1].payload)["supervisor_id"] == "S2001"

    blocked = screened(CounterSession(store, "BJ0101", "T1001"), "block", ("q1",))
    with pytest.raises(WorkflowError, match="not allowed for a 'block'"):
        blocked.acknowledgement("proceed", {"q1": "a"}, note="n", approval_token="cgs_x")


def test_police_referral_keeps_the_remittance_open(session: CounterSession) -> None:
    screened(session, "block")
    session.acknowledged(session.acknowledgement("refer_police", note="110 called"))
    assert session.state is State.ACKNOWLEDGE and session.police_referred
    session.acknowledged(session.acknowledgement("cancel"))
    assert session.state is State.CANCELLED


def test_delay_needs_a_delay(session: CounterSession) -> None:
    screened(session, "warn")
    with pytest.raises(WorkflowError, match="2h or next_day"):
        session.acknowledgement("delay_arrival")
    body = session.acknowledgement("delay_arrival", delay="next_day")
    assert body["delay"] == "next_day"


def test_a_rejected_acknowledgement_leaves_the_remittance_undecided(
    session: CounterSession, store: AuditStore
) -> None:
    screened(session, "allow")
    body = session.acknowledgement("proceed")
    session.acknowledgement_failed(body, ServiceFailure(FailureReason.REJECTED, "expired", 409))
    assert session.state is State.ACKNOWLEDGE
    assert kinds(store)[-1] == "acknowledgement_failed"


class BrokenRecorder:
    def append(self, kind: str, payload: Mapping[str, Any]) -> object:
        raise OSError("disk full")


def test_a_step_that_cannot_be_recorded_does_not_happen() -> None:
    session = CounterSession(BrokenRecorder(), "BJ0101", "T1001")
    with pytest.raises(OSError, match="disk full"):
        session.identify(CUSTOMER)
    assert session.state is State.IDENTIFY and session.customer is None


def test_pasted_invisible_and_control_characters_are_taken_out_of_notes_and_answers(
    session: CounterSession,
) -> None:
    # The service refuses direction marks and control characters (422): pasted text must not strand a
    # decision. Line breaks stay: a note may have several lines.
    screened(session, "warn", ("q1",))
    body = session.acknowledgement(
        "proceed", {"q1": "朋\u200b友\x07"}, note="\u202e已核实\u202c\r\n第二行\x00"
    )
    assert body["answers"] == [{"question_id": "q1", "answer": "朋友"}]
    assert body["note"] == "已核实\r\n第二行"


def test_a_note_longer_than_the_service_accepts_is_refused_before_sending(session: CounterSession) -> None:
    screened(session, "warn", ("q1",))
    with pytest.raises(WorkflowError, match="at most 1000"):
        session.acknowledgement("proceed", {"q1": "朋友"}, note="很" * 1001)
    with pytest.raises(WorkflowError, match="at most 500"):
        session.acknowledgement("proceed", {"q1": "朋" * 501}, note="已核实")
    assert session.state is State.ACKNOWLEDGE  # nothing recorded: the teller shortens it and goes on


def _lost(session: CounterSession, body: dict[str, Any]) -> None:
    session.acknowledging(body)
    session.acknowledgement_failed(body, ServiceFailure(FailureReason.TIMEOUT, "no answer"))


def test_a_repeated_choice_with_pasted_invisible_characters_is_sent_again_as_it_was(
    session: CounterSession,
) -> None:
    screened(session, "warn", ("q1",))
    typed = {"answers": {"q1": "朋友\u200b"}, "note": "已核实\u200b"}
    first = session.acknowledgement("proceed", typed["answers"], typed["note"])
    _lost(session, first)
    again = session.unanswered_acknowledgement("proceed", typed["answers"], typed["note"])
    assert again is not None and again[0]["client_event_id"] == first["client_event_id"]


def test_an_unanswered_choice_is_kept_across_a_police_referral(session: CounterSession) -> None:
    # Proceed sent, its answer lost (the service may hold it); the teller then refers to the police,
    # which is accepted but not final. Repeating proceed must send the first one again, not a new event.
    at_entry(session).submit(REMITTANCE)
    session.screened(result("warn", ("q1",), allowed=("cancel", "proceed", "refer_police")))
    proceed = session.acknowledgement("proceed", {"q1": "朋友"}, "已核实")
    _lost(session, proceed)
    police = session.acknowledgement("refer_police")
    session.acknowledging(police)
    session.acknowledged(police)
    again = session.unanswered_acknowledgement("proceed", {"q1": "朋友"}, "已核实")
    assert again is not None and again[0]["client_event_id"] == proceed["client_event_id"]
    # Once the service has answered it, it is no longer in doubt.
    session.acknowledgement_failed(again[0], ServiceFailure(FailureReason.REJECTED, "already decided"))
    assert session.unanswered_acknowledgement("proceed", {"q1": "朋友"}, "已核实") is None


def test_a_remittance_the_queue_cannot_keep_is_not_recorded_as_queued(
    session: CounterSession, store: AuditStore
) -> None:
    at_entry(session).submit(REMITTANCE)
    session.screening_failed(UNAVAILABLE)
    records_before = len(store.records())

    def full_disk(request: dict[str, Any]) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(sqlite3.OperationalError):
        session.offline_procedure("S2001", "central service down", "next_day", full_disk)
    # Still undecided, and the teller can retry, cancel or try the offline procedure again.
    assert session.state is State.UNAVAILABLE and not session.finished
    assert len(store.records()) == records_before
    assert session.screening_request()["arrival_mode"] == "realtime"
    kept: list[dict[str, Any]] = []
    session.offline_procedure("S2001", "central service down", "next_day", kept.append)
    assert kept[0]["arrival_mode"] == "next_day" and session.state is State.OFFLINE_QUEUED
