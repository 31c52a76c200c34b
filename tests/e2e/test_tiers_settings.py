"""An administrator edits client levels on the settings page (over HTTP, as the frame posts it):
saved into the program's ``tiers``; a level out of order is refused next to its field."""

from __future__ import annotations

from html.parser import HTMLParser

import requests

from registry.program.document import current_program
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


class _Fields(HTMLParser):
    """The settings form's fields as a browser would post them (checked boxes, selected options)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name and (a.get("type") != "checkbox" or "checked" in a):
            self.values.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and (self._select not in self.values or "selected" in a):
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self.values[name] = name, ""

    def handle_endtag(self, tag: str) -> None:
        self._select = None if tag == "select" else self._select
        self._textarea = None if tag == "textarea" else self._textarea

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data


def _save(app: AppHarness, emulator: Emulator, portal: EmuPortal, **changes: str) -> requests.Response:
    frame = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/settings", 1, [])
    page = requests.post(frame.url, data=frame.form, params=frame.query, timeout=10)
    assert page.status_code == 200
    fields = _Fields()
    fields.feed(page.text)
    form = {**fields.values, **{k.replace("_", "-"): v for k, v in changes.items()}}
    return requests.post(app.base_url + "/settings/save", data=form, params=frame.query, timeout=10)


def test_an_administrator_sets_levels_and_an_out_of_order_level_is_refused_at_its_field(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    saved = _save(
        app,
        emulator,
        portal,
        tiers_basis="won_total_12m",
        tiers_0_code="base",
        tiers_0_from="0",
        tiers_0_percent="5",
        tiers_0_name="Base",
    )
    assert saved.status_code == 200
    with app.db.transaction() as session:
        tiers = current_program(session, portal_id_of(app)).tiers
    assert tiers is not None and tiers.basis == "won_total_12m"
    assert [(lv.code, lv.name, str(lv.start), str(lv.percent)) for lv in tiers.levels] == [
        ("base", "Base", "0.00", "5")
    ]
    refused = _save(app, emulator, portal, tiers_1_code="silver", tiers_1_from="0", tiers_1_percent="7")
    assert refused.status_code == 422
    error = refused.text.split('id="e-tiers-1-from"', 1)[1].split("</span>", 1)[0]
    assert "must be greater than the previous level" in error
    with app.db.transaction() as session:
        assert len(current_program(session, portal_id_of(app)).tiers.levels) == 1  # type: ignore[union-attr]


def test_the_level_changed_texts_list_their_own_variables(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    frame = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/settings", 1, [])
    page = requests.post(frame.url, data=frame.form, params=frame.query, timeout=10)
    assert page.status_code == 200
    level = page.text.split('id="event-level_changed"', 1)[1].split("</fieldset>", 1)[0]
    legend = level.split('id="variables-level_changed">', 1)[1].split("</p>", 1)[0]
    assert all(f"{{{{ {name} }}}}" in legend for name in ("level", "percent", "previous"))
    assert "уровень" in legend  # the portal's language (ru)
    accrued = page.text.split('id="event-accrued"', 1)[1].split("</fieldset>", 1)[0]
    assert "{{ level }}" not in accrued  # the amounts' events keep the common legend only
