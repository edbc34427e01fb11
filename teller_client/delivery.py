"""The background sender: screens queued offline remittances and delivers audit records, at least once.

Records go in sequence order with their record ID as the idempotency key; the service stores
each once however often it arrives, so a crash between sending and marking costs nothing.
"""

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from teller_client.audit import AuditStore
from teller_client.contract import ScreeningResult
from teller_client.offline_queue import OfflineQueue
from teller_client.service_client import FailureReason, ServiceFailure

log = logging.getLogger("counterguard.audit.delivery")

DeliverRecord = Callable[[Mapping[str, Any]], object]
Screen = Callable[[Mapping[str, Any], str], ScreeningResult | ServiceFailure]


@dataclass(frozen=True)
class LateRisk:
    """An offline remittance whose screening, done afterwards, was not "allow" (or was refused)."""

    session_id: str
    decision: str


@dataclass(frozen=True)
class DeliveryReport:
    screened: int
    delivered: int
    backlog: int
    failure: ServiceFailure | None


class DeliveryWorker:
    def __init__(
        self,
        store: AuditStore,
        deliver: DeliverRecord,
        screen: Screen | None = None,
        queue: OfflineQueue | None = None,
        interval_seconds: float = 5.0,
        retention_days: int = 180,
        on_late_risk: Callable[[LateRisk], None] | None = None,
    ) -> None:
        self._on_late_risk = on_late_risk
        self._store = store
        self._deliver = deliver
        self._screen = screen
        self._queue = queue
        self._interval = interval_seconds
        self._retention_days = retention_days
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._run_lock = threading.Lock()

    def run_once(self) -> DeliveryReport:
        with self._run_lock:
            screened, queue_failure = self._screen_queued()
            # Audit records never wait behind a queued screening the service will not take yet.
            delivered, failure = 0, None
            while failure is None:
                batch = self._store.undelivered(100)
                if not batch:
                    break
                for record in batch:
                    outcome = self._deliver(record.as_delivery())
                    if isinstance(outcome, ServiceFailure):
                        failure = outcome
                        break
                    self._store.mark_delivered(record.record_id)
                    delivered += 1
            if failure is None:
                self._store.prune(self._retention_days)
            else:
                log.warning("delivery paused: %s", failure.detail)
            return DeliveryReport(screened, delivered, self._store.backlog(), failure or queue_failure)

    def _late_risk(self, session_id: str, decision: str) -> None:
        # A remittance already sent with delayed arrival turned out risky: someone must act now.
        if self._on_late_risk is not None:
            self._on_late_risk(LateRisk(session_id, decision))

    def _screen_queued(self) -> tuple[int, ServiceFailure | None]:
        if self._queue is None or self._screen is None:
            return 0, None
        screened = 0
        for pending in self._queue.pending():
            result = self._screen(pending.request, pending.idempotency_key)
            if (
                isinstance(result, ServiceFailure)
                and result.problem_type.endswith(":idempotency-key-reused")
                and pending.first_request is not None
            ):
                # An attempt made before the offline procedure reached the service and only its
                # answer was lost: that screening is this remittance's, and comes back for its request.
                result = self._screen(pending.first_request, pending.idempotency_key)
            if isinstance(result, ServiceFailure) and result.reason is FailureReason.REJECTED:
                # The service will never take this request: record it for review and stop retrying.
                self._store.append(
                    "offline_screening_rejected",
                    {
                        "session_id": pending.session_id,
                        "idempotency_key": pending.idempotency_key,
                        "status": result.status,
                        "problem": result.problem_type,
                    },
                )
                self._late_risk(pending.session_id, "rejected")
                self._queue.remove(pending.idempotency_key)
                continue
            if isinstance(result, ServiceFailure):
                return screened, result
            self._store.append(
                "offline_screening_result",
                {
                    "session_id": pending.session_id,
                    "idempotency_key": pending.idempotency_key,
                    "screening_id": result.screening_id,
                    "decision": result.decision,
                    "score": result.score,
                    "reasons": [reason.code for reason in result.reasons],
                },
            )
            if result.decision != "allow":
                log.warning(
                    "offline remittance %s screened afterwards as %s: review it before arrival",
                    pending.idempotency_key,
                    result.decision,
                )
                self._late_risk(pending.session_id, result.decision)
            self._queue.remove(pending.idempotency_key)
            screened += 1
        return screened, None

    # ------------------------------------------------------------ background thread

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="audit-delivery", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Deliver now (a new record was written) instead of at the next interval."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:  # the sender must outlive any single bad round
                log.exception("audit delivery round failed")
            self._wake.wait(self._interval)
            self._wake.clear()
