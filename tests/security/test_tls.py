"""TLS between the client and the service: plain http only on this computer, every bad certificate
refused (unknown CA, expired, another host name), mutual TLS, and the developer flag that turns
verification off only from the command line and marks every screen.

The service runs as a real process serving HTTPS (`serve --tls-certificate/--tls-key`) with
certificates from trustme. The client verifies through truststore, which on Linux reads OpenSSL's
default paths: SSL_CERT_FILE pointing at the test CA makes that CA "the bank's CA in the OS store".
"""

import dataclasses
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

import main
from screening_service.database import make_engine
from screening_service.demo import DemoSeed
from screening_service.schema import screenings
from teller_client import credentials
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import Desk
from teller_client.runtime import Runtime, StartupError, open_runtime
from teller_client.service_client import FailureReason, InsecureServiceUrlError, ServiceClient, ServiceFailure
from teller_client.settings import Settings, SettingsError, load_settings
from tests.service.conftest import (
    PROJECT_ROOT,
    STARTUP_SECONDS,
    ServiceProcess,
    free_port,
    remittance,
    seeded,
)
from ui import tasks
from ui.i18n import Translations
from ui.kiosk_window import KioskWindow
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow
from ui.unavailable_dialog import UnavailableDialog
from ui.widgets import TlsWarningBanner

TIMEOUT_MS = 15_000
CERT_PASSPHRASE = "pass-for-the-client-key-71f3"
# A TLS failure is not retried: it comes back at once, well inside any retry budget.
TLS_FAILURE_SECONDS = 2.0


# ================================================================ certificates and a TLS service


@dataclasses.dataclass(frozen=True)
class Pair:
    certificate: Path
    key: Path


@dataclasses.dataclass(frozen=True)
class Pki:
    """A trusted CA (the bank's, in the "OS store" via SSL_CERT_FILE) and an untrusted one."""

    folder: Path
    trusted: trustme.CA
    untrusted: trustme.CA

    @property
    def trusted_file(self) -> Path:
        return self.folder / "trusted-ca.pem"

    def leaf(
        self,
        name: str,
        *identities: str,
        ca: trustme.CA | None = None,
        not_after: datetime | None = None,
        passphrase: str | None = None,
    ) -> Pair:
        issued = (ca or self.trusted).issue_cert(*identities, not_after=not_after)
        pair = Pair(self.folder / f"{name}.pem", self.folder / f"{name}.key")
        for blob in issued.cert_chain_pems:
            with pair.certificate.open("ab") as chain:
                chain.write(blob.bytes())
        key = issued.private_key_pem.bytes()
        if passphrase is not None:
            loaded = serialization.load_pem_private_key(key, None)
            key = loaded.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(passphrase.encode()),
            )
        pair.key.write_bytes(key)
        return pair


