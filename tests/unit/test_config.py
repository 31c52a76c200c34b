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
