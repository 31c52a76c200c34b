"""Expiry benchmark: lots of 10,000 owners expire on one pass, against the default limiter.

Goals (issue: lifetime): portal requests ≤ 1.1 × ⌈commands / 50⌉, zero ``QUERY_LIMIT_EXCEEDED``,
peak RSS of the worker process < 300 MB. The seed (accounts, accruals, lots that expired a
minute ago, their registry items already on the portal, contacts with their balance) is written
straight into the database and the emulator; only the expiry pass is measured. Each expired lot
owes four commands: the expiry entry's registry item, the accrual item's move to "expired", the
balance field and a timeline comment on the owner.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select
from sqlalchemy.orm import Session

from b24app.models import OutboxMessage, Portal, PortalObject
from bench.common import Stand, settle, stand, wait_for
from registry.bonuses.lifetime import request_lifetime_pass
from registry.bonuses.target import load_target
from registry.ledger.models import Account, LedgerEntry, Lot


def seed(s: Stand, owners: int) -> None:
    """``owners`` contacts, each with one 50-point accrual whose lot expired a minute ago."""
    now = s.app.container.clock.now()
    then = now - timedelta(days=366)
    with s.app.db.transaction() as session:
        portal_id = session.execute(select(Portal.id)).scalar_one()
        target = load_target(session, portal_id)
        assert target is not None
        contacts = [_contact(s, i) for i in range(owners)]
        session.execute(
            insert(Account),
            [
                {
                    "portal_id": portal_id,
                    "owner_type": "contact",
                    "owner_id": c,
                    "balance": 50,
                    "debt": 0,
                    "blocked": False,
                    "updated_at": then,
                }
                for c in contacts
            ],
        )
        accounts = dict(session.execute(select(Account.owner_id, Account.id)).all())
        session.execute(
            insert(LedgerEntry),
            [
                {
                    "portal_id": portal_id,
                    "account_id": accounts[c],
                    "kind": "accrual",
                    "amount": 50,
                    "balance_after": 50,
                    "business_key": f"seed:{c}",
                    "actor": "seed",
                    "source": "seed",
                    "snapshot": {},
                    "created_at": then,
                }
                for c in contacts
            ],
        )
        entries = dict(session.execute(select(LedgerEntry.account_id, LedgerEntry.id)).all())
        session.execute(
            insert(Lot),
            [
                {
                    "portal_id": portal_id,
                    "account_id": a,
                    "entry_id": e,
                    "amount": 50,
                    "remaining": 50,
                    "activates_at": then,
                    "activated_at": then,
                    "expires_at": now - timedelta(minutes=1),
                }
                for a, e in entries.items()
            ],
        )
        items = _items_on_portal(s, target, entries, accounts)
        session.execute(
            insert(OutboxMessage),
            [
                {
                    "portal_id": portal_id,
                    "kind": "registry_item",
                    "key": f"item:{e}",
                    "payload": {"entry_id": e},
                    "status": "done",
                    "attempts": 1,
                    "created_at": then,
                    "next_attempt_at": then,
                    "done_at": then,
                    "remote_id": str(items[e]),
                }
                for e in entries.values()
            ],
        )
        # Stage moves and the tamper guard find an entry's item here (the outbox rows may be pruned).
        session.execute(
            insert(PortalObject),
            [
                {
                    "portal_id": portal_id,
                    "kind": "registry_item",
                    "key": f"entry:{e}",
                    "remote_id": str(items[e]),
                    "created_at": then,
                }
                for e in entries.values()
            ],
        )


def _contact(s: Stand, i: int) -> int:
    contact_id = s.portal.next_id()
    s.portal.contacts[contact_id] = {
        "ID": str(contact_id),
        "NAME": f"Client {i}",
        "UF_CRM_BONUS_BALANCE": "50",
    }
    return contact_id


def _items_on_portal(
    s: Stand, target: Any, entries: dict[int, int], accounts: dict[int, int]
) -> dict[int, int]:
    owner_of_account = {a: c for c, a in accounts.items()}
    store = s.portal.items[target.entity_type_id]
    expires = s.app.container.clock.now() - timedelta(minutes=1)  # the lots' expires_at
    items = {}
    for account_id, entry_id in entries.items():
        item_id = s.portal.next_id()
        store[item_id] = {  # as the app writes it (registry.bonuses.items.item_fields)
            "id": item_id,
            "entityTypeId": target.entity_type_id,
            "xmlId": f"entry:{entry_id}",
            "contactId": owner_of_account[account_id],
            "stageId": target.stages["active"],
            "title": "Accrual",
            target.fields["OPERATION"]: "Начисление",
            target.fields["AMOUNT"]: "50",
            target.fields["BALANCE_AFTER"]: "50",
            target.fields["REASON"]: "",
            target.fields["EXPIRES_AT"]: expires.date().isoformat(),
        }
        items[entry_id] = item_id
    return items


def run(owners: int = 10_000) -> dict[str, Any]:
    s = stand(worker_process=True)
    try:
        seed(s, owners)
        settle(s.emu, s.portal)
        s.emu.reset_stats()
        start = time.monotonic()
        with s.app.db.transaction() as session:
            portal_id = session.execute(select(Portal.id)).scalar_one()
            request_lifetime_pass(session, portal_id, s.app.container.clock.now())
        s.app.container.jobs.enqueue_lane(portal_id, force=True)
        wait_for(lambda: _settled(s, owners), timeout=3 * 3600, poll=1.0)
        wall = time.monotonic() - start
        stats = s.emu.stats()
        assert s.process is not None
        peak = _peak_rss_mb(s.process.pid)
        commands = stats.batch_commands or stats.http_requests
        bound = 1.1 * math.ceil(commands / 50)
        return {
            "owners": owners,
            "requests": stats.http_requests,
            "commands": commands,
            "requests_vs_bound": round(stats.http_requests / bound, 3),
            "query_limit_exceeded": stats.limit_503,
            "worker_peak_rss_mb": peak,
            "wall_s": round(wall, 1),
        }
    finally:
        s.close()


def _settled(s: Stand, owners: int) -> bool:
    # A plain read on its own engine: the benchmark must not queue for SQLite's write lock.
    engine = _reader(s.url)
    with Session(engine) as session:
        expired = session.execute(
            select(func.count()).select_from(Lot).where(Lot.expired_at.is_not(None))
        ).scalar_one()
        pending = session.execute(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        ).scalar_one()
    return expired >= owners and pending == 0


@lru_cache(maxsize=1)
def _reader(url: str) -> Engine:
    return create_engine(url)


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.expiry", description=__doc__.split("\n\n")[0])
    parser.add_argument("owners", nargs="?", type=int, default=10_000, help="owners to expire (10000)")
    print(json.dumps(run(parser.parse_args().owners), indent=2))
