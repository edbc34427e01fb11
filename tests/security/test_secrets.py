"""Secrets and personal data at rest, after a realistic session of the real client and service.

IT issues a terminal key and enrolls the terminal (`main.py enroll`), the client certificate's
passphrase is in the keyring, the service runs over mutual TLS, and a teller works through the
window: a wrong password, a sign-in, an allowed remittance, a hold approved by a supervisor, the
screen locked and unlocked, an account reported, a remittance sent by the offline procedure and
screened later, sign-out. Client and service log at DEBUG, and a crash file is written mid-session.

Then every file either side wrote (settings, logs, crash files, the audit store, the offline queue,
the temp folder, the service's log and database) is read as bytes: no terminal key, password,
session or approval token, or certificate passphrase may be in any of them. Account numbers, ID
numbers and names may appear in logs and the audit trail only masked (docs/security.md says why
the service's own screening records keep them).
"""

import faulthandler
import gc
import io
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

import main
from screening_service.database import make_engine
from screening_service.schema import audit_records, screenings
from teller_client import credentials, paths
from teller_client.contract import SessionGrant
from teller_client.desk import Desk
from teller_client.logs import stop_logging
from teller_client.runtime import open_runtime
from teller_client.settings import load_settings
from tests.conftest import MemoryKeyring
from tests.security.test_tls import Pair, make_pki, start_tls_service
from tests.service.conftest import PROJECT_ROOT, ServiceProcess, seeded
from tests.ui.test_teller_flow import CLEAN, PEER_LISTED, identify, key_remittance
from ui import crash, tasks
from ui.i18n import Translations
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow
from ui.unavailable_dialog import UnavailableDialog

TIMEOUT_MS = 20_000
TELLER_PASSWORD = "teller-demo-1"
SUPERVISOR_PASSWORD = "super-demo-1"
WRONG_PASSWORD = "wrong-Pw-4417-guess"
CERT_PASSPHRASE = "client-key-passphrase-8c2e41"
PAYER = "6222020200112233446"
REPORTED = ("6214830012341234120", "周杰")
CUSTOMER_NAME = "赵敏"  # tests.ui.test_teller_flow.identify keys this name


@dataclass
class Session:
    """What the session produced: the secrets that were in play, and the personal data keyed."""

    terminal_key: str
    tokens: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    client_folders: list[Path] = field(default_factory=list)
    service: ServiceProcess | None = None

    def secrets(self) -> dict[str, str]:
        found = {
            "terminal key": self.terminal_key,
            "terminal key secret": self.terminal_key.split("_", 2)[2],
            "teller password": TELLER_PASSWORD,
            "supervisor password": SUPERVISOR_PASSWORD,
            "wrong password": WRONG_PASSWORD,
            "certificate passphrase": CERT_PASSPHRASE,
        }
        found.update({f"token {number}": token for number, token in enumerate(self.tokens)})
        return found

    def personal_data(self) -> dict[str, str]:
        data = {
            "payer account": PAYER,
            "payee account (allowed)": CLEAN[0],
            "payee account (held)": PEER_LISTED[0],
            "reported account": REPORTED[0],
            "customer name": CUSTOMER_NAME,
            "payee name (allowed)": CLEAN[1],
            "payee name (held)": PEER_LISTED[1],
        }
        data.update({f"ID number {number}": value for number, value in enumerate(self.id_numbers)})
        return data


def forms(text: str) -> list[bytes]:
    """How a text can sit in a file: UTF-8 (SQLite, logs, TOML) or UTF-16 (Windows APIs, Qt)."""
    return [text.encode("utf-8"), text.encode("utf-16-le")]


def files_under(folders: Iterable[Path]) -> list[Path]:
    return sorted(
        {path for folder in folders if folder.exists() for path in folder.rglob("*") if path.is_file()}
    )


