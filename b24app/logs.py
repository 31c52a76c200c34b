"""Structured JSON logs on stderr: event name plus safe fields, never tokens or personal data.

Our own log calls carry ids, never tokens; third-party libraries are less careful (urllib3 logs
the OAuth refresh URL with ``client_secret`` and ``refresh_token`` at DEBUG, fast-bitrix24 logs
request params). So the handler redacts every record that reaches it, from any logger: token
parameters in URLs, forms, JSON and reprs, webhook secrets in paths, and the configured secrets
wherever they appear.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from typing import IO, Any

from b24app.config import Settings

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
MASK = "***"
SECRET_NAMES = (
    "client_secret|refresh_token|access_token|application_token|auth_id|refresh_id|auth|api_id|password"
)
# name=value (query strings, forms), "name": "value" (JSON), 'name': 'value' (reprs); a bracketed
# PHP-style suffix (auth[access_token]) counts as the name too.
_PAIR = re.compile(rf"(?i)(\b(?:{SECRET_NAMES})\]?\s*=\s*)[^&\s\"',;)]+")
_QUOTED = re.compile(rf"(?i)([\"'](?:{SECRET_NAMES})[\"']\s*:\s*[\"'])[^\"']*")
_PHP_KEY = re.compile(rf"(?i)(\[(?:{SECRET_NAMES})\]=)[^&\s\"']+")
_WEBHOOK = re.compile(r"(/rest/\d+/)[A-Za-z0-9]+(/)")
_SECRET_KEYS = {name.lower() for name in SECRET_NAMES.split("|")}


class Redactor:
    """Masks token parameters, webhook secrets and known secret values in text and nested data."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self.secrets:
            value = value.replace(secret, MASK)
        for pattern in (_PHP_KEY, _PAIR, _QUOTED):
            value = pattern.sub(rf"\g<1>{MASK}", value)
        return _WEBHOOK.sub(rf"\g<1>{MASK}\g<2>", value)

    def data(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: MASK if str(k).lower() in _SECRET_KEYS else self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


class RedactingFilter(logging.Filter):
    """On our handler: every record, ours or a library's, is redacted before it is formatted."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.msg, record.args = self.redactor.text(record.getMessage()), None
        except (TypeError, ValueError):  # a library's malformed format: keep its raw text, redacted
            record.msg, record.args = self.redactor.text(str(record.msg)), None
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD:
                record.__dict__[key] = self.redactor.data(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redactor.text(record.exc_text)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_text or record.exc_info:
            payload["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(payload, default=str, ensure_ascii=False)


def secrets_of(settings: Settings) -> list[str | None]:
    """The configured secrets, masked wherever they show up."""
    return [
        settings.b24_client_secret,
        settings.secret_key,
        settings.smsru_api_id,
        settings.sms_webhook_token,
    ]


def build_handler(settings: Settings, stream: IO[str] | None = None) -> logging.Handler:
    """Our log handler: JSON lines, redacted."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter(Redactor(secrets_of(settings))))
    return handler


# Libraries that chatter at DEBUG/INFO on every portal call (asyncio: "Using selector" per
# request; urllib3: every connection; werkzeug: every request to a development server, at INFO
# whatever the root level); their warnings still show.
QUIET_LIBRARIES = ("asyncio", "urllib3", "fast_bitrix24", "huey", "werkzeug")


def configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    root.addHandler(build_handler(settings))
    root.setLevel(settings.log_level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
