"""Process faults: the service restarted mid-session, and the client killed during an acknowledgement.

Real processes over real HTTP: the service runs as its own process on SQLite and PostgreSQL; the
killed client runs the client core (Runtime, Desk, audit outbox) in a child process
(tests/reliability/client_driver.py) and is killed with SIGKILL at chosen points, which the test
reaches deterministically (the driver pauses, or part A's fault proxy holds a request in flight).
"""

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from screening_service.schema import acknowledgements, audit_records, screenings
from teller_client import credentials
from teller_client.audit import AuditRecord
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import AckOutcome, Desk
from teller_client.runtime import Runtime, open_runtime
from teller_client.service_client import FailureReason, ServiceFailure
from teller_client.workflow import State
from tests.reliability.client_driver import customer_screened
from tests.reliability.conftest import (
    BUDGET_MARGIN_SECONDS,
    RETRY_BUDGET_SECONDS,
    WAIT_SECONDS,
    Driver,
    assert_outbox_delivered_once,
    client_settings,
    count,
    restart,
    rows,
    wait_until,
)
from tests.reliability.fault_proxy import Fault, FaultProxy, Mode
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
from ui.teller_window import TellerWindow
from ui.unavailable_dialog import UnavailableDialog


@pytest.fixture
def runtime(fresh_service: RunningService) -> Iterator[Runtime]:
    """A client runtime on `fresh_service`; the test drives its delivery."""
    credentials.store_terminal_key(fresh_service.url, fresh_service.seed.counter_key)
    opened = open_runtime(client_settings(fresh_service.url), start_delivery=False)
    yield opened
    opened.close()


def local_payloads(runtime: Runtime, kind: str) -> list[dict[str, object]]:
    return [json.loads(record.payload) for record in runtime.audit.records() if record.kind == kind]


# ---------------------------------------------------------------- the service restarted mid-session


@pytest.mark.no_loss
@pytest.mark.parametrize("stop", ["sigterm", "sigkill"])
def test_service_restarted_mid_session(
    stop: str, fresh_service: RunningService, runtime: Runtime, database_url: str, tmp_path: Path
) -> None:
    """Service restarted mid-session: fail closed while it is down, the session goes on after, nothing lost"""
    desk = Desk(runtime)
    assert isinstance(desk.sign_in("T1001", "teller-demo-1"), SessionGrant)
    first = customer_screened(desk, new_resident_id(1985, 6, 1))
    result = desk.screen(first)
    assert isinstance(result, ScreeningResult) and result.decision == "allow"

    # Down: stopped as an operator would (SIGTERM), or crashed (SIGKILL).
    if stop == "sigkill":
        fresh_service.process.process.kill()
        fresh_service.process.process.wait(timeout=WAIT_SECONDS)
    else:
        fresh_service.process.stop()

    started = time.monotonic()
    refused = desk.acknowledge(first, "proceed")
    took = time.monotonic() - started
    assert isinstance(refused, ServiceFailure) and refused.reason is FailureReason.REFUSED
    assert took <= RETRY_BUDGET_SECONDS + BUDGET_MARGIN_SECONDS, f"the teller waited {took:.2f} s"
    assert first.state is State.ACKNOWLEDGE  # not done: the teller still has to decide

    second = customer_screened(desk, new_resident_id(1962, 3, 9))
    started = time.monotonic()
    unavailable = desk.screen(second)
    took = time.monotonic() - started
    assert isinstance(unavailable, ServiceFailure)
    assert took <= RETRY_BUDGET_SECONDS + BUDGET_MARGIN_SECONDS, f"the teller waited {took:.2f} s"
    # Fail closed: no result of any kind, only the unavailable branch.
    assert second.state is State.UNAVAILABLE and second.result is None
    assert runtime.delivery.run_once().failure is not None
    assert runtime.audit.backlog() == len(runtime.audit.records())

    restart(fresh_service, tmp_path / "service-logs")

    # The same session token works: the service keeps sessions in its database.
    accepted = desk.acknowledge(first, "proceed")
    assert isinstance(accepted, AckOutcome) and first.state is State.DONE
    retried = desk.retry(second)  # the same idempotency key as the screening that never arrived
    assert isinstance(retried, ScreeningResult)
    assert isinstance(desk.acknowledge(second, "proceed"), AckOutcome)
    third = customer_screened(desk, new_resident_id(1990, 1, 30))
    assert isinstance(desk.screen(third), ScreeningResult)
    assert isinstance(desk.acknowledge(third, "proceed"), AckOutcome)

    report = runtime.delivery.run_once()
    assert report.failure is None and report.backlog == 0
    records = runtime.audit.records()
    assert runtime.audit.verify().ok

    # Nothing lost, nothing twice: one screening per remittance, one acknowledgement per screening,
    # the very ones the client recorded; every audit record stored once.
    screened = {session.result.screening_id for session in (first, second, third) if session.result}
    assert len(screened) == 3
    assert {row.screening_id for row in rows(database_url, screenings)} == screened
    acks = rows(database_url, acknowledgements)
    assert sorted(row.screening_id for row in acks) == sorted(screened)
    assert {row.action for row in acks} == {"proceed"}
    recorded = local_payloads(runtime, "acknowledgement")
    assert {str(payload["client_event_id"]) for payload in recorded} == {row.client_event_id for row in acks}
    # The refused attempt is in the audit log too: asked for, then failed.
    requested = local_payloads(runtime, "acknowledgement_requested")
    assert len(requested) == 4 and len(local_payloads(runtime, "acknowledgement_failed")) == 1
    assert_outbox_delivered_once(records, database_url)
    assert count(database_url, audit_records) == len(records)