def make_pki(folder: Path) -> Pki:
    pki = Pki(folder, trustme.CA(organization_name="Test Bank CA"), trustme.CA(organization_name="Intruder"))
    pki.trusted.cert_pem.write_to_path(str(pki.trusted_file))
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def start_tls_service(
    database_url: str, folder: Path, pair: Pair, *extra: str, log_level: str = "INFO"
) -> ServiceProcess:
    """`serve` over HTTPS on a free loopback port; ready once it accepts connections (bounded wait)."""
    port = free_port()
    log_path = folder / f"tls-service-{port}.log"
    log_file = log_path.open("w")
    command = [
        sys.executable, "-m", "screening_service", "--log-level", log_level,
        "serve", "--host", "127.0.0.1", "--port", str(port),
        "--database", database_url, "--tls-certificate", str(pair.certificate), "--tls-key", str(pair.key),
        *extra,
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    service = ServiceProcess(f"https://127.0.0.1:{port}", database_url, process, log_path, log_file)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:  # uvicorn loads the app before it binds: accepting means ready
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}:\n{service.log()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return service
        except OSError:
            pass
        if time.monotonic() > deadline:
            service.stop()
            raise RuntimeError(f"service did not listen within {STARTUP_SECONDS} s:\n{service.log()}")
        time.sleep(0.05)


@dataclasses.dataclass
class TlsServices:
    """One demo database; a service process per certificate case, started when first asked for."""

    pki: Pki
    folder: Path
    database_url: str
    seed: DemoSeed
    started: dict[str, ServiceProcess] = dataclasses.field(default_factory=dict)

    def get(self, case: str) -> ServiceProcess:
        if case not in self.started:
            self.started[case] = start_tls_service(self.database_url, self.folder, *self._arguments(case))
        return self.started[case]

    def _arguments(self, case: str) -> tuple[Pair, *tuple[str, ...]]:
        pki = self.pki
        local = ("127.0.0.1", "localhost")
        if case == "valid":
            return (pki.leaf(case, *local),)
        if case == "unknown_ca":
            return (pki.leaf(case, *local, ca=pki.untrusted),)
        if case == "expired":
            return (pki.leaf(case, *local, not_after=datetime.now(UTC) - timedelta(days=1)),)
        if case == "wrong_host":
            return (pki.leaf(case, "screening.intruder.example"),)
        if case == "mutual":
            return (pki.leaf(case, *local), "--tls-client-ca", str(pki.trusted_file))
        raise ValueError(case)

    def screenings_count(self) -> int:
        engine = make_engine(self.database_url)
        with engine.connect() as connection:
            count = int(connection.execute(select(func.count()).select_from(screenings)).scalar_one())
        engine.dispose()
        return count

    def stop(self) -> None:
        for process in self.started.values():
            process.stop()


@pytest.fixture(scope="module")
def tls(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServices]:
    folder = tmp_path_factory.mktemp("tls-services")
    database = f"sqlite:///{folder / 'screening.db'}"
    services = TlsServices(pki, folder, database, seeded(database))
    yield services
    services.stop()


@pytest.fixture(autouse=True)
def trust_the_test_ca(pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    """The test CA is the only CA the client trusts (nothing else from the environment)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.trusted_file))
    for variable in ("SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(variable, raising=False)


def settings_for(url: str, **extra: str) -> Settings:
    return load_settings({"service_url": url, "retry_budget_seconds": "2", "language": "en", **extra})


@pytest.fixture
def make_client() -> Iterator[Callable[..., ServiceClient]]:
    clients: list[ServiceClient] = []

    def make(url: str, key: str, passphrase: str | None = None, **extra: str) -> ServiceClient:
        client = ServiceClient(url, key, settings_for(url, **extra), passphrase)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def localhost(url: str) -> str:
    return url.replace("127.0.0.1", "localhost")


# ================================================================ plain http: only to this computer


@pytest.mark.parametrize(
    "url",
    ["http://10.20.30.40:8470", "http://screening.bank.example", "http://192.168.1.5", "http://[fe80::1]:80"],
)
def test_plain_http_to_another_computer_is_refused_by_the_settings(url: str, tmp_path: Path) -> None:
    site = tmp_path / "site.toml"
    site.write_text(f'service_url = "{url}"\n', encoding="utf-8")
    for origin, attempt in (
        (str(site), lambda: load_settings({}, {}, site, tmp_path / "none.toml")),
        (
            "environment COUNTERGUARD_*",
            lambda: load_settings({}, {"COUNTERGUARD_SERVICE_URL": url}, tmp_path / "none", tmp_path / "n2"),
        ),
        ("command line", lambda: load_settings({"service_url": url}, {}, tmp_path / "none", tmp_path / "n2")),
    ):
        with pytest.raises(SettingsError) as refused:
            attempt()
        message = str(refused.value)
        assert origin in message  # where the value came from, so IT knows what to fix
        assert f"service_url = {url!r} is plain http to another computer" in message
        assert "use https://" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8470",
        "http://127.8.9.10:8470",
        "http://localhost:8470",
        "http://LOCALHOST",
        "http://[::1]:8470",
        "https://screening.bank.example:8443",
        "https://10.20.30.40",
    ],
)
def test_https_anywhere_and_plain_http_on_this_computer_are_allowed(url: str, tmp_path: Path) -> None:
    settings = load_settings({"service_url": url}, {}, tmp_path / "none", tmp_path / "none2")
    assert settings.service_url == url
    ServiceClient(url, "cgk_key", settings).close()


@pytest.mark.parametrize(
    "url", ["http://10.20.30.40:8470", "http://screening.bank.example", "ftp://x.example"]
)
def test_the_service_client_itself_refuses_plain_http_to_another_computer(url: str, tmp_path: Path) -> None:
    # Defence in depth: settings that went round the check (replace) still cannot send a key in clear.
    settings = dataclasses.replace(
        load_settings({}, {}, tmp_path / "none", tmp_path / "none2"), service_url=url
    )
    with pytest.raises(InsecureServiceUrlError, match="only https://"):
        ServiceClient(url, "cgk_key", settings)


class _Recorder(BaseHTTPRequestHandler):
    """Answers every request; keeps what it received (headers included)."""

    received: list[dict[str, str]]

    def do_GET(self) -> None:
        type(self).received.append(dict(self.headers.items()))
        self.answer()

    do_POST = do_GET  # noqa: N815 - http.server's name

    def answer(self) -> None:
        raise NotImplementedError

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads what was received instead."""


def serve(handler: type[_Recorder]) -> tuple[ThreadingHTTPServer, threading.Thread]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread


def test_a_redirect_is_not_followed_so_the_key_goes_nowhere_else(
    make_client: Callable[..., ServiceClient],
) -> None:
    class Elsewhere(_Recorder):
        received: list[dict[str, str]] = []  # noqa: RUF012 - one list per test class

        def answer(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status": "ok", "terminal_id": "X"}')

    elsewhere, elsewhere_thread = serve(Elsewhere)
    target = f"http://localhost:{elsewhere.server_address[1]}"

    class Redirecting(_Recorder):
        received: list[dict[str, str]] = []  # noqa: RUF012 - one list per test class

        def answer(self) -> None:
            self.send_response(307)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

    redirecting, redirecting_thread = serve(Redirecting)
    try:
        client = make_client(f"http://127.0.0.1:{redirecting.server_address[1]}", "cgk_redirect_secret")
        for outcome in (client.health(), client.screen(remittance(), uuid.uuid4().hex)):
            assert isinstance(outcome, ServiceFailure)
            assert outcome.reason is FailureReason.BAD_RESPONSE and "redirected (HTTP 307)" in outcome.detail
        assert len(Redirecting.received) == 2
        assert Elsewhere.received == []  # the key never reached the other host
    finally:
        for server, thread in ((redirecting, redirecting_thread), (elsewhere, elsewhere_thread)):
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)


# ================================================================ certificates


def test_a_valid_certificate_from_the_trusted_ca_works(
    tls: TlsServices, make_client: Callable[..., ServiceClient]
) -> None:
    service = tls.get("valid")
    for url in (service.url, localhost(service.url)):
        client = make_client(url, tls.seed.counter_key)
        health = client.health()
        assert not isinstance(health, ServiceFailure), health
        assert health["terminal_id"] == tls.seed.counter_terminal_id
        grant = client.sign_in("T1001", "teller-demo-1")
        assert isinstance(grant, SessionGrant)
        result = client.screen(remittance(), uuid.uuid4().hex)
        assert isinstance(result, ScreeningResult) and result.decision == "allow"


@pytest.mark.parametrize("case", ["unknown_ca", "expired", "wrong_host"])
def test_a_bad_certificate_fails_closed_as_tls(
    case: str, tls: TlsServices, make_client: Callable[..., ServiceClient]
) -> None:
    service = tls.get(case)
    before = tls.screenings_count()
    client = make_client(service.url, tls.seed.counter_key)
    started = time.monotonic()
    outcomes = [
        client.health(),
        client.sign_in("T1001", "teller-demo-1"),
        client.screen(remittance(), uuid.uuid4().hex),
    ]
    elapsed = time.monotonic() - started
    for outcome in outcomes:
        assert isinstance(outcome, ServiceFailure), outcome
        assert outcome.reason is FailureReason.TLS, outcome
        assert "certificate verify failed" in outcome.detail
    assert client.session_token is None
    assert elapsed < TLS_FAILURE_SECONDS * len(outcomes)
    # Nothing crossed: the request died in the handshake, before the service saw a byte of it.
    assert tls.screenings_count() == before


def test_the_wrong_host_certificate_is_named_in_the_failure(
    tls: TlsServices, make_client: Callable[..., ServiceClient]
) -> None:
    outcome = make_client(tls.get("wrong_host").url, tls.seed.counter_key).health()
    assert isinstance(outcome, ServiceFailure) and outcome.reason is FailureReason.TLS
    assert "IP address mismatch" in outcome.detail or "Hostname mismatch" in outcome.detail


# ================================================================ mutual TLS


@pytest.fixture(scope="module")
def client_pairs(pki: Pki) -> dict[str, Pair]:
    return {
        "good": pki.leaf("client-good", "bj0101-c01.terminals.bank.example", passphrase=CERT_PASSPHRASE),
        "foreign": pki.leaf("client-foreign", "bj0101-c01.terminals.bank.example", ca=pki.untrusted),
    }


def mutual_settings(pair: Pair) -> dict[str, str]:
    return {"client_certificate": str(pair.certificate), "client_certificate_key": str(pair.key)}


def test_mutual_tls_with_the_certificate_and_its_passphrase_from_the_keyring(
    tls: TlsServices, client_pairs: dict[str, Pair], isolated_data_dir: Path
) -> None:
    service = tls.get("mutual")
    good = client_pairs["good"]
    credentials.store_terminal_key(service.url, tls.seed.counter_key)
    credentials.store_certificate_passphrase(str(good.certificate), CERT_PASSPHRASE)
    runtime = open_runtime(settings_for(service.url, **mutual_settings(good)), start_delivery=False)
    try:
        health = runtime.client.health()
        assert not isinstance(health, ServiceFailure), health
        assert isinstance(runtime.client.sign_in("T1001", "teller-demo-1"), SessionGrant)
    finally:
        runtime.close()


@pytest.mark.parametrize("certificate", ["none", "foreign"])
def test_mutual_tls_without_an_accepted_client_certificate_gets_no_answer(
    certificate: str,
    tls: TlsServices,
    client_pairs: dict[str, Pair],
    make_client: Callable[..., ServiceClient],
) -> None:
    service = tls.get("mutual")
    before = tls.screenings_count()
    extra = mutual_settings(client_pairs["foreign"]) if certificate == "foreign" else {}
    client = make_client(service.url, tls.seed.counter_key, **extra)
    for outcome in (client.health(), client.screen(remittance(), uuid.uuid4().hex)):
        assert isinstance(outcome, ServiceFailure), outcome
        # TLS 1.3: the server refuses the certificate after the client's side of the handshake, so
        # the client may see it as a TLS alert or as a connection closed on the first read.
        assert outcome.reason in (FailureReason.TLS, FailureReason.REFUSED), outcome
    assert tls.screenings_count() == before


def test_a_wrong_or_missing_passphrase_stops_start_up_with_a_clear_message(
    tls: TlsServices, client_pairs: dict[str, Pair], isolated_data_dir: Path
) -> None:
    service = tls.get("mutual")
    good = client_pairs["good"]
    credentials.store_terminal_key(service.url, tls.seed.counter_key)
    settings = settings_for(service.url, **mutual_settings(good))
    for stored in (None, "not-the-passphrase"):
        if stored is not None:
            credentials.store_certificate_passphrase(str(good.certificate), stored)
        with pytest.raises(StartupError, match=r"client certificate .* cannot be used"):
            open_runtime(settings, start_delivery=False)


def test_enroll_against_a_mutual_tls_service_uses_the_stored_passphrase(
    tls: TlsServices,
    client_pairs: dict[str, Pair],
    isolated_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    service = tls.get("mutual")
    good = client_pairs["good"]
    site = isolated_data_dir / "site" / "counterguard.toml"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text(
        f'client_certificate = "{good.certificate}"\nclient_certificate_key = "{good.key}"\n',
        encoding="utf-8",
    )
    credentials.store_certificate_passphrase(str(good.certificate), CERT_PASSPHRASE)
    monkeypatch.setattr("sys.stdin", io.StringIO(tls.seed.counter_key + "\n"))
    assert main.main(["enroll", "--service", service.url, "--key-stdin"]) == 0, capsys.readouterr().err
    assert credentials.terminal_key(service.url) == tls.seed.counter_key


# ================================================================ the developer flag


def test_the_developer_flag_is_accepted_only_on_the_command_line(tmp_path: Path) -> None:
    site, user = tmp_path / "site.toml", tmp_path / "user.toml"
    for path in (site, user):
        path.write_text("developer_insecure_tls = true\n", encoding="utf-8")
        with pytest.raises(SettingsError, match=f"^{path}: developer_insecure_tls can only be given on"):
            load_settings(
                {}, {}, site if path == site else tmp_path / "none", user if path == user else tmp_path / "x"
            )
        path.unlink()
    with pytest.raises(SettingsError, match=r"^environment COUNTERGUARD_\*: developer_insecure_tls can only"):
        load_settings({}, {"COUNTERGUARD_DEVELOPER_INSECURE_TLS": "true"}, site, user)
    assert not load_settings({}, {}, site, user).developer_insecure_tls
    assert load_settings({"developer_insecure_tls": "true"}, {}, site, user).developer_insecure_tls
    parsed = main.build_parser().parse_args(["--developer-insecure-tls"])
    assert main.command_line_settings(parsed) == {"developer_insecure_tls": "true"}
    assert "developer_insecure_tls" not in main.command_line_settings(main.build_parser().parse_args([]))


@pytest.mark.parametrize("case", ["unknown_ca", "wrong_host"])
def test_only_the_developer_flag_lets_the_client_talk_to_an_unverified_service(
    case: str, tls: TlsServices, make_client: Callable[..., ServiceClient]
) -> None:
    service = tls.get(case)
    refused = make_client(service.url, tls.seed.counter_key).health()
    assert isinstance(refused, ServiceFailure) and refused.reason is FailureReason.TLS
    insecure = make_client(service.url, tls.seed.counter_key, developer_insecure_tls="true")
    health = insecure.health()
    assert not isinstance(health, ServiceFailure), health
    assert health["terminal_id"] == tls.seed.counter_terminal_id


# ---------------------------------------------------------------- the banner on every screen


@pytest.fixture
def translations() -> Translations:
    applied = Translations()
    applied.apply("en")
    return applied


def open_window(qtbot: QtBot, settings: Settings, translations: Translations) -> tuple[Runtime, TellerWindow]:
    runtime = open_runtime(settings, start_delivery=False)
    window = TellerWindow(Desk(runtime), translations)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return runtime, window


def close_window(runtime: Runtime, window: TellerWindow) -> None:
    tasks.wait_for_all()
    window.session = None
    window.close()
    runtime.close()


def banner_shown_on(widget: QWidget) -> bool:
    banners = [
        banner for banner in widget.findChildren(TlsWarningBanner) if banner.window() is widget.window()
    ]
    return any(banner.isVisible() and "TLS VERIFICATION IS OFF" in banner.text() for banner in banners)


def sign_in(window: TellerWindow, qtbot: QtBot) -> None:
    window.sign_in_page.teller_id.setText("T1001")
    window.sign_in_page.password.setText("teller-demo-1")
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.sign_in_page.password, Qt.Key.Key_Return)
    assert window.page == "work"


def identify_and_key(window: TellerWindow, qtbot: QtBot, purpose: str) -> None:
    from tests.ui.test_teller_flow import CLEAN, identify, key_remittance

    identify(window, qtbot)
    key_remittance(window, CLEAN, purpose)


def screen_until_dialog(window: TellerWindow, qtbot: QtBot) -> QWidget:
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    dialog = opened.args[0]
    assert isinstance(dialog, QWidget)
    return dialog


def test_with_the_flag_every_teller_screen_shows_the_red_banner(
    tls: TlsServices,
    qtbot: QtBot,
    translations: Translations,
    isolated_data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = tls.get("unknown_ca")  # self-signed as far as the client knows
    credentials.store_terminal_key(service.url, tls.seed.counter_key)
    settings = dataclasses.replace(
        settings_for(service.url, developer_insecure_tls="true"), minimum_reading_seconds=0
    )
    with caplog.at_level(logging.WARNING, logger="counterguard.app"):
        runtime, window = open_window(qtbot, settings, translations)
    assert any("TLS certificate verification is OFF" in record.getMessage() for record in caplog.records)
    try:
        assert window.page == "sign_in" and banner_shown_on(window)
        sign_in(window, qtbot)  # the flag lets it through to the self-signed service
        assert banner_shown_on(window)

        identify_and_key(window, qtbot, "刷单返利")
        warning = screen_until_dialog(window, qtbot)
        assert isinstance(warning, RiskWarningDialog) and banner_shown_on(warning)
        with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS):
            qtbot.mouseClick(warning.cancel_button, Qt.MouseButton.LeftButton)

        window.new_customer()
        identify_and_key(window, qtbot, "房租")
        runtime.client.base_url = "https://127.0.0.1:9"  # the service is gone: fail closed
        unavailable = screen_until_dialog(window, qtbot)
        assert isinstance(unavailable, UnavailableDialog) and banner_shown_on(unavailable)
        runtime.client.base_url = service.url
        with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS):
            qtbot.mouseClick(unavailable.cancel_button, Qt.MouseButton.LeftButton)

        window.open_report()
        report = window.findChild(QWidget, "reportAccount")
        assert report is not None and banner_shown_on(report)
        report.reject()  # type: ignore[attr-defined]

        window.lock()
        assert window.page == "lock" and banner_shown_on(window)
    finally:
        close_window(runtime, window)


def test_without_the_flag_no_screen_has_the_banner(
    tls: TlsServices, qtbot: QtBot, translations: Translations, isolated_data_dir: Path
) -> None:
    service = tls.get("valid")
    credentials.store_terminal_key(service.url, tls.seed.counter_key)
    settings = dataclasses.replace(settings_for(service.url), minimum_reading_seconds=0)
    runtime, window = open_window(qtbot, settings, translations)
    try:
        sign_in(window, qtbot)
        identify_and_key(window, qtbot, "刷单返利")
        warning = screen_until_dialog(window, qtbot)
        assert isinstance(warning, RiskWarningDialog)
        assert window.findChildren(TlsWarningBanner) == []
        assert warning.findChildren(TlsWarningBanner) == []
        with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS):
            qtbot.mouseClick(warning.cancel_button, Qt.MouseButton.LeftButton)
    finally:
        close_window(runtime, window)


