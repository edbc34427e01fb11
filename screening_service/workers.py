"""`serve --workers N`: worker processes that each listen on the port themselves (SO_REUSEPORT).

uvicorn's own workers share one listening socket, and whichever worker is awake accepts what is
waiting. Counters, load balancers and benchmarks open keep-alive connections and keep them, so the
connections opened together after a restart stayed where they first landed: measured with 16
connections opened at once, all 16 went to one of two workers, which then did all the work on one
core while the other idled (libuv's UV_TCP_SINGLE_ACCEPT, tried first, did not prevent it). With a
socket per worker in one SO_REUSEPORT group, the kernel spreads new connections over the workers.

This supervisor starts the workers, starts again one that dies, and stops them all on SIGTERM or
SIGINT (each finishes its requests in hand, as uvicorn does). Where the platform has no
SO_REUSEPORT (Windows), `serve` keeps uvicorn's workers.
"""

import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("screening_service.workers")

# How long the workers get to finish their requests in hand before they are killed.
STOP_SECONDS = 20.0
# uvicorn's exit code when the app or the server cannot start (a database that cannot be reached, a
# broken certificate): another worker would only fail the same way, so the supervisor stops.
STARTUP_FAILURE = 3
# The least time between two starts of a worker, so that one that keeps dying does not spin.
RESTART_PAUSE_SECONDS = 1.0

APP = "screening_service.app:create_service_from_environment"


def supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def bound_socket(host: str, port: int) -> socket.socket:
    """A socket bound to the port's SO_REUSEPORT group. Not listening yet: uvicorn listens once the
    worker has started, so that no connection waits in the queue of a worker still starting."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def check_port_free(host: str, port: int) -> None:
    """Raise OSError if something already listens on the port. SO_REUSEPORT would otherwise let a
    second service started by the same user join the first one's group and take half its traffic."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _stop_when_orphaned(supervisor: int) -> None:
    """A worker whose supervisor was killed outright (SIGKILL, out of memory) would serve on with
    nobody to stop it, and keep the port from a new `serve`: it stops as if told to."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    log.warning("the supervisor %s is gone; this worker stops", supervisor)
    os.kill(os.getpid(), signal.SIGTERM)


def _worker(host: str, port: int, uvicorn_options: dict[str, Any], log_format: str) -> None:
    import uvicorn

    # A new interpreter (spawn): the service's own loggers need `serve`'s settings again.
    logging.basicConfig(level=uvicorn_options["log_level"].upper(), format=log_format, stream=sys.stderr)
    threading.Thread(target=_stop_when_orphaned, args=(os.getppid(),), daemon=True).start()
    config = uvicorn.Config(APP, factory=True, host=host, port=port, **uvicorn_options)
    uvicorn.Server(config).run(sockets=[bound_socket(host, port)])


class Supervisor:
    def __init__(
        self, workers: int, host: str, port: int, uvicorn_options: dict[str, Any], log_format: str
    ) -> None:
        self._count = workers
        self._arguments = (host, port, uvicorn_options, log_format)
        self._context = multiprocessing.get_context("spawn")
        self._processes: list[tuple[BaseProcess, float]] = []
        self._stopping = threading.Event()

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit code for `serve`."""
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signal_number, self._on_signal)
        self._processes = [self._start() for _ in range(self._count)]
        exit_code = 0
        while not self._stopping.wait(0.2):
            for index, (process, started) in enumerate(self._processes):
                if process.is_alive() or time.monotonic() - started < RESTART_PAUSE_SECONDS:
                    continue
                if process.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping the service", process.pid)
                    exit_code = 1
                    self._stopping.set()
                    break
                log.warning("worker %s died (exit code %s); starting another", process.pid, process.exitcode)
                self._processes[index] = self._start()
        self._stop_all()
        return exit_code

    def _start(self) -> tuple[BaseProcess, float]:
        process = self._context.Process(target=_worker, args=self._arguments, name="screening-worker")
        process.start()
        return process, time.monotonic()

    def _on_signal(self, _signal_number: int, _frame: object) -> None:
        self._stopping.set()

    def _stop_all(self) -> None:
        for process, _ in self._processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes the requests in hand
        deadline = time.monotonic() + STOP_SECONDS
        for process, _ in self._processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("worker %s did not stop within %.0f s; killing it", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
