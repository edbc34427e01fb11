"""The HTTP API v1 (FastAPI): routes, authentication headers and RFC 9457 problem responses."""

import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio.to_thread
from fastapi import FastAPI, Header, Path, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from screening_service import __version__
from screening_service.acknowledgements import acknowledge
from screening_service.api_models import (
    ACCOUNT_INPUT_PATTERN,
    AccountRiskResponse,
    AcknowledgementRequest,
    AcknowledgementResponse,
    AuditRecordRequest,
    AuditRecordResponse,
    HealthResponse,
    PrescreenAnswers,
    PrescreenCreated,
    PrescreenOut,
    Problem,
    ReportRequest,
    ReportResponse,
    ScreeningRequest,
    ScreeningResponse,
    SessionRequest,
    SessionResponse,
)
from screening_service.audit_records import store_record
from screening_service.auth import (
    TellerSession,
    Terminal,
    authenticate_counter_teller,
    authenticate_terminal,
    sign_in,
    sign_out,
)
from screening_service.context import ServiceContext
from screening_service.fast_path import ScreeningFastPath
from screening_service.http_limits import (
    JSON_REFUSALS,
    MAX_BODY_BYTES,
    BodyLimitMiddleware,
    BodyTooLarge,
    StrictJsonRoute,
    too_large_problem,
)
from screening_service.idempotency import KEY_PATTERN, StoredResponse, check_key
from screening_service.lists import account_risk, report_account
from screening_service.prescreens import create_prescreen, get_prescreen
from screening_service.problems import ProblemError, database_problem, internal_problem, invalid_field
from screening_service.screening import screen
from screening_service.settings import ServiceSettings
from screening_service.timeutil import iso

log = logging.getLogger("screening_service.api")

PROBLEM_JSON = "application/problem+json"
_terminal_key = APIKeyHeader(
    name="X-Terminal-Key", auto_error=False, description="The terminal's API key, issued by IT"
)
_teller_token = HTTPBearer(auto_error=False, description="A teller session token from POST /v1/sessions")

TerminalKey = Annotated[str | None, Security(_terminal_key)]
TellerToken = Annotated[HTTPAuthorizationCredentials | None, Security(_teller_token)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Unique per request, the same on its retries (8-100 characters)",
        json_schema_extra={"pattern": KEY_PATTERN},
    ),
]
# Screening IDs are scr_ and 24 hex digits; the pattern is looser so that any ID the service
# could hand out is "not found" rather than "invalid".
SCREENING_ID = re.compile(r"^scr_[A-Za-z0-9]{1,36}$")
ScreeningId = Annotated[str, Path(json_schema_extra={"pattern": SCREENING_ID.pattern})]
# Checked by normalise_account (a 422 naming account_number), so only stated here.
AccountPath = Annotated[str, Path(json_schema_extra={"pattern": ACCOUNT_INPUT_PATTERN, "maxLength": 40})]

