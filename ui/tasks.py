"""The one way to run work off the GUI thread: success and failure callbacks come back on the GUI thread.

Service calls and disk writes go through run_in_background(); a busy indicator is shown only
if the work takes longer than BUSY_DELAY_MS, so fast calls never flash anything.
"""

import logging
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

log = logging.getLogger("counterguard.ui.tasks")

BUSY_DELAY_MS = 300

# Named pools by purpose: service calls must not wait behind anything else.
_pools: dict[str, QThreadPool] = {}


# One customer's workflow steps run one at a time, in order: the "session" pool has one thread.
_THREADS = {"session": 1}


def pool(name: str = "service") -> QThreadPool:
    if name not in _pools:
        created = QThreadPool()
        created.setMaxThreadCount(_THREADS.get(name, 2))
        created.setObjectName(name)
        _pools[name] = created
    return _pools[name]


def wait_for_all(timeout_ms: int = 10_000) -> None:
    """At shutdown: let running calls finish so none is cut off half-way."""
    for each in _pools.values():
        each.waitForDone(timeout_ms)


class _Relay(QObject):
    """Lives on the GUI thread; its signals carry the outcome back there."""

    sig_succeeded = Signal(object)
    """The operation returned this value."""
    sig_failed = Signal(object)
    """The operation raised this exception."""


class _Job(QRunnable):
    def __init__(self, operation: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._operation = operation
        self._relay = relay

    def run(self) -> None:
        try:
            result = self._operation()
        except BaseException as error:  # reported to the failure callback, never lost
            log.error("background work failed: %s", "".join(traceback.format_exception(error)))
            self._relay.sig_failed.emit(error)
        else:
            self._relay.sig_succeeded.emit(result)


_live: set[_Relay] = set()


class BusyIndicator:
    """Something the UI shows while work runs (a spinner, a status text, a wait cursor)."""

    def __init__(self, show: Callable[[], None], hide: Callable[[], None]) -> None:
        self.show = show
        self.hide = hide


def run_in_background(
    operation: Callable[[], Any],
    on_success: Callable[[Any], None],
    on_failure: Callable[[BaseException], None] | None = None,
    busy: BusyIndicator | None = None,
    pool_name: str = "service",
) -> None:
    """Run `operation` on a worker thread; it must not touch widgets. Callbacks run on the GUI thread."""
    relay = _Relay()
    _live.add(relay)
    timer: QTimer | None = None
    if busy is not None:
        timer = QTimer(relay)
        timer.setSingleShot(True)
        timer.timeout.connect(busy.show)
        timer.start(BUSY_DELAY_MS)

    def finish() -> None:
        if timer is not None:
            shown = not timer.isActive()
            timer.stop()
            if shown and busy is not None:
                busy.hide()
        _live.discard(relay)
        relay.deleteLater()

    def succeeded(value: Any) -> None:
        finish()
        on_success(value)

    def failed(error: BaseException) -> None:
        finish()
        if on_failure is not None:
            on_failure(error)
        else:
            raise error  # reaches the crash handler: an unexpected failure is never silent

    relay.sig_succeeded.connect(succeeded)
    relay.sig_failed.connect(failed)
    pool(pool_name).start(_Job(operation, relay))
