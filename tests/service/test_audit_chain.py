"""The service checks each counter's hash chain as its records arrive (real client records, real HTTP)."""

import copy
import uuid
from pathlib import Path
from typing import Any

from screening_service.admin import issue_terminal_key
from screening_service.database import make_engine
from teller_client.audit import AuditStore
from tests.service.conftest import Api, RunningService


def counter(service: RunningService) -> Api:
    """A terminal of its own, so that its sequence numbers meet no other test's."""
    engine = make_engine(service.process.database_url)
    key = issue_terminal_key(engine, f"BJ0101-A{uuid.uuid4().hex[:6]}", "BJ0101").key
    engine.dispose()
    return Api(service.url, key)


def chained(tmp_path: Path, count: int) -> list[dict[str, Any]]:
    """Records as a counter's audit outbox delivers them."""
    store = AuditStore(tmp_path / f"audit-{uuid.uuid4().hex[:6]}.db")
    try:
        for number in range(count):
            store.append("note", {"teller_id": "T1001", "n": number, "text": "客户已离开"})
        return [record.as_delivery() for record in store.records()]
    finally:
        store.close()


def deliver(api: Api, record: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1/audit-records", record, **{"Idempotency-Key": record["record_id"]})
    assert response.status_code in (200, 201), response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_chain_delivered_in_order_links(service: RunningService, tmp_path: Path) -> None:
    api = counter(service)
    records = chained(tmp_path, 3)
    assert [deliver(api, record)["chain"] for record in records] == ["linked"] * 3
    repeat = deliver(api, records[1])
    assert repeat["duplicate"] is True and repeat["chain"] == "linked"


def test_a_record_ahead_of_its_predecessor_is_unlinked_until_it_arrives(
    service: RunningService, tmp_path: Path
) -> None:
    api = counter(service)
    first, second, third = chained(tmp_path, 3)
    assert deliver(api, first)["chain"] == "linked"
    assert deliver(api, third)["chain"] == "unlinked"
    assert deliver(api, second)["chain"] == "linked"  # and it links to the third, which came first


def test_an_altered_record_is_stored_and_reported_broken(service: RunningService, tmp_path: Path) -> None:
    api = counter(service)
    first, second = chained(tmp_path, 2)
    altered = copy.deepcopy(second)
    altered["payload"]["text"] = "客户坚持办理"  # its hash no longer matches what it says
    assert deliver(api, first)["chain"] == "linked"
    answer = deliver(api, altered)
    assert answer["chain"] == "broken" and answer["duplicate"] is False
    assert "audit chain broken at record" in service.process.log()


def test_a_record_that_does_not_link_to_its_neighbours_is_broken(
    service: RunningService, tmp_path: Path
) -> None:
    # Two logs for one terminal (say, a log replaced by another): each record is right in itself, but
    # the second log's second record does not follow the first log's first.
    api = counter(service)
    first, _ = chained(tmp_path, 2)
    _, other_second = chained(tmp_path, 2)
    assert deliver(api, first)["chain"] == "linked"
    assert deliver(api, other_second)["chain"] == "broken"
