"""Helpers for public API tests: a key made through the console, requests over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from bootstrap.console import main
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def make_key(
    app: AppHarness,
    portal: EmuPortal,
    capsys: pytest.CaptureFixture[str],
    name: str = "shop",
    scopes: str = "all",
) -> str:
    capsys.readouterr()
    assert (
        main(["api-key", portal.member_id, "create", name, "--scopes", scopes], container=app.container) == 0
    )
    return str(json.loads(capsys.readouterr().out)["key"])


class Api:
    """``requests`` against the served app with one key."""

    def __init__(self, app: AppHarness, key: str | None) -> None:
        self.base = app.base_url + "/api/v1"
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.base + path, params=params, headers=self.headers, timeout=10)

    def post(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.base + path, json=body, headers=self.headers, timeout=10)

    def put(self, path: str, body: Any) -> requests.Response:
        return requests.put(self.base + path, json=body, headers=self.headers, timeout=10)


def contact_with_bonus(app: AppHarness, emulator: Emulator, portal: EmuPortal, amount: str = "2000") -> int:
    """A contact whose won deal earned 5% of ``amount``."""
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY=amount, STAGE_ID="WON", CONTACT_ID=contact)
    app.drain()
    return contact