# ---------------------------------------------------------------- the client killed during an acknowledgement


ACK_PATH = "/v1/screenings/"  # POST /v1/screenings/{id}/acknowledgements (a screening has no slash)


@dataclass(frozen=True)
class KillPoint:
    pause_at: str  # where the driver pauses itself; "none" when the proxy holds a request instead
    fault: Fault | None  # what the proxy does to hold the request in flight
    acks_on_service: int  # the acknowledgement reached the service (it can never be taken back)
    ack_recorded_locally: bool  # the client had recorded the service's acceptance when it died


KILL_POINTS = {
    "before the acknowledgement is sent": KillPoint("before_ack", None, 0, False),
    "with the acknowledgement sent but not yet at the service": KillPoint(
        "none", Fault(Mode.HANG, path=ACK_PATH, method="POST"), 0, False
    ),
    "with the service's answer to the acknowledgement on its way back": KillPoint(
        "none", Fault(Mode.DELAY, path=ACK_PATH, method="POST", seconds=WAIT_SECONDS), 1, False
    ),
    "after the acknowledgement was committed to the outbox, before delivery": KillPoint(
        "ack_committed", None, 1, True
    ),
    "while the outbox delivers (the service stored a record, its answer is lost)": KillPoint(
        "none",
        Fault(Mode.DELAY, path="/v1/audit-records", method="POST", seconds=WAIT_SECONDS, times=1),
        1,
        True,
    ),
}


