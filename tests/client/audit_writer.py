"""Child process of the audit crash test: appends audit records until it is killed.

Usage: audit_writer.py DB_PATH [SERVICE_URL]   (the terminal key comes in COUNTERGUARD_TEST_TERMINAL_KEY)

Prints "R" once the store is open, "A <record_id>" right after each append has returned (the record
is committed), and, when a service URL is given, delivers the backlog after every append and prints
"D <record_id> <0|1>" for each delivery the service confirmed (1: it already had the record).
"""

import os
import random
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from teller_client.audit import AuditStore
from teller_client.delivery import DeliveryWorker
from teller_client.service_client import ServiceClient, ServiceFailure
from teller_client.settings import Settings

MAX_RECORDS = 10_000  # a safety stop: the parent kills the writer long before this


def main() -> int:
    path = Path(sys.argv[1])
    service_url = sys.argv[2] if len(sys.argv) > 2 else ""
    store = AuditStore(path)
    client = (
        ServiceClient(service_url, os.environ["COUNTERGUARD_TEST_TERMINAL_KEY"], Settings())
        if service_url
        else None
    )

    def deliver(record: Mapping[str, Any]) -> object:
        assert client is not None
        outcome = client.deliver_audit_record(record)
        if not isinstance(outcome, ServiceFailure):
            print(f"D {record['record_id']} {int(bool(outcome.get('duplicate')))}", flush=True)
        return outcome

    worker = DeliveryWorker(store, deliver)
    rng = random.Random()
    print("R", flush=True)
    for number in range(MAX_RECORDS):
        record = store.append(
            "screening_decision",
            {
                "writer_pid": os.getpid(),
                "number": number,
                "decision": rng.choice(["allow", "warn", "hold", "block"]),
                "note": "备注" * rng.randint(0, 40),
            },
        )
        print(f"A {record.record_id}", flush=True)
        if client is not None:
            worker.run_once()
    store.close()
    if client is not None:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
