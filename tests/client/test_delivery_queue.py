"""Queued offline screenings never hold up audit delivery, and late risks are reported."""

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from teller_client.audit import AuditStore
from teller_client.contract import ScreeningResult, parse_screening
from teller_client.delivery import DeliveryWorker, LateRisk
from teller_client.offline_queue import OfflineQueue
from teller_client.service_client import FailureReason, ServiceFailure


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    opened = AuditStore(tmp_path / "audit.db")
    yield opened
    opened.close()


@pytest.fixture
def queue(tmp_path: Path) -> Iterator[OfflineQueue]:
    opened = OfflineQueue(tmp_path / "queue.db")
    yield opened
    opened.close()


def blocked() -> ScreeningResult:
    return parse_screening(
        {
            "screening_id": "scr_late",
            "decision": "block",
            "score": 100,
            "reasons": [
                {
                    "code": "PAYEE_POLICE_LIST",
                    "typology": "mule_account",
                    "typology_label": {"zh-CN": "涉案账户", "en": "Mule"},
                    "severity": "critical",
                    "source": "police_list",
                    "score": 100,
                    "message": {"zh-CN": "名单", "en": "listed"},
                }
            ],
            "payee_name_check": {"outcome": "unavailable", "name_on_record": None},
            "questions": [],
            "required_actions": ["acknowledge"],
            "allowed_actions": ["cancel", "refer_police"],
            "expires_at": "2026-11-28T10:00:00Z",
        }
    )


def test_a_queued_screening_the_service_refuses_does_not_stop_audit_delivery(
    store: AuditStore, queue: OfflineQueue
) -> None:
    store.append("acknowledgement", {"action": "cancel"})
    queue.put("key-rejected", "cs_1", {"payer_account": "x"})
    delivered: list[Mapping[str, Any]] = []
    late: list[LateRisk] = []

    def refuse(_request: Mapping[str, Any], _key: str) -> ServiceFailure:
        return ServiceFailure(FailureReason.REJECTED, "409 conflict", 409, {"type": "urn:x"})

    worker = DeliveryWorker(store, delivered.append, refuse, queue, on_late_risk=late.append)
    report = worker.run_once()
    assert len(queue) == 0  # final: recorded for review, not retried for ever
    assert late == [LateRisk("cs_1", "rejected")]
    assert [record["kind"] for record in delivered] == ["acknowledgement", "offline_screening_rejected"]
    assert report.backlog == 0


def test_a_screening_that_must_wait_keeps_its_place_but_records_still_go(
    store: AuditStore, queue: OfflineQueue
) -> None:
    store.append("screening_unavailable", {"reason": "timeout"})
    queue.put("key-waiting", "cs_2", {"payer_account": "x"})
    delivered: list[Mapping[str, Any]] = []

    def no_session(_request: Mapping[str, Any], _key: str) -> ServiceFailure:
        return ServiceFailure(FailureReason.UNAUTHORIZED, "401", 401)

    report = DeliveryWorker(store, delivered.append, no_session, queue).run_once()
    assert len(queue) == 1
    assert [record["kind"] for record in delivered] == ["screening_unavailable"]
    assert report.failure is not None and report.failure.reason is FailureReason.UNAUTHORIZED


def test_a_late_block_is_reported_and_recorded(store: AuditStore, queue: OfflineQueue) -> None:
    queue.put("key-late", "cs_3", {"payer_account": "x"})
    late: list[LateRisk] = []
    delivered: list[Mapping[str, Any]] = []
    worker = DeliveryWorker(
        store, delivered.append, lambda _r, _k: blocked(), queue, on_late_risk=late.append
    )
    report = worker.run_once()
    assert report.screened == 1 and len(queue) == 0
    assert late == [LateRisk("cs_3", "block")]
    assert delivered[-1]["kind"] == "offline_screening_result"
    assert delivered[-1]["payload"]["decision"] == "block"