_PROBLEM_DESCRIPTIONS = {
    400: "Idempotency-Key header missing or malformed",
    401: "Terminal key or teller session missing, invalid, expired or revoked",
    403: "Not allowed for this terminal or teller",
    404: "Not found (or made at another terminal)",
    409: "Conflicts with the screening's rules or an earlier request",
    413: f"Request body larger than {MAX_BODY_BYTES} bytes",
    422: "Invalid fields; `errors` names each one",
    423: "Teller locked after too many wrong passwords",
    429: "Too many requests from this terminal",
    503: "Database unavailable; retry",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    }
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses of an operation: its own, plus what any request can meet (a bad key,
    a body over the size limit, the database down)."""
    responses: dict[int | str, dict[str, Any]] = {}
    for status in sorted({401, 413, 503, *statuses}):
        responses[status] = {"model": Problem, "description": _PROBLEM_DESCRIPTIONS[status]}
        if status in (423, 429, 503):
            responses[status]["headers"] = _RETRY_AFTER
    return responses


def problem_response(problem: ProblemError) -> JSONResponse:
    return JSONResponse(
        problem.body(), status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers
    )


def stored_response(stored: StoredResponse) -> JSONResponse:
    return JSONResponse(stored.body, status_code=stored.status_code)


_VALUE_ERROR = re.compile(r"^(?:Value error, )?(?:(?P<field>[a-z_]+): )?(?P<message>.*)$", re.S)


def _field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    named = []
    for error in errors:
        location = [part for part in error.get("loc", ()) if part != "body"]
        match = _VALUE_ERROR.match(str(error.get("msg", "invalid")))
        assert match is not None
        message = match["message"]
        if match["field"]:
            location.append(match["field"])
        if error.get("type") == "json_invalid":
            refusal = str(error.get("ctx", {}).get("error", ""))
            location, message = [], refusal if refusal in JSON_REFUSALS else "is not valid JSON"
        path = ""
        for part in location:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        named.append({"field": path or "body", "message": message})
    return named


# Handlers are plain functions, run in a thread pool. Fewer threads than anyio's default 40 spend
# less time fighting over the GIL; a handler waits for the database at most a few milliseconds.
HANDLER_THREADS = 8


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = HANDLER_THREADS
    yield


def _problem_handlers(app: FastAPI) -> None:
    """Every error becomes an RFC 9457 problem document."""

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_request: Request, _error: BodyTooLarge) -> JSONResponse:
        return problem_response(too_large_problem())

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, problem: ProblemError) -> JSONResponse:
        return problem_response(problem)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        errors = _field_errors(error.errors())
        detail = "; ".join(f"{item['field']}: {item['message']}" for item in errors)
        return problem_response(ProblemError(422, "validation", "Request has invalid fields", detail, errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        # Keeps Starlette's headers, e.g. Allow on a 405.
        headers = dict(error.headers or {})
        detail = str(error.detail)
        return problem_response(ProblemError(error.status_code, "http", detail, detail, headers=headers))

    @app.exception_handler(DBAPIError)
    async def _database(_request: Request, error: DBAPIError) -> JSONResponse:
        return problem_response(database_problem(error))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, error: Exception) -> JSONResponse:
        # Starlette logs the traceback after this answer is sent.
        return problem_response(internal_problem())


def create_app(ctx: ServiceContext) -> FastAPI:
    app = FastAPI(
        title="CounterGuard screening service",
        version=__version__,
        description="Fraud screening for remittances keyed at bank counters. See docs/api.md.",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.router.route_class = StrictJsonRoute
    app.add_middleware(BodyLimitMiddleware)
    app.openapi = lambda: truthful_openapi(app, sorted(ctx.rules.typologies))  # type: ignore[method-assign]

    _problem_handlers(app)

    def terminal(key: str | None) -> Terminal:
        return authenticate_terminal(ctx, key)

    def teller(key: str | None, token: HTTPAuthorizationCredentials | None) -> tuple[Terminal, TellerSession]:
        return authenticate_counter_teller(ctx, key, token.credentials if token else None)

    @app.get("/healthz", include_in_schema=False)
    def liveness() -> dict[str, str]:
        # For load balancers: says only that the process answers.
        return {"status": "ok"}

    @app.get("/v1/health", response_model=HealthResponse, responses=problems())
    def health(key: TerminalKey) -> dict[str, str]:
        """Checks the terminal key and the database; for the client's connectivity indicator."""
        at = terminal(key)
        with ctx.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "version": __version__,
            "database": "ok",
            "rules_version": ctx.rules.version,
            "terminal_id": at.terminal_id,
        }

    @app.post(
        "/v1/sessions",
        status_code=201,
        response_model=SessionResponse,
        responses=problems(403, 409, 422, 423, 429),
    )
    def create_session(body: SessionRequest, key: TerminalKey) -> JSONResponse:
        """Teller sign-in, or a supervisor's one-shot approval (purpose=approval)."""
        result = sign_in(ctx, terminal(key), body)
        session = result.teller
        return JSONResponse(
            {
                "token": result.token,
                "purpose": body.purpose,
                "expires_at": iso(result.expires_at),
                "teller": {
                    "teller_id": session.teller_id,
                    "display_name": session.display_name,
                    "role": session.role,
                    "branch_id": session.branch_id,
                },
            },
            status_code=201,
        )

    @app.delete("/v1/sessions/current", status_code=204, responses=problems(403))
    def delete_session(key: TerminalKey, token: TellerToken) -> Response:
        """Sign the teller out; the token stops working on every instance."""
        _, session = teller(key, token)
        sign_out(ctx, session)
        return Response(status_code=204)

    @app.post(
        "/v1/screenings",
        status_code=201,
        response_model=ScreeningResponse,
        responses=problems(400, 403, 409, 422),
    )
    def create_screening(
        body: ScreeningRequest,
        key: TerminalKey,
        token: TellerToken,
        idempotency_key: IdempotencyKey = None,
    ) -> JSONResponse:
        """Screen one remittance keyed at a counter."""
        at, session = teller(key, token)
        checked_key = check_key(idempotency_key, required=True)
        assert checked_key is not None
        return stored_response(screen(ctx, at, session, body, checked_key))

    @app.post(
        "/v1/screenings/{screening_id}/acknowledgements",
        status_code=201,
        response_model=AcknowledgementResponse,
        responses=problems(403, 404, 409, 422),
    )
    def create_acknowledgement(
        screening_id: ScreeningId, body: AcknowledgementRequest, key: TerminalKey, token: TellerToken
    ) -> JSONResponse:
        """Record the teller's outcome; the same client_event_id again returns the same record."""
        at, session = teller(key, token)
        if not SCREENING_ID.fullmatch(screening_id):
            raise invalid_field("screening_id", "is not a screening ID (scr_ followed by letters and digits)")
        return stored_response(acknowledge(ctx, at, session, screening_id, body))

    @app.get(
        "/v1/accounts/{account_number}/risk",
        response_model=AccountRiskResponse,
        responses=problems(422, 429),
    )
    def get_account_risk(account_number: AccountPath, key: TerminalKey) -> AccountRiskResponse:
        """Public payee-account check for lobby kiosks: no personal data, rate-limited per terminal."""
        return account_risk(ctx, terminal(key), account_number)

    @app.post(
        "/v1/reports", status_code=201, response_model=ReportResponse, responses=problems(400, 403, 409, 422)
    )
    def create_report(
        body: ReportRequest, key: TerminalKey, token: TellerToken, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """A teller reports a suspicious account; it is listed with source `internal`."""
        at, session = teller(key, token)
        checked_key = check_key(idempotency_key, required=False)
        return stored_response(report_account(ctx, at, session, body, checked_key))

    _prescreen_routes(app, ctx, terminal, teller)

    @app.post(
        "/v1/audit-records",
        status_code=201,
        response_model=AuditRecordResponse,
        responses={
            **problems(400, 409, 422),
            200: {"model": AuditRecordResponse, "description": "Already stored"},
        },
    )
    def create_audit_record(
        body: AuditRecordRequest, key: TerminalKey, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """A counter delivers one decision record from its audit outbox; repeats are stored once."""
        check_key(idempotency_key, required=False)
        return stored_response(store_record(ctx, terminal(key), body))

    return app


def _prescreen_routes(
    app: FastAPI,
    ctx: ServiceContext,
    terminal: Callable[[str | None], Terminal],
    teller: Callable[[str | None, HTTPAuthorizationCredentials | None], tuple[Terminal, TellerSession]],
) -> None:
    """The lobby pre-screen: a kiosk or counter creates it without a teller, a teller reads it."""

    @app.post(
        "/v1/prescreens", status_code=201, response_model=PrescreenCreated, responses=problems(400, 409, 422)
    )
    def create_prescreen_route(
        body: PrescreenAnswers, key: TerminalKey, idempotency_key: IdempotencyKey = None
    ) -> JSONResponse:
        """The lobby questionnaire (kiosk or counter key, no teller session): answers a short code."""
        at = terminal(key)
        checked_key = check_key(idempotency_key, required=False)
        return stored_response(create_prescreen(ctx, at, body, checked_key))

    @app.get(
        "/v1/prescreens/{code}",
        response_model=PrescreenOut,
        responses=problems(403, 404),
    )
    def get_prescreen_route(code: str, key: TerminalKey, token: TellerToken) -> JSONResponse:
        """A teller reads a pre-screen by its code (case and dashes do not matter)."""
        at, _session = teller(key, token)
        return JSONResponse(get_prescreen(ctx, code, at.branch_id))


def truthful_openapi(app: FastAPI, typologies: list[str]) -> dict[str, Any]:
    """FastAPI's document, corrected where it cannot say what the service does: problems are
    application/problem+json only; a teller action needs the terminal key AND the session (FastAPI lists
    them as alternatives); POST /v1/screenings requires its Idempotency-Key (a 400 without it); a report's
    typology is one of the loaded rules file's."""
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    document["components"]["schemas"]["ReportRequest"]["properties"]["typology"]["enum"] = typologies
    for path, path_item in document["paths"].items():
        for method, operation in path_item.items():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                schema = content.get("application/json", {}).get("schema", {})
                if schema.get("$ref") == "#/components/schemas/Problem":
                    response["content"] = {PROBLEM_JSON: {"schema": schema}}
            requirements = operation.get("security")
            if requirements and len(requirements) > 1:
                operation["security"] = [{name: [] for requirement in requirements for name in requirement}]
            if (path, method) == ("/v1/screenings", "post"):
                for parameter in operation["parameters"]:
                    if parameter["name"] == "Idempotency-Key":
                        parameter["required"] = True
                        parameter["schema"] = {"type": "string", "pattern": KEY_PATTERN}
    app.openapi_schema = document
    return document


def create_service(ctx: ServiceContext) -> ASGIApp:
    """What uvicorn serves: the screening fast path in front of the FastAPI app."""
    # SQLite takes one writer at a time: a second thread is ready when the first is done, more only
    # wait on the lock. PostgreSQL screenings wait on round trips, so more of them run side by side.
    threads = 2 if ctx.engine.dialect.name == "sqlite" else 4
    return ScreeningFastPath(create_app(ctx), ctx, threads)


def create_service_from_environment() -> ASGIApp:
    """Factory for uvicorn worker processes; `serve` hands the settings over in the environment."""
    return create_service(ServiceContext.open(ServiceSettings.from_environment()))
