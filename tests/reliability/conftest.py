"""Process-fault fixtures: services that can be restarted, disks that fill up or refuse writes."""

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from screening_service.database import make_engine
from screening_service.schema import audit_records
from teller_client.audit import AuditRecord
from teller_client.settings import Settings, load_settings
from tests.service.conftest import PROJECT_ROOT, RunningService, new_resident_id, seeded, start_service

WAIT_SECONDS = 30  # the bound of every wait on a condition here; none takes near this long


def wait_until(condition: Callable[[], Any], what: str, seconds: float = WAIT_SECONDS) -> Any:
    """Poll `condition` until it is truthy (and return it), or fail naming `what`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.02)


def restart(service: RunningService, log_dir: Path) -> None:
    """Start the service again (after it stopped or was killed) on the same port and database."""
    process = service.process
    process.stop()  # if it still runs; closes its log either way
    port = int(process.url.rsplit(":", 1)[1])
    service.process = start_service(process.database_url, log_dir, port=port)


@pytest.fixture
def fresh_service(database_url: str, tmp_path: Path) -> Iterator[RunningService]:
    """A service process of its own on a new seeded database (sqlite and postgres), for one test."""
    log_dir = tmp_path / "service-logs"
    log_dir.mkdir()
    running = RunningService(start_service(database_url, log_dir), seeded(database_url))
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture
def sqlite_service(tmp_path: Path) -> Iterator[RunningService]:
    """The same on SQLite only, for scenarios about the client."""
    folder = tmp_path / "service"
    folder.mkdir()
    database = f"sqlite:///{folder / 'screening.db'}"
    seed = seeded(database)
    running = RunningService(start_service(database, folder), seed)
    try:
        yield running
    finally:
        running.process.stop()


def rows(database_url: str, table: Table, *where: Any) -> list[Any]:
    """The service database's rows, read directly (not through the API under test)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(select(table).where(*where)))
    finally:
        engine.dispose()


def count(database_url: str, table: Table, *where: Any) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the client


RETRY_BUDGET_SECONDS = 2.0
# Measured (12 calls): a refused call gives up after 0.9-1.8 s; the client never sleeps past its
# budget. 1 s more covers the audit writes around the call and a loaded CI machine.
BUDGET_MARGIN_SECONDS = 1.0


def client_settings(url: str) -> Settings:
    return load_settings(
        {"service_url": url, "language": "en", "retry_budget_seconds": str(RETRY_BUDGET_SECONDS)}
    )


def assert_outbox_delivered_once(records: list[AuditRecord], database_url: str) -> None:
    """Every local record is in the service's database exactly once, with the content it was sent with."""
    ids = [record.record_id for record in records]
    stored = rows(database_url, audit_records, audit_records.c.record_id.in_(ids))
    copies = Counter(row.record_id for row in stored)
    assert set(copies) == set(ids), f"never delivered: {sorted(set(ids) - set(copies))}"
    assert max(copies.values()) == 1
    by_id = {row.record_id: row for row in stored}
    for record in records:
        assert by_id[record.record_id].record_hash == record.hash


