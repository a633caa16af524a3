"""A bounded hand-off to one background worker, so reporting never blocks a request or an event loop."""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


class Handoff(Generic[T]):
    """Runs `deliver(item)` on a daemon thread; when the queue is full, `offer` refuses rather than waits."""

    def __init__(self, deliver: Callable[[T], object], maxsize: int = 100, drain_on_exit: float = 3.0) -> None:
        self._deliver = deliver
        self._queue: queue.Queue[T] = queue.Queue(maxsize)
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        if drain_on_exit > 0:
            atexit.register(self.drain, drain_on_exit)

    def offer(self, item: T) -> bool:
        """Queue `item`; False means the worker is saturated and the caller should shed load."""
        with self._idle:
            try:
                self._queue.put_nowait(item)
            except queue.Full:
                return False
            self._pending += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="autoheal-handoff", daemon=True)
                self._thread.start()
        return True

    def drain(self, timeout: float) -> bool:
        """Wait until everything offered so far was delivered (or failed); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    @property
    def pending(self) -> int:
        return self._pending

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                self._deliver(item)
            except Exception:  # a failed delivery is the pipeline's to spool; the worker must live on
                log.debug("autoheal: background delivery failed", exc_info=True)
            with self._idle:
                self._pending -= 1
                self._idle.notify_all()
