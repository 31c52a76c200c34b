"""Client levels end to end: a won total crossing a level's ``from`` prices the client's next deal at
the level's percent and tells the client; a reversal moves them back down; on a 12-month basis the
day an old deal leaves the window lowers the level."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from b24app.clock import FrozenClock
from b24app.models import OutboxMessage, PortalCursor
from bootstrap.console import main
from registry.bonuses.segments import yearly
from registry.ledger.models import LedgerEntry
from registry.program.document import save_program
from registry.services import tiers_step
from tests.e2e.api_support import Api, make_key
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

LEVELS = [
    {"code": "base", "name": "Base", "from": 0, "percent": 5},
    {"code": "silver", "name": "Silver", "from": 1000, "percent": 10},
]
NOTIFY = {"channels": {"level_changed": ["email"]}, "templates": {}}


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _program(app: AppHarness, basis: str = "won_total") -> None:
    tiers = {"basis": basis, "levels": LEVELS, "field": "UF_CRM_BONUS_LEVEL"}
    document: dict[str, Any] = {"tiers": tiers, "notifications": NOTIFY}
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), document, "test", app.container.clock.now())


def _client(emulator: Emulator, portal: EmuPortal) -> int:
    return driver.create_contact(emulator, portal, NAME="Ann", EMAIL=[{"VALUE": "ann@example.test"}])


def _won(app: AppHarness, emulator: Emulator, portal: EmuPortal, contact: int, amount: str) -> int:
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY=amount, CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    return deal


def _accruals(app: AppHarness) -> list[tuple[str, Decimal]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.amount) for e in rows]


def _level(api: Api, contact: int) -> str | None:
    answer = api.get(f"/clients/contact/{contact}")
    assert answer.status_code == 200
    return answer.json()["level"]


def _later(app: AppHarness, clock: FrozenClock, **delta: float) -> None:
    clock.advance(**delta)
    app.skew += timedelta(**delta)
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _webhooks(app: AppHarness) -> list[dict[str, Any]]:
    with app.db.transaction() as session:
        rows = session.execute(
            select(OutboxMessage).where(OutboxMessage.kind == "webhook").order_by(OutboxMessage.id)
        ).scalars()
        return [dict(r.payload["data"]) for r in rows if r.payload["event"] == "level_changed"]


def test_crossing_a_boundary_prices_the_next_deal_and_tells_the_client(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    _program(app)
    contact = _client(emulator, portal)
    _won(app, emulator, portal, contact, "1000")  # priced at Base (5%); the total reaches Silver
    assert _accruals(app) == [("accrual", Decimal("50.00"))]
    assert _level(api, contact) == "silver"
    quote = api.post("/preview", {"client": {"type": "contact", "id": contact}, "amount": 1000}).json()
    assert Decimal(str(quote["earns"])) == Decimal("100")  # a preview prices at the client's level too
    _won(app, emulator, portal, contact, "1000")  # the next deal: Silver's 10%
    assert _accruals(app)[-1] == ("accrual", Decimal("100.00"))
    bodies = [m["DESCRIPTION"] for m in portal.sent_emails]
    assert [b for b in bodies if "Silver" in b] == [
        "Ваш бонусный уровень теперь Silver: 10% каждой покупки возвращается бонусами."
    ]
    assert any(c["COMMENT"] == "Уровень клиента: Base → Silver." for c in portal.comments)
    frame = driver.placement_frame(emulator, portal, CLIENT_ID, "CRM_CONTACT_DETAIL_TAB", contact)
    tab = requests.post(frame.url, data=frame.form, params=frame.query, timeout=10).text
    assert '<dd id="level">Silver</dd>' in tab
    assert portal.contacts[contact]["UF_CRM_BONUS_LEVEL"] == "Silver"


def test_a_reversal_moves_the_client_back_down(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    assert main(["webhook", portal.member_id, "add", "http://127.0.0.1:9/hook"], container=app.container) == 0
    _program(app)
    contact = _client(emulator, portal)
    first = _won(app, emulator, portal, contact, "1000")
    _won(app, emulator, portal, contact, "500")  # Silver: 10% of 500
    assert _accruals(app)[-1] == ("accrual", Decimal("50.00"))
    driver.update_deal(emulator, portal, first, STAGE_ID="LOSE")
    app.drain()
    assert _accruals(app)[-1] == ("reversal", Decimal("-50.00"))
    assert _level(api, contact) == "base"  # 500 left: below Silver's 1000
    assert _webhooks(app) == [
        {"client": {"type": "contact", "id": contact}, "from": "base", "to": "silver"},
        {"client": {"type": "contact", "id": contact}, "from": "silver", "to": "base"},
    ]
    _won(app, emulator, portal, contact, "400")  # priced at Base again
    assert _accruals(app)[-1] == ("accrual", Decimal("20.00"))
    driver.update_deal(emulator, portal, first, STAGE_ID="WON", OPPORTUNITY="100")  # 1000 in all: Silver
    app.drain()
    assert _level(api, contact) == "silver"
    driver.update_deal(emulator, portal, first, OPPORTUNITY="50")  # its amount lowered while won: 950
    app.drain()
    assert _level(api, contact) == "base"
    assert any(c["COMMENT"] == "Уровень клиента: Silver → Base." for c in portal.comments)


def test_the_12_month_window_drops_an_old_deal_on_its_day(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    api = Api(app, make_key(app, portal, capsys))
    _program(app, "won_total_12m")
    contact = _client(emulator, portal)
    won_on = clock.now().date()
    _won(app, emulator, portal, contact, "1000")
    assert _level(api, contact) == "silver"
    anniversary = yearly(won_on, won_on.year + 1)
    _later(app, clock, days=(anniversary - won_on).days - 1)  # the day before: still in the window
    assert clock.now().date() == anniversary - timedelta(days=1)
    assert _level(api, contact) == "silver"
    _later(app, clock, days=1)  # 12 months on: the deal has left the window
    assert _level(api, contact) == "base"
    bodies = [m["DESCRIPTION"] for m in portal.sent_emails]
    assert bodies[-1] == "Ваш бонусный уровень теперь Base: 5% каждой покупки возвращается бонусами."


def test_a_long_daily_pass_goes_on_over_several_turns(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    clock: FrozenClock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tiers_step, "PER_TURN", 1)  # one client a turn: three turns for three
    monkeypatch.setattr(tiers_step, "PER_COMMIT", 1)
    api = Api(app, make_key(app, portal, capsys))
    _program(app, "won_total_12m")
    contacts = [_client(emulator, portal) for _ in range(3)]
    for contact in contacts:
        _won(app, emulator, portal, contact, "1000")
    assert [_level(api, c) for c in contacts] == ["silver"] * 3
    _later(app, clock, days=366)
    assert [_level(api, c) for c in contacts] == ["base"] * 3
    with app.db.transaction() as session:
        marks = dict(session.execute(select(PortalCursor.name, PortalCursor.value)).all())
    assert marks[tiers_step.PROGRESS].endswith(f"|contact:{max(contacts)}")  # the last turn's last client
    assert marks[tiers_step.PROGRESS].split("|")[0] == marks[tiers_step.DAILY]  # that run finished
