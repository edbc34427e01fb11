"""GUI-thread stall measurement: the longest gap between beats of a fast timer on the GUI thread.

Shared by the UI tests, the reliability suites and bench/ui_latency.py: a gap longer than the
timer's interval means the event loop was held up for that long. On Linux the monitor also
reads how long the GUI thread sat runnable but without a CPU (other programs had it), so a
suite run on a busy machine can tell the application's own stalls from the machine's.
"""

from typing import IO

from PySide6.QtCore import QElapsedTimer, Qt, QTimer

HEARTBEAT_MS = 2
# Per thread: nanoseconds on a CPU, nanoseconds runnable but waiting for one, time slices.
_SCHEDSTAT = "/proc/thread-self/schedstat"


class StallMonitor:
    """Measures the longest gap between heartbeats of a fast timer on the GUI thread."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.clock = QElapsedTimer()
        self.longest_ms = 0.0
        # The longest gap less the time the GUI thread waited for a CPU meanwhile (= longest_ms
        # where that time cannot be read).
        self.longest_own_ms = 0.0
        self.beats = 0
        self._schedstat: IO[str] | None = None
        self._waited_ns = 0

    def start(self) -> None:
        """Start measuring; call on the GUI thread."""
        self.longest_ms = 0.0
        self.longest_own_ms = 0.0
        self.beats = 0
        if self._schedstat is None:
            try:
                self._schedstat = open(_SCHEDSTAT)  # noqa: SIM115 - read at every beat until stop()
            except OSError:
                self._schedstat = None
        self._waited_ns = self._runqueue_wait_ns()
        self.clock.start()
        self.timer.start()

    def _runqueue_wait_ns(self) -> int:
        if self._schedstat is None:
            return 0
        self._schedstat.seek(0)
        return int(self._schedstat.read().split()[1])

    def _beat(self) -> None:
        gap = self.clock.nsecsElapsed() / 1e6
        self.clock.restart()
        waited_ns = self._runqueue_wait_ns()
        waited_ms = (waited_ns - self._waited_ns) / 1e6
        self._waited_ns = waited_ns
        self.beats += 1
        self.longest_ms = max(self.longest_ms, gap - HEARTBEAT_MS)
        self.longest_own_ms = max(self.longest_own_ms, gap - HEARTBEAT_MS - waited_ms)

    def stop(self) -> float:
        """Stop and return the longest stall in milliseconds."""
        self.timer.stop()
        if self._schedstat is not None:
            self._schedstat.close()
            self._schedstat = None
        return self.longest_ms
