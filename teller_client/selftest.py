"""`--self-test`: checks an installed (or frozen) client end to end, one printed line per check.

Face models load and tell two photos of one person from a photo of another; the service (embedded
demo or the configured one) answers and screens a sample remittance; the OS keyring is a real store
that keeps a secret. The main-window check is Qt and lives in ui/selftest_window.py; it is passed in.
"""

from __future__ import annotations

import contextlib
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import keyring
import keyring.errors
import numpy as np

from teller_client.face import matching
from teller_client.runtime import Runtime, StartupError, open_runtime
from teller_client.service_client import ServiceFailure, new_idempotency_key
from teller_client.settings import Settings

SELFTEST_KEYRING_SERVICE = "CounterGuard self-test"
_IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png"}
# The rejected stand-in backends of keyring: nothing is stored, or every call fails.
_FAKE_BACKEND_MODULES = ("keyring.backends.fail", "keyring.backends.null")
# A clean remittance and one to an account on the demo police list (docs/rules.md): the first must
# not be blocked, the second must be; both answers must parse.
_CLEAN_PAYEE = ("6212260200001234562", "王小明")
_LISTED_PAYEE = ("6222000011112222337", "刘洋")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


class CheckFailedError(Exception):
    """A check found a problem; the message is the one line IT reads."""


