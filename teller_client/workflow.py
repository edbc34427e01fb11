"""One customer at the counter, as a plain-Python state machine; every step is recorded before it happens.

identify -> verify face (or a recorded exception) -> key remittance -> screening -> acknowledgement
-> done or cancelled. "Screening unavailable" is a fail-closed branch: retry, or a
supervisor-approved offline procedure that queues the remittance for screening later.
"""

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from teller_client.contract import ScreeningResult
from teller_client.masking import mask_account, mask_id_number
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.validation import clean_free_text

log = logging.getLogger("counterguard.workflow")

MAX_FACE_ATTEMPTS = 3
# The service's limits for an acknowledgement (docs/api.md): longer text is refused there.
NOTE_MAX_CHARACTERS = 1000
ANSWER_MAX_CHARACTERS = 500
# Which consent text the customer was shown; recorded with their answer.
CONSENT_WORDING_VERSION = "face-consent-2026-11"


class State(StrEnum):
    IDENTIFY = "identify"
    VERIFY_FACE = "verify_face"
    ENTER_REMITTANCE = "enter_remittance"
    SCREENING = "screening"
    UNAVAILABLE = "screening_unavailable"
    ACKNOWLEDGE = "acknowledge"
    OFFLINE_QUEUED = "offline_queued"
    DONE = "done"
    CANCELLED = "cancelled"


FINISHED = {State.DONE, State.CANCELLED, State.OFFLINE_QUEUED}


class FaceException(StrEnum):
    """Why the live face was not (or could not be) matched; each leads to the teller's alternative check."""

    NO_CAMERA = "no_camera"
    CONSENT_REFUSED = "consent_refused"
    REPEATED_MISMATCH = "repeated_mismatch"


# What the screening request says about the face check for each exception path.
_EXCEPTION_OUTCOME = {
    FaceException.NO_CAMERA: "not_performed",
    FaceException.CONSENT_REFUSED: "declined",
    FaceException.REPEATED_MISMATCH: "no_match",
}


class WorkflowError(RuntimeError):
    """A step that is not allowed in the current state, or with these values."""


class Recorder(Protocol):
    def append(self, kind: str, payload: Mapping[str, Any]) -> object: ...


@dataclass(frozen=True)
class Customer:
    id_type: str
    id_number: str
    name: str
    birth_date: date


@dataclass(frozen=True)
class FaceSummary:
    """Only the outcome of the 1:1 match: no image or encoding ever goes further than the face pipeline."""

    outcome: str  # match / no_match / inconclusive / not_performed / declined
    distance: float | None = None
    liveness: str = "not_performed"  # passed / failed / not_performed
    quality_history: tuple[str, ...] = ()

    def as_request(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "distance": self.distance, "liveness": self.liveness}


@dataclass(frozen=True)
class Remittance:
    payer_account: str
    payee_account: str
    payee_name: str
    payee_bank: str
    amount: Decimal
    currency: str
    purpose: str
    arrival_mode: str = "realtime"
    # The code of the customer's lobby pre-screen, if the teller entered one.
    prescreen_code: str | None = None


