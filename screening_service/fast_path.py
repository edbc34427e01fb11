"""POST /v1/screenings straight on ASGI, in front of the FastAPI app.

A screening is the call every counter makes for every remittance, and on this service's target
hardware FastAPI's routing, dependency solving, middleware and thread hand-over cost about 0.5 ms of
CPU per request: as much as the screening itself. This layer answers a well-formed screening request
itself, with the same authentication, validation model and `screen()` the FastAPI route uses. Whatever
it does not recognise as well-formed (another route, a header missing or malformed, a body that is not
strict JSON or fails validation, a body without Content-Length or over the size limit) goes on to the
FastAPI app untouched, the body it already read handed on as it came, so every refusal still comes
from one place and reads the same.
"""

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening_service.api_models import ScreeningRequest
from screening_service.auth import authenticate_counter_teller, cached_counter_teller
from screening_service.context import ServiceContext
from screening_service.http_limits import MAX_BODY_BYTES, PROBLEM_JSON, parse_json
from screening_service.idempotency import StoredResponse, check_key
from screening_service.problems import ProblemError, database_problem, internal_problem
from screening_service.screening import PendingScreening, new_screening, prepare_screening

log = logging.getLogger("screening_service.api")

PATH = "/v1/screenings"
_WANTED = (b"content-length", b"content-type", b"x-terminal-key", b"authorization", b"idempotency-key")


def _first_headers(scope: Scope) -> dict[bytes, bytes]:
    """The first value of each header this path reads (Starlette's Headers.get also takes the first)."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED and name not in found:
            found[name] = value
    return found


def _bearer_token(authorization: str) -> str | None:
    # As FastAPI's HTTPBearer: the scheme before the first space, compared without case.
    scheme, _, credentials = authorization.partition(" ")
    return credentials if scheme.lower() == "bearer" and credentials else None


Outcome = StoredResponse | ProblemError


class ScreeningFastPath:
    """On SQLite the screening runs on the event loop itself: its reads never wait, and it takes the
    writer lock only if no other writer holds it; otherwise the store waits for the lock in a thread.
    Handing every screening to a thread cost about 0.3 ms of CPU each (the hand-over, and the two
    threads contending for the GIL), a fifth of the whole. On PostgreSQL every statement waits on the
    network, so the statements are awaited on psycopg's asyncio connections: a slow or unreachable
    database never stops this process from answering anything else. What would read through a
    blocking connection there (a terminal or session not in the auth cache, a pre-screen code, the
    answer stored for a repeated key) runs in a thread.
    """

    def __init__(self, app: ASGIApp, ctx: ServiceContext, threads: int) -> None:
        self.app = app
        self._ctx = ctx
        self._on_loop = ctx.engine.dialect.name == "sqlite"
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="screening")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != PATH:
            await self.app(scope, receive, send)
            return
        headers = _first_headers(scope)
        length = headers.get(b"content-length", b"")
        token = _bearer_token(headers.get(b"authorization", b"").decode("latin-1"))
        if (
            not length.isdigit()
            or int(length) > MAX_BODY_BYTES
            or not headers.get(b"content-type", b"").startswith(b"application/json")
            or not headers.get(b"x-terminal-key")
            or token is None
        ):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:
            return  # the client went away
        try:
            request = ScreeningRequest.model_validate(parse_json(body))
        except (ValueError, ValidationError):  # JSONDecodeError is a ValueError
            await self.app(scope, _replayed(body, receive), send)
            return
        key = headers[b"x-terminal-key"].decode("latin-1")
        idempotency_key = _header_text(headers.get(b"idempotency-key"))
        prepare = partial(self._prepare, key, token, idempotency_key, request)
        if not self._on_loop:
            await _answer(send, await self._screened_async(prepare, key, token, idempotency_key, request))
            return
        outcome = _guarded(lambda: _stored(prepare(), wait=False))
        if isinstance(outcome, PendingScreening):
            pending = outcome
            outcome = await self._in_thread(lambda: _stored(pending, wait=True))
        await _answer(send, outcome)

    async def _in_thread(self, work: Callable[[], "StoredResponse | PendingScreening"]) -> Outcome:
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._executor, _guarded, work)
        assert not isinstance(outcome, PendingScreening)  # waited for the lock
        return outcome

    async def _screened_async(
        self,
        prepare: Callable[[], "PendingScreening | StoredResponse"],
        key: str,
        token: str,
        idempotency_key: str | None,
        request: ScreeningRequest,
    ) -> Outcome:
        connections = self._ctx.async_connections
        identity = cached_counter_teller(self._ctx, key, token)
        if connections is None or identity is None or request.prescreen_code is not None:
            return await self._in_thread(lambda: _stored(prepare(), wait=True))
        try:
            checked_key = check_key(idempotency_key, required=True)
            assert checked_key is not None
            pending = new_screening(self._ctx, *identity, request, checked_key)
            try:
                return await pending.screen_async(connections)
            except IntegrityError as stored_already:
                return await self._in_thread(partial(pending.replayed, stored_already))
        except Exception as error:
            return _problem_for(error)

    def _prepare(
        self, key: str, token: str, idempotency_key: str | None, request: ScreeningRequest
    ) -> "PendingScreening | StoredResponse":
        # The order of the FastAPI route: who is asking, then the Idempotency-Key, then the screening.
        terminal, teller = authenticate_counter_teller(self._ctx, key, token)
        checked_key = check_key(idempotency_key, required=True)
        assert checked_key is not None
        return prepare_screening(self._ctx, terminal, teller, request, checked_key)


def _stored(prepared: "PendingScreening | StoredResponse", wait: bool) -> "StoredResponse | PendingScreening":
    """The answer; the pending screening itself if it could not be stored without waiting."""
    if isinstance(prepared, StoredResponse):
        return prepared
    stored = prepared.store(wait=wait)
    return prepared if stored is None else stored


def _guarded(work: Callable[[], "StoredResponse | PendingScreening"]) -> "Outcome | PendingScreening":
    """`work()`, with every error turned into the problem the FastAPI app would answer."""
    try:
        return work()
    except Exception as error:
        return _problem_for(error)


def _problem_for(error: Exception) -> ProblemError:
    if isinstance(error, ProblemError):
        return error
    if isinstance(error, DBAPIError):
        return database_problem(error)
    log.error("screening failed", exc_info=error)
    return internal_problem()


def _header_text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


async def _read_body(receive: Receive) -> bytes | None:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replayed(body: bytes, receive: Receive) -> Receive:
    """A receive() that first hands on the body already read, then whatever comes next."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _answer(send: Send, outcome: StoredResponse | ProblemError) -> None:
    if isinstance(outcome, ProblemError):
        status, payload = outcome.status, outcome.json_text().encode()
        headers = [(b"content-type", PROBLEM_JSON.encode())]
        headers += [(name.lower().encode(), value.encode()) for name, value in outcome.headers.items()]
    else:
        status, payload = outcome.status_code, outcome.json_text.encode()
        headers = [(b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(payload)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
