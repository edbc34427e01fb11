"""IT's administration tasks: tellers and terminal keys."""

import re

from sqlalchemy import Engine, select, update

from screening_service.database import write_transaction
from screening_service.schema import tellers, terminals
from screening_service.security import IssuedApiKey, hash_password, new_api_key
from screening_service.timeutil import utc_now

_ID = re.compile(r"^[A-Za-z0-9_-]{2,32}$")
ROLES = ("teller", "supervisor")
TERMINAL_KINDS = ("counter", "kiosk")
MIN_PASSWORD_LENGTH = 8


class AdminError(ValueError):
    """Bad input to an admin command; the message names the option and the fix."""


def _check_id(option: str, value: str) -> None:
    if not _ID.fullmatch(value):
        raise AdminError(f"{option} {value!r}: use 2-32 letters, digits, '-' or '_'")


def add_teller(
    engine: Engine,
    teller_id: str,
    display_name: str,
    role: str,
    branch_id: str,
    password: str,
    replace: bool = False,
) -> None:
    _check_id("--id", teller_id)
    _check_id("--branch", branch_id)
    if role not in ROLES:
        raise AdminError(f"--role {role!r}: use one of {', '.join(ROLES)}")
    if not display_name.strip() or len(display_name) > 100:
        raise AdminError("--name: give the teller's name (1-100 characters)")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminError(f"password: use at least {MIN_PASSWORD_LENGTH} characters")
    values = {
        "display_name": display_name.strip(),
        "role": role,
        "branch_id": branch_id,
        "password_hash": hash_password(password),
        "failed_attempts": 0,
        "locked_until": None,
        "active": True,
    }
    with write_transaction(engine) as connection:
        exists = connection.execute(
            select(tellers.c.teller_id).where(tellers.c.teller_id == teller_id)
        ).first()
        if exists and not replace:
            raise AdminError(f"--id {teller_id}: already exists; add --replace to reset it")
        if exists:
            connection.execute(update(tellers).where(tellers.c.teller_id == teller_id).values(values))
        else:
            connection.execute(tellers.insert().values(teller_id=teller_id, created_at=utc_now(), **values))


def issue_terminal_key(
    engine: Engine, terminal_id: str, branch_id: str, kind: str = "counter"
) -> IssuedApiKey:
    """Issue a new key for the terminal; any earlier key of that terminal stops working."""
    _check_id("--terminal", terminal_id)
    _check_id("--branch", branch_id)
    if kind not in TERMINAL_KINDS:
        raise AdminError(f"--kind {kind!r}: use one of {', '.join(TERMINAL_KINDS)}")
    issued = new_api_key()
    values = {
        "branch_id": branch_id,
        "kind": kind,
        "key_id": issued.key_id,
        "key_hash": issued.key_hash,
        "issued_at": utc_now(),
        "revoked_at": None,
    }
    with write_transaction(engine) as connection:
        exists = connection.execute(
            select(terminals.c.terminal_id).where(terminals.c.terminal_id == terminal_id)
        ).first()
        if exists:
            connection.execute(update(terminals).where(terminals.c.terminal_id == terminal_id).values(values))
        else:
            connection.execute(terminals.insert().values(terminal_id=terminal_id, **values))
    return issued


def revoke_terminal_key(engine: Engine, terminal_id: str) -> None:
    """Revoke the terminal's key (a lost or stolen PC): every request with it is refused from then on,
    on every instance within the auth cache time. Issuing a new key brings the terminal back."""
    _check_id("--terminal", terminal_id)
    with write_transaction(engine) as connection:
        revoked = connection.execute(
            update(terminals)
            .where(terminals.c.terminal_id == terminal_id, terminals.c.revoked_at.is_(None))
            .values(revoked_at=utc_now())
        ).rowcount
        if revoked == 0:
            known = connection.execute(
                select(terminals.c.terminal_id).where(terminals.c.terminal_id == terminal_id)
            ).first()
            if known is None:
                raise AdminError(f"--terminal {terminal_id}: no such terminal")