@dataclass
class CounterSession:
    """The workflow of one customer; the UI calls these methods and shows `state`."""

    recorder: Recorder
    branch_id: str
    teller_id: str
    session_id: str = field(default_factory=lambda: f"cs_{uuid.uuid4().hex}")
    state: State = State.IDENTIFY
    customer: Customer | None = None
    face: FaceSummary | None = None
    face_attempts: int = 0
    remittance: Remittance | None = None
    idempotency_key: str | None = None
    result: ScreeningResult | None = None
    last_failure: ServiceFailure | None = None
    # Acknowledgements sent without an answer (the service may hold them), with their supervisor:
    # each is sent again as it was if the teller repeats that choice.
    unanswered: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)
    police_referred: bool = False
    face_consent_given: bool | None = None
    steps: list[str] = field(default_factory=list)

    # ------------------------------------------------------------ plumbing

    def _require(self, *states: State) -> None:
        if self.state not in states:
            allowed = ", ".join(state.value for state in states)
            raise WorkflowError(f"not allowed in state {self.state.value} (only in: {allowed})")

    def _step(self, kind: str, payload: Mapping[str, Any], new_state: State | None = None) -> None:
        # Recorded first: if the record cannot be written, the step does not happen.
        self.recorder.append(
            kind,
            {
                "session_id": self.session_id,
                "teller_id": self.teller_id,
                "branch_id": self.branch_id,
                "state_before": self.state.value,
                "state_after": (new_state or self.state).value,
                **payload,
            },
        )
        self.steps.append(kind)
        if new_state is not None:
            log.info("%s: %s -> %s (%s)", self.session_id, self.state.value, new_state.value, kind)
            self.state = new_state

    # ------------------------------------------------------------ identity

    def identify(self, customer: Customer) -> None:
        self._require(State.IDENTIFY)
        self._step(
            "customer_identified",
            {"id_type": customer.id_type, "id_number": mask_id_number(customer.id_number)},
            State.VERIFY_FACE,
        )
        self.customer = customer

    def face_consent(self, given: bool, wording: str = CONSENT_WORDING_VERSION) -> None:
        """The customer's separate consent to face capture (PIPL art. 29), asked before the camera starts."""
        self._require(State.VERIFY_FACE)
        self._step("face_consent", {"given": given, "wording": wording})
        self.face_consent_given = given

    def _require_consent(self) -> None:
        if self.face_consent_given is not True:
            raise WorkflowError("ask for and record the customer's consent before capturing their face")

    def face_verified(self, summary: FaceSummary) -> None:
        self._require(State.VERIFY_FACE)
        self._require_consent()
        if summary.outcome != "match" or summary.liveness != "passed":
            raise WorkflowError("a face is verified only with a match and a passed liveness check")
        self._step("face_verified", _face_payload(summary), State.ENTER_REMITTANCE)
        self.face = summary

    def face_attempt_failed(self, summary: FaceSummary) -> None:
        """A mismatch, an inconclusive result or a failed liveness check; the teller may try again."""
        self._require(State.VERIFY_FACE)
        self._require_consent()
        if summary.outcome == "match" and summary.liveness == "passed":
            raise WorkflowError("a successful check is recorded with face_verified")
        if self.face_attempts >= MAX_FACE_ATTEMPTS:
            raise WorkflowError(
                f"{MAX_FACE_ATTEMPTS} attempts made: use the alternative verification procedure"
            )
        self._step("face_attempt_failed", {**_face_payload(summary), "attempt": self.face_attempts + 1})
        self.face_attempts += 1
        self.face = summary

    @property
    def face_attempts_left(self) -> int:
        return MAX_FACE_ATTEMPTS - self.face_attempts

    def face_exception(self, reason: FaceException, alternative_check: str) -> None:
        """No camera, refused consent or repeated mismatch: the teller verified identity another way."""
        self._require(State.VERIFY_FACE)
        if not alternative_check.strip():
            raise WorkflowError("say how the identity was checked instead (e.g. a second document)")
        if reason is FaceException.REPEATED_MISMATCH and self.face_attempts == 0:
            raise WorkflowError("a repeated mismatch needs at least one failed attempt first")
        summary = FaceSummary(
            _EXCEPTION_OUTCOME[reason],
            self.face.distance if self.face and reason is FaceException.REPEATED_MISMATCH else None,
            self.face.liveness
            if self.face and reason is FaceException.REPEATED_MISMATCH
            else "not_performed",
        )
        self._step(
            "face_exception",
            {
                "reason": reason.value,
                "alternative_check": alternative_check.strip(),
                **_face_payload(summary),
            },
            State.ENTER_REMITTANCE,
        )
        self.face = summary

    # ------------------------------------------------------------ screening

    def submit(self, remittance: Remittance) -> dict[str, Any]:
        """The screening request for the service; keep sending it with `idempotency_key` until answered."""
        self._require(State.ENTER_REMITTANCE)
        self.idempotency_key = uuid.uuid4().hex
        self._step(
            "remittance_submitted",
            {
                "idempotency_key": self.idempotency_key,
                "payee_account": mask_account(remittance.payee_account),
                "amount": str(remittance.amount),
                "currency": remittance.currency,
                "arrival_mode": remittance.arrival_mode,
                "prescreen_code": remittance.prescreen_code,
            },
            State.SCREENING,
        )
        self.remittance = remittance
        return self.screening_request()

    def screening_request(self) -> dict[str, Any]:
        if self.customer is None or self.remittance is None or self.face is None:
            raise WorkflowError("no remittance has been submitted")
        remittance, customer = self.remittance, self.customer
        request: dict[str, Any] = {
            "payer_account": remittance.payer_account,
            "payee_account": remittance.payee_account,
            "payee_name": remittance.payee_name,
            "payee_bank": remittance.payee_bank,
            "amount": f"{remittance.amount:.2f}",
            "currency": remittance.currency,
            "purpose": remittance.purpose,
            "arrival_mode": remittance.arrival_mode,
            "branch_id": self.branch_id,
            "customer": {
                "id_type": customer.id_type,
                "id_number": customer.id_number,
                "name": customer.name,
                "birth_date": customer.birth_date.isoformat(),
            },
            "face_verification": self.face.as_request(),
        }
        if remittance.prescreen_code:
            request["prescreen_code"] = remittance.prescreen_code
        return request

    def screened(self, result: ScreeningResult) -> None:
        self._require(State.SCREENING)
        self._step(
            "screening_result",
            {
                "screening_id": result.screening_id,
                "decision": result.decision,
                "score": result.score,
                "reasons": [reason.code for reason in result.reasons],
                "payee_name_check": result.payee_name_check.outcome,
            },
            State.ACKNOWLEDGE,
        )
        self.result = result
        self.last_failure = None

    def screening_failed(self, failure: ServiceFailure) -> None:
        """Fail closed: nothing about a failure looks like a result."""
        self._require(State.SCREENING)
        self._step(
            "screening_unavailable",
            {"reason": failure.reason.value, "status": failure.status, "detail": failure.detail[:300]},
            State.UNAVAILABLE,
        )
        self.last_failure = failure

    def retry(self) -> dict[str, Any]:
        """Send the same request again, with the same idempotency key."""
        self._require(State.UNAVAILABLE)
        self._step("screening_retry", {"idempotency_key": self.idempotency_key}, State.SCREENING)
        return self.screening_request()

    def offline_procedure(
        self,
        supervisor_id: str,
        note: str,
        arrival_mode: str = "next_day",
        queue: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Supervisor-approved: sent with delayed arrival, screened as soon as the service is back.

        Delayed arrival is required so that a block found later can still stop the money. `queue`
        keeps the request for screening; it runs before the step is recorded, so a remittance is never
        recorded as queued (and so finished) unless it is in the queue. If it raises, nothing changes.
        """
        self._require(State.UNAVAILABLE)
        if not supervisor_id.strip() or not note.strip():
            raise WorkflowError("the offline procedure needs the supervisor's ID and a note")
        if arrival_mode not in ("delay_2h", "next_day"):
            raise WorkflowError("an unscreened remittance must use delayed arrival (delay_2h or next_day)")
        assert self.remittance is not None
        # The pre-screen code stays out of the queued request: it may have expired by the time the
        # service is back, and the service would refuse the request (422) instead of screening it.
        original = self.remittance
        dropped_code = original.prescreen_code
        self.remittance = Remittance(
            **{**original.__dict__, "arrival_mode": arrival_mode, "prescreen_code": None}
        )
        request = self.screening_request()
        if queue is not None:
            try:
                queue(request)
            except BaseException:
                self.remittance = original
                raise
        self._step(
            "offline_procedure",
            {
                "supervisor_id": supervisor_id.strip(),
                "note": note.strip(),
                "idempotency_key": self.idempotency_key,
                "arrival_mode": arrival_mode,
                "prescreen_code_not_sent": dropped_code,
            },
            State.OFFLINE_QUEUED,
        )
        return request

    # ------------------------------------------------------------ acknowledgement

    def acknowledgement(
        self,
        action: str,
        answers: Mapping[str, str] | None = None,
        note: str = "",
        delay: str | None = None,
        approval_token: str | None = None,
    ) -> dict[str, Any]:
        """Check the teller's choice against the result and build the acknowledgement to send."""
        self._require(State.ACKNOWLEDGE)
        result = self.result
        assert result is not None
        answers = _cleaned_answers(answers)
        note = clean_free_text(note)
        if len(note) > NOTE_MAX_CHARACTERS:
            raise WorkflowError(f"the note is too long: at most {NOTE_MAX_CHARACTERS} characters")
        if any(len(answer) > ANSWER_MAX_CHARACTERS for answer in answers.values()):
            raise WorkflowError(f"an answer is too long: at most {ANSWER_MAX_CHARACTERS} characters")
        if action not in result.allowed_actions:
            raise WorkflowError(f"'{action}' is not allowed for a '{result.decision}' decision")
        if action == "proceed" and result.decision in ("warn", "hold"):
            missing = [question.id for question in result.questions if question.id not in answers]
            if missing:
                raise WorkflowError(f"ask the customer and record the answers first: {', '.join(missing)}")
            if not note.strip():
                raise WorkflowError("proceeding after a warning needs a note saying why")
            if result.decision == "hold" and not approval_token:
                raise WorkflowError("a hold can only proceed with a supervisor's approval")
        if action == "delay_arrival" and delay not in ("2h", "next_day"):
            raise WorkflowError("choose the delay: 2h or next_day")
        body: dict[str, Any] = {
            "client_event_id": f"evt_{uuid.uuid4().hex}",
            "action": action,
            "answers": [{"question_id": key, "answer": value} for key, value in answers.items()],
            "note": note,
        }
        if action == "delay_arrival":
            body["delay"] = delay
        if approval_token and action == "proceed":
            body["supervisor_approval"] = {"approval_token": approval_token}
        return body

    def acknowledging(self, body: Mapping[str, Any]) -> None:
        """Recorded before the acknowledgement is sent: the service never holds a decision this log lacks.

        If the audit log cannot take this record, nothing is sent (AuditUnavailableError).
        """
        self._require(State.ACKNOWLEDGE)
        assert self.result is not None
        self._step(
            "acknowledgement_requested",
            {
                "screening_id": self.result.screening_id,
                "client_event_id": body["client_event_id"],
                "action": body["action"],
                "delay": body.get("delay"),
                "supervisor_approval": "supervisor_approval" in body,
            },
        )

    def acknowledged(self, body: Mapping[str, Any], supervisor_id: str | None = None) -> None:
        """The service accepted the acknowledgement: record it and finish (a police referral stays open)."""
        self._require(State.ACKNOWLEDGE)
        assert self.result is not None
        action = str(body["action"])
        new_state = {
            "cancel": State.CANCELLED,
            "proceed": State.DONE,
            "delay_arrival": State.DONE,
            "refer_police": State.ACKNOWLEDGE,
        }[action]
        self._step(
            "acknowledgement",
            {
                "screening_id": self.result.screening_id,
                "client_event_id": body["client_event_id"],
                "action": action,
                "delay": body.get("delay"),
                "answered": [answer["question_id"] for answer in _answers(body)],
                "note": body.get("note", ""),
                "supervisor_id": supervisor_id,
            },
            new_state,
        )
        if action == "refer_police":
            self.police_referred = True
        self._settled(body)

    def unanswered_acknowledgement(
        self,
        action: str,
        answers: Mapping[str, str] | None = None,
        note: str = "",
        delay: str | None = None,
    ) -> tuple[dict[str, Any], str | None] | None:
        """The earlier sending of this same choice that got no answer, to send again as it was.

        Its answer may only have been lost: the service then holds it, and answers a new
        client_event_id with "already decided" but the same one with what it recorded.
        """
        if self.state is not State.ACKNOWLEDGE:
            return None
        # Compared as acknowledgement() builds the body, so pasted invisible characters still match.
        kept = list(_cleaned_answers(answers).items())
        choice = (action, kept, clean_free_text(note), delay if action == "delay_arrival" else None)
        for body, supervisor_id in self.unanswered:
            if choice == _choice(body):
                return dict(body), supervisor_id
        return None

    def _settled(self, body: Mapping[str, Any]) -> None:
        """The service answered this acknowledgement (accepted or refused): it is no longer in doubt."""
        event = body["client_event_id"]
        self.unanswered = [entry for entry in self.unanswered if entry[0]["client_event_id"] != event]

    def acknowledgement_failed(
        self, body: Mapping[str, Any], failure: ServiceFailure, supervisor_id: str | None = None
    ) -> None:
        """The service did not accept it: the remittance stays undecided; the teller retries or cancels."""
        self._require(State.ACKNOWLEDGE)
        self._settled(body)
        if failure.reason is not FailureReason.REJECTED:
            # No answer: the service may hold it. REJECTED is an answer: this body was not recorded.
            self.unanswered.append((dict(body), supervisor_id))
        self._step(
            "acknowledgement_failed",
            {
                "client_event_id": body["client_event_id"],
                "action": body["action"],
                "reason": failure.reason.value,
                "detail": failure.detail[:300],
            },
        )
        self.last_failure = failure

    def cancel(self, reason: str) -> None:
        """Stop before screening, or after screening became unavailable."""
        self._require(State.IDENTIFY, State.VERIFY_FACE, State.ENTER_REMITTANCE, State.UNAVAILABLE)
        if not reason.strip():
            raise WorkflowError("say why the transaction is cancelled")
        self._step("cancelled", {"reason": reason.strip()}, State.CANCELLED)

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


def _face_payload(summary: FaceSummary) -> dict[str, Any]:
    return {
        "outcome": summary.outcome,
        "distance": summary.distance,
        "liveness": summary.liveness,
        "quality_history": list(summary.quality_history),
    }


def _cleaned_answers(answers: Mapping[str, str] | None) -> dict[str, str]:
    """The answers as sent: cleaned of pasted invisible characters, empty ones left out."""
    cleaned = {key: clean_free_text(value) for key, value in (answers or {}).items()}
    return {key: value for key, value in cleaned.items() if value}


def _choice(body: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]], str, str | None]:
    """What the teller chose, as sent: (action, answers, note, delay)."""
    answers = [(str(answer["question_id"]), str(answer["answer"])) for answer in _answers(body)]
    return str(body["action"]), answers, str(body.get("note", "")), body.get("delay")


def _answers(body: Mapping[str, Any]) -> Sequence[Mapping[str, str]]:
    answers = body.get("answers", [])
    return answers if isinstance(answers, list) else []
