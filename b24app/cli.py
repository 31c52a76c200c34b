"""Console entry point: ``python -m b24app.cli COMMAND`` (the commands live in bootstrap.console)."""

from bootstrap.console import main

if __name__ == "__main__":
    raise SystemExit(main())
