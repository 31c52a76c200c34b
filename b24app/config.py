"""Settings: the only module that reads the process environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_OAUTH_URL = "https://oauth.bitrix.info/oauth/token/"
INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything configurable; built from the environment or from a mapping in tests."""

    app_env: str = "production"  # dev | test | production
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'bonus.sqlite3'}"
    redis_url: str | None = None
    queue_path: str = str(INSTANCE_DIR / "queue.sqlite3")  # default: next to a SQLite database
    queue_memory: bool = False  # an in-process queue that tests drain by hand
    app_base_url: str = "http://localhost:5000"
    b24_client_id: str | None = None
    b24_client_secret: str | None = None
    b24_oauth_url: str = DEFAULT_OAUTH_URL
    secret_key: str | None = None
    port: int = 5000
    portal_timeout: float = 20.0  # hard deadline of one portal HTTP request, seconds
    portal_rate: float = 2.0  # leaky-bucket drain the gateway assumes, requests/s
    portal_burst: int = 50  # leaky-bucket size the gateway assumes
    lane_lease_seconds: int = 30  # renewed by the worker's heartbeat; a dead worker's lanes wait this long
    worker_threads: int = 2
    sms_provider: str | None = None  # smsru | webhook; unset = no SMS channel
    smsru_api_id: str | None = None
    sms_sender: str | None = None  # an approved sender name, if any
    sms_webhook_url: str | None = None
    sms_webhook_token: str | None = None
    install_rate_limit: str = "10 per minute"  # per client IP, on POST /install (Flask-Limiter notation)
    api_rate_limit: str = "120 per minute"  # per API key, on /api/v1 (Flask-Limiter notation)
    proxy_count: int = 0  # reverse proxies in front that set X-Forwarded-For (the client IP for throttling)
    log_level: str = "INFO"

    @property
    def is_dev(self) -> bool:
        return self.app_env in {"dev", "test"}

    def validate(self) -> Settings:
        """Fail at start-up, naming the variable, when a required secret is missing."""
        if not self.is_dev:
            for name in ("SECRET_KEY", "B24_CLIENT_ID", "B24_CLIENT_SECRET"):
                if not getattr(self, name.lower()):
                    raise ConfigError(f"{name} must be set when APP_ENV={self.app_env}")
        if self.app_env not in {"dev", "test", "production"}:
            raise ConfigError(f"APP_ENV must be dev, test or production, not {self.app_env!r}")
        if self.log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")
        return self


_ENV_NAMES = {f.name: f.name.upper() for f in fields(Settings)}


def _coerce(name: str, raw: Any, default: Any) -> Any:
    if raw is None or isinstance(raw, bool | int | float) and not isinstance(raw, str):
        return raw
    if isinstance(default, bool):
        return str(raw).lower() in {"1", "true", "yes", "on"}
    try:
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name.upper()} must be a number, got {raw!r}") from exc
    return raw or None if default is None else raw


def load_settings(
    overrides: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Build settings from the environment (upper-case names), then apply ``overrides``."""
    source = os.environ if env is None else env
    base = Settings()
    values: dict[str, Any] = {}
    for name, env_name in _ENV_NAMES.items():
        if env_name in source:
            values[name] = _coerce(name, source[env_name], getattr(base, name))
    if "app_base_url" not in values and "port" in values:
        values["app_base_url"] = f"http://localhost:{values['port']}"
    for key, value in (overrides or {}).items():
        name = key.lower()
        if name not in _ENV_NAMES:
            raise ConfigError(f"unknown setting {key!r}")
        values[name] = _coerce(name, value, getattr(base, name))
    if "log_level" in values:
        values["log_level"] = str(values["log_level"]).upper()
    if "queue_path" not in values:
        values["queue_path"] = default_queue_path(values.get("database_url", base.database_url))
    return replace(base, **values).validate()


def default_queue_path(database_url: str) -> str:
    """The SQLite job queue lives next to a SQLite database, else under ``instance/``.

    Web and worker then find the same queue file from ``DATABASE_URL`` alone; the directory is
    created when the queue is opened.
    """
    prefix = "sqlite:///"
    database = database_url.removeprefix(prefix) if database_url.startswith(prefix) else ""
    if database and database != ":memory:":
        return str(Path(database).parent / "queue.sqlite3")
    return str(INSTANCE_DIR / "queue.sqlite3")
