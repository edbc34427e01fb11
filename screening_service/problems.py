"""Errors the API reports as RFC 9457 problem documents."""

import json
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import DBAPIError, IntegrityError

log = logging.getLogger("screening_service.api")


@dataclass
class ProblemError(Exception):
    """Raised anywhere in request handling; the app turns it into application/problem+json."""

    status: int
    kind: str
    title: str
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def type_uri(self) -> str:
        return f"urn:counterguard:problem:{self.kind}"

    def body(self) -> dict[str, object]:
        document: dict[str, object] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            document["errors"] = self.errors
        return document

    def json_text(self) -> str:
        return json.dumps(self.body(), ensure_ascii=False, separators=(",", ":"))


def invalid_field(field_name: str, message: str) -> ProblemError:
    return ProblemError(
        422,
        "validation",
        "Request has invalid fields",
        f"{field_name}: {message}",
        [{"field": field_name, "message": message}],
    )


def conflict(kind: str, detail: str) -> ProblemError:
    return ProblemError(409, kind, "Request conflicts with the screening's rules", detail)


def unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthorized", "Not authenticated", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def forbidden(detail: str) -> ProblemError:
    return ProblemError(403, "forbidden", "Not allowed", detail)


def not_found(detail: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not found", detail)


def database_problem(error: DBAPIError) -> ProblemError:
    """What a client is told when the database refused or did not answer."""
    if isinstance(error, IntegrityError):
        log.error("integrity error: %s", error.__class__.__name__)
        return ProblemError(
            409,
            "concurrent-change",
            "Concurrent change",
            "The same data was changed by another request at the same moment; retry.",
        )
    log.error("database error: %s", error.__class__.__name__, exc_info=error)
    return ProblemError(
        503,
        "database-unavailable",
        "Database unavailable",
        "The screening database did not answer; retry shortly.",
        headers={"Retry-After": "2"},
    )


def internal_problem() -> ProblemError:
    return ProblemError(
        500, "internal-error", "Internal error", "The service failed on this request; it has been logged."
    )
