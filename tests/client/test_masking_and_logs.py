"""Personal data is masked in logs: account and ID numbers by a filter, names by the helper."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from teller_client.logs import setup_logging, stop_logging
from teller_client.masking import mask_account, mask_id_number, mask_name, mask_text


def test_account_masking_keeps_first_and_last_four() -> None:
    assert mask_account("6222020200112233446") == "6222 **** **** 3446"
    assert mask_account("6222 0202 0011 2233 446") == "6222 **** **** 3446"
    assert mask_account("1234") == "****"


def test_id_and_name_masking() -> None:
    assert mask_id_number("11010519491231002X") == "1**************02X"
    assert mask_name("张建国") == "张**"
    assert mask_name("John Smith") == "J*** S****"
    assert mask_name(" ") == ""


def test_mask_text_finds_numbers_in_free_text() -> None:
    text = "payee 6212260200001234562 for customer 11010519491231002X, amount 5000.00, ref 2026"
    masked = mask_text(text)
    assert "6212260200001234562" not in masked and "11010519491231002X" not in masked
    assert "6212 **** **** 4562" in masked and "1**************02X" in masked
    assert "5000.00" in masked and "2026" in masked  # amounts and short numbers stay


@given(st.text(alphabet="0123456789", min_size=12, max_size=25))
def test_no_account_number_survives(number: str) -> None:
    masked = mask_text(f"account {number} end")
    assert number not in masked


@pytest.fixture
def log_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "logs"
    setup_logging(folder, "INFO")
    yield folder
    stop_logging()


def test_logs_are_per_area_and_masked(log_folder: Path) -> None:
    logging.getLogger("counterguard.network").info("POST for payee %s", "6212260200001234562")
    logging.getLogger("counterguard.audit.delivery").warning("id %s", "11010519491231002X")
    logging.getLogger("counterguard.app").info("started")
    logging.getLogger("some.library").warning("third party 6222020200112233446")
    try:
        raise ValueError("bad account 6222020200112233446")
    except ValueError:
        logging.getLogger("counterguard.workflow").exception("step failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    network = (log_folder / "network.log").read_text(encoding="utf-8")
    audit = (log_folder / "audit.log").read_text(encoding="utf-8")
    app = (log_folder / "app.log").read_text(encoding="utf-8")
    workflow = (log_folder / "workflow.log").read_text(encoding="utf-8")
    assert "6212 **** **** 4562" in network and "6212260200001234562" not in network
    assert "1**************02X" in audit and "11010519491231002X" not in audit
    assert "started" in app and "third party 6222 **** **** 3446" in app
    assert "POST for payee" not in app  # each area in its own file
    assert "ValueError: bad account 6222 **** **** 3446" in workflow
    assert "6222020200112233446" not in workflow
