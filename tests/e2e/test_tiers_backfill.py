"""Deals won before client levels existed count towards the level once the tiers are saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import delete

from b24app.clock import FrozenClock
from registry.bonuses.tier_models import ClientWin
from tests.e2e.api_support import Api, make_key
from tests.e2e.test_lifetime import _spend
from tests.e2e.test_tiers import _accruals, _client, _level, _won
from tests.e2e.test_tiers_settings import _save
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def test_deals_won_before_the_tiers_were_saved_give_the_client_their_level(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    contact = _client(emulator, portal)
    first = _won(app, emulator, portal, contact, "600")  # the program's 5%: 30
    driver.update_deal(emulator, portal, first, OPPORTUNITY="700")  # an adjustment: 700 counts
    _won(app, emulator, portal, contact, "500")
    lost = _won(app, emulator, portal, contact, "5000")
    driver.update_deal(emulator, portal, lost, STAGE_ID="LOSE")  # reversed: it does not count
    spent = _won(app, emulator, portal, contact, "3000")  # 150, then every bonus is spent
    assert _spend(app, contact, "210")["ok"] is True
    driver.update_deal(emulator, portal, spent, STAGE_ID="LOSE")  # nothing left to reverse: debt
    app.drain()
    kinds = [kind for kind, _ in _accruals(app)]
    assert kinds == ["accrual", "deal_adjustment", "accrual", "accrual", "reversal", "accrual", "write_off"]
    with app.db.transaction() as session:  # as before this release: won deals left no win rows
        session.execute(delete(ClientWin).where(ClientWin.portal_id == portal_id_of(app)))
    levels = [("base", "Base", 0, 5), ("silver", "Silver", 1000, 10), ("gold", "Gold", 3000, 20)]
    form = {
        f"tiers_{i}_{part}": str(value)
        for i, level in enumerate(levels)
        for part, value in zip(("code", "name", "from", "percent"), level, strict=True)
    }
    saved = _save(app, emulator, portal, tiers_basis="won_total", **form)
    assert saved.status_code == 200
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    assert _level(api, contact) == "silver"  # 700 + 500; neither lost deal is counted
    _won(app, emulator, portal, contact, "1000")  # priced at Silver's 10%
    accruals = [entry for entry in _accruals(app) if entry[0] == "accrual"]
    assert accruals[-1] == ("accrual", Decimal("100.00"))  # (then it pays the lost deal's debt)
