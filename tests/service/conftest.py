"""Fixtures that run the screening service as a real process on a free loopback port."""

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from screening_service.admin import add_teller
from screening_service.database import make_engine, migrate
from screening_service.demo import DemoSeed, seed_demo

STARTUP_SECONDS = 30
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class ServiceProcess:
    url: str
    database_url: str
    process: subprocess.Popen[str]
    log_path: Path
    log_file: IO[str]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


def serve_command(port: int, database_url: str, *extra: str) -> list[str]:
    """`serve` on a loopback port."""
    return [
        sys.executable,
        "-m",
        "screening_service",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--database",
        database_url,
        *extra,
    ]


def start_service(database_url: str, log_dir: Path, *extra: str, port: int | None = None) -> ServiceProcess:
    """`port`: the port of a service stopped before, to restart it where its clients look for it."""
    port = port or free_port()
    log_path = log_dir / f"service-{port}.log"
    log_file = log_path.open("a")
    process = subprocess.Popen(
        serve_command(port, database_url, *extra),
        stdout=log_file,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    service = ServiceProcess(f"http://127.0.0.1:{port}", database_url, process, log_path, log_file)
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:  # wait for the condition "answers /healthz", bounded
        if process.poll() is not None:
            raise RuntimeError(f"service exited with {process.returncode}:\n{service.log()}")
        try:
            if requests.get(f"{service.url}/healthz", timeout=1).status_code == 200:
                return service
        except (requests.ConnectionError, requests.Timeout):
            pass  # not listening yet, or accepted by a process still starting
        if time.monotonic() > deadline:
            service.stop()
            raise RuntimeError(f"service did not answer within {STARTUP_SECONDS} s:\n{service.log()}")
        time.sleep(0.05)


@dataclass
class Api:
    """A thin test client: every call is real HTTP to the service process."""

    url: str
    terminal_key: str
    token: str | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"X-Terminal-Key": self.terminal_key, **extra}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.url + path, headers=self.headers(), timeout=10, **kwargs)

    def post(self, path: str, body: Any, **extra_headers: str) -> requests.Response:
        return self.session.post(
            self.url + path, json=body, headers=self.headers(**extra_headers), timeout=10
        )

    def sign_in(self, teller_id: str, password: str, purpose: str = "session") -> requests.Response:
        return self.post("/v1/sessions", {"teller_id": teller_id, "password": password, "purpose": purpose})

    def signed_in(self, teller_id: str = "T1001", password: str = "teller-demo-1") -> "Api":
        response = self.sign_in(teller_id, password)
        assert response.status_code == 201, response.text
        return Api(self.url, self.terminal_key, response.json()["token"])

    def approval(self, supervisor: str = "S2001", password: str = "super-demo-1") -> str:
        response = self.sign_in(supervisor, password, "approval")
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def screen(self, body: dict[str, Any], key: str | None = None) -> requests.Response:
        return self.post("/v1/screenings", body, **{"Idempotency-Key": key or uuid.uuid4().hex})

    def ack(self, screening_id: str, body: dict[str, Any]) -> requests.Response:
        body = {"client_event_id": uuid.uuid4().hex, **body}
        return self.post(f"/v1/screenings/{screening_id}/acknowledgements", body)


@dataclass
class RunningService:
    process: ServiceProcess
    seed: DemoSeed

    @property
    def url(self) -> str:
        return self.process.url

    def counter(self) -> Api:
        return Api(self.url, self.seed.counter_key)

    def kiosk(self) -> Api:
        return Api(self.url, self.seed.kiosk_key)

    def teller(self, teller_id: str = "T1001", password: str = "teller-demo-1") -> Api:
        return self.counter().signed_in(teller_id, password)


def seeded(database_url: str) -> DemoSeed:
    engine = make_engine(database_url)
    migrate(engine)
    seed = seed_demo(engine)
    engine.dispose()
    return seed


def add_test_teller(database_url: str, teller_id: str, role: str = "teller") -> str:
    password = f"pw-{teller_id}-secret"
    engine = make_engine(database_url)
    add_teller(engine, teller_id, f"Test {teller_id}", role, "BJ0101", password)
    engine.dispose()
    return password


def seeded_service(database_url: str, log_dir: Path) -> Iterator[RunningService]:
    """A service process on `database_url` with demo data, stopped when the generator closes."""
    seed = seeded(database_url)
    process = start_service(database_url, log_dir)
    try:
        yield RunningService(process, seed)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def service(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """One service process per test module and database kind, on demo data."""
    yield from seeded_service(module_database_url, tmp_path_factory.mktemp("logs"))


def remittance(**changes: Any) -> dict[str, Any]:
    """A clean remittance by a 45-year-old to a payee whose name matches the directory."""
    body: dict[str, Any] = {
        "payer_account": "6222020200112233446",
        "payee_account": "6212260200001234562",
        "payee_name": "王小明",
        "payee_bank": "中国工商银行",
        "amount": "3000.00",
        "currency": "CNY",
        "purpose": "房租",
        "arrival_mode": "realtime",
        "branch_id": "BJ0101",
        "customer": {
            "id_type": "resident_id",
            "id_number": new_resident_id(1981, 5, 17),
            "name": "赵敏",
            "birth_date": "1981-05-17",
        },
        "face_verification": {"outcome": "match", "distance": 0.35, "liveness": "passed"},
    }
    for key, value in changes.items():
        if key in ("customer", "face_verification"):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    return body


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def new_resident_id(year: int, month: int, day: int) -> str:
    """A valid 18-digit resident ID with that birth date, unique in this test run (a new customer)."""
    while True:
        # Region (6 digits) and sequence (3 digits) vary: 10^9 combinations per birth date.
        region = 110000 + secrets.randbelow(890000)
        body = f"{region:06d}{year:04d}{month:02d}{day:02d}{secrets.randbelow(1000):03d}"
        if body not in _ISSUED_IDS:
            _ISSUED_IDS.add(body)
            break
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


_ISSUED_IDS: set[str] = set()


def customer(year: int = 1981, month: int = 5, day: int = 17) -> dict[str, str]:
    return {
        "id_type": "resident_id",
        "id_number": new_resident_id(year, month, day),
        "birth_date": f"{year:04d}-{month:02d}-{day:02d}",
    }
