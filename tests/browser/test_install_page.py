"""The installer page in a real browser: progress, failure and retry, installFinish only after success."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Frame, expect

from tests.browser.conftest import PortalWindow
from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness

pytestmark = pytest.mark.browser

STATUS_POLL = "**/install/status/**"


def open_installer(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, lang: str
) -> tuple[PortalWindow, Frame]:
    portal = emulator.add_portal(lang=lang)
    window = portal_window()
    frame = window.open(driver.install_ui_frame(emulator, portal, CLIENT_ID, app.base_url + "/install"))
    return window, frame


def expect_state(frame: Frame, state: str) -> None:
    expect(frame.locator("#install")).to_have_attribute("data-state", state, timeout=10_000)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_installer_shows_progress_and_calls_install_finish_only_after_provisioning(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, lang: str
) -> None:
    window, frame = open_installer(portal_window, app, emulator, lang)
    for _ in range(2):  # two answers "installing" while the worker has not run yet
        with window.page.expect_response(STATUS_POLL):
            pass
    expect_state(frame, "working")
    expect(frame.locator("#state-working .loader")).to_be_visible()
    expect(frame.get_by_role("progressbar")).to_be_visible()
    expect(frame.locator("html")).to_have_attribute("lang", lang)
    assert "installFinish" not in window.call_names(frame)
    window.screenshot(f"install-progress-{lang}")

    app.drain()  # the worker provisions the portal
    expect_state(frame, "done")
    names = window.call_names(frame)
    assert names.count("installFinish") == 1 and names.index("init") < names.index("installFinish")
    assert "fitWindow" in names
    states = frame.locator("#steps li").evaluate_all("items => items.map(i => i.dataset.state)")
    assert states == ["done", "done", "done"]
    window.screenshot(f"install-done-{lang}")
    assert window.external_requests == []


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_installer_shows_the_failure_with_a_retry_that_recovers(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator, lang: str
) -> None:
    window, frame = open_installer(portal_window, app, emulator, lang)
    emulator.faults.fail_next(1, status=400, code="ACCESS_DENIED", method="batch")
    app.drain()
    expect_state(frame, "failed")
    expect(frame.locator("#state-failed")).to_contain_text("ACCESS_DENIED")
    expect(frame.locator("#advice")).to_contain_text("администратор" if lang == "ru" else "administrator")
    # The very first read failed: the failure is shown at the first step, nothing after it ran.
    states = frame.locator("#steps li").evaluate_all("items => items.map(i => i.dataset.state)")
    assert states == ["failed", "todo", "todo"]
    retry = frame.get_by_role("button", name="Повторить" if lang == "ru" else "Retry")
    expect(retry).to_be_visible()
    assert "installFinish" not in window.call_names(frame)
    window.screenshot(f"install-failed-{lang}")

    with window.page.expect_response("**/install/retry/**"):
        retry.click()
    expect(retry).to_be_hidden()
    app.drain()
    expect_state(frame, "done")
    assert window.call_names(frame).count("installFinish") == 1


def test_installer_without_the_portal_library_says_so_instead_of_done(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator
) -> None:
    portal = emulator.add_portal(lang="en")
    window = portal_window(bx24="unreachable")
    frame = window.open(driver.install_ui_frame(emulator, portal, CLIENT_ID, app.base_url + "/install"))
    expect(frame.locator("#bx24-missing")).to_be_visible()
    app.drain()
    expect_state(frame, "unfinished")
    expect(frame.locator("#state-done")).to_be_hidden()
    expect(frame.locator("#state-unfinished")).to_contain_text("Open the app from the portal again")
    window.screenshot("install-no-bx24-en")


def test_installer_says_when_the_portal_does_not_answer_and_keeps_trying(
    portal_window: Callable[..., PortalWindow], app: AppHarness, emulator: Emulator
) -> None:
    window, frame = open_installer(portal_window, app, emulator, "en")
    emulator.faults.fail_next(20, status=503, code="SERVICE_UNAVAILABLE", method="batch")
    app.drain()
    expect(frame.locator("#waiting")).to_contain_text("not answering", timeout=10_000)
    expect_state(frame, "working")
    assert "installFinish" not in window.call_names(frame)
    window.screenshot("install-waiting-en")
