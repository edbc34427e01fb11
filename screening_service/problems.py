"""Errors the API reports as RFC 9457 problem documents."""

from dataclasses import dataclass, field


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
