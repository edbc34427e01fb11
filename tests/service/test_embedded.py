"""The embedded reference service that `uv run main.py` starts when no service URL is configured."""

from pathlib import Path

from screening_service.embedded import EmbeddedService
from tests.service.conftest import Api, remittance


def test_embedded_service_answers_over_http_with_demo_data(isolated_data_dir: Path) -> None:
    with EmbeddedService() as endpoint:
        teller = Api(endpoint.url, endpoint.counter_key).signed_in()
        blocked = teller.screen(remittance(payee_account="6222000011112222337", payee_name="刘洋"))
        assert blocked.json()["decision"] == "block"
        assert Api(endpoint.url, endpoint.kiosk_key).get("/v1/health").status_code == 200
    # The database lives in the data folder (COUNTERGUARD_DATA_DIR), not beside the code.
    assert (isolated_data_dir / "screening.db").is_file()


def test_restart_keeps_data_and_issues_new_keys(isolated_data_dir: Path) -> None:
    with EmbeddedService() as first:
        teller = Api(first.url, first.counter_key).signed_in()
        screening_id = teller.screen(remittance()).json()["screening_id"]
    with EmbeddedService() as second:
        assert second.counter_key != first.counter_key
        assert Api(second.url, first.counter_key).get("/v1/health").status_code == 401
        teller = Api(second.url, second.counter_key).signed_in()
        # The screening made before the restart is still there to be decided.
        assert teller.ack(screening_id, {"action": "proceed"}).status_code == 201
