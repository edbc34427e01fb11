"""The audit log's disk full or read-only: the client refuses to go on, says why, writes nothing by halves.

The order that keeps the record whole (teller_client/desk.py): every step is committed to the audit
log before it is sent, and a result or an acceptance is committed before it is shown. So when the
log refuses a write, nothing goes to the service as a decision the log lacks, and the teller never
sees "done" for something unrecorded.

The faults are real: the data folder on a tmpfs of its own filled to the last byte (ENOSPC), the
audit files made immutable (chattr +i: the kernel refuses each write, also on open descriptors),
a read-only mount at start-up, and in a child process a file size limit (RLIMIT_FSIZE), which needs
no privileges.
"""

import dataclasses
import json
import sqlite3
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from screening_service.schema import acknowledgements, screenings
from teller_client import credentials
from teller_client.audit import AuditStore, AuditUnavailableError
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import AckOutcome, Desk
from teller_client.runtime import StartupError, open_runtime
from teller_client.workflow import State, WorkflowError
from tests.reliability.client_driver import CLEAN_REMITTANCE, customer_identified
from tests.reliability.conftest import (
    AuditDiskFault,
    Driver,
    assert_outbox_delivered_once,
    client_settings,
    count,
    read_only_mount,
    rows,
)
from tests.service.conftest import RunningService, new_resident_id
from tests.ui.test_teller_flow import (
    CLEAN,
    TIMEOUT_MS,
    identify,
    key_remittance,
    screen_until_dialog,
    sign_in,
)
from ui import tasks
from ui.i18n import Translations
from ui.risk_dialog import RiskWarningDialog
from ui.teller_window import TellerWindow

STEPS = ["submit", "screening_result", "acknowledge"]


