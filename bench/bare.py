"""The baseline of the intake benchmark: a Flask endpoint that does nothing but answer."""

from __future__ import annotations

from typing import Any

from flask import Flask

app = Flask("bare")


@app.get("/health")
def health() -> Any:
    return {"status": "ok"}


@app.post("/events")
def events() -> Any:
    return {"status": "accepted"}
