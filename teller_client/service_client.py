"""HTTP client of the screening service: one session, bounded retries, and failures as typed values.

Every failure (refused, timeout, TLS, 5xx, an answer that does not parse or does not match the
contract, a rejected request) comes back as a ServiceFailure. Nothing here returns a screening
result unless the service gave one, so no path turns a failure into "allow".
"""

import contextlib
import email.utils
import json
import logging
import random
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import quote, urlparse

import requests
import truststore
import urllib3
from requests.adapters import HTTPAdapter

from teller_client.contract import (
    ContractError,
    ScreeningResult,
    SessionGrant,
    parse_account_risk,
    parse_prescreen,
    parse_prescreen_created,
    parse_screening,
    parse_session,
)
from teller_client.settings import Settings, is_loopback_host

log = logging.getLogger("counterguard.network")

T = TypeVar("T")
RETRY_STATUSES = {429, 502, 503, 504}
_FIRST_BACKOFF_SECONDS = 0.2
# The largest answer the client reads (after decompression). Its answers are a few kilobytes; without
# a cap a small gzip body can inflate to hundreds of megabytes in the teller's client.
MAX_ANSWER_BYTES = 1024 * 1024
_READ_CHUNK_BYTES = 64 * 1024


class _AnswerTooLargeError(Exception):
    pass


class _NoRedirectSession(requests.Session):
    """A session that never looks at a redirect: requests reads a 3xx answer's whole body to prepare the
    next request even when it does not follow it (before our cap applies), and reads its Location.
    """

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


def _read_capped(response: requests.Response) -> None:
    """Read the streamed answer into response.content, refusing one over MAX_ANSWER_BYTES."""
    received = bytearray()
    for chunk in response.iter_content(_READ_CHUNK_BYTES):
        received += chunk
        if len(received) > MAX_ANSWER_BYTES:
            response.close()
            raise _AnswerTooLargeError
    response._content = bytes(received)  # what requests itself stores once it has read the body


class FailureReason(StrEnum):
    REFUSED = "refused"
    TIMEOUT = "timeout"
    TLS = "tls"
    SERVER_ERROR = "server_error"
    BUSY = "busy"
    BAD_RESPONSE = "bad_response"
    UNAUTHORIZED = "unauthorized"
    REJECTED = "rejected"


@dataclass(frozen=True)
class ServiceFailure:
    """The service could not give an answer; for a screening this means "screening unavailable"."""

    reason: FailureReason
    detail: str
    status: int | None = None
    problem: Mapping[str, Any] | None = None
    retry_after_seconds: float | None = None  # the service's Retry-After, when it said how long to wait

    @property
    def problem_type(self) -> str:
        return str((self.problem or {}).get("type", ""))


# ------------------------------------------------------------ the whole answer within the budget


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        # The plain socket's shutdown, also for TLS: SSLSocket's own would drop its state under a reader.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Cutoff:
    """Ends one attempt at its deadline by shutting down the sockets it reads from.

    requests' read timeout bounds each read, not the answer: a service, or a device on the way,
    that sends its answer a byte at a time would otherwise hold a call far beyond its budget.
    """

    _current = threading.local()  # .cutoff: the attempt this thread is making, if any

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.expired = False
        self._done = False

    @contextmanager
    def after(self, seconds: float) -> Iterator[None]:
        timer = threading.Timer(seconds, self._cut)
        timer.daemon = True
        _Cutoff._current.cutoff = self
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            _Cutoff._current.cutoff = None
            with self._lock:
                # A timer already firing must not cut a connection that is back in the pool (another
                # thread may have taken it) nor mark a complete answer as cut off.
                self._done = True
                self._sockets.clear()

    def _cut(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            for sock in self._sockets:
                _shut(sock)

    @classmethod
    def watch(cls, sock: socket.socket | None) -> None:
        """Called as a connection starts reading an answer, on the thread making the attempt."""
        cutoff: _Cutoff | None = getattr(cls._current, "cutoff", None)
        if cutoff is not None and not isinstance(sock, socket.socket):
            # Through an HTTPS proxy, urllib3's SSLTransport: its socket underneath is what to shut.
            sock = getattr(sock, "socket", None)
        if cutoff is None or not isinstance(sock, socket.socket):
            return
        with cutoff._lock:
            cutoff._sockets.append(sock)
            if cutoff.expired:
                _shut(sock)


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    # urllib3's own getresponse() overrides http.client's with its response type the same way.
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _Cutoff.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(urllib3.connection.HTTPSConnection):
    # urllib3's own getresponse() overrides http.client's with its response type the same way.
    def getresponse(self) -> urllib3.response.HTTPResponse:  # type: ignore[override]
        _Cutoff.watch(self.sock)
        return super().getresponse()


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": _WatchedHTTPPool,
    "https": _WatchedHTTPSPool,
}


