"""Browser fixtures: headless Chromium (the OS package) showing the app's pages as the portal does.

``portal_window`` opens a page the way Bitrix24 does: a portal page (served by ``page.route`` on
http://portal.test/) holds an iframe and POSTs the frame form (``driver.Frame``) into it. The
portal's library (//api.bitrix24.com/api/v1/) is replaced by a stub that records every call into
``window.__bx24calls`` and resizes the iframe on fitWindow/resizeWindow as the portal would; every
other request that leaves the machine is refused and recorded, so a CDN dependency fails the test.

Chromium comes from the OS (Debian ``chromium``; ``.ci/run`` installs it): it is never downloaded at
test time. Without it the tests fail when ``CI`` is set and skip with the reason otherwise.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Frame,
    Page,
    Playwright,
    Route,
    expect,
    sync_playwright,
)
from sqlalchemy import func, select

from b24app.clock import FrozenClock
from registry.ledger.posting import Owner
from registry.program.document import save_program
from registry.program.models import ProgramVersion
from registry.services.support import move
from tests.e2e.conftest import app, app_clock, app_overrides, clock, portal  # noqa: F401
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

ARTIFACTS = Path(__file__).parent / "artifacts"
PORTAL_ORIGIN = "http://portal.test"
BX24_SCRIPT = re.compile(r"^https?://api\.bitrix24\.com/api/v1/")
LOCAL_HOSTS = {"127.0.0.1", "portal.test"}
# Flags for the OS Chromium in a container; Playwright's launch() gives every launch a fresh
# temporary profile (user-data dir) of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Chromium 142+ blocks a public page (the portal, served by page.route) from framing a loopback
    # address (the app under test); in production both are public, so the check only gets in the way.
    "--disable-features=LocalNetworkAccessChecks",
]

STUB_BX24 = (Path(__file__).parent / "bx24_stub.js").read_text()

PORTAL_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Bitrix24</title>
<style>body {{ margin: 0; }} iframe {{ display: block; width: 100%; height: 240px; border: 0; }}</style>
</head><body>
<form id="frame-form" method="post" action="{action}" target="app">{inputs}</form>
<iframe name="app" id="app" title="app"></iframe>
<script>
  window.addEventListener("message", function (event) {{
    if (event.data && event.data.bx24stub === "resize") {{
      document.getElementById("app").style.height = event.data.height + "px";
    }}
  }});
  document.getElementById("frame-form").submit();
</script>
</body></html>"""


def chromium_path() -> str | None:
    """The OS Chromium: $CHROMIUM_PATH if set, else ``chromium`` on PATH (Debian: /usr/bin/chromium)."""
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    return found if os.access(found, os.X_OK) else None


@pytest.fixture(scope="module")
def playwright_session() -> Iterator[Playwright]:
    """Per module: while Playwright's sync API is active it keeps an asyncio loop running in this
    thread, which other tests' asyncio.run would trip over (AppHarness.drain steps aside itself)."""
    with sync_playwright() as session:
        yield session


