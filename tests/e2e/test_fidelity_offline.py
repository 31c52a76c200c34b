"""Offline deletions as the docs show them (``"EVENT_DATA": false``): the record is not cleared and
forgotten — the id sweep finds the deleted deal and the accrual is reversed, once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select, update

from b24app.models import PortalCursor
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of


def _is_sweep(record: Any) -> bool:
    """A deletion sweep: deals listed by a set of ids."""
    params = record.params
    return (
        record.method == "crm.item.list"
        and str(params.get("entityTypeId")) == "2"
        and "@id" in params["filter"]
    )


def _entries(app: AppHarness) -> list[tuple[str, Decimal]]:
    with app.db.transaction() as session:
        rows = session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars()
        return [(e.kind, e.amount) for e in rows]


def _schedules_come_round(app: AppHarness, *names: str) -> None:
    """The named schedules (all when none is named) are due now; the lane runs."""
    due = update(PortalCursor).where(PortalCursor.name.in_(names)) if names else update(PortalCursor)
    with app.db.transaction() as session:
        session.execute(due.values(next_run_at=app.container.clock.now()))
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _accrued_deal(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    contact = driver.create_contact(emulator, portal, NAME="Eve")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="100", CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    return deal


def test_a_deletion_without_event_data_still_reverses_the_accrual(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    kept = _accrued_deal(app, emulator, portal)
    deal = _accrued_deal(app, emulator, portal)
    emulator.faults.drop_deliveries(1)  # the online ONCRMDEALDELETE never arrives
    driver.delete_deal(emulator, portal, deal)
    (record,) = portal.offline
    assert record["EVENT_DATA"] is False and record["EVENT_ADDITIONAL"] is False
    app.drain()
    assert [k for k, _ in _entries(app)] == ["accrual", "accrual"]
    _schedules_come_round(app, "offline_events")  # the daily sweep is not due: the record calls it
    assert _entries(app) == [
        ("accrual", Decimal("5.00")),
        ("accrual", Decimal("5.00")),
        ("reversal", Decimal("-5.00")),
    ]
    assert portal.offline == []  # handled: the sweep, not the record, named the deal
    sweeps = [r.params for r in emulator.requests if _is_sweep(r)]
    assert sweeps and sorted(map(int, sweeps[-1]["filter"]["@id"])) == sorted([kept, deal])
    _schedules_come_round(app)  # the daily sweep again: nothing is reversed twice
    assert [k for k, _ in _entries(app)].count("reversal") == 1


def test_the_id_in_a_record_is_used_when_the_portal_gives_it(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    portal.offline_event_data = True
    deal = _accrued_deal(app, emulator, portal)
    emulator.faults.drop_deliveries(1)
    driver.delete_deal(emulator, portal, deal)
    with app.db.transaction() as session:  # only the offline queue comes round, not the sweep
        session.execute(
            update(PortalCursor)
            .where(PortalCursor.name == "offline_events")
            .values(next_run_at=app.container.clock.now())
        )
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    assert [k for k, _ in _entries(app)] == ["accrual", "reversal"]
    assert not [r for r in emulator.requests if _is_sweep(r)]
