"""Load benchmark of the screening service: POST /v1/screenings over loopback, SQLite and PostgreSQL.

For each backend it builds a fresh database, runs `demo-seed`, generates a CSV of listed accounts
(1,000,000 by default) and loads it through the real `import-list --source police` command (timed),
starts `serve` as a subprocess, signs a demo teller in and drives POST /v1/screenings with `wrk`
(a Lua script; far cheaper than a Python client on a 2-core machine) for a fixed time. It prints
screenings/s, p50/p99 latency and errors per configuration, writes them to docs/performance.md and
ends with one summary line. Every step is bounded in time; the run stops by itself.

    uv run python bench/service_load.py                      # both backends, 1M listed accounts
    uv run python bench/service_load.py --backends sqlite --rows 100000 --duration 5

Without `wrk` (apt-get install -y wrk) it says so and stops, unless `--generator python` is given:
a threaded Python client, which competes with the server for the same two cores and therefore
understates what the service can do.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import http.client
import itertools
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DOC = PROJECT_ROOT / "docs" / "performance.md"
SECTION = "## Screening service load (bench/service_load.py)"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_RATE = 2000.0
TARGET_P99_MS = 20.0
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Step limits, so that the run always ends by itself.
IMPORT_TIMEOUT_S = 1800
COMMAND_TIMEOUT_S = 300
STARTUP_TIMEOUT_S = 60


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ data


def listed_account(index: int) -> str:
    """The index-th listed account: a 19-digit card number (Luhn check digit last, as `import-list`
    requires) with a prefix no clean payee uses."""
    payload = f"6229{index:014d}"
    total = sum(
        (value * 2 - 9 if value > 4 else value * 2) if position % 2 == 0 else value
        for position, value in enumerate(int(char) for char in reversed(payload))
    )
    return payload + str(-total % 10)


def clean_account(rng: random.Random) -> str:
    return f"6213{rng.randrange(10**15):015d}"


def resident_id(rng: random.Random, birth: dt.date) -> str:
    body = f"110105{birth:%Y%m%d}{rng.randrange(1000):03d}"
    total = sum(int(digit) * weight for digit, weight in zip(body, _ID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def typologies() -> list[str]:
    rules = tomllib.loads((PROJECT_ROOT / "screening_service" / "default_rules.toml").read_text("utf-8"))
    return sorted(rules["typologies"])


def write_list_csv(path: Path, rows: int) -> None:
    kinds = typologies()
    banks = ("中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "招商银行", "交通银行")
    start = dt.date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["account_number", "bank", "typology", "listed_on", "reference"])
        writer.writerows(
            (
                listed_account(i),
                banks[i % len(banks)],
                kinds[i % len(kinds)],
                (start + dt.timedelta(days=i % 690)).isoformat(),
                f"公安部 2026-{i:07d}",
            )
            for i in range(rows)
        )


def request_bodies(rng: random.Random, count: int, listed_rows: int) -> list[str]:
    """A realistic mix: most payees clean, 10% on the police list, 5% a payee from the name directory.

    Customers come from a pool (so screening history builds up per customer), ages 18 to 85.
    """
    customers = []
    for _ in range(max(count // 2, 1)):
        birth = dt.date(rng.randint(1941, 2006), rng.randint(1, 12), rng.randint(1, 28))
        customers.append(
            {
                "id_type": "resident_id",
                "id_number": resident_id(rng, birth),
                "name": rng.choice(("赵敏", "张建国", "李秀英", "王磊", "刘芳", "陈静")),
                "birth_date": birth.isoformat(),
            }
        )
    purposes = ("房租", "货款", "生活费", "学费", "还款", "投资", "")
    bodies = []
    for _ in range(count):
        draw = rng.random()
        if draw < 0.10:
            payee, name = listed_account(rng.randrange(listed_rows)), "刘洋"
        elif draw < 0.15:
            payee, name = "6212260200001234562", "王小明"
        else:
            payee, name = clean_account(rng), rng.choice(("王小明", "周杰", "陈思远", "张丽华"))
        amount = rng.choice((500, 1200, 3000, 8000, 20000, 50000, 120000)) + rng.randrange(100)
        body = {
            "payer_account": f"6222020200{rng.randrange(10**9):09d}",
            "payee_account": payee,
            "payee_name": name,
            "payee_bank": "中国工商银行",
            "amount": f"{amount}.00",
            "currency": "CNY",
            "purpose": rng.choice(purposes),
            "arrival_mode": "realtime",
            "branch_id": "BJ0101",
            "customer": rng.choice(customers),
            "face_verification": {"outcome": "match", "distance": 0.35, "liveness": "passed"},
        }
        bodies.append(json.dumps(body, ensure_ascii=False))
    return bodies


# ------------------------------------------------------------------ databases


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    yield f"sqlite:///{folder / 'bench.db'}"


@contextmanager
def _keep_sqlite_copy(database: str) -> Iterator[Callable[[], None]]:
    """Yields a function that puts the database file back as it is now (the CLI left no log)."""
    path = Path(database.removeprefix("sqlite:///"))
    kept = path.with_name(path.name + ".seeded")
    shutil.copy(path, kept)

    def restore() -> None:
        for leftover in (Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        shutil.copy(kept, path)

    try:
        yield restore
    finally:
        kept.unlink(missing_ok=True)


@contextmanager
def _keep_postgres_copy(database: str) -> Iterator[Callable[[], None]]:
    """Yields a function that puts the database back as it is now (a template copy)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(database)
    name, kept = url.database, f"{url.database}_seeded"
    admin = create_engine(
        url.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{kept}" TEMPLATE "{name}"'))

    def restore() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{kept}"'))
            connection.execute(text("CHECKPOINT"))

    try:
        yield restore
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{kept}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"cg_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def service_command(*args: str, timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "screening_service", "--log-level", "WARNING", *args],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:1])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


@dataclass
class Seeded:
    counter_key: str
    import_seconds: float
    import_summary: str


def seed(database: str, folder: Path, rows: int) -> Seeded:
    result = service_command("demo-seed", "--database", database)
    key = re.search(r"counter terminal \S+ key: (\S+)", result.stdout)
    if not key:
        raise RuntimeError(f"no counter key in demo-seed output:\n{result.stdout}")
    csv_path = folder / "police-list.csv"
    if not csv_path.exists():
        log(f"writing {rows:,} listed accounts to {csv_path.name}")
        write_list_csv(csv_path, rows)
    log(f"import-list {rows:,} rows")
    started = time.perf_counter()
    imported = service_command(
        "import-list", str(csv_path), "--source", "police", "--database", database, timeout=IMPORT_TIMEOUT_S
    )
    seconds = time.perf_counter() - started
    summary = imported.stdout.strip().splitlines()[-1].split(": ", 1)[-1]
    log(f"imported in {seconds:.1f} s: {summary}")
    return Seeded(key.group(1), seconds, summary)


# ------------------------------------------------------------------ service


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(database: str, workers: int, log_path: Path) -> Iterator[tuple[int, int]]:
    """Starts `serve`; yields (port, process ID)."""
    port = free_port()
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "screening_service",
                "--log-level",
                "WARNING",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database",
                database,
                "--workers",
                str(workers),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=PROJECT_ROOT,
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not healthy(port):
                if process.poll() is not None:
                    raise RuntimeError(f"service exited:\n{log_path.read_text(errors='replace')[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"service did not answer within {STARTUP_TIMEOUT_S} s")
                time.sleep(0.1)
            time.sleep(0.5 * workers)  # let every worker process finish starting
            yield port, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def call(
    port: int, method: str, path: str, body: str | None, headers: dict[str, str]
) -> tuple[int, dict[str, Any]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        payload = body.encode() if body is not None else None
        connection.request(method, path, payload, {"Content-Type": "application/json", **headers})
        response = connection.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else {})
    finally:
        connection.close()


def healthy(port: int) -> bool:
    try:
        return call(port, "GET", "/healthz", None, {})[0] == 200
    except OSError:
        return False


def sign_in(port: int, key: str) -> str:
    status, body = call(
        port,
        "POST",
        "/v1/sessions",
        json.dumps({"teller_id": "T1001", "password": "teller-demo-1", "purpose": "session"}),
        {"X-Terminal-Key": key},
    )
    if status != 201:
        raise RuntimeError(f"sign-in failed: {status} {body}")
    return str(body["token"])


def sanity_check(port: int, headers: dict[str, str], rng: random.Random) -> None:
    """Before measuring: a police-listed payee from the import is blocked, a clean one is allowed."""
    body = json.loads(request_bodies(rng, 1, 1)[0])
    for payee, expected in ((listed_account(0), "block"), ("6212260200001234562", "allow")):
        body.update(payee_account=payee, payee_name="王小明", amount="3000.00", purpose="房租")
        body["customer"] = {**body["customer"], "birth_date": "1981-05-17"}
        body["customer"]["id_number"] = resident_id(rng, dt.date(1981, 5, 17))
        status, answer = call(
            port,
            "POST",
            "/v1/screenings",
            json.dumps(body, ensure_ascii=False),
            {**headers, "Idempotency-Key": f"sanity-{uuid.uuid4().hex}"},
        )
        if status != 201 or answer.get("decision") != expected:
            raise RuntimeError(f"sanity check: {payee} gave {status} {answer}, expected {expected}")


# ------------------------------------------------------------------ load generators


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    generator: str

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# ------------------------------------------------------------------ CPU accounting (Linux /proc)


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _process_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _service_pids(root: int) -> list[int]:
    """The service process and its worker processes."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0", 1)[0]
            except OSError:
                continue
            if command.startswith(b"postgres") or command.endswith(b"/postgres"):
                pids.append(int(entry.name))
    return pids


def _machine_busy_seconds() -> float:
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class CpuUse:
    """CPU seconds spent during one measured row, by whom."""

    service: float
    database: float
    generator: float
    machine: float

    @property
    def others(self) -> float:
        return max(0.0, self.machine - self.service - self.database - self.generator)


def measure_cpu(service_pid: int, backend: str, run: Callable[[], LoadResult]) -> tuple[LoadResult, CpuUse]:
    """Runs the load and accounts the CPU: the service's processes, the PostgreSQL server's, the load
    generator's (a child of this process) and the machine's in all, so a row run while other work
    shared the cores says so."""
    pids = _service_pids(service_pid)
    database_pids = _postgres_pids() if backend == "postgres" else []
    before = (_process_seconds(pids), _process_seconds(database_pids), os.times(), _machine_busy_seconds())
    result = run()
    after = (_process_seconds(pids), _process_seconds(database_pids), os.times(), _machine_busy_seconds())
    generator = (after[2].children_user + after[2].children_system) - (
        before[2].children_user + before[2].children_system
    )
    return result, CpuUse(after[0] - before[0], after[1] - before[1], generator, after[3] - before[3])


def lua_string(value: str) -> str:
    return "[==[" + value + "]==]"


WRK_SCRIPT = """
local bodies = dofile(%(bodies)s)
local prefix = %(prefix)s
local auth = %(auth)s
local terminal = %(terminal)s
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  bad = 0
  first_bad = ""
end

function request()
  counter = counter + 1
  local body = bodies[((counter * 7919 + id * 104729) %% #bodies) + 1]
  return wrk.format("POST", "/v1/screenings", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = auth,
    ["X-Terminal-Key"] = terminal,
    ["Idempotency-Key"] = prefix .. id .. "-" .. counter,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body, 1, 300) end
  end
end

function done(summary, latency, requests)
  local bad_total, sample = 0, ""
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    local first = thread:get("first_bad")
    if first ~= "" then sample = first end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"socket_errors": %%d, "non_201": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, bad_total))
  if sample ~= "" then io.write("WRK_FIRST_ERROR " .. sample .. "\\n") end
end
"""


def run_wrk(
    port: int, headers: dict[str, str], bodies: list[str], connections: int, seconds: float, folder: Path
) -> LoadResult:
    data = folder / "bodies.lua"
    data.write_text("return {\n" + ",\n".join(lua_string(body) for body in bodies) + "\n}\n", "utf-8")
    script = folder / "screenings.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "bodies": lua_string(str(data)),
            "prefix": lua_string(f"bench-{uuid.uuid4().hex[:12]}-"),
            "auth": lua_string(headers["Authorization"]),
            "terminal": lua_string(headers["X-Terminal-Key"]),
        },
        "utf-8",
    )
    wrk = shutil.which("wrk")
    assert wrk is not None
    result = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    found = re.search(r"^WRK_RESULT (.*)$", result.stdout, re.M)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    first_error = re.search(r"^WRK_FIRST_ERROR (.*)$", result.stdout, re.M)
    if first_error:
        log(f"first failed request: {first_error.group(1)}")
    numbers = json.loads(found.group(1))
    return LoadResult(
        numbers["requests"],
        numbers["duration_us"] / 1e6,
        numbers["p50_us"] / 1000,
        numbers["p99_us"] / 1000,
        numbers["socket_errors"] + numbers["non_201"],
        "wrk",
    )


def run_python(
    port: int, headers: dict[str, str], bodies: list[str], connections: int, seconds: float
) -> LoadResult:
    """Fallback client: one thread per connection, keep-alive, bounded by the deadline."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    prefix = f"bench-{uuid.uuid4().hex[:12]}-"
    deadline = time.monotonic() + seconds

    def worker(number: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        bad = 0
        count = 0
        while time.monotonic() < deadline:
            count += 1
            body = bodies[(count * 7919 + number * 104729) % len(bodies)].encode()
            request_headers = {
                "Content-Type": "application/json",
                **headers,
                "Idempotency-Key": f"{prefix}{number}-{count}",
            }
            started = time.perf_counter()
            try:
                connection.request("POST", "/v1/screenings", body, request_headers)
                response = connection.getresponse()
                response.read()
                if response.status != 201:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                continue
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 30)
    elapsed = time.monotonic() - started
    if not latencies:
        return LoadResult(0, elapsed, 0.0, 0.0, errors[0], "python")
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadResult(len(latencies), elapsed, cuts[49] * 1000, cuts[98] * 1000, errors[0], "python")


# ------------------------------------------------------------------ the run


@dataclass
class Row:
    backend: str
    workers: int
    connections: int
    listed: int
    result: LoadResult
    import_seconds: float
    cpu: CpuUse


@dataclass
class Options:
    backends: list[str]
    rows: int
    workers: list[int]
    connections: list[int]
    duration: float
    warmup: float
    postgres_url: str
    generator: str
    write_doc: bool
    rows_done: list[Row] = field(default_factory=list)


def bench_backend(options: Options, backend: str, scratch: Path) -> None:
    folder = scratch / backend
    folder.mkdir()
    shutil.copy(scratch / "police-list.csv", folder / "police-list.csv")
    database_cm = sqlite_database(folder) if backend == "sqlite" else postgres_database(options.postgres_url)
    with database_cm as database:
        seeded = seed(database, folder, options.rows)
        rng = random.Random(1)
        bodies = request_bodies(rng, 20_000, options.rows)
        keep_as_seeded = _keep_sqlite_copy if backend == "sqlite" else _keep_postgres_copy
        with keep_as_seeded(database) as restore:
            for workers, connections in itertools.product(options.workers, options.connections):
                # Every row starts from the database as seeded: the screenings of earlier rows would
                # lengthen each customer's history, and the later rows would pay for it.
                restore()
                log_path = folder / f"service-w{workers}-c{connections}.log"
                with running_service(database, workers, log_path) as service:
                    bench_row(options, backend, seeded, service, bodies, (workers, connections), folder, rng)


def bench_row(
    options: Options,
    backend: str,
    seeded: Seeded,
    service: tuple[int, int],
    bodies: list[str],
    shape: tuple[int, int],
    folder: Path,
    rng: random.Random,
) -> None:
    """One row: `shape` is (workers, connections)."""
    port, pid = service
    workers, connections = shape
    key = seeded.counter_key
    headers = {"X-Terminal-Key": key, "Authorization": f"Bearer {sign_in(port, key)}"}
    sanity_check(port, headers, rng)
    if options.warmup > 0:
        load(options, port, headers, bodies, connections, options.warmup, folder)
    result, cpu = measure_cpu(
        pid,
        backend,
        functools.partial(load, options, port, headers, bodies, connections, options.duration, folder),
    )
    row = Row(backend, workers, connections, options.rows, result, seeded.import_seconds, cpu)
    options.rows_done.append(row)
    log(
        f"{backend} workers={workers} connections={connections}: "
        f"{result.rate:.0f} screenings/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, {result.errors} errors ({result.requests} requests); "
        f"CPU s: service {cpu.service:.1f}, database {cpu.database:.1f}, "
        f"wrk {cpu.generator:.1f}, other processes {cpu.others:.1f}"
    )


def load(
    options: Options,
    port: int,
    headers: dict[str, str],
    bodies: list[str],
    connections: int,
    seconds: float,
    folder: Path,
) -> LoadResult:
    if options.generator == "wrk":
        return run_wrk(port, headers, bodies, connections, seconds, folder)
    return run_python(port, headers, bodies, connections, seconds)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPU cores ({cpu}){memory}, {platform.system()} {platform.release()}"


def postgres_version(url: str) -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one()).split()[0]
    finally:
        engine.dispose()


def render(options: Options, command: str, notes: str) -> str:
    import sqlite3

    lines = [
        SECTION,
        "",
        f"Measured {dt.date.today().isoformat()} on {machine()}; Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}"
        + (
            f", PostgreSQL {postgres_version(options.postgres_url)} on the same machine"
            if "postgres" in options.backends
            else ""
        )
        + ".",
        "",
        f"Load generator: "
        f"{'wrk (1 thread)' if options.generator == 'wrk' else 'Python (a thread per connection)'} "
        f"on the same machine as the service, closed loop: each connection sends its next "
        f"screening when the previous answer arrives. {options.duration:g} s measured per row after "
        f"{options.warmup:g} s warm-up. Mix: 85% clean payees, 10% payees from the police list "
        "(accounts of the imported list), 5% a payee from the name directory; customers from a pool "
        "of 10,000 valid resident IDs aged 20 to 85 (20,000 distinct request bodies). Every request "
        "has its own Idempotency-Key and the teller's bearer token and terminal key; errors are "
        "non-201 answers plus socket errors.",
        "",
        f"Target: at least {TARGET_RATE:,.0f} screenings/s with p99 under {TARGET_P99_MS:g} ms.",
        "",
        "| backend | workers | concurrency | listed accounts | screenings/s | p50 ms | p99 ms | errors "
        "| service CPU ms per screening | database CPU ms per screening | cores taken by other processes "
        "| import time for listed accounts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in options.rows_done:
        requests = max(row.result.requests, 1)
        database = f"{1000 * row.cpu.database / requests:.2f}" if row.backend == "postgres" else "-"
        lines.append(
            f"| {row.backend} | {row.workers} | {row.connections} | {row.listed:,} | "
            f"{row.result.rate:,.0f} | {row.result.p50_ms:.1f} | {row.result.p99_ms:.1f} | "
            f"{row.result.errors} | {1000 * row.cpu.service / requests:.2f} | {database} | "
            f"{row.cpu.others / max(row.result.seconds, 0.001):.2f} | {row.import_seconds:.1f} s |"
        )
    lines += [
        "",
        "CPU columns: the service's processes (all workers) and the PostgreSQL server's, per screening "
        "answered; the last one is the machine's busy time that neither they nor wrk account for, "
        "in cores (other work sharing the two cores during the row).",
    ]
    lines += ["", "Reproduce:", "", "```", command, "```", ""]
    if notes:
        lines += [notes.strip(), ""]
    return "\n".join(lines)


NOTES_MARKER = "<!-- service_load notes -->"


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/performance.md; other sections stay as they are.

    Hand-written notes after the NOTES_MARKER line inside the section are kept across runs.
    """
    DOC.parent.mkdir(parents=True, exist_ok=True)
    existing = DOC.read_text("utf-8") if DOC.exists() else "# Performance\n"
    start = existing.find(SECTION)
    if start < 0:
        DOC.write_text(existing.rstrip("\n") + "\n\n" + section + "\n", "utf-8")
        return
    end = existing.find("\n## ", start + len(SECTION))
    end = len(existing) if end < 0 else end + 1
    old = existing[start:end]
    kept = old[old.find(NOTES_MARKER) :].rstrip("\n") + "\n" if NOTES_MARKER in old else ""
    new = section.rstrip("\n") + "\n\n" + kept if kept else section
    DOC.write_text(
        existing[:start] + new.rstrip("\n") + "\n" + ("\n" + existing[end:] if existing[end:] else ""),
        "utf-8",
    )


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default="sqlite,postgres", help="comma list: sqlite, postgres")
    parser.add_argument("--rows", type=int, default=1_000_000, help="listed accounts to import")
    parser.add_argument("--workers", default="2", help="comma list of service worker counts")
    parser.add_argument("--connections", default="16", help="comma list of concurrent connections")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per row")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of unmeasured load before")
    parser.add_argument(
        "--postgres-url", default=os.environ.get("COUNTERGUARD_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    parser.add_argument("--generator", choices=["wrk", "python"], default="wrk")
    parser.add_argument("--no-doc", action="store_true", help="do not write docs/performance.md")
    args = parser.parse_args(argv)
    backends = [name.strip() for name in args.backends.split(",") if name.strip()]
    if not backends or set(backends) - {"sqlite", "postgres"}:
        parser.error("--backends takes sqlite and/or postgres")
    if not 1 <= args.duration <= 600 or not 0 <= args.warmup <= 60:
        parser.error("--duration must be 1-600 s and --warmup 0-60 s")
    return Options(
        backends=backends,
        rows=args.rows,
        workers=[int(n) for n in args.workers.split(",")],
        connections=[int(n) for n in args.connections.split(",")],
        duration=args.duration,
        warmup=args.warmup,
        postgres_url=args.postgres_url,
        generator=args.generator,
        write_doc=not args.no_doc,
    )


def summary(options: Options) -> str:
    if not options.rows_done:
        return "SUMMARY service_load: no results"
    parts = []
    verdicts = []
    for row in options.rows_done:
        parts.append(
            f"{row.backend} w{row.workers} c{row.connections}: {row.result.rate:.0f}/s "
            f"p50 {row.result.p50_ms:.1f} ms p99 {row.result.p99_ms:.1f} ms "
            f"errors {row.result.errors} import {row.import_seconds:.0f} s"
        )
    for backend in dict.fromkeys(row.backend for row in options.rows_done):
        meeting = [
            row
            for row in options.rows_done
            if row.backend == backend
            and row.result.rate >= TARGET_RATE
            and row.result.p99_ms < TARGET_P99_MS
            and not row.result.errors
        ]
        verdicts.append(f"{'met' if meeting else 'NOT met'} on {backend}")
    return (
        f"SUMMARY service_load ({options.rows:,} listed): "
        + "; ".join(parts)
        + f"; target {TARGET_RATE:.0f}/s at p99<{TARGET_P99_MS:g} ms "
        + ", ".join(verdicts)
    )


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if options.generator == "wrk" and shutil.which("wrk") is None:
        print(
            "error: wrk is not installed (Debian/Ubuntu: apt-get install -y wrk). A Python load "
            "generator would compete with the service for the CPU; to use one anyway, pass "
            "--generator python.",
            file=sys.stderr,
        )
        return 2
    command = "uv run python bench/service_load.py " + " ".join(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="cg-bench-") as scratch_name:
        scratch = Path(scratch_name)
        log(f"writing {options.rows:,} listed accounts to a CSV file")
        write_list_csv(scratch / "police-list.csv", options.rows)
        for backend in options.backends:
            bench_backend(options, backend, scratch)
    if options.write_doc:
        write_doc(render(options, command.strip(), ""))
        log(f"wrote {DOC.relative_to(PROJECT_ROOT)}")
    print(summary(options), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
