"""The public API's per-key rate limit over real HTTP: 429 with Retry-After, each key its own budget."""

from __future__ import annotations

import pytest

from tests.e2e.api_support import Api, make_key
from tests.emulator.portal import Portal as EmuPortal
from tests.harness import AppHarness


@pytest.fixture
def app_overrides() -> dict[str, str]:
    return {"api_rate_limit": "5 per minute"}


def test_rate_limit_per_key(app: AppHarness, portal: EmuPortal, capsys: pytest.CaptureFixture[str]) -> None:
    one, other = (
        Api(app, make_key(app, portal, capsys, "one")),
        Api(app, make_key(app, portal, capsys, "two")),
    )
    codes = [one.get("/clients/company/1").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    limited = one.get("/clients/company/1")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert other.get("/clients/company/1").status_code == 200  # another key has its own budget
