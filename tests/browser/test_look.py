"""The stylesheet: every component of the kit meets WCAG AA; the friendly error page in ru and en."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from handlers.frame import FrameProblem, frame_error
from tests.browser.conftest import PortalWindow
from tests.browser.look import contrast, contrast_failures, fits_width
from tests.harness import AppHarness

pytestmark = pytest.mark.browser

SPECIMEN = Path(__file__).parents[2] / "tools" / "css" / "specimen.html"


def test_stylesheet_is_served_by_the_app_with_the_kits_tokens(app: AppHarness) -> None:
    answer = requests.get(app.base_url + "/static/app.css", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/css")
    assert "@bitrix24/b24style" in answer.text and ".btn-primary" in answer.text


@pytest.mark.parametrize("width", [1000, 380])
def test_every_component_meets_wcag_aa_contrast(
    portal_window: Callable[..., PortalWindow], serve_on_app: Callable[..., str], width: int
) -> None:
    window = portal_window(width=width)
    window.page.goto(serve_on_app(window, "/__specimen", SPECIMEN.read_text()))
    expect(window.page.locator(".btn-primary").first).to_have_css("background-color", "rgb(187, 237, 33)")
    measured = contrast(window.page)
    kinds = {m["kind"] for m in measured}
    assert kinds == {"text", "border"} and len(measured) > 40  # the check saw the whole specimen
    assert contrast_failures(window.page) == []
    assert fits_width(window.page)
    window.screenshot(f"specimen-{width}")
    assert window.external_requests == []


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_error_page_explains_the_problem_and_the_next_step(
    portal_window: Callable[..., PortalWindow], serve_on_app: Callable[..., str], app: AppHarness, lang: str
) -> None:
    with app.app.test_request_context(f"/placements/tab?LANG={lang}"):
        html, status = frame_error(FrameProblem.NOT_INSTALLED, lang)
    assert status == 401
    window = portal_window(width=380)
    window.page.goto(serve_on_app(window, f"/__error-{lang}", html))
    expect(window.page.locator("html")).to_have_attribute("lang", lang)
    next_step = "переустановить" if lang == "ru" else "reinstall"
    expect(window.page.locator("#next-step")).to_contain_text(next_step)
    expect(window.page.locator("#error-page")).to_have_attribute("data-code", "not_installed")
    assert "{" not in window.page.locator("body").inner_text()  # no raw JSON
    assert contrast_failures(window.page) == []
    window.screenshot(f"error-{lang}")
