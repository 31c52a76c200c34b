"""Worker entry point: ``python -m b24app.worker`` (the Huey consumer, started by bootstrap.worker)."""

from bootstrap.worker import main

if __name__ == "__main__":
    raise SystemExit(main())
