"""Registry items: every field the app sends to crm.item.add/update is one the portal keeps (the
emulator ignores unknown fields and opportunity without linked products, as crm-item-add.md says)."""

from __future__ import annotations

from typing import Any

from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def _sent(emulator: Emulator, method: str) -> list[dict[str, Any]]:
    return [dict(r.params) for r in emulator.requests if r.method == method and r.status == 200]


def _stored(portal: EmuPortal, etid: int, params: dict[str, Any]) -> dict[str, Any]:
    items = portal.items[etid]
    if "id" in params:
        return items[int(params["id"])]
    return next(i for i in items.values() if i.get("xmlId") == params["fields"]["xmlId"])


def test_nothing_sent_to_registry_items_is_silently_dropped(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    deal = driver.create_deal(
        emulator, portal, TITLE="d", OPPORTUNITY="2000", CONTACT_ID=contact, STAGE_ID="WON"
    )
    app.drain()
    run, delivery = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentDeal", f"DEAL_{deal}"],
        {"amount": "30"},
    )
    app.drain()
    driver.update_deal(emulator, portal, deal, STAGE_ID="LOSE")  # the accrual is cancelled: a stage move
    app.drain()
    etid = int(next(iter(portal.types.values()))["entityTypeId"])
    writes = _sent(emulator, "crm.item.add") + _sent(emulator, "crm.item.update")
    assert len(writes) >= 3 and all(int(w["entityTypeId"]) == etid for w in writes)
    for params in writes:
        stored = _stored(portal, etid, params)
        dropped = {k for k in params["fields"] if k not in stored}
        assert not dropped, f"{dropped} was ignored by the portal"
    assert not any("opportunity" in w["fields"] for w in writes)
    type_info = next(iter(portal.types.values()))
    assert type_info["isLinkWithProductsEnabled"] == "N"  # no product tab on bonus movements
