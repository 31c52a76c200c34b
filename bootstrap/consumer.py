"""Huey's consumer, made prompt: a lane due again runs within a tenth of a second, not a second and a half.

A lane that yields for its portal's bucket is scheduled a second or two ahead, many times in a
busy run. Huey's scheduler looks for due tasks once a second (it refuses shorter intervals) and
its idle worker threads poll the queue with a backoff: together up to 1.5 s lost on every wait,
which is most of a portal's pace. Here the scheduler looks every ``SCHEDULE_SECONDS`` and every
enqueue in this process (the scheduler's, or a lane's own continuation) wakes an idle thread at
once; work enqueued by other processes is still found by the polling.
"""

from __future__ import annotations

import threading
from typing import Any

from huey.consumer import Consumer, Scheduler, Worker
from huey.signals import SIGNAL_ENQUEUED

# How often the schedule is read: one cheap query (SQLite) or ZRANGEBYSCORE (Redis) each time.
SCHEDULE_SECONDS = 0.1


class QueueBell:
    """Rung when this process enqueues a task; idle worker threads wait on it instead of sleeping."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._rung = 0

    def ring(self, *_signal: Any) -> None:
        """Also a Huey signal receiver: ``(signal, task)`` are ignored."""
        with self._condition:
            self._rung += 1
            self._condition.notify_all()

    def wait(self, seconds: float) -> None:
        """Until the bell rings or ``seconds`` pass, whichever comes first."""
        with self._condition:
            seen = self._rung
            self._condition.wait_for(lambda: self._rung != seen, timeout=seconds)


class PromptWorker(Worker):  # type: ignore[misc]
    """A worker thread whose idle wait ends when a task is enqueued in this process."""

    bell: QueueBell
    delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        self.delay = min(self.delay, self.max_delay)
        self.bell.wait(self.delay)
        self.delay *= self.backoff


class PromptScheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler at a sub-second interval; periodic tasks keep their once-a-minute check."""

    def __init__(self, huey: Any, interval: float, periodic: bool) -> None:
        super().__init__(huey, interval, periodic)
        self.interval = SCHEDULE_SECONDS  # Huey's own check refuses anything under a second


class PromptConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with the prompt worker threads and scheduler above."""

    scheduler_class = PromptScheduler

    def __init__(self, huey: Any, **options: Any) -> None:
        self.bell = QueueBell()
        huey.signal(SIGNAL_ENQUEUED)(self.bell.ring)
        super().__init__(huey, **options)

    def _create_worker(self) -> PromptWorker:
        worker = PromptWorker(
            huey=self.huey, default_delay=self.default_delay, max_delay=self.max_delay, backoff=self.backoff
        )
        worker.bell = self.bell
        return worker