class _CutoffAdapter(HTTPAdapter):
    """Its connections can be cut off at their attempt's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _WATCHED_POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        if not proxy.lower().startswith("socks"):  # SOCKS pools are their own: replacing them skips the proxy
            manager.pool_classes_by_scheme = _WATCHED_POOLS
        return manager


def _failed_attempt(
    path: str, error: requests.exceptions.RequestException, cut_off: bool
) -> tuple[ServiceFailure, bool]:
    """What a failed attempt means, and whether another attempt may help."""
    if cut_off:  # the deadline ended it, whatever the exception says
        return ServiceFailure(FailureReason.TIMEOUT, f"{path}: no complete answer in the time allowed"), False
    if isinstance(error, requests.exceptions.SSLError):
        return ServiceFailure(FailureReason.TLS, f"{path}: TLS failed ({error})"), False
    if isinstance(error, requests.exceptions.Timeout):
        return ServiceFailure(FailureReason.TIMEOUT, f"{path}: timed out"), True
    if isinstance(error, requests.exceptions.ConnectionError):
        return ServiceFailure(FailureReason.REFUSED, f"{path}: cannot connect ({error})"), True
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        # The answer broke off half-way, as a lost answer does: the same idempotency key makes a retry safe.
        return ServiceFailure(FailureReason.BAD_RESPONSE, f"{path}: the answer broke off ({error})"), True
    return ServiceFailure(FailureReason.REFUSED, f"{path}: request failed ({error})"), False


class _TrustStoreAdapter(_CutoffAdapter):
    """Verifies TLS against the operating system's trust store (the bank's own CAs included)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["ssl_context"] = self._context
        return super().proxy_manager_for(*args, **kwargs)


class InsecureServiceUrlError(ValueError):
    """Plain http to another computer: refused before any byte is sent."""


def tls_context(
    certificate: str = "", key: str = "", passphrase: str | None = None, verify: bool = True
) -> ssl.SSLContext:
    context: ssl.SSLContext
    if verify:
        context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:  # developer_insecure_tls: any certificate, any host name
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if certificate:
        # No passphrase stored: an encrypted key fails here, instead of OpenSSL asking for one on a
        # console that nobody watches.
        context.load_cert_chain(
            certificate, key or None, password=passphrase if passphrase is not None else _no_passphrase
        )
    return context


