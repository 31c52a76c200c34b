"""The worker's consumer is prompt: a lane due again is read from the schedule many times a second,
and an idle worker thread wakes when this process enqueues work instead of sleeping out its poll."""

from __future__ import annotations

import threading

from huey import MemoryHuey

from bootstrap.consumer import SCHEDULE_SECONDS, PromptConsumer


def _consumer(max_delay: float = 60.0) -> tuple[MemoryHuey, PromptConsumer]:
    huey = MemoryHuey("prompt-test")
    options = {"max_delay": max_delay, "initial_delay": max_delay}
    consumer = PromptConsumer(huey, workers=1, worker_type="thread", **options)
    return huey, consumer


def test_the_schedule_is_read_more_often_than_hueys_one_second_floor() -> None:
    _, consumer = _consumer()
    scheduler = consumer._create_scheduler()
    assert scheduler.interval == SCHEDULE_SECONDS < 1


def test_an_idle_worker_thread_wakes_when_a_task_is_enqueued() -> None:
    huey, consumer = _consumer(max_delay=60.0)
    task = huey.task(name="noop")(lambda: None)
    worker = consumer._create_worker()
    sleeper = threading.Thread(target=worker.sleep, daemon=True)
    sleeper.start()
    sleeper.join(timeout=0.2)
    assert sleeper.is_alive()  # idle: it would poll again only after a minute
    task()  # enqueued in this process
    sleeper.join(timeout=10)
    assert not sleeper.is_alive()