@dataclass
class Driver:
    """The child process running client_driver.py; its lines are read by a thread into a queue."""

    process: subprocess.Popen[str]
    lines: "queue.Queue[str]"
    seen: list[str]
    log: Path

    @classmethod
    def start(cls, service_url: str, pause_at: str, key: str, log: Path) -> "Driver":
        stderr = log.open("w")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.client_driver",
                service_url,
                pause_at,
                new_resident_id(1985, 6, 1),
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "COUNTERGUARD_TEST_TERMINAL_KEY": key, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        stderr.close()
        lines: queue.Queue[str] = queue.Queue()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put("")  # end of output

        threading.Thread(target=pump, name="driver-output", daemon=True).start()
        return cls(process, lines, [], log)

    def wait_for(self, prefix: str) -> str:
        """The next line starting with `prefix` (every line before it is kept in `seen`)."""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no '{prefix}' line within {WAIT_SECONDS} s; saw {self.seen}") from None
            if not line:
                raise AssertionError(f"the driver ended before '{prefix}':\n{self.log.read_text()}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        assert self.process.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL
        while (line := self.lines.get(timeout=WAIT_SECONDS)) != "":  # what it said before dying
            self.seen.append(line)

    def committed(self) -> list[tuple[str, str]]:
        """(record_id, kind) of every record the driver reported committed."""
        return [(line.split()[1], line.split()[2]) for line in self.seen if line.startswith("R ")]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


# ---------------------------------------------------------------- disks that fail


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


@contextlib.contextmanager
def small_disk(folder: Path, megabytes: int = 16) -> Iterator[Path]:
    """A tmpfs of its own at `folder`, so it can be filled up (ENOSPC) without touching the real disk."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        if _run("umount", str(folder)).returncode != 0:
            _run("umount", "-l", str(folder))  # something still holds it open: detach it anyway


def fill(folder: Path) -> Path:
    """Fill the disk of `folder` to the last byte; deleting the returned file frees it again."""
    filler = folder / "filler.bin"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # unbuffered
    try:
        for size in (65536, 1):  # big blocks, then whatever the last one left, byte by byte
            with contextlib.suppress(OSError):
                while True:
                    os.write(descriptor, b"\0" * size)
    finally:
        os.close(descriptor)
    assert shutil.disk_usage(folder).free < 4096, "the disk was not filled"
    return filler


@contextlib.contextmanager
def read_only_mount(folder: Path) -> Iterator[Path]:
    """`folder` (with the files already in it) as a read-only tmpfs: every write fails with EROFS."""
    with small_disk(folder.with_name(folder.name + "-ro")) as staging:
        for item in folder.iterdir():
            shutil.copy2(item, staging / item.name)
        remounted = _run("mount", "-o", "remount,ro", str(staging))
        assert remounted.returncode == 0, remounted.stderr
        yield staging


@contextlib.contextmanager
def immutable(*files: Path) -> Iterator[None]:
    """chattr +i: the kernel refuses every write to these files, even on descriptors already open."""
    done: list[Path] = []
    try:
        for file in files:
            changed = _run("chattr", "+i", str(file))
            if changed.returncode != 0:
                pytest.skip(
                    f"chattr +i does not work here (needs root on ext4/xfs): {changed.stderr.strip()}"
                )
            done.append(file)
        yield
    finally:
        for file in done:
            _run("chattr", "-i", str(file))


class AuditDiskFault:
    """The audit log's disk failing while the client runs: `inject()` and `clear()` the fault.

    "disk_full": the data folder is a small tmpfs of its own, filled to the last byte (ENOSPC).
    "read_only": the audit files made immutable (chattr +i): the kernel refuses every write to
    them, as on a disk that went read-only, also on the descriptors SQLite already holds.
    """

    def __init__(self, kind: str, data_dir: Path) -> None:
        self.kind = kind
        self.data_dir = data_dir
        self._stack = contextlib.ExitStack()
        self._filler: Path | None = None

    @property
    def audit_files(self) -> list[Path]:
        database = self.data_dir / "audit.db"
        return [database, Path(f"{database}-wal")]

    def inject(self) -> None:
        if self.kind == "disk_full":
            self._filler = fill(self.data_dir)
        else:
            assert all(file.exists() for file in self.audit_files)
            self._stack.enter_context(immutable(*self.audit_files))

    def clear(self) -> None:
        if self._filler is not None:
            self._filler.unlink()
            self._filler = None
        self._stack.close()


AUDIT_FAULTS = ["disk_full", "read_only"]


@pytest.fixture(params=AUDIT_FAULTS)
def audit_fault(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AuditDiskFault]:
    """Each way the audit log's disk fails; the client's data folder is set up for it (not yet failing)."""
    with contextlib.ExitStack() as stack:
        if request.param == "disk_full":
            folder = stack.enter_context(small_disk(tmp_path / "disk"))
            monkeypatch.setenv("COUNTERGUARD_DATA_DIR", str(folder))
        else:
            folder = tmp_path / "data"
        fault = AuditDiskFault(request.param, folder)
        stack.callback(fault.clear)
        yield fault
