"""Settings in a real browser: a change saved as a new program version, an invalid formula refused
with its position next to the field (live and on save), restore, repair, previews, and a
non-administrator who cannot save (the server refuses, not just a hidden button)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from playwright.sync_api import Frame, expect

from registry.program.document import current_program
from tests.browser.conftest import PortalWindow, program_versions
from tests.browser.look import contrast_failures, fits_width
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

pytestmark = pytest.mark.browser
ADMIN, MANAGER = 1, 2


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_change_is_saved_as_a_new_program_version_and_can_be_restored(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
    lang: str,
) -> None:
    window, frame = settings_page(ADMIN, lang)
    before = program_versions(app)
    frame.locator("#f-rules-0-percent").fill("7")
    frame.locator("#f-lifetime_days").fill("100")
    frame.locator("#save").click()
    expect(frame.locator("#notice")).to_contain_text(str(before + 1))
    expect(frame.locator(".version-row").first).to_have_attribute("data-version", str(before + 1))
    expect(frame.locator("#f-rules-0-percent")).to_have_value("7")
    with app.db.transaction() as session:
        program = current_program(session, portal_id_of(app))
    assert program.rules[0]["percent"] == "7" and program.lifetime_days == 100
    assert program_versions(app) == before + 1
    assert contrast_failures(frame) == []
    window.screenshot(f"settings-{lang}")
    # A second change, then the first one restored: a new version with the first one's document.
    frame.locator("#f-rules-0-percent").fill("9")
    frame.locator("#save").click()
    expect(frame.locator(".version-row").first).to_have_attribute("data-version", str(before + 2))
    frame.locator(f".version-row[data-version='{before + 1}'] button").click()
    expect(frame.locator("#notice")).to_contain_text(str(before + 3))
    expect(frame.locator("#f-rules-0-percent")).to_have_value("7")
    assert program_versions(app) == before + 3


def test_an_invalid_formula_is_refused_with_its_position_next_to_the_field(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
) -> None:
    window, frame = settings_page(ADMIN, width=380)
    before = program_versions(app)
    frame.locator("#f-rules-1-kind").select_option("formula")
    frame.locator("#f-rules-1-formula").fill("amount * bonus")
    live = frame.locator("#e-rules-1-formula")
    expect(live).to_contain_text("position 10")  # while typing, before any save
    expect(frame.locator("[data-field='rules-1-formula']")).to_have_class("field field-error")
    frame.locator("#save").click()
    expect(frame.locator("#errors")).to_be_visible()
    expect(frame.locator("#e-rules-1-formula")).to_contain_text("position 10")
    expect(frame.locator("#f-rules-1-formula")).to_have_value("amount * bonus")
    assert program_versions(app) == before
    frame.locator("#f-rules-1-formula").fill("amount * 0.1")
    expect(frame.locator("#e-rules-1-formula")).to_be_hidden()
    assert fits_width(frame)
    window.screenshot("settings-formula-error-en-380")


def test_notification_texts_are_previewed_for_a_sample_client(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
) -> None:
    window, frame = settings_page(ADMIN, "ru")
    frame.locator("#f-text-accrued-ru").fill("Начислено {{ amount }}, всего {{ balance }}")
    frame.locator("input[name=channel-accrued-sms]").check()
    frame.get_by_role("button", name="Показать тексты").click()
    expect(frame.locator("#preview-accrued-ru")).to_contain_text("Начислено 50,00, всего 150,00")
    before = program_versions(app)
    frame.locator("#save").click()
    expect(frame.locator("#notice")).to_be_visible()
    with app.db.transaction() as session:
        program = current_program(session, portal_id_of(app))
    assert program.notifications["channels"] == {"accrued": ["sms"]} and program_versions(app) == before + 1


def test_repair_the_installation_provisions_again(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
) -> None:
    window, frame = settings_page(ADMIN)
    frame.locator("#repair-button").click()
    expect(frame.locator("#notice")).to_contain_text("Repair started")
    app.drain()
    status = requests.get(app.base_url + "/healthz", timeout=5)
    assert status.status_code == 200


def test_a_manager_sees_the_settings_read_only_and_the_server_refuses_a_save(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
) -> None:
    window, frame = settings_page(MANAGER)
    expect(frame.locator("#read-only")).to_be_visible()
    expect(frame.locator("#save")).to_have_count(0)
    expect(frame.locator("#f-rules-0-percent")).to_be_disabled()
    expect(frame.locator("#repair")).to_have_count(0)
    window.screenshot("settings-read-only-ru")
    before = program_versions(app)
    # Posted directly with the manager's own frame: the portal says they are no administrator.
    page = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/settings/save", MANAGER, [])
    form = dict(page.form) | {"rules-0-kind": "percent", "rules-0-percent": "50", "lifetime_days": "1"}
    for path in ("/settings/save", "/settings/restore", "/settings/repair"):
        answer = requests.post(
            app.base_url + path, data=form | {"version": "1"}, params=page.query, timeout=10
        )
        assert answer.status_code == 403 and "access_denied" in answer.text
    assert program_versions(app) == before


def test_api_keys_are_created_shown_once_and_revoked(
    settings_page: Callable[..., tuple[PortalWindow, Frame]],
    app: AppHarness,
) -> None:
    window, frame = settings_page(ADMIN)
    frame.locator("#f-key_name").fill("website")
    frame.locator("input[name=scope-spend]").check()
    frame.locator("#create-key").click()
    secret = frame.locator("#new-key code").inner_text()
    assert len(secret) > 20
    expect(frame.locator(".key-row[data-key=website]")).to_contain_text("read, spend")
    answer = requests.get(
        f"{app.base_url}/api/v1/clients/contact/1", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code != 401
    frame.locator(".key-row[data-key=website] button").click()
    expect(frame.locator(".key-row[data-key=website]")).to_contain_text("revoked")
    expect(frame.locator("#new-key")).to_have_count(0)  # never shown again
    answer = requests.get(
        f"{app.base_url}/api/v1/clients/contact/1", headers={"Authorization": f"Bearer {secret}"}
    )
    assert answer.status_code == 401
