"""Terminal API keys, teller sign-in with lockout, session tokens and one-shot supervisor approvals."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from screening_service.api_models import SessionRequest
from screening_service.context import ServiceContext
from screening_service.database import write_transaction
from screening_service.problems import ProblemError, forbidden, unauthorized
from screening_service.ratelimit import count, peek
from screening_service.schema import sessions, tellers, terminals
from screening_service.security import (
    api_key_matches,
    new_session_token,
    sha256_hex,
    split_api_key,
    verify_password,
)
from screening_service.timeutil import iso, utc_now

log = logging.getLogger("screening_service.auth")


@dataclass(frozen=True)
class Terminal:
    terminal_id: str
    branch_id: str
    kind: str


@dataclass(frozen=True)
class TellerSession:
    teller_id: str
    display_name: str
    role: str
    branch_id: str
    terminal_id: str
    expires_at: datetime
    token_hash: str


@dataclass(frozen=True)
class SignIn:
    token: str
    expires_at: datetime
    teller: TellerSession


def authenticate_terminal(ctx: ServiceContext, key: str | None) -> Terminal:
    if not key:
        raise unauthorized("Send the terminal's API key in the X-Terminal-Key header.")
    cached = _cached_terminal(ctx, key)
    if cached is not None:
        return cached
    parts = split_api_key(key)
    if parts is None:
        raise unauthorized("The X-Terminal-Key header is not a CounterGuard terminal key.")
    key_id, secret = parts
    with ctx.engine.connect() as connection:
        row = connection.execute(select(terminals).where(terminals.c.key_id == key_id)).first()
    if row is None or row.revoked_at is not None or not api_key_matches(secret, row.key_hash):
        log.warning("rejected terminal key %s", key_id)
        raise unauthorized("The terminal key is unknown or revoked; ask IT to issue a new one.")
    terminal = Terminal(row.terminal_id, row.branch_id, row.kind)
    ctx.auth_cache.put(("terminal", key), terminal)
    return terminal


def authenticate_teller(ctx: ServiceContext, terminal: Terminal, token: str | None) -> TellerSession:
    if not token:
        raise unauthorized("Sign in first: send the teller's session token as a Bearer token.")
    token_hash = sha256_hex(token)
    now = utc_now()
    cached = _cached_session(ctx, token_hash, now)
    if cached is not None:
        session = cached
    else:
        with ctx.engine.connect() as connection:
            row = connection.execute(
                select(sessions, tellers.c.display_name, tellers.c.branch_id, tellers.c.active)
                .join(tellers, tellers.c.teller_id == sessions.c.teller_id)
                .where(sessions.c.token_hash == token_hash)
            ).first()
        if (
            row is None
            or row.purpose != "session"
            or row.revoked_at is not None
            or row.expires_at <= now
            or not row.active
        ):
            raise unauthorized("The teller session has expired or was signed out; sign in again.")
        session = TellerSession(
            row.teller_id,
            row.display_name,
            row.role,
            row.branch_id,
            row.terminal_id,
            row.expires_at,
            token_hash,
        )
        ctx.auth_cache.put(("session", token_hash), session)
    if session.terminal_id != terminal.terminal_id:
        raise forbidden("This session was opened on another terminal; sign in at this terminal.")
    return session


def _cached_terminal(ctx: ServiceContext, key: str) -> Terminal | None:
    cached = ctx.auth_cache.get(("terminal", key))
    return cached if isinstance(cached, Terminal) else None


def _cached_session(ctx: ServiceContext, token_hash: str, now: datetime) -> TellerSession | None:
    cached = ctx.auth_cache.get(("session", token_hash))
    return cached if isinstance(cached, TellerSession) and cached.expires_at > now else None


def cached_counter_teller(ctx: ServiceContext, key: str, token: str) -> tuple[Terminal, TellerSession] | None:
    """What authenticate_counter_teller answers, when the auth cache alone tells and the request is
    admitted; None when the database must be asked, or the request is refused (that call says why)."""
    terminal = _cached_terminal(ctx, key)
    session = _cached_session(ctx, sha256_hex(token), utc_now())
    if (
        terminal is None
        or session is None
        or terminal.kind != "counter"
        or session.terminal_id != terminal.terminal_id
    ):
        return None
    return terminal, session


def authenticate_counter_teller(
    ctx: ServiceContext, key: str | None, token: str | None
) -> tuple[Terminal, TellerSession]:
    """A teller action: a counter terminal's key and a teller session opened at that terminal."""
    terminal = authenticate_terminal(ctx, key)
    if terminal.kind != "counter":
        raise forbidden(
            f"Terminal {terminal.terminal_id} is a {terminal.kind}: teller actions need a counter terminal."
        )
    return terminal, authenticate_teller(ctx, terminal, token)


def _terminal_failures(ctx: ServiceContext, terminal: Terminal) -> tuple[str, int]:
    return f"sign-in-failures:{terminal.terminal_id}", ctx.settings.terminal_sign_in_minutes * 60


