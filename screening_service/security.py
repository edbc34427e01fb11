"""Credentials: slow salted password hashes, terminal API keys and session tokens (only hashes stored)."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_password_hasher = PasswordHasher()
# Verifying against this when the teller ID is unknown keeps the answer time the same,
# so response timing does not tell which teller IDs exist.
_DUMMY_HASH = _password_hasher.hash("counterguard-timing-equaliser")

API_KEY_PREFIX = "cgk"
SESSION_TOKEN_PREFIX = "cgs"  # noqa: S105 - a prefix, not a secret


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _password_hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedApiKey:
    key_id: str
    key: str  # shown once to IT, never stored
    key_hash: str


def new_api_key() -> IssuedApiKey:
    # API keys are long random secrets, so a fast hash is enough; the key ID finds the row.
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedApiKey(key_id, f"{API_KEY_PREFIX}_{key_id}_{secret}", sha256_hex(secret))


def split_api_key(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def api_key_matches(secret: str, key_hash: str) -> bool:
    return hmac.compare_digest(sha256_hex(secret), key_hash)


def new_session_token() -> str:
    return f"{SESSION_TOKEN_PREFIX}_{secrets.token_urlsafe(32)}"


def customer_key(pepper: str, id_type: str, id_number: str) -> str:
    """A keyed hash that links one customer's screenings across counters without storing the ID."""
    message = f"{id_type}:{id_number.upper()}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest()


def mask_tail(value: str, visible: int = 4) -> str:
    if len(value) <= visible:
        return "*" * len(value)
    return "*" * (len(value) - visible) + value[-visible:]
