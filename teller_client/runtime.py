"""Wires the client core together: settings, the service (central or embedded demo), audit, delivery."""

import logging
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from teller_client import credentials, paths
from teller_client.audit import AuditStore, AuditUnavailableError
from teller_client.delivery import DeliveryWorker, LateRisk
from teller_client.offline_queue import OfflineQueue
from teller_client.service_client import InsecureServiceUrlError, ServiceClient
from teller_client.settings import Settings

log = logging.getLogger("counterguard.app")


class StartupError(RuntimeError):
    """The client cannot start; the message says what IT or the teller should do."""


@dataclass
class Runtime:
    settings: Settings
    service_url: str
    client: ServiceClient
    audit: AuditStore
    offline_queue: OfflineQueue
    delivery: DeliveryWorker
    demo: bool
    demo_accounts: tuple[Any, ...] = ()
    # Offline remittances found risky when screened afterwards; the window shows them until handled.
    late_risks: list[LateRisk] = field(default_factory=list)
    _embedded: Any = None

    def close(self) -> None:
        self.delivery.stop()
        self.client.close()
        self.audit.close()
        self.offline_queue.close()
        if self._embedded is not None:
            self._embedded.stop()


def open_runtime(settings: Settings, start_delivery: bool = True) -> Runtime:
    embedded = None
    demo_accounts: tuple[Any, ...] = ()
    if settings.uses_embedded_service:
        try:
            from screening_service.embedded import EmbeddedService
        except ImportError as error:
            raise StartupError(
                "No service_url is configured and the embedded demo service is not installed: "
                "set service_url in the site configuration file "
                f"({paths.site_config_file()}) and enroll this terminal."
            ) from error
        embedded = EmbeddedService(database_url=f"sqlite:///{paths.data_dir() / 'screening.db'}")
        endpoint = embedded.start()
        # A kiosk runs on the kiosk terminal's key: the service refuses it teller actions.
        key = endpoint.kiosk_key if settings.kiosk else endpoint.counter_key
        url, demo_accounts = endpoint.url, endpoint.demo_tellers
        log.warning("no service_url configured: running on the embedded DEMO service at %s", url)
    else:
        url = settings.service_url
        try:
            stored = credentials.terminal_key(url)
        except credentials.CredentialError as error:
            raise StartupError(f"{error}. Ask IT to check the Windows Credential Manager.") from error
        if not stored:
            raise StartupError(
                f"This terminal has no key for {url}: ask IT to run "
                f"`main.py enroll --service {url}` with a key from `issue-terminal-key`."
            )
        key = stored
    if settings.developer_insecure_tls:
        log.warning(
            "TLS certificate verification is OFF (--developer-insecure-tls): any server can pose as "
            "the screening service. Developer use only, never in production."
        )
    try:
        client = _service_client(settings, url, key)
    except StartupError:
        if embedded is not None:
            embedded.stop()
        raise
    try:
        audit = AuditStore(paths.data_dir() / "audit.db")
    except AuditUnavailableError as error:  # nothing may happen unrecorded: the client does not start
        client.close()
        if embedded is not None:
            embedded.stop()
        raise StartupError(str(error)) from error
    queue_file = paths.data_dir() / "offline_queue.db"
    try:
        queue = OfflineQueue(queue_file)
    except sqlite3.Error as error:  # the offline procedure would have nowhere to keep its remittances
        audit.close()
        client.close()
        if embedded is not None:
            embedded.stop()
        raise StartupError(
            f"The offline queue {queue_file} cannot be opened ({error}). Call IT: the disk may be full or "
            "read-only."
        ) from error
    late_risks: list[LateRisk] = []
    delivery = DeliveryWorker(
        audit,
        client.deliver_audit_record,
        client.screen,
        queue,
        settings.audit_send_interval_seconds,
        settings.audit_retention_days,
        late_risks.append,
    )
    if start_delivery:
        delivery.start()
    return Runtime(
        settings,
        url,
        client,
        audit,
        queue,
        delivery,
        embedded is not None,
        demo_accounts,
        late_risks,
        embedded,
    )


def _service_client(settings: Settings, url: str, key: str) -> ServiceClient:
    try:
        passphrase = credentials.certificate_passphrase(settings.client_certificate)
        return ServiceClient(url, key, settings, passphrase)
    except credentials.CredentialError as error:
        raise StartupError(f"{error}. Ask IT to check the Windows Credential Manager.") from error
    except InsecureServiceUrlError as error:
        raise StartupError(f"{error}: ask IT to set an https:// service_url.") from error
    except OSError as error:  # ssl.SSLError too: a missing client certificate, a wrong passphrase
        raise StartupError(
            f"The client certificate {settings.client_certificate} or its key "
            f"{settings.client_certificate_key} cannot be used ({error}). Ask IT to check the files "
            "and the passphrase stored in the Windows Credential Manager."
        ) from error