def test_with_the_flag_the_kiosk_and_its_staff_dialog_show_the_banner(
    tls: TlsServices, qtbot: QtBot, translations: Translations, isolated_data_dir: Path
) -> None:
    service = tls.get("unknown_ca")
    credentials.store_terminal_key(service.url, tls.seed.kiosk_key)
    settings = settings_for(service.url, developer_insecure_tls="true", kiosk="true")
    runtime = open_runtime(settings, start_delivery=False)
    kiosk = KioskWindow(runtime, translations)
    qtbot.addWidget(kiosk)
    kiosk.resize(1920, 1080)
    kiosk.show()
    try:
        assert banner_shown_on(kiosk)
        qtbot.mouseClick(kiosk.lookup_button, Qt.MouseButton.LeftButton)
        assert banner_shown_on(kiosk)
        qtbot.mouseClick(kiosk.staff_button, Qt.MouseButton.LeftButton)
        assert banner_shown_on(kiosk.staff_dialog)
        kiosk.staff_dialog.reject()
        translations.apply("zh-CN")  # the banner follows the language like every other text
        qtbot.waitUntil(
            lambda: any(
                "TLS 证书校验已关闭" in banner.text() for banner in kiosk.findChildren(TlsWarningBanner)
            ),
            timeout=TIMEOUT_MS,
        )
    finally:
        translations.apply("en")
        tasks.wait_for_all()
        kiosk._exit_allowed = True
        kiosk.close()
        runtime.close()