def _no_passphrase() -> bytes:
    return b""


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _retry_after_seconds(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
        return max(0.0, moment.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError, OSError):
        return None  # unreadable (a year beyond any clock, too): our own backoff applies


class ServiceClient:
    def __init__(
        self,
        base_url: str,
        terminal_key: str,
        settings: Settings,
        certificate_passphrase: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        parsed = urlparse(self.base_url)
        if parsed.scheme != "https" and not (parsed.scheme == "http" and is_loopback_host(parsed.hostname)):
            # Settings refuse this already; checked again here so no other path can send a key in clear.
            raise InsecureServiceUrlError(f"{self.base_url}: only https://, or plain http to this computer")
        self._settings = settings
        self._sleep = sleep
        self.session_token: str | None = None
        self._http = _NoRedirectSession()  # trust_env: proxies come from the environment
        self._http.mount("http://", _CutoffAdapter())
        self._http.headers.update({"X-Terminal-Key": terminal_key, "Accept": "application/json"})
        if self.base_url.startswith("https://"):
            verify = not settings.developer_insecure_tls
            context = tls_context(
                settings.client_certificate, settings.client_certificate_key, certificate_passphrase, verify
            )
            self._http.mount("https://", _TrustStoreAdapter(context))
            if not verify:
                self._http.verify = False
                # Said once, loudly, at start-up and on every screen instead of per request.
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------ calls

    def health(self) -> dict[str, Any] | ServiceFailure:
        return self._json_call("GET", "/v1/health", parse=_as_dict)

    def sign_in(
        self, teller_id: str, password: str, purpose: str = "session"
    ) -> SessionGrant | ServiceFailure:
        body = {"teller_id": teller_id, "password": password, "purpose": purpose}
        grant = self._json_call("POST", "/v1/sessions", body, with_session=False, parse=parse_session)
        if isinstance(grant, SessionGrant) and purpose == "session":
            self.session_token = grant.token
        return grant

    def sign_out(self) -> ServiceFailure | None:
        result = self._json_call("DELETE", "/v1/sessions/current", parse=lambda _: None)
        self.session_token = None
        return result

    def screen(self, request: Mapping[str, Any], idempotency_key: str) -> ScreeningResult | ServiceFailure:
        """Screen a remittance; retries reuse `idempotency_key`, so the service screens it once."""
        return self._json_call(
            "POST", "/v1/screenings", request, idempotency_key=idempotency_key, parse=parse_screening
        )

    def acknowledge(self, screening_id: str, body: Mapping[str, Any]) -> dict[str, Any] | ServiceFailure:
        return self._json_call(
            "POST",
            f"/v1/screenings/{screening_id}/acknowledgements",
            body,
            idempotency_key=str(body["client_event_id"]),
            parse=_as_dict,
        )

    def report(self, body: Mapping[str, Any], idempotency_key: str) -> dict[str, Any] | ServiceFailure:
        return self._json_call("POST", "/v1/reports", body, idempotency_key=idempotency_key, parse=_as_dict)

    def account_risk(self, account_number: str) -> dict[str, Any] | ServiceFailure:
        return self._json_call(
            "GET", f"/v1/accounts/{account_number}/risk", with_session=False, parse=parse_account_risk
        )

    def submit_prescreen(self, answers: Mapping[str, Any]) -> dict[str, Any] | ServiceFailure:
        """The lobby questionnaire (kiosk or counter key, no session needed): {code, expires_at}.

        One idempotency key for the call and all its retries, so a lost answer gives the same code.
        """
        return self._json_call(
            "POST",
            "/v1/prescreens",
            answers,
            with_session=False,
            idempotency_key=new_idempotency_key(),
            parse=parse_prescreen_created,
        )

    def get_prescreen(self, code: str) -> dict[str, Any] | ServiceFailure:
        """A teller reads a pre-screen by its code: {code, created_at, expires_at, answers}."""
        typed = code.strip()
        if not typed:
            return ServiceFailure(FailureReason.REJECTED, "/v1/prescreens: no code given")
        return self._json_call("GET", f"/v1/prescreens/{quote(typed, safe='')}", parse=parse_prescreen)

    def deliver_audit_record(self, record: Mapping[str, Any]) -> dict[str, Any] | ServiceFailure:
        return self._json_call(
            "POST",
            "/v1/audit-records",
            record,
            with_session=False,
            idempotency_key=str(record["record_id"]),
            parse=_as_dict,
        )

    # ------------------------------------------------------------ plumbing

    def _json_call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        parse: Callable[[Any], T],
        idempotency_key: str | None = None,
        with_session: bool = True,
    ) -> T | ServiceFailure:
        headers = {}
        if with_session and self.session_token:
            headers["Authorization"] = f"Bearer {self.session_token}"
        if method == "POST":
            # Kept across every retry below: the service answers a repeat with the stored result.
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        response = self._send_with_retries(method, path, body, headers)
        if isinstance(response, ServiceFailure):
            return response
        if 300 <= response.status_code < 400:
            return self._failed(
                FailureReason.BAD_RESPONSE,
                f"{path}: redirected (HTTP {response.status_code}), not followed",
                response,
            )
        if response.status_code >= 400:  # with a problem document, or e.g. a proxy's HTML error page
            return self._problem(path, response, _problem_document(response))
        data: Any = None
        if response.status_code != 204:
            try:
                data = _json_body(response)
            except (ValueError, RecursionError):
                return self._failed(FailureReason.BAD_RESPONSE, f"{path}: answer is not JSON", response)
        try:
            return parse(data)
        except ContractError as error:
            return self._failed(FailureReason.BAD_RESPONSE, f"{path}: {error}", response)

    def _send_with_retries(
        self, method: str, path: str, body: Mapping[str, Any] | None, headers: dict[str, str]
    ) -> requests.Response | ServiceFailure:
        settings = self._settings
        deadline = time.monotonic() + settings.retry_budget_seconds
        backoff = _FIRST_BACKOFF_SECONDS
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return ServiceFailure(FailureReason.TIMEOUT, f"{path}: no answer within the time allowed")
            timeout = (
                min(settings.connect_timeout_seconds, remaining),
                min(settings.read_timeout_seconds, remaining),
            )
            failure: ServiceFailure
            wait = backoff * (0.5 + random.random())  # noqa: S311 - jitter, not security
            cutoff = _Cutoff()
            try:
                # The timeouts bound each read; the cut-off bounds the whole answer (see _Cutoff).
                with cutoff.after(remaining):
                    # Never follow a redirect: it would carry X-Terminal-Key to wherever it points.
                    response = self._http.request(
                        method,
                        self.base_url + path,
                        json=body,
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=False,
                        stream=True,
                    )
                    _read_capped(response)  # inside the cut-off: the whole answer is bounded in time
            except _AnswerTooLargeError:
                return ServiceFailure(
                    FailureReason.BAD_RESPONSE, f"{path}: answer larger than {MAX_ANSWER_BYTES} bytes"
                )
            except requests.exceptions.RequestException as error:
                failure, may_retry = _failed_attempt(path, error, cutoff.expired)
                if not may_retry:
                    return failure
            except ValueError as error:
                # requests reads a redirect's Location even when it does not follow it: one that is not
                # UTF-8 or not a URL raises UnicodeDecodeError or ValueError, not a RequestException.
                return ServiceFailure(FailureReason.BAD_RESPONSE, f"{path}: unreadable answer ({error})")
            else:
                if cutoff.expired:  # cut off part-way: what arrived may be any part of the answer
                    return ServiceFailure(
                        FailureReason.TIMEOUT, f"{path}: no complete answer in the time allowed"
                    )
                if response.status_code not in RETRY_STATUSES:
                    return response
                reason = (
                    FailureReason.BUSY if response.status_code in (429, 503) else FailureReason.SERVER_ERROR
                )
                retry_after = _retry_after_seconds(response)
                failure = ServiceFailure(
                    reason,
                    f"{path}: HTTP {response.status_code}",
                    response.status_code,
                    _problem_document(response),
                    retry_after,
                )
                if retry_after is not None:
                    # Never sooner than our own backoff: "Retry-After: 0" on every answer would otherwise
                    # make a retry storm at a service that said it is overloaded.
                    wait = max(wait, retry_after)
            if time.monotonic() + wait >= deadline:
                log.warning("%s %s gave up after %d attempt(s): %s", method, path, attempt, failure.detail)
                return failure
            log.info(
                "%s %s attempt %d failed (%s); retrying in %.2f s",
                method,
                path,
                attempt,
                failure.reason,
                wait,
            )
            self._sleep(wait)
            backoff = min(backoff * 2, 2.0)

    def _problem(
        self, path: str, response: requests.Response, problem: Mapping[str, Any] | None
    ) -> ServiceFailure:
        detail = str((problem or {}).get("detail", f"HTTP {response.status_code}"))
        if response.status_code in (401, 403):
            reason = FailureReason.UNAUTHORIZED
        elif response.status_code >= 500:
            reason = FailureReason.SERVER_ERROR
        else:
            reason = FailureReason.REJECTED
        return ServiceFailure(reason, f"{path}: {detail}", response.status_code, problem)

    @staticmethod
    def _failed(reason: FailureReason, detail: str, response: requests.Response) -> ServiceFailure:
        return ServiceFailure(reason, detail, response.status_code)


def _json_body(response: requests.Response) -> Any:
    """The answer's JSON. ValueError if it is not JSON; RecursionError if nested deeper than Python recurses.

    Strictly UTF-8 (or UTF-16/32, told by the bytes), as JSON must be: requests' .json() would replace
    bytes it cannot decode and hand on the garbled text as if it were the answer.
    """
    return json.loads(response.content)


def _problem_document(response: requests.Response) -> dict[str, Any] | None:
    """The problem document of an error answer, if it has one (it says, e.g., why the service is busy)."""
    try:
        data = _json_body(response)
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _as_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ContractError("expected a JSON object")
    return data
