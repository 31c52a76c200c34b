"""Events raised by a REST call, delivered after the call by one background sender, in order.

api-reference/events/index.md: events are sent through Bitrix24's queue server, with some delay,
never while the REST call that caused them is still being answered. The default (``queued_events``
off) delivers them synchronously inside the call, which many tests lean on for determinism; the
benchmarks turn queueing on so that an app's own writes are not slowed by its own event handler.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Send = Callable[[str, list[tuple[str, str]]], object]
Entry = tuple[str, list[tuple[str, str]]] | threading.Event  # a delivery, or a marker to set


class EventQueue:
    """A FIFO of (handler URL, form) sent by one daemon thread; ``drain()`` waits until it is empty."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self._queue: queue.Queue[Entry | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="b24-event-queue", daemon=True)
        self._thread.start()

    def put(self, url: str, form: list[tuple[str, str]]) -> None:
        self._queue.put((url, form))

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every event queued so far was sent; False when ``timeout`` passed first."""
        marker = threading.Event()
        self._queue.put(marker)
        return marker.wait(timeout)

    def stop(self) -> None:
        """Send what is queued (a few seconds at most), then end the sender."""
        self.drain(timeout=5.0)
        self._queue.put(None)
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        while (entry := self._queue.get()) is not None:
            if isinstance(entry, threading.Event):
                entry.set()
            else:
                self._send(*entry)
