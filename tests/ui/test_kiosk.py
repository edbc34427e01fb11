"""The lobby kiosk against the real service: lookups, rate limit, questionnaire, idle reset, lock-down."""

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from teller_client import credentials
from teller_client.runtime import Runtime, open_runtime
from teller_client.settings import Settings, load_settings
from tests.service.conftest import RunningService, seeded, start_service
from ui import tasks
from ui.i18n import Translations
from ui.kiosk_window import KioskWindow

TIMEOUT_MS = 15_000


def kiosk_for(qtbot: QtBot, service_url: str, key: str, translations: Translations) -> Iterator[KioskWindow]:
    credentials.store_terminal_key(service_url, key)
    settings: Settings = dataclasses.replace(
        load_settings({"service_url": service_url, "language": "en", "kiosk": "true"}),
        retry_budget_seconds=1.5,
    )
    runtime: Runtime = open_runtime(settings, start_delivery=False)
    window = KioskWindow(runtime, translations)
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    yield window
    tasks.wait_for_all()
    window._exit_allowed = True
    window.close()
    runtime.close()


@pytest.fixture
def kiosk(
    qtbot: QtBot, service: RunningService, translations: Translations, isolated_data_dir: Path
) -> Iterator[KioskWindow]:
    yield from kiosk_for(qtbot, service.url, service.seed.kiosk_key, translations)


def look_up(kiosk: KioskWindow, qtbot: QtBot, digits: str) -> None:
    qtbot.mouseClick(kiosk.lookup_button, Qt.MouseButton.LeftButton)
    for digit in digits:
        qtbot.mouseClick(kiosk.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(kiosk.check_button, Qt.MouseButton.LeftButton)


@pytest.mark.parametrize(
    ("account", "headline", "advice"),
    [
        ("6222000011112222337", "STOP: this account is on the police list", "110"),
        ("6214830012341234120", "CAUTION: this account has been reported", "member of staff"),
        ("6212260200001234562", "No risk record was found", "No record does not mean safe"),
    ],
)
def test_each_lookup_result(
    kiosk: KioskWindow, qtbot: QtBot, account: str, headline: str, advice: str
) -> None:
    with qtbot.waitSignal(
        kiosk.sig_page_changed, timeout=TIMEOUT_MS, check_params_cb=lambda page: page == "result"
    ):
        look_up(kiosk, qtbot, account)
    assert headline in kiosk.result_headline.text()
    assert advice in kiosk.result_advice.text()
    assert account not in kiosk.result_headline.text()  # masked
    assert account[-4:] in kiosk.result_headline.text()
    assert "王小明" not in kiosk.result_headline.text() + kiosk.result_advice.text()


def test_a_wrong_account_number_is_explained(kiosk: KioskWindow, qtbot: QtBot) -> None:
    look_up(kiosk, qtbot, "6222020200112233445")  # the card number's check digit is wrong
    assert "check digit" in kiosk.lookup_error.text()
    assert kiosk.page == "lookup"


def test_idle_reset_clears_every_field(kiosk: KioskWindow, qtbot: QtBot) -> None:
    qtbot.mouseClick(kiosk.questionnaire_button, Qt.MouseButton.LeftButton)
    kiosk.choices["purpose"].setCurrentIndex(2)
    kiosk.yes_buttons["on_phone_now"][0].click()
    kiosk.account.setText("6222")
    kiosk.idle_timer.setInterval(150)
    with qtbot.waitSignal(kiosk.sig_page_changed, timeout=TIMEOUT_MS) as changed:
        kiosk.idle_timer.start()
    assert changed.args == ["home"]
    assert kiosk.account.text() == ""
    assert all(combo.currentIndex() == -1 for combo in kiosk.choices.values())
    assert all(group.checkedId() == -1 for group in kiosk.yes_no.values())


def test_close_attempts_are_ignored(kiosk: KioskWindow, qtbot: QtBot) -> None:
    assert kiosk.windowFlags() & Qt.WindowType.FramelessWindowHint
    qtbot.keyClick(kiosk, Qt.Key.Key_Escape)
    qtbot.keyClick(kiosk, Qt.Key.Key_F4, Qt.KeyboardModifier.AltModifier)
    assert not kiosk.close()
    assert kiosk.isVisible()


def test_staff_exit_needs_the_right_credentials(kiosk: KioskWindow, qtbot: QtBot) -> None:
    qtbot.mouseClick(kiosk.staff_button, Qt.MouseButton.LeftButton)
    dialog = kiosk.staff_dialog
    dialog.staff_id.setText("S2001")
    dialog.password.setText("not-it")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "wrong" in dialog.error.text(), timeout=TIMEOUT_MS)
    assert kiosk.isVisible()
    dialog.password.setText("super-demo-1")
    with qtbot.waitSignal(kiosk.sig_exit_approved, timeout=TIMEOUT_MS):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not kiosk.isVisible()
    assert [record.kind for record in kiosk.runtime.audit.records()] == ["kiosk_exit"]