class CheckSkippedError(Exception):
    """A check could not run here (for example no sample faces given); it does not fail the run."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # "PASS", "FAIL" or "SKIP"
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{self.status} {self.name}: {self.detail} ({self.seconds:.2f} s)"


WindowCheck = Callable[[Runtime], str]


def run_self_test(
    settings: Settings,
    face_sample_dir: Path | None,
    window_check: WindowCheck | None,
    out: TextIO = sys.stdout,
) -> int:
    """Run every check, print one line each and a summary; 0 when none failed."""
    results: list[CheckResult] = []

    def record(name: str, check: Callable[[], str]) -> bool:
        started = time.perf_counter()
        try:
            detail, status = check(), "PASS"
        except CheckSkippedError as skipped:
            detail, status = str(skipped), "SKIP"
        except Exception as error:  # every failure becomes one FAIL line, not a crash
            detail, status = (
                f"{type(error).__name__}: {error}" if not isinstance(error, CheckFailedError) else str(error),
                "FAIL",
            )
        result = CheckResult(name, status, detail, time.perf_counter() - started)
        results.append(result)
        print(result.line(), file=out, flush=True)
        return status == "PASS"

    analyzer: list[Any] = []
    record("face models", lambda: check_face_models(analyzer))
    record("face match", lambda: check_face_match(analyzer[0] if analyzer else None, face_sample_dir))
    runtimes: list[Runtime] = []
    record("screening service", lambda: check_service(settings, runtimes))
    try:
        runtime = runtimes[0] if runtimes else None
        record("screening", lambda: check_screening(runtime))
        if window_check is not None:
            record("main window", lambda: _with_runtime(runtime, window_check))
    finally:
        for opened in runtimes:
            opened.close()
    record("keyring", check_keyring)
    failed = [result.name for result in results if result.status == "FAIL"]
    summary = f"self-test: {len(results) - len(failed)} of {len(results)} checks passed"
    print(summary + (f"; FAILED: {', '.join(failed)}" if failed else ""), file=out, flush=True)
    return 1 if failed else 0


def _with_runtime(runtime: Runtime | None, check: WindowCheck) -> str:
    if runtime is None:
        raise CheckFailedError("no runtime: the screening service check failed")
    return check(runtime)


def check_face_models(found: list[Any]) -> str:
    """Load the 5-point predictor and the encoder (never the 68-point model)."""
    from teller_client.face.analysis import FaceAnalyzer, model_paths

    paths = [Path(path) for path in model_paths()]
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise CheckFailedError(f"model files missing: {', '.join(missing)}")
    found.append(FaceAnalyzer())
    loaded = [
        name for name in sys.modules if name == "face_recognition" or name.startswith("face_recognition.")
    ]
    if loaded:
        raise CheckFailedError("face_recognition was imported, which loads the 68-point landmark model")
    return "loaded " + ", ".join(path.name for path in paths)


def sample_faces(folder: Path) -> tuple[list[Path], list[Path]]:
    """Photos of one person (the identity with the most photos) and of the other people.

    `folder` holds one sub-folder per person, directly or under `people/` (../shared/faces).
    """
    root = folder / "people" if (folder / "people").is_dir() else folder
    identities = sorted(
        (
            sorted(path for path in person.iterdir() if path.suffix.lower() in _IMAGE_SUFFIXES)
            for person in root.iterdir()
            if person.is_dir()
        ),
        key=lambda photos: (-len(photos), str(photos[0]) if photos else ""),
    )
    identities = [photos for photos in identities if photos]
    if len(identities) < 2 or len(identities[0]) < 2:
        raise CheckFailedError(f"{root} needs a folder with two photos of one person and a folder of another")
    return identities[0], [photo for photos in identities[1:] for photo in photos]


def _encodings(analyzer: Any, photos: list[Path], wanted: int) -> Iterator[tuple[Path, Any]]:
    from teller_client.face.analysis import load_image

    found = 0
    for photo in photos:
        encoding, _issues = analyzer.reference_encoding(load_image(photo.read_bytes()))
        if encoding is not None:
            yield photo, encoding
            found += 1
            if found == wanted:
                return


def check_face_match(analyzer: Any, folder: Path | None) -> str:
    """Two photos of one person match; a photo of someone else does not (the app's thresholds)."""
    if folder is None:
        raise CheckSkippedError("no --face-sample-dir given")
    if analyzer is None:
        raise CheckFailedError("the face models did not load")
    same, others = sample_faces(folder)
    pair = list(_encodings(analyzer, same, 2))
    other = list(_encodings(analyzer, others, 1))
    if len(pair) < 2 or not other:
        raise CheckFailedError(f"no usable face in the sample photos under {folder}")
    (first, reference), (second, probe) = pair
    (stranger, impostor) = other[0]
    genuine = float(np.linalg.norm(reference - probe))
    different = float(np.linalg.norm(reference - impostor))
    bands = (matching.MATCH_THRESHOLD, matching.NO_MATCH_THRESHOLD)
    if matching.decide(genuine, *bands) is not matching.MatchOutcome.MATCH:
        raise CheckFailedError(f"{first.name} and {second.name} do not match (distance {genuine:.3f})")
    if matching.decide(different, *bands) is not matching.MatchOutcome.NO_MATCH:
        raise CheckFailedError(
            f"{first.name} and {stranger.name} are not a no-match (distance {different:.3f})"
        )
    return (
        f"{first.name}~{second.name} match at {genuine:.3f}, "
        f"{first.name}~{stranger.name} no match at {different:.3f}"
    )


def check_service(settings: Settings, opened: list[Runtime]) -> str:
    """Start the embedded demo service, or reach the configured one with this terminal's key."""
    try:
        runtime = open_runtime(settings, start_delivery=False)
    except StartupError as error:
        raise CheckFailedError(str(error)) from error
    opened.append(runtime)
    health = runtime.client.health()
    if isinstance(health, ServiceFailure):
        raise CheckFailedError(f"{runtime.service_url} did not answer: {health.reason.value} {health.detail}")
    kind = "embedded demo service" if runtime.demo else "service"
    return f"{kind} at {runtime.service_url} answers for terminal {health.get('terminal_id', '?')}"


def _resident_id(year: int, month: int, day: int) -> str:
    body = (
        f"{110000 + secrets.randbelow(890000):06d}{year:04d}{month:02d}{day:02d}{secrets.randbelow(1000):03d}"
    )
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def sample_remittance(payee_account: str, payee_name: str, branch_id: str) -> dict[str, Any]:
    return {
        "payer_account": "6222020200112233446",
        "payee_account": payee_account,
        "payee_name": payee_name,
        "payee_bank": "中国工商银行",
        "amount": "3000.00",
        "currency": "CNY",
        "purpose": "房租",
        "arrival_mode": "realtime",
        "branch_id": branch_id,
        "customer": {
            "id_type": "resident_id",
            "id_number": _resident_id(1981, 5, 17),
            "name": "赵敏",
            "birth_date": "1981-05-17",
        },
        "face_verification": {"outcome": "match", "distance": 0.35, "liveness": "passed"},
    }


def check_screening(runtime: Runtime | None) -> str:
    """On the demo service: a teller signs in, a clean remittance passes and a listed payee is blocked.

    A configured (production) service is not sent made-up remittances, and its tellers' passwords
    are not the self-test's to know: there a read-only account lookup stands in.
    """
    if runtime is None:
        raise CheckFailedError("no service: the screening service check failed")
    client = runtime.client
    if not runtime.demo:
        answer = client.account_risk(_CLEAN_PAYEE[0])
        if isinstance(answer, ServiceFailure):
            raise CheckFailedError(f"account lookup failed: {answer.reason.value} {answer.detail}")
        raise CheckSkippedError(
            "configured service: account lookup answered; remittances are screened by tellers"
        )
    teller = next(account for account in runtime.demo_accounts if account.role == "teller")
    grant = client.sign_in(teller.teller_id, teller.password)
    if isinstance(grant, ServiceFailure):
        raise CheckFailedError(f"demo teller {teller.teller_id} cannot sign in: {grant.detail}")
    try:
        branch = runtime.settings.branch_id
        clean = client.screen(sample_remittance(*_CLEAN_PAYEE, branch), new_idempotency_key())
        listed = client.screen(sample_remittance(*_LISTED_PAYEE, branch), new_idempotency_key())
    finally:
        client.sign_out()
    if isinstance(clean, ServiceFailure) or isinstance(listed, ServiceFailure):
        failure = clean if isinstance(clean, ServiceFailure) else listed
        assert isinstance(failure, ServiceFailure)
        raise CheckFailedError(f"screening failed: {failure.reason.value} {failure.detail}")
    if clean.decision == "block" or listed.decision != "block":
        raise CheckFailedError(
            f"unexpected decisions: clean payee {clean.decision}, listed payee {listed.decision}"
        )
    return f"clean payee {clean.decision}, listed payee {listed.decision} ({len(listed.reasons)} reasons)"


def keyring_backend_name() -> str:
    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def _real_backends(backend: Any) -> list[Any]:
    members = list(getattr(backend, "backends", [])) if "chainer" in type(backend).__module__ else [backend]
    return [member for member in members if not type(member).__module__.startswith(_FAKE_BACKEND_MODULES)]


def check_keyring() -> str:
    """The backend is a real OS store, which keeps a test secret, gives it back and deletes it."""
    backend = keyring.get_keyring()
    name = keyring_backend_name()
    if not _real_backends(backend):
        raise CheckFailedError(f"no OS keyring: the backend is {name}, which stores nothing")
    username = f"self-test-{secrets.token_hex(4)}"
    secret = secrets.token_urlsafe(24)
    try:
        keyring.set_password(SELFTEST_KEYRING_SERVICE, username, secret)
        read_back = keyring.get_password(SELFTEST_KEYRING_SERVICE, username)
    except keyring.errors.KeyringError as error:
        raise CheckFailedError(f"{name} refused the test secret: {error}") from error
    finally:
        with contextlib.suppress(keyring.errors.KeyringError):
            keyring.delete_password(SELFTEST_KEYRING_SERVICE, username)
    if read_back != secret:
        raise CheckFailedError(f"{name} did not give the test secret back")
    if keyring.get_password(SELFTEST_KEYRING_SERVICE, username) is not None:
        raise CheckFailedError(f"{name} kept the test secret after deleting it")
    return f"{name} stored, returned and deleted a test secret"