@pytest.fixture
def desk(sqlite_service: RunningService, audit_fault: AuditDiskFault) -> Iterator[Desk]:
    """A teller signed in, on a client whose data folder is the failing disk (not failing yet)."""
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    runtime = open_runtime(client_settings(sqlite_service.url), start_delivery=False)
    opened = Desk(runtime)
    assert isinstance(opened.sign_in("T1001", "teller-demo-1"), SessionGrant)
    yield opened
    runtime.close()


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as check:
        return str(check.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.mark.no_loss
@pytest.mark.parametrize("step", STEPS)
def test_unwritable_audit_log_stops_the_step(
    step: str, desk: Desk, audit_fault: AuditDiskFault, sqlite_service: RunningService
) -> None:
    """Audit log's disk full or read-only: the step fails (AuditUnavailableError), nothing goes unrecorded"""
    database = sqlite_service.process.database_url
    audit = desk.runtime.audit
    session = customer_identified(desk, new_resident_id(1985, 6, 1))
    if step != "submit":
        session.submit(CLEAN_REMITTANCE)
    if step == "acknowledge":
        assert isinstance(desk.screen(session), ScreeningResult)
    before, state = audit.records(), session.state

    teller_step = {
        "submit": lambda: session.submit(CLEAN_REMITTANCE),
        "screening_result": lambda: desk.screen(session),
        "acknowledge": lambda: desk.acknowledge(session, "proceed"),
    }[step]
    audit_fault.inject()
    with pytest.raises(AuditUnavailableError) as raised:
        teller_step()
    error = raised.value
    assert error.problem == audit_fault.kind
    assert error.path == audit_fault.data_dir / "audit.db"
    assert "audit log" in str(error) and "IT" in str(error)
    assert session.state is state  # the step did not happen
    assert session.result is None or step == "acknowledge"  # a result it could not record is not shown
    # Nothing went to the service as a decision: not even the request, when it could not be recorded.
    assert count(database, screenings) == (0 if step == "submit" else 1)
    assert count(database, acknowledgements) == 0
    # Nothing half-written, while the disk fails...
    assert audit.records() == before
    assert audit.verify().ok

    # ... nor once IT has fixed it: the chain goes on, and so does the remittance.
    audit_fault.clear()
    assert integrity(audit.path) == "ok"
    if step == "submit":
        session.submit(CLEAN_REMITTANCE)
    if step != "acknowledge":
        # After "screening_result" the same idempotency key: the service answers what it screened.
        assert isinstance(desk.screen(session), ScreeningResult)
    assert isinstance(desk.acknowledge(session, "proceed"), AckOutcome)
    assert session.state is State.DONE
    report = desk.runtime.delivery.run_once()
    assert report.failure is None and report.backlog == 0
    records = audit.records()
    assert records[: len(before)] == before and audit.verify().ok
    assert_outbox_delivered_once(records, database)
    (screened,) = rows(database, screenings)
    assert session.result is not None and screened.screening_id == session.result.screening_id
    assert [row.action for row in rows(database, acknowledgements)] == ["proceed"]


def test_nobody_signs_in_unrecorded(sqlite_service: RunningService, audit_fault: AuditDiskFault) -> None:
    """Audit log's disk full or read-only at sign-in: the teller is not signed in"""
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    runtime = open_runtime(client_settings(sqlite_service.url), start_delivery=False)
    try:
        desk = Desk(runtime)
        audit_fault.inject()
        with pytest.raises(AuditUnavailableError):
            desk.sign_in("T1001", "teller-demo-1")
        assert desk.teller is None
        assert runtime.client.session_token is None  # the service session it opened was closed again
        with pytest.raises(WorkflowError):
            desk.new_customer()
        assert runtime.audit.records() == []
    finally:
        runtime.close()


@pytest.mark.no_loss
def test_disk_fails_just_after_the_service_accepted_a_proceed(
    desk: Desk, audit_fault: AuditDiskFault, sqlite_service: RunningService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit log fails between the service's acceptance and its record: teller stopped, the log names it"""
    database = sqlite_service.process.database_url
    session = customer_identified(desk, new_resident_id(1985, 6, 1))
    session.submit(CLEAN_REMITTANCE)
    assert isinstance(desk.screen(session), ScreeningResult)
    send = desk.runtime.client.acknowledge

    def accepted_then_disk_fails(screening_id: str, body: Mapping[str, Any]) -> object:
        answer = send(screening_id, body)
        audit_fault.inject()  # the service has it; the log's next write fails
        return answer

    monkeypatch.setattr(desk.runtime.client, "acknowledge", accepted_then_disk_fails)
    with pytest.raises(AuditUnavailableError):
        desk.acknowledge(session, "proceed")
    assert session.state is State.ACKNOWLEDGE  # never "done" for the teller
    (ack,) = rows(database, acknowledgements)
    # The decision the service holds is the one the log recorded as requested, before sending.
    last = desk.runtime.audit.records()[-1]
    assert last.kind == "acknowledgement_requested"
    assert json.loads(last.payload)["client_event_id"] == ack.client_event_id
    audit_fault.clear()
    report = desk.runtime.delivery.run_once()
    assert report.failure is None and report.backlog == 0
    assert_outbox_delivered_once(desk.runtime.audit.records(), database)


def test_client_does_not_start_on_a_read_only_audit_disk(
    sqlite_service: RunningService, isolated_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit log's disk read-only at start: the client does not start, and says why and whom to call"""
    store = AuditStore(isolated_data_dir / "audit.db")
    kept = store.append("teller_signed_in", {"teller_id": "T1001", "role": "teller"})
    store.close()
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    with read_only_mount(isolated_data_dir) as read_only:
        monkeypatch.setenv("COUNTERGUARD_DATA_DIR", str(read_only))
        with pytest.raises(StartupError) as raised:
            open_runtime(client_settings(sqlite_service.url), start_delivery=False)
        message = str(raised.value)
        assert f"audit log {read_only / 'audit.db'}" in message
        assert "read-only" in message and "IT" in message
        assert isinstance(raised.value.__cause__, AuditUnavailableError)
    reopened = AuditStore(isolated_data_dir / "audit.db")
    assert reopened.records() == [kept] and reopened.verify().ok
    reopened.close()


@pytest.mark.no_loss
def test_audit_write_past_the_file_size_limit_sends_nothing(
    sqlite_service: RunningService, isolated_data_dir: Path, tmp_path: Path
) -> None:
    """Audit log write refused in a client process (RLIMIT_FSIZE): the proceed is never sent, nothing lost"""
    database = sqlite_service.process.database_url
    driver = Driver.start(
        sqlite_service.url, "fsize_after_screening", sqlite_service.seed.counter_key, tmp_path / "driver.log"
    )
    try:
        screening_id = driver.wait_for("S ").split()[1]
        assert driver.wait_for("E ") == "E AuditUnavailableError disk_error"
        assert driver.process.wait(timeout=30) == 3
    finally:
        driver.close()
    committed = {record_id for record_id, _kind in driver.committed()}
    assert count(database, acknowledgements, acknowledgements.c.screening_id == screening_id) == 0

    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    restarted = open_runtime(client_settings(sqlite_service.url), start_delivery=False)
    try:
        assert restarted.delivery.run_once().backlog == 0
        records = restarted.audit.records()
        assert restarted.audit.verify().ok
    finally:
        restarted.close()
    assert integrity(isolated_data_dir / "audit.db") == "ok"
    assert {record.record_id for record in records} == committed
    assert [record.kind for record in records][-1] == "screening_result"  # and no acknowledgement request
    assert_outbox_delivered_once(records, database)


# ---------------------------------------------------------------- the teller window


@pytest.fixture(params=["en", "zh-CN"])
def translations(request: pytest.FixtureRequest) -> Iterator[Translations]:
    applied = Translations()
    applied.apply(request.param)
    yield applied
    applied.apply("en")  # removes its translators: the next test starts untranslated


@pytest.fixture
def window(
    qtbot: QtBot, sqlite_service: RunningService, audit_fault: AuditDiskFault, translations: Translations
) -> Iterator[TellerWindow]:
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    # The reading time is tested on its own; here it would only slow the test down.
    settings = dataclasses.replace(client_settings(sqlite_service.url), minimum_reading_seconds=0)
    runtime = open_runtime(settings, start_delivery=False)
    created = TellerWindow(Desk(runtime), translations)
    qtbot.addWidget(created)
    created.resize(1366, 768)
    created.show()
    yield created
    tasks.wait_for_all()
    created.session = None
    created.close()
    runtime.close()


AUDIT_MESSAGE = {
    "en": ("The audit log cannot be written", "Call IT"),
    "zh-CN": ("审计日志无法写入", "请联系IT"),
}


@pytest.mark.no_loss
def test_window_stops_the_remittance_when_the_audit_log_fails(
    window: TellerWindow,
    qtbot: QtBot,
    audit_fault: AuditDiskFault,
    translations: Translations,
    sqlite_service: RunningService,
) -> None:
    """Audit log fails while the risk warning is open: the window says why, the remittance does not proceed"""
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN, "刷单返利")  # a warning: the teller must answer and decide
    dialog = screen_until_dialog(window, qtbot)
    assert isinstance(dialog, RiskWarningDialog) and dialog.screening.decision == "warn"
    assert dialog.proceed_button is not None
    for check in dialog.question_checks.values():
        check.setChecked(True)
    for answer in dialog.question_answers.values():
        answer.setText("网店正常货款")
    dialog.note.setPlainText("客户为网店店主，已核实订单")
    records_before = window.desk.runtime.audit.records()

    audit_fault.inject()
    with qtbot.waitSignal(window.sig_dialog_opened, timeout=TIMEOUT_MS) as opened:
        qtbot.mouseClick(dialog.proceed_button, Qt.MouseButton.LeftButton)
    box = opened.args[0]
    assert isinstance(box, QMessageBox) and box.objectName() == "auditUnavailable"
    assert box.icon() is QMessageBox.Icon.Critical and box.isVisible()
    # Plain words in the teller's language: what failed, that the remittance stopped, whom to call.
    headline, call_it = AUDIT_MESSAGE[translations.language]
    for text in (box.text(), window.screening_state.text()):
        assert headline in text and call_it in text
        assert str(audit_fault.data_dir / "audit.db") in text
    # The remittance did not proceed: the warning is gone with nothing chosen, nothing completed,
    # nothing sent to the service, nothing recorded.
    assert not dialog.isVisible() and window.current_dialog is None
    assert window.session is None and window.transactions.rowCount() == 0
    assert not window.form.submit_button.isEnabled()
    assert rows(sqlite_service.process.database_url, acknowledgements) == []
    assert window.desk.runtime.audit.records() == records_before
    kinds = [record.kind for record in records_before]
    assert "acknowledgement" not in kinds and "acknowledgement_requested" not in kinds

    box.accept()
    audit_fault.clear()
    # Once IT has fixed the disk the teller starts again; the old remittance stays undecided.
    window.new_customer()
    assert window.session is not None and window.session.state is State.IDENTIFY
    assert json.loads(records_before[-1].payload)["decision"] == "warn"