# ---------------------------------------------------------------- what the teller sees


def test_a_wrong_host_certificate_mid_session_shows_screening_unavailable(
    tls: TlsServices, qtbot: QtBot, translations: Translations, isolated_data_dir: Path
) -> None:
    """Signed in over a good certificate; then the traffic reaches a server with a certificate for
    another name (same data behind it, so the session is valid there): nothing is screened."""
    good, intruder = tls.get("valid"), tls.get("wrong_host")
    credentials.store_terminal_key(good.url, tls.seed.counter_key)
    settings = dataclasses.replace(settings_for(good.url), minimum_reading_seconds=0)
    runtime, window = open_window(qtbot, settings, translations)
    before = tls.screenings_count()
    try:
        sign_in(window, qtbot)
        identify_and_key(window, qtbot, "房租")
        runtime.client.base_url = intruder.url
        dialog = screen_until_dialog(window, qtbot)
        assert isinstance(dialog, UnavailableDialog)
        assert dialog.failure.reason is FailureReason.TLS
        assert "NOT been screened" in dialog.banner.text()
        assert "secure connection to the screening service failed" in dialog.explanation.text()
        assert window.transactions.rowCount() == 0  # nothing looks allowed
        assert tls.screenings_count() == before
        kinds = [record.kind for record in runtime.audit.records()]
        assert kinds[-1] == "screening_unavailable"
        assert json.loads(runtime.audit.records()[-1].payload)["reason"] == "tls"
    finally:
        close_window(runtime, window)


def test_a_bad_certificate_at_sign_in_keeps_the_teller_out(
    tls: TlsServices, qtbot: QtBot, translations: Translations, isolated_data_dir: Path
) -> None:
    service = tls.get("expired")
    credentials.store_terminal_key(service.url, tls.seed.counter_key)
    runtime, window = open_window(qtbot, settings_for(service.url), translations)
    try:
        page = window.sign_in_page
        page.teller_id.setText("T1001")
        page.password.setText("teller-demo-1")
        qtbot.mouseClick(page.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "cannot be used right now (tls)" in page.error.text(), timeout=TIMEOUT_MS)
        assert window.page == "sign_in" and page.password.text() == ""
        assert runtime.client.session_token is None
    finally:
        close_window(runtime, window)
