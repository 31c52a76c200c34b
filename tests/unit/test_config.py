"""Settings come from the environment; missing secrets outside dev fail naming the variable."""

import pytest

from b24app.config import ConfigError, load_settings


def test_dev_needs_no_secrets() -> None:
    settings = load_settings(env={"APP_ENV": "dev"})
    assert settings.is_dev
    assert settings.database_url.startswith("sqlite:///")
    assert settings.redis_url is None


@pytest.mark.parametrize("missing", ["SECRET_KEY", "B24_CLIENT_ID", "B24_CLIENT_SECRET"])
def test_production_names_the_missing_secret(missing: str) -> None:
    env = {"APP_ENV": "production", "SECRET_KEY": "s", "B24_CLIENT_ID": "id", "B24_CLIENT_SECRET": "x"}
    del env[missing]
    with pytest.raises(ConfigError, match=missing):
        load_settings(env=env)


def test_environment_values_are_typed_and_port_builds_base_url() -> None:
    settings = load_settings(env={"APP_ENV": "dev", "PORT": "8080", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert settings.port == 8080
    assert settings.app_base_url == "http://localhost:8080"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"


def test_bad_number_is_named() -> None:
    with pytest.raises(ConfigError, match="PORT"):
        load_settings(env={"APP_ENV": "dev", "PORT": "eighty"})


def test_overrides_win_and_unknown_names_are_refused() -> None:
    settings = load_settings({"database_url": "sqlite:///x.db"}, env={"APP_ENV": "dev"})
    assert settings.database_url == "sqlite:///x.db"
    with pytest.raises(ConfigError, match="nonsense"):
        load_settings({"nonsense": 1}, env={"APP_ENV": "dev"})


def test_the_queue_file_lives_next_to_a_sqlite_database_else_under_instance() -> None:
    from b24app.config import INSTANCE_DIR

    beside = load_settings(env={"APP_ENV": "dev", "DATABASE_URL": "sqlite:////srv/app/data/bonus.sqlite3"})
    assert beside.queue_path == "/srv/app/data/queue.sqlite3"
    postgres = load_settings(env={"APP_ENV": "dev", "DATABASE_URL": "postgresql+psycopg://db/bonus"})
    assert postgres.queue_path == str(INSTANCE_DIR / "queue.sqlite3")
    chosen = load_settings(
        env={"APP_ENV": "dev", "QUEUE_PATH": "/var/q.sqlite3", "DATABASE_URL": "sqlite:///x.db"}
    )
    assert chosen.queue_path == "/var/q.sqlite3"


def test_log_level_is_read_and_checked() -> None:
    assert load_settings(env={"APP_ENV": "dev"}).log_level == "INFO"
    assert load_settings(env={"APP_ENV": "dev", "LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"):
        load_settings(env={"APP_ENV": "dev", "LOG_LEVEL": "chatty"})


def test_the_readme_configuration_table_lists_every_variable_the_settings_read() -> None:
    from dataclasses import fields
    from pathlib import Path

    from b24app.config import Settings

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [f.name.upper() for f in fields(Settings) if f"`{f.name.upper()}`" not in table]
    assert missing == []


def test_library_chatter_stays_out_of_debug_logs() -> None:
    import subprocess
    import sys

    script = """
import asyncio, logging, requests
from b24app.config import load_settings
from b24app.logs import configure_logging
configure_logging(load_settings(env={"APP_ENV": "dev", "LOG_LEVEL": "DEBUG"}))
asyncio.run(asyncio.sleep(0))  # asyncio: "Using selector: EpollSelector"
try:
    requests.get("http://127.0.0.1:9/", timeout=0.5)  # urllib3: "Starting new HTTP connection"
except requests.RequestException:
    pass
logging.getLogger("b24app").debug("ours.debug")
"""
    command = [sys.executable, "-c", script]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
    assert '"event": "ours.debug"' in done.stderr  # DEBUG is on for our own loggers
    assert "selector" not in done.stderr and "HTTP connection" not in done.stderr