@pytest.mark.no_loss
@pytest.mark.parametrize("point", list(KILL_POINTS), ids=list(KILL_POINTS))
def test_client_killed_during_an_acknowledgement(
    point: str, sqlite_service: RunningService, isolated_data_dir: Path, tmp_path: Path
) -> None:
    """Client SIGKILLed during an acknowledgement, then restarted: its outbox delivers each record once"""
    kill = KILL_POINTS[point]
    database = sqlite_service.process.database_url
    with FaultProxy(sqlite_service.url) as proxy:
        if kill.fault is not None:
            proxy.set_fault(kill.fault)
        driver = Driver.start(
            proxy.url, kill.pause_at, sqlite_service.seed.counter_key, tmp_path / "driver.log"
        )
        try:
            screening_id = driver.wait_for("S ").split()[1]
            if kill.fault is None:
                driver.wait_for(f"P {kill.pause_at}")
            else:  # the request is at the proxy (HANG), or the service has answered it (DELAY)
                fault = kill.fault
                wait_until(
                    lambda: [
                        exchange
                        for exchange in proxy.exchanges("POST", fault.path)
                        if exchange.mode is fault.mode
                        and (fault.mode is Mode.HANG or exchange.upstream_status is not None)
                    ],
                    f"the proxy holds a request ({point})",
                )
            driver.kill()
        finally:
            driver.close()
        held = (
            [e for e in proxy.exchanges("POST", kill.fault.path) if e.mode is kill.fault.mode]
            if kill.fault
            else []
        )

    committed = driver.committed()
    kinds = [kind for _id, kind in committed]
    assert kinds[-1] != "acknowledgement" or kill.ack_recorded_locally
    # Never reported done to the teller unless the acceptance was recorded first.
    assert any(line.startswith("K ") for line in driver.seen) == kill.ack_recorded_locally

    # A fresh client on the same data folder, with delivery on, straight to the service.
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    restarted = open_runtime(client_settings(sqlite_service.url), start_delivery=True)
    try:
        wait_until(lambda: restarted.audit.backlog() == 0, "the restarted client's outbox is delivered")
        restarted.delivery.stop()
        records = restarted.audit.records()
        assert restarted.audit.verify().ok
    finally:
        restarted.close()

    # Nothing half-written: the file is sound and holds every record the driver saw committed.
    with sqlite3.connect(isolated_data_dir / "audit.db") as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    local = {record.record_id: record for record in records}
    assert {record_id for record_id, _kind in committed} <= set(local)
    assert_outbox_delivered_once(records, database)

    acks = rows(database, acknowledgements, acknowledgements.c.screening_id == screening_id)
    assert len(acks) == kill.acks_on_service
    requested = [record for record in records if record.kind == "acknowledgement_requested"]
    done = [record for record in records if record.kind == "acknowledgement"]
    assert len(done) == int(kill.ack_recorded_locally)
    if kill.pause_at == "before_ack":
        assert requested == []
    else:
        # The request was committed before it was sent: whatever the service holds, the log names it.
        assert len(requested) == 1
        assert {row.client_event_id for row in acks} <= {str(_payload(requested[0])["client_event_id"])}
    if kill.fault is not None:
        assert len(held) == 1
    if held and kill.fault is not None and kill.fault.path == "/v1/audit-records":
        # The record whose answer was lost was stored by the service before the kill and again sent
        # after it: still one copy.
        assert _payload_json(held[0].body)["record_id"] in local


def _payload(record: AuditRecord) -> dict[str, object]:
    loaded = json.loads(record.payload)
    assert isinstance(loaded, dict)
    return loaded


def _payload_json(body: bytes) -> dict[str, object]:
    loaded = json.loads(body)
    assert isinstance(loaded, dict)
    return loaded


# ---------------------------------------------------------------- the same, in the teller window


@pytest.fixture
def window(qtbot: QtBot, sqlite_service: RunningService) -> Iterator[TellerWindow]:
    credentials.store_terminal_key(sqlite_service.url, sqlite_service.seed.counter_key)
    runtime = open_runtime(client_settings(sqlite_service.url), start_delivery=False)
    created = TellerWindow(Desk(runtime), Translations())
    qtbot.addWidget(created)
    created.show()
    yield created
    tasks.wait_for_all()
    created.session = None
    created.close()
    runtime.close()


@pytest.mark.no_loss
def test_service_restarted_with_the_teller_window_open(
    window: TellerWindow, qtbot: QtBot, sqlite_service: RunningService, tmp_path: Path
) -> None:
    """Service restarted with the teller window open: "unavailable" meanwhile, then one retry completes it"""
    database = sqlite_service.process.database_url
    sign_in(window, qtbot)
    identify(window, qtbot)
    key_remittance(window, CLEAN)
    sqlite_service.process.stop()
    started = time.monotonic()
    dialog = screen_until_dialog(window, qtbot)
    took = time.monotonic() - started
    assert isinstance(dialog, UnavailableDialog), dialog
    assert took <= RETRY_BUDGET_SECONDS + BUDGET_MARGIN_SECONDS, f"the teller waited {took:.2f} s"
    assert "UNAVAILABLE" in window.screening_state.text() and window.transactions.rowCount() == 0

    restart(sqlite_service, tmp_path / "service")
    with qtbot.waitSignal(window.sig_transaction_recorded, timeout=TIMEOUT_MS) as recorded:
        qtbot.mouseClick(dialog.retry_button, Qt.MouseButton.LeftButton)
    assert recorded.args == ["proceed"]  # the same sign-in: the session outlived the restart
    assert window.transactions.rowCount() == 1 and window.transactions.item(0, 3).text() == "allow"
    (screened,) = rows(database, screenings)
    (ack,) = rows(database, acknowledgements)
    assert ack.screening_id == screened.screening_id and ack.action == "proceed"
    runtime = window.desk.runtime
    report = runtime.delivery.run_once()
    assert report.failure is None and report.backlog == 0
    assert runtime.audit.verify().ok
    assert_outbox_delivered_once(runtime.audit.records(), database)