def sign_in(ctx: ServiceContext, terminal: Terminal, request: SessionRequest) -> SignIn:
    now = utc_now()
    bucket, window = _terminal_failures(ctx, terminal)
    failures = peek(ctx.engine, bucket, window)
    if failures.hits >= ctx.settings.terminal_sign_in_failures:
        # Checked before the password, so guessing here learns nothing until the window ends.
        raise ProblemError(
            429,
            "sign-in-throttled",
            "Too many failed sign-ins at this terminal",
            f"{failures.hits} failed sign-ins at terminal {terminal.terminal_id} within "
            f"{ctx.settings.terminal_sign_in_minutes} minutes; try again in {failures.retry_after} s.",
            headers={"Retry-After": str(failures.retry_after)},
        )
    with ctx.engine.connect() as connection:
        row = connection.execute(select(tellers).where(tellers.c.teller_id == request.teller_id)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        seconds = max(1, int((row.locked_until - now).total_seconds()) + 1)
        raise ProblemError(
            423,
            "locked",
            "Teller locked",
            f"Too many wrong passwords: teller {request.teller_id} is locked until "
            f"{iso(row.locked_until)}. Ask a supervisor or IT to unlock it, or wait.",
            headers={"Retry-After": str(seconds)},
        )
    # Verified even for unknown IDs (against a dummy hash) so the timing tells nothing.
    password_ok = verify_password(row.password_hash if row else None, request.password)
    if row is None or not password_ok:
        # Counted per terminal for every teller ID, known or not (password spraying), and per teller.
        count(ctx.engine, bucket, window)
        if row is not None:
            _record_failure(ctx, row.teller_id, now)
        raise unauthorized("The teller ID or password is wrong.")
    if not row.active:
        raise forbidden(f"Teller {row.teller_id} is disabled; ask IT.")
    if request.purpose == "approval" and row.role != "supervisor":
        raise forbidden(f"{row.teller_id} is not a supervisor and cannot approve.")
    if row.branch_id != terminal.branch_id:
        raise forbidden(
            f"Teller {row.teller_id} belongs to branch {row.branch_id}, "
            f"this terminal to {terminal.branch_id}."
        )
    lifetime = (
        timedelta(seconds=ctx.settings.approval_seconds)
        if request.purpose == "approval"
        else timedelta(minutes=ctx.settings.session_minutes)
    )
    token = new_session_token()
    token_hash = sha256_hex(token)
    expires_at = now + lifetime
    with write_transaction(ctx.engine) as connection:
        connection.execute(
            update(tellers)
            .where(tellers.c.teller_id == row.teller_id)
            .values(failed_attempts=0, locked_until=None)
        )
        connection.execute(
            sessions.insert().values(
                token_hash=token_hash,
                teller_id=row.teller_id,
                terminal_id=terminal.terminal_id,
                role=row.role,
                purpose=request.purpose,
                created_at=now,
                expires_at=expires_at,
            )
        )
    log.info("teller %s signed in (%s) at %s", row.teller_id, request.purpose, terminal.terminal_id)
    teller = TellerSession(
        row.teller_id,
        row.display_name,
        row.role,
        row.branch_id,
        terminal.terminal_id,
        expires_at,
        token_hash,
    )
    return SignIn(token, expires_at, teller)


def _record_failure(ctx: ServiceContext, teller_id: str, now: datetime) -> None:
    # The increment happens in the database, so attempts on every instance add up.
    with write_transaction(ctx.engine) as connection:
        attempts = connection.execute(
            update(tellers)
            .where(tellers.c.teller_id == teller_id)
            .values(failed_attempts=tellers.c.failed_attempts + 1)
            .returning(tellers.c.failed_attempts)
        ).scalar_one()
        if attempts >= ctx.settings.lockout_attempts:
            connection.execute(
                update(tellers)
                .where(tellers.c.teller_id == teller_id)
                .values(
                    failed_attempts=0,
                    locked_until=now + timedelta(minutes=ctx.settings.lockout_minutes),
                )
            )
            log.warning("teller %s locked after %d failed sign-ins", teller_id, attempts)


def sign_out(ctx: ServiceContext, session: TellerSession) -> None:
    with write_transaction(ctx.engine) as connection:
        connection.execute(
            update(sessions).where(sessions.c.token_hash == session.token_hash).values(revoked_at=utc_now())
        )
    ctx.auth_cache.discard(("session", session.token_hash))


def consume_approval(connection: Connection, token: str, terminal: Terminal, teller: TellerSession) -> str:
    """Spend a supervisor's one-shot approval token; returns the supervisor's ID or raises 409."""
    now = utc_now()
    token_hash = sha256_hex(token)
    row = connection.execute(
        select(sessions, tellers.c.active)
        .join(tellers, tellers.c.teller_id == sessions.c.teller_id)
        .where(sessions.c.token_hash == token_hash)
    ).first()
    problem = None
    if row is None or row.purpose != "approval" or row.role != "supervisor":
        problem = "the approval token is not a supervisor's approval"
    elif not row.active:
        problem = "the supervisor's account is disabled"
    elif row.teller_id == teller.teller_id:
        problem = "dual control: the supervisor must be someone other than the teller"
    elif row.terminal_id != terminal.terminal_id:
        problem = "the approval was given at another terminal"
    elif row.expires_at <= now or row.revoked_at is not None:
        problem = "the approval has expired; the supervisor must sign again"
    if problem is None:
        # Single use, also across instances: only one UPDATE can flip used_at from NULL.
        spent = connection.execute(
            update(sessions)
            .where(sessions.c.token_hash == token_hash, sessions.c.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if spent == 1:
            assert row is not None
            return str(row.teller_id)
        problem = "the approval has already been used; the supervisor must sign again"
    raise ProblemError(
        409,
        "supervisor-approval-invalid",
        "Supervisor approval not accepted",
        f"Supervisor approval not accepted: {problem}.",
        [{"field": "supervisor_approval.approval_token", "message": problem}],
    )
