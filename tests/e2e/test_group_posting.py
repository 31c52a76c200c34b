"""A group of won deals posts with one flush: what it writes is what deal-by-deal posting wrote,
and an account that appears meanwhile sends the group back deal by deal, each accrued once."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, event, func, insert, select

from b24app.models import Portal
from registry.ledger.audit import audit
from registry.ledger.models import Account, LedgerEntry, Lot
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _win(emulator: Emulator, portal: EmuPortal, company: int, amount: str) -> int:
    return driver.create_deal(
        emulator, portal, TITLE=f"for {company}", OPPORTUNITY=amount, COMPANY_ID=company, STAGE_ID="WON"
    )


def _portal_id(app: AppHarness, portal: EmuPortal) -> int:
    with app.db.transaction() as session:
        return session.execute(select(Portal.id).where(Portal.member_id == portal.member_id)).scalar_one()


def _accounts(app: AppHarness, portal_id: int) -> dict[int, Decimal]:
    with app.db.transaction() as session:
        rows = session.execute(
            select(Account.owner_id, Account.balance).where(Account.portal_id == portal_id)
        ).all()
    return {owner: balance for owner, balance in rows}


def test_a_group_writes_what_posting_deal_by_deal_wrote(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    regular = driver.create_company(emulator, portal, TITLE="Regular")
    _win(emulator, portal, regular, "1000")
    app.drain()  # the regular client has an account already
    new = [driver.create_company(emulator, portal, TITLE=f"New {i}") for i in range(3)]
    nothing = driver.create_company(emulator, portal, TITLE="Zero")
    for company in [regular, *new, new[0]]:
        _win(emulator, portal, company, "1000")
    _win(emulator, portal, nothing, "0")
    app.drain()
    portal_id = _portal_id(app, portal)
    balances = _accounts(app, portal_id)
    assert nothing not in balances  # a deal that earned nothing opens no account
    assert balances[regular] == 2 * balances[new[1]] == balances[new[0]] > 0
    with app.db.transaction() as session:
        entries = session.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
        lots = session.execute(select(Lot.entry_id, Lot.account_id, Lot.amount)).all()
        assert audit(session, portal_id) == []  # balances = entries = lots, per account
    assert entries == len(lots) == 6  # one accrual and one lot per won deal with an amount
    assert all(amount > 0 for _, _, amount in lots)


@pytest.fixture
def account_appears(app: AppHarness) -> Iterator[list[int]]:
    """The first time a flush inserts accounts, another connection inserts one of them first
    (the owner ids to take are appended to the yielded list by the test)."""
    if app.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: no other connection can insert while the group runs")
    owners: list[int] = []
    outside = create_engine(app.db.url)
    done: list[bool] = []

    def before(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if done or not owners or not statement.startswith("INSERT INTO accounts"):
            return
        done.append(True)
        with outside.begin() as connection:
            portal_id = connection.execute(select(Portal.id)).scalar_one()
            row = {"portal_id": portal_id, "owner_type": "company", "owner_id": owners[0]}
            connection.execute(
                insert(Account).values(**row, balance=0, debt=0, blocked=False, updated_at=func.now())
            )

    event.listen(app.db.engine, "before_cursor_execute", before)
    yield owners
    event.remove(app.db.engine, "before_cursor_execute", before)
    outside.dispose()
    assert done, "no flush inserted an account"


def test_an_account_that_appears_meanwhile_sends_the_group_deal_by_deal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, account_appears: list[int]
) -> None:
    companies = [driver.create_company(emulator, portal, TITLE=f"Client {i}") for i in range(4)]
    account_appears.append(companies[0])
    for company in companies:
        _win(emulator, portal, company, "1000")
    app.drain()
    portal_id = _portal_id(app, portal)
    balances = _accounts(app, portal_id)
    assert set(balances) == set(companies)
    assert len(set(balances.values())) == 1 and balances[companies[0]] > 0  # each accrued once
    with app.db.transaction() as session:
        keys = session.execute(select(LedgerEntry.business_key)).scalars().all()
        assert audit(session, portal_id) == []
    assert len(keys) == len(set(keys)) == len(companies)