def test_service_loss_and_recovery(kiosk: KioskWindow, qtbot: QtBot, service: RunningService) -> None:
    kiosk.client.base_url = "http://127.0.0.1:9"
    kiosk.health_timer.setInterval(100)
    with qtbot.waitSignal(
        kiosk.sig_page_changed, timeout=TIMEOUT_MS, check_params_cb=lambda page: page == "unavailable"
    ):
        look_up(kiosk, qtbot, "6212260200001234562")
    assert "temporarily unavailable" in kiosk.unavailable_text.text()
    assert kiosk.account.text() == ""  # nothing the customer typed stays behind
    kiosk.client.base_url = service.url
    with qtbot.waitSignal(kiosk.sig_page_changed, timeout=TIMEOUT_MS) as recovered:
        pass
    assert recovered.args == ["home"]


def test_questionnaire_code_resolves_at_the_counter(
    kiosk: KioskWindow, qtbot: QtBot, service: RunningService
) -> None:
    qtbot.mouseClick(kiosk.questionnaire_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(kiosk.submit_questionnaire, Qt.MouseButton.LeftButton)
    assert "Please answer" in kiosk.questionnaire_error.text()
    answers = {"purpose": "investment", "who_asked": "online_contact", "relationship_to_payee": "never_met",
               "urgency": "today", "amount_band": "50k_to_200k"}  # fmt: skip
    for key, value in answers.items():
        kiosk.choices[key].setCurrentIndex(kiosk.choices[key].findData(value))
    kiosk.yes_buttons["on_phone_now"][0].click()
    kiosk.yes_buttons["told_to_keep_secret"][1].click()
    kiosk.yes_buttons["first_time_payee"][0].click()
    with qtbot.waitSignal(
        kiosk.sig_page_changed, timeout=TIMEOUT_MS, check_params_cb=lambda page: page == "code"
    ):
        qtbot.mouseClick(kiosk.submit_questionnaire, Qt.MouseButton.LeftButton)
    code = kiosk.code.text()
    assert code
    resolved = service.teller().get(f"/v1/prescreens/{code}")
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    stored = body.get("answers", body)
    for key, value in answers.items():
        assert stored[key] == value
    assert stored["on_phone_now"] is True and stored["told_to_keep_secret"] is False


@pytest.fixture(scope="module")
def limited_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    folder = tmp_path_factory.mktemp("kiosk-limited")
    database = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database)
    process = start_service(database, folder, "--lookup-per-minute", "2")
    yield RunningService(process, seed)
    process.stop()


@pytest.fixture
def limited_kiosk(
    qtbot: QtBot, limited_service: RunningService, translations: Translations, isolated_data_dir: Path
) -> Iterator[KioskWindow]:
    yield from kiosk_for(qtbot, limited_service.url, limited_service.seed.kiosk_key, translations)


def test_rate_limit_gets_a_friendly_message(limited_kiosk: KioskWindow, qtbot: QtBot) -> None:
    kiosk = limited_kiosk
    for _ in range(5):  # a minute boundary may reset the count once; the limit is 2 a minute
        look_up(kiosk, qtbot, "6212260200001234562")
        qtbot.waitUntil(kiosk.check_button.isEnabled, timeout=TIMEOUT_MS)
        if "wait a minute" in kiosk.lookup_error.text():
            break
        qtbot.mouseClick(kiosk.result_again, Qt.MouseButton.LeftButton)
        kiosk.account.clear()
    assert "wait a minute" in kiosk.lookup_error.text()
    assert kiosk.page == "lookup"
