"""Limits on what a request may make the service do: body size (413) and the shape of its JSON."""

import json
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from screening_service.problems import ProblemError

PROBLEM_JSON = "application/problem+json"
# The largest legitimate body (an acknowledgement with 50 long answers) is under 100 KB.
MAX_BODY_BYTES = 1024 * 1024
# Request bodies are at most 3 levels deep and an audit payload a few more.
MAX_JSON_DEPTH = 32
# Python refuses to turn longer digit strings into an int (sys.get_int_max_str_digits()).
_INT_DIGITS = 4300

NESTED_TOO_DEEPLY = f"is nested more than {MAX_JSON_DEPTH} levels deep"
NOT_A_NUMBER = "uses NaN or Infinity, which JSON does not have"
# The messages of JSON refusals that say more than "is not valid JSON" (see app._field_errors).
JSON_REFUSALS = frozenset({NESTED_TOO_DEEPLY, NOT_A_NUMBER})


def too_large_problem() -> ProblemError:
    return ProblemError(
        413,
        "payload-too-large",
        "Request body too large",
        f"The request body is larger than {MAX_BODY_BYTES} bytes, the most any request needs.",
    )


class BodyTooLarge(StarletteHTTPException):
    """Raised while a body without Content-Length is read, once it passes the limit."""

    def __init__(self) -> None:
        super().__init__(413, "Request body too large")


class BodyLimitMiddleware:
    """Answers 413 before reading a body whose Content-Length is over the limit, and stops reading a
    streamed (chunked) body as soon as it passes the limit, so no large body is ever held in memory."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            problem = too_large_problem()
            # The connection stays open: uvicorn discards the rest of the upload without keeping it,
            # and a client that is still sending gets to read this answer instead of a reset.
            response = JSONResponse(problem.body(), status_code=problem.status, media_type=PROBLEM_JSON)
            await response(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _number_or_decimal(text: str) -> int | Decimal:
    # A 10,000-digit number is valid JSON but no valid value of any field: as a Decimal it reaches the
    # field's own validation, which names the field, instead of failing the whole body.
    return int(text) if len(text) <= _INT_DIGITS else Decimal(text)


def _no_constants(name: str) -> Any:
    raise ValueError(NOT_A_NUMBER)


def _depth(value: Any) -> int:
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def parse_json(body: bytes) -> Any:
    """Strict JSON: no NaN/Infinity, at most MAX_JSON_DEPTH levels; raises JSONDecodeError otherwise."""
    try:
        value = json.loads(body, parse_int=_number_or_decimal, parse_constant=_no_constants)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError(NESTED_TOO_DEEPLY, "", 0) from None
    except ValueError as error:  # NaN or Infinity, or bytes that are not UTF-8
        raise json.JSONDecodeError(str(error) if str(error) in JSON_REFUSALS else "Invalid", "", 0) from None
    # Deeper nesting needs more brackets than that; counting them is far cheaper than the walk.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth(value) > MAX_JSON_DEPTH:
        raise json.JSONDecodeError(NESTED_TOO_DEEPLY, "", 0)
    return value


class _StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJsonRoute(APIRoute):
    """Every route parses its JSON body with parse_json instead of Starlette's json.loads."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(_StrictJsonRequest(request.scope, request.receive))

        return strict_handler
