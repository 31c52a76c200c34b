"""API keys in the settings page (a real browser): an administrator creates a key, sees it once, it
works against the API over HTTP, and revoking it makes the API answer 401."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PortalWindow
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

pytestmark = pytest.mark.browser
ADMIN = 1


def test_an_administrator_creates_and_revokes_a_key(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    window = portal_window()
    main = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", ADMIN, [("PLACEMENT", "DEFAULT")])
    frame = window.open(main, lang="en")
    frame.locator("#open-settings").click()
    expect(frame.locator("#new-key-form")).to_be_visible()
    frame.locator("#f-key_name").fill("website")
    frame.locator("#create-key").click()
    expect(frame.locator("#new-key")).to_contain_text("bk_")
    key = frame.locator("#new-key code").inner_text()
    url = app.base_url + "/api/v1/clients/contact/1"
    assert requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 200
    frame.locator(".key-row[data-key='website'] button").click()
    expect(frame.locator("#notice")).to_contain_text("revoked")
    expect(frame.locator("#new-key")).to_have_count(0)  # shown once only
    assert requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=10).status_code == 401
