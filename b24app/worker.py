"""Worker entry point: ``python -m b24app.worker`` runs the Huey consumer with periodic jobs."""

from b24app.factory import build_container
from b24app.logs import configure_logging


def main() -> None:
    container = build_container()
    configure_logging(container.settings)
    consumer = container.jobs.huey.create_consumer(
        workers=container.settings.worker_threads,
        worker_type="thread",
        periodic=True,
        check_worker_health=True,
        # An idle SQLite queue is polled at most every half second (Huey's default backs off to
        # 10 s), so an isolated won deal still reaches the portal within a couple of seconds.
        initial_delay=0.05,
        backoff=1.5,
        max_delay=0.5,
    )
    consumer.run()


if __name__ == "__main__":
    main()
