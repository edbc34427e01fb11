"""What a teller does at the counter, as blocking calls: the UI runs each off the GUI thread.

Each call goes to the service and records its outcome through the workflow (and so the audit
outbox) before it returns; the UI only shows what comes back.
"""

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from teller_client.audit import AuditUnavailableError
from teller_client.contract import ScreeningResult, SessionGrant, TellerIdentity
from teller_client.runtime import Runtime
from teller_client.service_client import FailureReason, ServiceFailure, new_idempotency_key
from teller_client.workflow import CounterSession, State, WorkflowError

log = logging.getLogger("counterguard.workflow.desk")


@dataclass(frozen=True)
class AckOutcome:
    """The acknowledgement was recorded (accepted by the service, or a cancel kept for delivery)."""

    action: str
    state: State
    supervisor_id: str | None = None
    delivered: bool = True


class Desk:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.teller: TellerIdentity | None = None
        # One call at a time per desk: a session's steps must not interleave.
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        return self.runtime.client

    def sign_in(self, teller_id: str, password: str) -> SessionGrant | ServiceFailure:
        with self._lock:
            grant = self.runtime.client.sign_in(teller_id.strip(), password)
            if isinstance(grant, SessionGrant):
                # Recorded first: with the audit log unavailable nobody is signed in here, and the
                # service session just opened is closed again.
                try:
                    self.runtime.audit.append(
                        "teller_signed_in", {"teller_id": grant.teller.teller_id, "role": grant.teller.role}
                    )
                except AuditUnavailableError:
                    self.runtime.client.sign_out()
                    raise
                self.teller = grant.teller
            return grant

    def unlock(self, password: str) -> SessionGrant | ServiceFailure:
        """After the idle lock: the same teller signs in again (a new session token)."""
        if self.teller is None:
            raise WorkflowError("nobody is signed in")
        return self.sign_in(self.teller.teller_id, password)

    def sign_out(self) -> None:
        with self._lock:
            try:
                if self.teller is not None:
                    self.runtime.audit.append("teller_signed_out", {"teller_id": self.teller.teller_id})
            finally:
                # Signed out whatever the audit log says: leaving the session open would be worse.
                self.runtime.client.sign_out()
                self.teller = None

    def new_customer(self) -> CounterSession:
        if self.teller is None:
            raise WorkflowError("sign in first")
        return CounterSession(self.runtime.audit, self.runtime.settings.branch_id, self.teller.teller_id)

    def screen(self, session: CounterSession) -> ScreeningResult | ServiceFailure:
        """Send the submitted (or retried) remittance; the workflow records the result or the failure."""
        with self._lock:
            if session.state is not State.SCREENING or session.idempotency_key is None:
                raise WorkflowError("submit or retry the remittance first")
            outcome = self.runtime.client.screen(session.screening_request(), session.idempotency_key)
            if isinstance(outcome, ServiceFailure):
                session.screening_failed(outcome)
            else:
                session.screened(outcome)
            self.runtime.delivery.wake()
            return outcome

    def acknowledge(
        self,
        session: CounterSession,
        action: str,
        answers: Mapping[str, str] | None = None,
        note: str = "",
        delay: str | None = None,
        supervisor_id: str = "",
        supervisor_password: str = "",
    ) -> AckOutcome | ServiceFailure:
        """Check, send and record the teller's choice. WorkflowError when the choice is not allowed."""
        with self._lock:
            result = session.result
            # This choice was sent before and no answer came: it goes again as it was (the same
            # client_event_id and supervisor approval), so the service returns what it recorded.
            unanswered = session.unanswered_acknowledgement(action, answers, note, delay)
            if unanswered is not None:
                body, supervisor = unanswered
            else:
                built, supervisor = self._new_acknowledgement(
                    session, action, answers, note, delay, supervisor_id, supervisor_password
                )
                if isinstance(built, ServiceFailure):
                    return built
                body = built
            # The order that keeps the record whole: the request is committed to the audit log, then
            # sent; the outcome is committed, then shown. An AuditUnavailableError at the first step means
            # nothing was sent; at the last, the teller is told the remittance must not go ahead.
            session.acknowledging(body)
            sent = self.runtime.client.acknowledge(result.screening_id if result else "", body)
            if isinstance(sent, ServiceFailure):
                if action == "cancel" and sent.reason is not FailureReason.REJECTED:
                    # Cancelling never needs the service's consent: keep it and deliver it later.
                    session.acknowledged(body)
                    self.runtime.delivery.wake()
                    return AckOutcome(action, session.state, None, delivered=False)
                session.acknowledgement_failed(body, sent, supervisor)
                return sent
            session.acknowledged(body, supervisor)
            self.runtime.delivery.wake()
            return AckOutcome(action, session.state, supervisor)

    def _new_acknowledgement(
        self,
        session: CounterSession,
        action: str,
        answers: Mapping[str, str] | None,
        note: str,
        delay: str | None,
        supervisor_id: str,
        supervisor_password: str,
    ) -> tuple[dict[str, Any] | ServiceFailure, str | None]:
        """The body for the teller's choice, with a supervisor's approval when a hold proceeds."""
        token = None
        result = session.result
        if action == "proceed" and result is not None and result.decision == "hold":
            if not supervisor_id.strip() or not supervisor_password:
                raise WorkflowError("a hold can only proceed with a supervisor's ID and password")
            approval = self.runtime.client.sign_in(supervisor_id.strip(), supervisor_password, "approval")
            if isinstance(approval, ServiceFailure):
                session.recorder.append(
                    "supervisor_approval_refused",
                    {
                        "session_id": session.session_id,
                        "supervisor_id": supervisor_id.strip(),
                        "reason": approval.reason.value,
                    },
                )
                return approval, None
            token = approval.token
        body = session.acknowledgement(action, answers, note, delay, token)
        return body, supervisor_id.strip() if token else None

    def retry(self, session: CounterSession) -> ScreeningResult | ServiceFailure:
        session.retry()
        return self.screen(session)

    def offline_procedure(
        self, session: CounterSession, supervisor_id: str, note: str, arrival_mode: str
    ) -> None:
        with self._lock:
            sent_before = session.screening_request()  # what the failed attempts sent with this key
            key = session.idempotency_key
            assert key is not None

            def queue(request: dict[str, Any]) -> None:
                first = None if sent_before == request else sent_before
                self.runtime.offline_queue.put(key, session.session_id, request, first)

            session.offline_procedure(supervisor_id, note, arrival_mode, queue)
            self.runtime.delivery.wake()

    def prescreen(self, code: str) -> dict[str, Any] | ServiceFailure:
        """Read the customer's lobby pre-screen by its code; it goes with the screening once submitted."""
        with self._lock:
            found: dict[str, Any] | ServiceFailure = self.runtime.client.get_prescreen(code)
            return found

    def report(self, body: Mapping[str, Any]) -> dict[str, Any] | ServiceFailure:
        with self._lock:
            outcome: dict[str, Any] | ServiceFailure = self.runtime.client.report(body, new_idempotency_key())
            if not isinstance(outcome, ServiceFailure):
                self.runtime.audit.append(
                    "account_reported",
                    {
                        "report_id": outcome.get("report_id"),
                        "account": outcome.get("account"),
                        "typology": body.get("typology"),
                    },
                )
            return outcome

    def status(self) -> tuple[bool, int]:
        """(service reachable, audit records waiting for delivery) for the status bar."""
        health = self.runtime.client.health()
        return not isinstance(health, ServiceFailure), self.runtime.audit.backlog()
