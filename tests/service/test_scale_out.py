"""Two service instances on one PostgreSQL database behave as one service (stateless instances)."""

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.conftest import POSTGRES_SKIP_REASON, create_postgres_database, drop_postgres_database
from tests.service.conftest import (
    Api,
    ServiceProcess,
    add_test_teller,
    customer,
    remittance,
    seeded,
    start_service,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not os.environ.get("COUNTERGUARD_TEST_DATABASE_URL"), reason=POSTGRES_SKIP_REASON),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str, str]]:
    """(database URL, counter key, URL of instance A, URL of instance B)."""
    url, name = create_postgres_database()
    seed = seeded(url)
    logs = tmp_path_factory.mktemp("cluster")
    instances: list[ServiceProcess] = []
    try:
        instances.append(start_service(url, logs))
        instances.append(start_service(url, logs))
        yield url, seed.counter_key, instances[0].url, instances[1].url
    finally:
        for instance in instances:
            instance.stop()
        drop_postgres_database(name)


def test_a_session_opened_on_one_instance_works_on_the_other(cluster: tuple[str, str, str, str]) -> None:
    _, key, url_a, url_b = cluster
    on_a = Api(url_a, key).signed_in()
    on_b = Api(url_b, key, on_a.token)
    assert on_b.screen(remittance()).status_code == 201


def test_idempotency_holds_across_instances(cluster: tuple[str, str, str, str]) -> None:
    _, key, url_a, url_b = cluster
    on_a = Api(url_a, key).signed_in()
    on_b = Api(url_b, key, on_a.token)
    body = remittance(customer=customer())
    idempotency_key = uuid.uuid4().hex
    first = on_a.screen(body, idempotency_key)
    again = on_b.screen(body, idempotency_key)
    assert first.status_code == again.status_code == 201
    assert first.json()["screening_id"] == again.json()["screening_id"]
    conflict = on_b.screen({**body, "amount": "1.00"}, idempotency_key)
    assert conflict.status_code == 409


def test_simultaneous_retries_on_both_instances_give_one_screening(
    cluster: tuple[str, str, str, str],
) -> None:
    _, key, url_a, url_b = cluster
    token = Api(url_a, key).signed_in().token
    body = remittance(customer=customer())
    idempotency_key = uuid.uuid4().hex
    apis = [Api(url, key, token) for url in (url_a, url_b) * 4]
    with ThreadPoolExecutor(max_workers=len(apis)) as pool:
        responses = list(pool.map(lambda api: api.screen(body, idempotency_key), apis))
    assert {response.status_code for response in responses} == {201}
    assert len({response.json()["screening_id"] for response in responses}) == 1


def test_lockout_counts_failures_on_every_instance(cluster: tuple[str, str, str, str]) -> None:
    url, key, url_a, url_b = cluster
    teller_id = f"X{uuid.uuid4().hex[:6]}"
    password = add_test_teller(url, teller_id)
    for instance in (url_a, url_b, url_a, url_b, url_a):
        assert Api(instance, key).sign_in(teller_id, "wrong-password").status_code == 401
    assert Api(url_b, key).sign_in(teller_id, password).status_code == 423
    assert Api(url_a, key).sign_in(teller_id, password).status_code == 423


def test_previously_warned_at_one_instance_holds_at_the_other(
    cluster: tuple[str, str, str, str],
) -> None:
    _, key, url_a, url_b = cluster
    person = customer(1975, 3, 9)
    warned = Api(url_a, key).signed_in().screen(remittance(customer=person, purpose="刷单返利"))
    assert warned.json()["decision"] == "warn"
    again = Api(url_b, key).signed_in("T1002").screen(remittance(customer=person, purpose="房租"))
    assert again.json()["decision"] == "hold"
    assert [reason["code"] for reason in again.json()["reasons"]] == ["PREVIOUSLY_WARNED"]


def test_an_approval_can_be_spent_only_once_across_instances(
    cluster: tuple[str, str, str, str],
) -> None:
    _, key, url_a, url_b = cluster
    teller_a = Api(url_a, key).signed_in()
    teller_b = Api(url_b, key, teller_a.token)
    approval = teller_a.approval()
    held = [
        teller_a.screen(
            remittance(customer=customer(), payee_account="6214830012341234120", payee_name="周杰")
        ).json()
        for _ in range(2)
    ]

    def proceed(api: Api, screening: dict[str, object]) -> requests.Response:
        questions = screening["questions"]
        assert isinstance(questions, list)
        return api.ack(
            str(screening["screening_id"]),
            {
                "action": "proceed",
                "answers": [{"question_id": q["id"], "answer": "ok"} for q in questions],
                "note": "checked",
                "supervisor_approval": {"approval_token": approval},
            },
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(proceed, (teller_a, teller_b), held))
    assert sorted(response.status_code for response in results) == [201, 409]


def test_database_loss_is_a_503_problem_not_an_answer(tmp_path: Path) -> None:
    url, name = create_postgres_database()
    seed = seeded(url)
    service = start_service(url, tmp_path)
    try:
        teller = Api(service.url, seed.counter_key).signed_in()
        assert teller.screen(remittance()).status_code == 201
        drop_postgres_database(name)
        lost = teller.screen(remittance())
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"].startswith("application/problem+json")
        assert lost.json()["type"] == "urn:counterguard:problem:database-unavailable"
        assert "decision" not in lost.json()
    finally:
        service.stop()
        drop_postgres_database(name)