@pytest.fixture(scope="module")
def browser(playwright_session: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        reason = "Chromium is not installed (apt-get install chromium chromium-driver; .ci/run does it)"
        if os.environ.get("CI"):
            pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped locally: {reason}")
    launched = playwright_session.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield launched
    launched.close()


@dataclass
class PortalWindow:
    """One browser tab showing the portal with the app's frame; ``frame`` is the app's page."""

    page: Page
    app_url: str
    external_requests: list[str]
    portal_pages: dict[str, str] = field(default_factory=dict)

    def open(self, frame: driver.Frame, *, lang: str | None = None) -> Frame:
        """POST ``frame``'s form into the iframe, as the portal does; ``lang`` overrides the user's LANG."""
        if lang is not None:
            frame = replace(frame, query={**frame.query, "LANG": lang})
        path = f"/frame/{len(self.portal_pages)}"
        inputs = "".join(
            f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in frame.form
        )
        self.portal_pages[path] = PORTAL_PAGE.format(action=escape(frame.address()), inputs=inputs)
        self.page.goto(PORTAL_ORIGIN + path)
        app_frame = self.page.frame(name="app")
        assert app_frame is not None
        app_frame.wait_for_url(re.compile("^" + re.escape(frame.url)))
        app_frame.wait_for_load_state()
        return app_frame

    def calls(self, frame: Frame) -> list[dict[str, Any]]:
        return list(frame.evaluate("window.__bx24calls || []"))

    def call_names(self, frame: Frame) -> list[str]:
        return [call["name"] for call in self.calls(frame)]

    def screenshot(self, name: str) -> Path:
        """The app's frame (fitted to its page) or, for a page opened directly, the whole page."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        box = self.page.locator("#app").bounding_box() if self.page.frame(name="app") else None
        if box is not None:  # the whole fitted frame: the viewport grows to hold it, then is put back
            size = self.page.viewport_size or {"width": 1000, "height": 700}
            self.page.set_viewport_size(
                {"width": size["width"], "height": max(size["height"], int(box["height"]) + 1)}
            )
            self.page.locator("#app").screenshot(path=str(path), animations="disabled")
            self.page.set_viewport_size(size)
        else:
            self.page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path


def _portal_routes(context: BrowserContext, window: PortalWindow, bx24: str) -> None:
    """Registered in reverse priority: Playwright tries the last registered route first."""

    def outside(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in LOCAL_HOSTS:
            route.fallback()
        else:
            window.external_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def portal_page(route: Route) -> None:
        body = window.portal_pages.get(urlsplit(route.request.url).path)
        route.fulfill(status=200 if body else 404, content_type="text/html", body=body or "not found")

    def bx24_library(route: Route) -> None:
        if bx24 == "stub":
            route.fulfill(status=200, content_type="application/javascript", body=STUB_BX24)
        else:
            route.abort("connectionrefused")

    context.route("**/*", outside)
    context.route(PORTAL_ORIGIN + "/**", portal_page)
    context.route(BX24_SCRIPT, bx24_library)


@pytest.fixture
def portal_window(browser: Browser, app: AppHarness) -> Iterator[Callable[..., PortalWindow]]:  # noqa: F811
    """``make(width=1000, bx24="stub"|"unreachable")`` -> a PortalWindow in a fresh browser context."""
    contexts: list[BrowserContext] = []

    def make(width: int = 1000, bx24: str = "stub") -> PortalWindow:
        context = browser.new_context(viewport={"width": width, "height": 700}, locale="en-US")
        contexts.append(context)
        window = PortalWindow(context.new_page(), app.base_url, [])
        _portal_routes(context, window, bx24)
        return window

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def serve_on_app(app: AppHarness) -> Callable[[PortalWindow, str, str], str]:  # noqa: F811
    """Serve ``html`` at ``path`` on the app's own origin (so /static/ resolves to the real files)."""

    def serve(window: PortalWindow, path: str, html: str) -> str:
        url = app.base_url + path
        window.page.context.route(url, lambda route: route.fulfill(content_type="text/html", body=html))
        return url

    return serve


def program_versions(app: AppHarness) -> int:  # noqa: F811 - a parameter, not the fixture
    """How many program versions the app has saved."""
    with app.db.transaction() as session:
        return int(session.execute(select(func.count()).select_from(ProgramVersion)).scalar_one())


@pytest.fixture
def settings_page(
    portal_window: Callable[..., PortalWindow],
    app: AppHarness,  # noqa: F811
    emulator: Emulator,
    portal: EmuPortal,  # noqa: F811
) -> Callable[..., tuple[PortalWindow, Frame]]:
    """``open(user, lang="en", width=1000)``: the main page as the portal opens it for ``user``, then
    the Settings button; the window and the settings page's frame."""

    def open_settings(user: int, lang: str = "en", width: int = 1000) -> tuple[PortalWindow, Frame]:
        window = portal_window(width=width)
        main = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", user, [("PLACEMENT", "DEFAULT")])
        frame = window.open(main, lang=lang)
        frame.locator("#open-settings").click()
        expect(frame.locator("#settings-form")).to_be_visible()
        return window, frame

    return open_settings


@dataclass
class History:
    """A client's bonus history made for a page to show: program versions, won deals, write-offs
    and days passing on the frozen clock the app runs on (a module overrides ``app_clock``)."""

    app: AppHarness
    emulator: Emulator
    portal: EmuPortal
    clock: FrozenClock

    def program(self, **settings: Any) -> None:
        with self.app.db.transaction() as session:
            save_program(session, portal_id_of(self.app), settings, "test", self.app.container.clock.now())

    def won(self, contact: int, amount: str, title: str = "d") -> int:
        deal = driver.create_deal(
            self.emulator, self.portal, TITLE=title, OPPORTUNITY=amount, CONTACT_ID=contact, STAGE_ID="WON"
        )
        self.app.drain()
        return deal

    def spend(self, contact: int, amount: int, reason: str) -> None:
        done = move(
            self.app.container,
            portal_id_of(self.app),
            Owner("contact", contact),
            Decimal(amount),
            reason,
            "writeoff",
        )
        assert done["ok"]

    def later(self, days: int, *, run_lane: bool = False) -> None:
        """``days`` pass; ``run_lane``: the lane runs its timed passes (expiry, activation) at once."""
        self.clock.advance(days=days)
        self.app.skew += timedelta(days=days)
        if run_lane:
            self.app.container.jobs.enqueue_lane(portal_id_of(self.app), force=True)
            self.app.drain()


@pytest.fixture
def history(app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock) -> History:  # noqa: F811
    return History(app, emulator, portal, clock)
