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
from teller_client.service_client import ServiceFailure

log = logging.getLogger("counterguard.audit.delivery")

DeliverRecord = Callable[[Mapping[str, Any]], object]
Screen = Callable[[Mapping[str, Any], str], ScreeningResult | ServiceFailure]


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
    ) -> None:
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
            screened, failure = self._screen_queued()
            delivered = 0
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
            return DeliveryReport(screened, delivered, self._store.backlog(), failure)

    def _screen_queued(self) -> tuple[int, ServiceFailure | None]:
        if self._queue is None or self._screen is None:
            return 0, None
        screened = 0
        for pending in self._queue.pending():
            result = self._screen(pending.request, pending.idempotency_key)
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
            if result.decision in ("hold", "block"):
                log.warning(
                    "offline remittance %s screened afterwards as %s: recall it before arrival",
                    pending.idempotency_key,
                    result.decision,
                )
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
