"""Secrets in the operating system's keyring (Windows Credential Manager, macOS Keychain, Secret Service).

The terminal API key and the client certificate's passphrase are kept only here: never in a
settings file, never in a log.
"""

import contextlib

import keyring
import keyring.errors

KEYRING_SERVICE = "CounterGuard"


class CredentialError(RuntimeError):
    """The keyring could not be used; the message says what to do."""


def _terminal_key_name(service_url: str) -> str:
    return f"terminal-key:{service_url.rstrip('/')}"


def store_terminal_key(service_url: str, key: str) -> None:
    try:
        keyring.set_password(KEYRING_SERVICE, _terminal_key_name(service_url), key)
    except keyring.errors.KeyringError as error:
        raise CredentialError(f"cannot save the terminal key in the OS keyring: {error}") from error


def terminal_key(service_url: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, _terminal_key_name(service_url))
    except keyring.errors.KeyringError as error:
        raise CredentialError(f"cannot read the terminal key from the OS keyring: {error}") from error


def forget_terminal_key(service_url: str) -> None:
    with contextlib.suppress(keyring.errors.PasswordDeleteError):  # nothing stored: already forgotten
        keyring.delete_password(KEYRING_SERVICE, _terminal_key_name(service_url))


def certificate_passphrase(certificate_path: str) -> str | None:
    if not certificate_path:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"certificate-passphrase:{certificate_path}")
    except keyring.errors.KeyringError as error:
        raise CredentialError(f"cannot read the certificate passphrase: {error}") from error


def store_certificate_passphrase(certificate_path: str, passphrase: str) -> None:
    keyring.set_password(KEYRING_SERVICE, f"certificate-passphrase:{certificate_path}", passphrase)