def where(needles: dict[str, str], files: Iterable[Path]) -> dict[str, list[str]]:
    """{label: [files holding it]} for every needle found in any form."""
    found: dict[str, list[str]] = {}
    for path in files:
        data = path.read_bytes()
        for label, text in needles.items():
            if any(form in data for form in forms(text)):
                found.setdefault(label, []).append(str(path))
    return found


# ================================================================ the session


def issue_terminal_key(database_url: str) -> str:
    issued = subprocess.run(
        [sys.executable, "-m", "screening_service", "issue-terminal-key", "--terminal", "BJ0101-C09",
         "--branch", "BJ0101", "--database", database_url],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    key = issued.stdout.strip()
    assert key.startswith("cgk_"), issued.stderr
    return key


def click(qtbot: QtBot, button: QWidget | None) -> None:
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def dialog_after_submit(window: TellerWindow, qtbot: QtBot) -> QWidget:
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    dialog = opened.args[0]
    assert isinstance(dialog, QWidget)
    return dialog


def work_through_the_counter(window: TellerWindow, qtbot: QtBot, session: Session) -> None:
    page = window.sign_in_page
    page.teller_id.setText("T1001")
    page.password.setText(WRONG_PASSWORD)
    click(qtbot, page.sign_in_button)
    qtbot.waitUntil(lambda: "wrong" in page.error.text(), timeout=TIMEOUT_MS)
    page.password.setText(TELLER_PASSWORD)
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS):
        click(qtbot, page.sign_in_button)
    assert window.page == "work"

    # An allowed remittance completes by itself.
    session.id_numbers.append(identify(window, qtbot))
    key_remittance(window, CLEAN)
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.keyClick(window.form.purpose.editor, Qt.Key.Key_Return)
    assert recorded.args == ["proceed"]

    # A hold, released by a supervisor's password.
    window.new_customer()
    session.id_numbers.append(identify(window, qtbot, 1979))
    key_remittance(window, PEER_LISTED, "还款")
    hold = dialog_after_submit(window, qtbot)
    assert isinstance(hold, RiskWarningDialog) and hold.screening.decision == "hold"
    for check in hold.question_checks.values():
        check.setChecked(True)
    for answer in hold.question_answers.values():
        answer.setText("同事，借款周转")
    hold.note.setPlainText("客户坚持办理，已提示风险")
    hold.supervisor_id.setText("S2001")
    hold.supervisor_password.setText(SUPERVISOR_PASSWORD)
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        click(qtbot, hold.proceed_button)
    assert recorded.args == ["proceed"]

    # Locked and unlocked with the password.
    window.lock()
    window.lock_page.password.setText(TELLER_PASSWORD)
    with qtbot.waitSignal(window.sig_page_changed, timeout=TIMEOUT_MS):
        qtbot.keyClick(window.lock_page.password, Qt.Key.Key_Return)
    assert window.page == "work"

    # An account reported.
    window.open_report()
    report = window.findChild(QWidget, "reportAccount")
    assert report is not None
    fields = report.findChildren(QLineEdit)
    fields[0].setText(REPORTED[0])
    fields[1].setText(REPORTED[1])
    report_description = report.findChild(QPlainTextEdit, "reportDescription")
    assert report_description is not None
    report_description.setPlainText("客户称对方冒充公安要求转账")
    with qtbot.waitSignal(report.finished, timeout=TIMEOUT_MS):
        report.buttons.accepted.emit()  # type: ignore[attr-defined]

    # The service unreachable: the offline procedure; screened once the service is back.
    window.new_customer()
    session.id_numbers.append(identify(window, qtbot, 1990))
    key_remittance(window, CLEAN, "生活费")
    url = window.desk.runtime.client.base_url
    window.desk.runtime.client.base_url = "https://127.0.0.1:9"
    unavailable = dialog_after_submit(window, qtbot)
    assert isinstance(unavailable, UnavailableDialog)
    unavailable.supervisor_id.setText("S2002")
    unavailable.offline_note.setText("中心服务中断，主管批准")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        click(qtbot, unavailable.offline_button)
    assert recorded.args == ["offline"]
    window.desk.runtime.client.base_url = url
    window.desk.runtime.delivery.wake()

    # A crash report, as faulthandler writes one, while the delivery thread works.
    fault_file = crash._state["fault_file"]
    faulthandler.dump_traceback(fault_file, all_threads=True)
    fault_file.flush()

    # Screened with the teller's session once the service answers again (a signed-out terminal
    # cannot screen it: the service takes screenings only within a teller's session).
    runtime = window.desk.runtime
    qtbot.waitUntil(lambda: runtime.offline_queue.pending() == [], timeout=TIMEOUT_MS)
    window.sign_out()
    qtbot.waitUntil(lambda: runtime.audit.backlog() == 0, timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def finished_session(
    request: pytest.FixtureRequest, qapp: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    """Runs the whole session once for the module; the tests read what it left behind."""
    with pytest.MonkeyPatch.context() as patch:
        yield from _run_session(QtBot(request), tmp_path_factory, patch)


def _run_session(
    qtbot: QtBot, tmp_path_factory: pytest.TempPathFactory, patch: pytest.MonkeyPatch
) -> Iterator[Session]:
    root = tmp_path_factory.mktemp("secrets")
    data, temp, service_folder = root / "data", root / "temp", root / "service"
    for folder in (data, temp, service_folder):
        folder.mkdir()
    patch.setenv("COUNTERGUARD_DATA_DIR", str(data))
    for variable in ("TMPDIR", "TEMP", "TMP"):
        patch.setenv(variable, str(temp))
    patch.setattr(tempfile, "tempdir", str(temp))
    pki = make_pki(tmp_path_factory.mktemp("secrets-pki"))
    patch.setenv("SSL_CERT_FILE", str(pki.trusted_file))
    for variable in ("SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        patch.delenv(variable, raising=False)
    previous_keyring = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())

    database = f"sqlite:///{service_folder / 'screening.db'}"
    seeded(database)
    terminal_key = issue_terminal_key(database)
    session = Session(terminal_key, client_folders=[data, temp])
    server: Pair = pki.leaf("service", "127.0.0.1", "localhost")
    client: Pair = pki.leaf("client", "bj0101-c09.terminals.bank.example", passphrase=CERT_PASSPHRASE)
    service = start_tls_service(
        database, service_folder, server, "--tls-client-ca", str(pki.trusted_file), log_level="DEBUG"
    )
    session.service = service
    app_objects: list[Any] = []
    try:
        # IT: the site file names the certificate; the passphrase goes to the keyring; enroll the key.
        site = paths.site_config_file()
        site.parent.mkdir(parents=True, exist_ok=True)
        site.write_text(
            f'client_certificate = "{client.certificate}"\nclient_certificate_key = "{client.key}"\n'
            'log_level = "DEBUG"\naudit_send_interval_seconds = 0.2\nlanguage = "en"\n',
            encoding="utf-8",
        )
        credentials.store_certificate_passphrase(str(client.certificate), CERT_PASSPHRASE)
        patch.setattr("sys.stdin", io.StringIO(terminal_key + "\n"))
        assert main.main(["enroll", "--service", service.url, "--key-stdin"]) == 0

        crash.install(paths.log_dir())
        settings = replace(load_settings(), minimum_reading_seconds=0)
        assert settings.service_url == service.url and settings.log_level == "DEBUG"
        runtime = open_runtime(settings)
        original_sign_in = runtime.client.sign_in

        def remembering_sign_in(teller_id: str, password: str, purpose: str = "session") -> Any:
            grant = original_sign_in(teller_id, password, purpose)
            if isinstance(grant, SessionGrant):
                session.tokens.append(grant.token)
            return grant

        patch.setattr(runtime.client, "sign_in", remembering_sign_in)
        translations = Translations()
        translations.apply("en")
        window = TellerWindow(Desk(runtime), translations)
        app_objects += [runtime, window]
        window.resize(1366, 768)
        window.show()
        work_through_the_counter(window, qtbot, session)
        assert len(session.tokens) == 3  # sign-in, the supervisor's approval, unlock
        tasks.wait_for_all()
        window.close()
        runtime.close()
        app_objects.clear()
        yield session
    finally:
        for leftover in app_objects:
            leftover.close()
        # A few keep-alive connections are left to the garbage collector after the client closes;
        # until they are collected the service waits for them at shutdown (15 s).
        gc.collect()
        stop_logging()
        crash.uninstall()
        service.stop()
        keyring.set_keyring(previous_keyring)


# ================================================================ what was left behind


def written_files(session: Session) -> list[Path]:
    assert session.service is not None
    return files_under([*session.client_folders, session.service.log_path.parent])


def test_the_session_wrote_what_the_scan_reads(finished_session: Session) -> None:
    """The scan is not vacuous: the files are there, and it finds what must be in them."""
    names = {path.name for path in written_files(finished_session)}
    assert {"counterguard.toml", "audit.db", "offline_queue.db", "network.log", "app.log"} <= names
    assert any(name.startswith("screening.db") for name in names)
    assert any(name.endswith(".log") and name.startswith("tls-service-") for name in names)
    data = written_files(finished_session)
    # The service keeps full payee accounts in its screening records by design (docs/security.md).
    assert where({"payee": PEER_LISTED[0]}, [path for path in data if path.name.startswith("screening.db")])
    assert where({"terminal": "BJ0101-C09"}, [path for path in data if path.name == "counterguard.toml"])


def test_no_key_password_token_or_passphrase_in_any_file(finished_session: Session) -> None:
    leaks = where(finished_session.secrets(), written_files(finished_session))
    assert leaks == {}


def test_logs_hold_no_account_id_number_or_name_in_full(finished_session: Session) -> None:
    logs = [path for path in written_files(finished_session) if ".log" in path.name]
    assert len(logs) >= 3
    assert where(finished_session.personal_data(), logs) == {}
    # ... and the masked forms are there, so the log still says which remittance it was.
    text = "".join(path.read_text(encoding="utf-8", errors="replace") for path in logs)
    assert "6214 **** **** 4120" in text or "****4120" in text


def test_the_audit_trail_holds_personal_data_only_masked(finished_session: Session) -> None:
    client_audit = [path for path in written_files(finished_session) if path.name.startswith("audit.db")]
    assert client_audit
    assert where(finished_session.personal_data(), client_audit) == {}
    assert finished_session.service is not None
    engine = make_engine(finished_session.service.database_url)
    with engine.connect() as connection:
        delivered = [row.payload_json for row in connection.execute(select(audit_records))]
        screened = list(
            connection.execute(select(screenings.c.customer_id_masked, screenings.c.payee_account))
        )
    engine.dispose()
    assert len(delivered) >= 10
    for payload in delivered:
        for label, value in finished_session.personal_data().items():
            assert value not in payload, (label, payload)
    # The masked forms the investigation works from: ID numbers and payees, joined on screening_id.
    assert {row.customer_id_masked for row in screened} >= {
        "*" * 14 + number[-4:] for number in finished_session.id_numbers
    }


def test_the_offline_queue_keeps_nothing_once_the_remittance_is_screened(finished_session: Session) -> None:
    queue = [path for path in written_files(finished_session) if path.name.startswith("offline_queue.db")]
    assert queue
    assert where({"ID": finished_session.id_numbers[-1], "payer": PAYER}, queue) == {}


def test_settings_files_hold_no_secret(finished_session: Session) -> None:
    configs = [path for path in written_files(finished_session) if path.suffix == ".toml"]
    assert len(configs) == 2  # the site file (IT) and the user file written by enroll
    assert where(finished_session.secrets(), configs) == {}
