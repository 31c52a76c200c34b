"""The card tab's history is paged (20 to a page, newest first) and a page past the end shows the last."""

from __future__ import annotations

import re
from decimal import Decimal

import requests

from registry.ledger.posting import Owner
from registry.services.support import move
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

TAB = "CRM_CONTACT_DETAIL_TAB"


def _page(app: AppHarness, emulator: Emulator, portal: EmuPortal, contact: int, page: str) -> str:
    frame = driver.placement_frame(emulator, portal, CLIENT_ID, TAB, contact)
    answer = requests.post(frame.url, data=[*frame.form, ("page", page)], params=frame.query, timeout=10)
    assert answer.status_code == 200
    return answer.text


def test_the_history_is_paged_newest_first(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    owner = Owner("contact", contact)
    for number in range(1, 26):  # 25 corrections: two pages
        done = move(app.container, portal_id_of(app), owner, Decimal(number), f"gift {number}", "adjust")
        assert done["ok"]
    first = _page(app, emulator, portal, contact, "1")
    assert first.count('class="entry"') == 20 and "gift 25" in first and "gift 5<" not in first
    assert re.search(r'id="page-of">[^<]*1[^<]*2', first)
    second = _page(app, emulator, portal, contact, "2")
    assert second.count('class="entry"') == 5 and "gift 1<" in second and "gift 25" not in second
    assert _page(app, emulator, portal, contact, "99").count('class="entry"') == 5  # clamped to the last
