"""Structured JSON logs on stderr: event name plus safe fields, never tokens or personal data."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from b24app.config import Settings

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str, ensure_ascii=False)


# Libraries that chatter at DEBUG/INFO on every portal call (asyncio: "Using selector" per
# request; urllib3: every connection; werkzeug: every request to a development server, at INFO
# whatever the root level); their warnings still show.
QUIET_LIBRARIES = ("asyncio", "urllib3", "fast_bitrix24", "huey", "werkzeug")


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
