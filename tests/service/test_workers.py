"""`serve --workers N`: each worker listens on the port itself, and the supervisor keeps N of them."""

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening_service import workers
from tests.reliability.conftest import wait_until
from tests.service.conftest import PROJECT_ROOT, ServiceProcess, seeded, serve_command, start_service

pytestmark = pytest.mark.skipif(
    not workers.supported() or not Path("/proc/self/task").exists(),
    reason="needs SO_REUSEPORT and /proc (Linux); elsewhere `serve` keeps uvicorn's workers",
)


def worker_pids(service: ServiceProcess) -> list[int]:
    """The service's worker processes (not multiprocessing's resource tracker beside them)."""
    pid = service.process.pid
    children = [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return sorted(child for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes())


def listening(pid: int, port: int) -> bool:
    return connections_held(pid, port, state="0A") > 0  # LISTEN


def two_workers_running(service: ServiceProcess) -> list[int] | None:
    """The two workers' process IDs, once both listen."""
    pids = worker_pids(service)
    port = port_of(service)
    return pids if len(pids) == 2 and all(listening(pid, port) for pid in pids) else None


def connections_held(pid: int, port: int, state: str = "01") -> int:
    """TCP sockets on local `port` in `state` (ESTABLISHED by default) that this process holds."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == state:
                inodes.add(fields[9])
    held = 0
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


@pytest.fixture
def two_worker_service(tmp_path: Path) -> Iterator[ServiceProcess]:
    database_url = f"sqlite:///{tmp_path / 'workers.db'}"
    seeded(database_url)
    service = start_service(database_url, tmp_path, "--workers", "2")
    try:
        wait_until(lambda: two_workers_running(service), "two workers running")
        yield service
    finally:
        service.stop()


def port_of(service: ServiceProcess) -> int:
    return int(service.url.rsplit(":", 1)[1])


def test_connections_opened_together_are_spread_over_the_workers(two_worker_service: ServiceProcess) -> None:
    """A branch's counters (or a load balancer) reconnect together after a restart and keep their
    connections: with one shared socket all 16 landed on one worker, which then did all the work."""
    port = port_of(two_worker_service)
    connections = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(16)]
    try:
        for connection in connections:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: counterguard\r\n\r\n")
        for connection in connections:
            assert connection.recv(4096).startswith(b"HTTP/1.1 200")
        held = {pid: connections_held(pid, port) for pid in worker_pids(two_worker_service)}
        assert sum(held.values()) == 16, held
        assert all(count > 0 for count in held.values()), held
    finally:
        for connection in connections:
            connection.close()


def test_a_worker_that_dies_is_replaced(two_worker_service: ServiceProcess) -> None:
    before = worker_pids(two_worker_service)
    os.kill(before[0], signal.SIGKILL)
    after = wait_until(
        lambda: (pids := two_workers_running(two_worker_service)) and before[0] not in pids and pids,
        "a new worker in place of the killed one",
    )
    assert before[1] in after
    port = port_of(two_worker_service)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: counterguard\r\n\r\n")
        assert connection.recv(4096).startswith(b"HTTP/1.1 200")


def test_stopping_the_service_stops_every_worker(two_worker_service: ServiceProcess) -> None:
    pids = worker_pids(two_worker_service)
    two_worker_service.stop()
    assert two_worker_service.process.returncode == 0
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_workers_stop_when_the_supervisor_is_killed(two_worker_service: ServiceProcess) -> None:
    """Killed outright, the supervisor cannot stop its workers; they notice and stop themselves,
    rather than serve on unsupervised and keep the port from the next `serve`."""
    pids = worker_pids(two_worker_service)
    two_worker_service.process.kill()
    two_worker_service.process.wait()
    for pid in pids:
        wait_until(lambda pid=pid: not Path(f"/proc/{pid}").exists(), f"worker {pid} gone")


def test_a_second_service_on_the_same_port_is_refused(
    two_worker_service: ServiceProcess, tmp_path: Path
) -> None:
    """SO_REUSEPORT would let a second service (say, an old one not yet stopped) join the port's
    group and take half the connections; `serve` refuses to start instead."""
    port = port_of(two_worker_service)
    second = subprocess.run(
        serve_command(port, f"sqlite:///{tmp_path / 'second.db'}", "--workers", "2"),
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=120,
        check=False,
    )
    assert second.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
