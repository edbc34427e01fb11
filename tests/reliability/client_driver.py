"""Child process of the client-kill scenarios: one teller's remittance on a real Runtime, killed mid-way.

Usage: client_driver.py SERVICE_URL PAUSE_AT ID_NUMBER
  (the data folder comes in COUNTERGUARD_DATA_DIR, the terminal key in COUNTERGUARD_TEST_TERMINAL_KEY)

It signs in, screens a clean remittance, acknowledges "proceed", then delivers its audit outbox.
Every line is flushed at once, so the parent always knows what has happened:
  "R <record_id> <kind>"  an audit record was committed (its append returned)
  "S <screening_id>"       the service screened the remittance
  "K <action> <state>"     the service accepted the acknowledgement and it was recorded
  "D <count>"              the outbox delivered this many records
  "P <point>"              reached PAUSE_AT: it waits on stdin, for the parent's SIGKILL
  "E <error> <problem>"    the audit log refused a record (with PAUSE_AT=fsize_after_screening)
PAUSE_AT: before_ack, ack_committed, fsize_after_screening (the file size limit is lowered to the
audit log's current size, so its next write fails as on a full disk), or none (the parent's proxy
holds a request in flight and the parent kills the driver there).
"""

import os
import resource
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import keyring

from teller_client import credentials, paths
from teller_client.audit import AuditRecord, AuditUnavailableError
from teller_client.contract import ScreeningResult, SessionGrant
from teller_client.desk import AckOutcome, Desk
from teller_client.runtime import Runtime, open_runtime
from teller_client.settings import load_settings
from teller_client.workflow import CounterSession, Customer, FaceException, Remittance
from tests.conftest import MemoryKeyring

CLEAN_PAYEE = ("6212260200001234562", "王小明")


CLEAN_REMITTANCE = Remittance(
    payer_account="6222020200112233446",
    payee_account=CLEAN_PAYEE[0],
    payee_name=CLEAN_PAYEE[1],
    payee_bank="中国工商银行",
    amount=Decimal("3000.00"),
    currency="CNY",
    purpose="房租",
)


def customer_identified(desk: Desk, id_number: str) -> CounterSession:
    """A new customer identified (no camera here: the alternative check), ready for the remittance."""
    session = desk.new_customer()
    born = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))  # as the ID says
    session.identify(Customer("resident_id", id_number, "赵敏", born))
    session.face_exception(FaceException.NO_CAMERA, "联网核查身份证，人证一致")
    return session


def customer_screened(desk: Desk, id_number: str) -> CounterSession:
    """... and a clean remittance submitted, to be screened."""
    session = customer_identified(desk, id_number)
    session.submit(CLEAN_REMITTANCE)
    return session


def say(line: str) -> None:
    print(line, flush=True)


def pause(point: str, wanted: str) -> None:
    if point == wanted:
        say(f"P {point}")
        sys.stdin.readline()  # the parent kills us here; a closed stdin ends the wait
        raise SystemExit(f"not killed at {point}")


def watch_records(runtime: Runtime) -> None:
    """Say each record once it is committed (observation only: the append itself is unchanged)."""
    append = runtime.audit.append

    def reporting_append(kind: str, payload: object, now: object = None) -> AuditRecord:
        record = append(kind, payload, now)  # type: ignore[arg-type]
        say(f"R {record.record_id} {kind}")
        return record

    runtime.audit.append = reporting_append  # type: ignore[method-assign]


def main() -> int:
    service_url, point, id_number = sys.argv[1:4]
    keyring.set_keyring(MemoryKeyring())  # never the machine's keyring
    credentials.store_terminal_key(service_url, os.environ["COUNTERGUARD_TEST_TERMINAL_KEY"])
    settings = load_settings({"service_url": service_url, "language": "en"})
    runtime = open_runtime(settings, start_delivery=False)
    watch_records(runtime)
    desk = Desk(runtime)
    grant = desk.sign_in("T1001", "teller-demo-1")
    assert isinstance(grant, SessionGrant), grant
    session = customer_screened(desk, id_number)
    result = desk.screen(session)
    assert isinstance(result, ScreeningResult), result
    say(f"S {result.screening_id}")
    pause(point, "before_ack")
    if point == "fsize_after_screening":
        wal = Path(f"{paths.data_dir() / 'audit.db'}-wal")
        limit = wal.stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        try:
            desk.acknowledge(session, "proceed")
        except AuditUnavailableError as error:
            say(f"E {type(error).__name__} {error.problem}")
            return 3
        say("E none")
        return 4
    outcome = desk.acknowledge(session, "proceed")
    assert isinstance(outcome, AckOutcome), outcome
    say(f"K {outcome.action} {outcome.state.value}")
    pause(point, "ack_committed")
    report = runtime.delivery.run_once()
    say(f"D {report.delivered}")
    runtime.close()
    say("DONE")
    return 0


if __name__ == "__main__":
    sys.exit(main())
