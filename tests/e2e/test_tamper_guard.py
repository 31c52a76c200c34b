"""Closed bonuses stay closed (PRODUCT.md): a registry item edited or deleted by hand in the portal is
put back from the ledger as soon as its event is handled, with a timeline note and a notification to
the installing administrator; the balance field typed over by hand is rewritten from the contact's
update event; our own writes come back as events and write nothing more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from registry.program.document import save_program
from tests.e2e.test_fidelity_offline import _schedules_come_round
from tests.e2e.test_tiers import LEVELS
from tests.emulator import driver, driver_crm, driver_setup
from tests.emulator.methods_messages import notifications_for
from tests.emulator.methods_timeline import log_messages_on
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

ADMIN = 1  # the user the portal fixture installs the app as


def _won_deal(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> int:
    contact = driver.create_contact(emulator, portal, NAME="Ann")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="2000", CONTACT_ID=contact, STAGE_ID="WON")
    app.drain()
    return contact


def _registry(portal: EmuPortal) -> tuple[int, int]:
    """(entityTypeId, type id) of the registry: the type whose items mirror ledger entries."""
    for info in portal.types.values():
        etid = int(info["entityTypeId"])
        if any(str(i.get("xmlId", "")).startswith("entry:") for i in portal.items.get(etid, {}).values()):
            return etid, int(info["id"])
    raise AssertionError("no registry items")


def _the_item(portal: EmuPortal, etid: int) -> dict[str, Any]:
    items = [i for i in portal.items[etid].values() if str(i.get("xmlId", "")).startswith("entry:")]
    assert len(items) == 1
    return items[0]


def _accrued_item(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> tuple[int, int, dict[str, Any]]:
    """A won deal's accrual: the registry's entityTypeId and type id, and the item as it was written."""
    _won_deal(app, emulator, portal)
    etid, type_id = _registry(portal)
    return etid, type_id, dict(_the_item(portal, etid))


def _writes(emulator: Emulator, method: str) -> list[dict[str, Any]]:
    return [dict(r.params) for r in emulator.requests if r.method == method and r.status == 200]


def test_an_amount_edited_by_a_manager_is_put_back_with_a_note_and_an_admin_notification(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    etid, type_id, item = _accrued_item(app, emulator, portal)
    amount_field = f"UF_CRM_{type_id}_AMOUNT"
    amount = Decimal(str(item[amount_field]))
    manager = driver_setup.add_user(emulator, portal, "Max", last_name="Payne")
    emulator.requests.clear()

    assert driver_crm.update_item(
        emulator, portal, etid, item["id"], user_id=manager, **{amount_field: "99999"}
    )
    app.drain()

    assert Decimal(str(portal.items[etid][item["id"]][amount_field])) == amount
    notes = log_messages_on(portal, etid, item["id"])
    assert len(notes) == 1 and "Max Payne" in notes[0]["text"]
    sent = [n for n in notifications_for(portal, ADMIN) if "Max Payne" in str(n.get("MESSAGE"))]
    assert len(sent) == 1 and "Сумма" in sent[0]["MESSAGE"]  # the portal is Russian: "Amount"


def test_our_own_put_back_causes_no_event_loop(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    etid, type_id, item = _accrued_item(app, emulator, portal)
    emulator.requests.clear()

    driver_crm.update_item(emulator, portal, etid, item["id"], user_id=1, **{f"UF_CRM_{type_id}_REASON": "x"})
    app.drain()
    app.drain()  # the put-back's own update event has been handled too

    updates = [w for w in _writes(emulator, "crm.item.update") if int(w["id"]) == item["id"]]
    assert len(updates) == 1  # one put-back; its echo compared equal and wrote nothing
    assert len(_writes(emulator, "crm.timeline.logmessage.add")) == 1
    reads = [r for r in _writes(emulator, "crm.item.list") if "@id" in (r.get("filter") or {})]
    assert len(reads) == 1  # the manager's change; the echo of our put-back is not read back
    emulator.requests.clear()
    app.drain()
    assert _writes(emulator, "crm.item.update") == [] and _writes(emulator, "crm.item.list") == []


def test_a_deleted_item_is_re_created_with_a_note_on_the_client(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = _won_deal(app, emulator, portal)
    etid, _ = _registry(portal)
    item = _the_item(portal, etid)
    manager = driver_setup.add_user(emulator, portal, "Max", last_name="Payne")

    driver_crm.delete_item(emulator, portal, etid, item["id"], user_id=manager)
    app.drain()

    again = _the_item(portal, etid)
    assert again["id"] != item["id"] and again["xmlId"] == item["xmlId"]
    assert {k: v for k, v in again.items() if k.startswith("UF_")} == {
        k: v for k, v in item.items() if k.startswith("UF_")
    }
    assert len(log_messages_on(portal, 3, contact)) == 1
    assert any("Max Payne" not in str(n.get("MESSAGE")) for n in notifications_for(portal, ADMIN))
    emulator.requests.clear()
    app.drain()
    assert _writes(emulator, "crm.item.add") == []


def test_a_balance_typed_over_by_hand_is_rewritten_from_the_contact_update_event(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = _won_deal(app, emulator, portal)
    balance = Decimal(str(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"]))
    assert balance > 0
    assert _writes(emulator, "crm.contact.update") and not _writes(emulator, "crm.contact.list")  # our echo
    emulator.requests.clear()

    driver_crm.update_client(emulator, portal, "contact", contact, user_id=1, ufCrmBonusBalance="100000")
    app.drain()
    app.drain()

    assert Decimal(str(portal.contacts[contact]["UF_CRM_BONUS_BALANCE"])) == balance
    assert len(_writes(emulator, "crm.contact.update")) == 1  # its own update event wrote nothing more
    assert len(_writes(emulator, "crm.contact.list")) == 1  # the hand edit read back; our echo was not
    emulator.requests.clear()
    app.drain()
    assert _writes(emulator, "crm.contact.update") == [] and _writes(emulator, "crm.contact.list") == []


def test_a_level_typed_over_by_hand_is_put_back_from_the_contact_update_event(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    with emulator.lock:  # the administrator made the level field (a string) on contacts
        portal.userfields["CRM_CONTACT"].append(
            {
                "ID": "9001",
                "ENTITY_ID": "CRM_CONTACT",
                "FIELD_NAME": "UF_CRM_BONUS_LEVEL",
                "USER_TYPE_ID": "string",
            }
        )
    tiers = {"basis": "won_total", "field": "UF_CRM_BONUS_LEVEL", "levels": LEVELS}
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), {"tiers": tiers}, "test", app.container.clock.now())
    contact = _won_deal(app, emulator, portal)  # 2000 won: Silver
    assert portal.contacts[contact]["UF_CRM_BONUS_LEVEL"] == "Silver"
    assert not _writes(emulator, "crm.contact.list")  # the echoes of our level and balance writes
    emulator.requests.clear()

    driver_crm.update_client(emulator, portal, "contact", contact, user_id=1, ufCrmBonusLevel="Gold")
    app.drain()
    app.drain()

    assert portal.contacts[contact]["UF_CRM_BONUS_LEVEL"] == "Silver"
    assert len(_writes(emulator, "crm.contact.update")) == 1  # its own update event wrote nothing more
    assert len(_writes(emulator, "crm.contact.list")) == 1  # the hand edit read back; our echo was not
    emulator.requests.clear()
    app.drain()
    assert _writes(emulator, "crm.contact.update") == [] and _writes(emulator, "crm.contact.list") == []


def _edit_unheard(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> tuple[int, dict[str, Any], str]:
    """A manager's edit whose two update events (the base form and the per-type one) are lost."""
    etid, type_id, item = _accrued_item(app, emulator, portal)
    field = f"UF_CRM_{type_id}_AMOUNT"
    emulator.faults.drop_deliveries(2)
    driver_crm.update_item(emulator, portal, etid, item["id"], user_id=1, **{field: "777"})
    app.drain()
    assert str(portal.items[etid][item["id"]][field]) == "777"  # nobody told us
    return etid, item, field


def test_an_edit_whose_events_were_lost_is_put_back_by_the_healing_pass(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    etid, item, field = _edit_unheard(app, emulator, portal)
    _schedules_come_round(app, "healing")  # the daily pass: items changed since the last one
    assert Decimal(str(portal.items[etid][item["id"]][field])) == Decimal(str(item[field]))
    assert len(log_messages_on(portal, etid, item["id"])) == 1


def test_an_edit_whose_events_were_lost_is_put_back_through_the_offline_queue(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    etid, item, field = _edit_unheard(app, emulator, portal)
    records = [r for r in portal.offline if r["EVENT_NAME"] == f"ONCRMDYNAMICITEMUPDATE_{etid}"]
    assert records and all(r["EVENT_DATA"] is False for r in records)  # as the docs show them
    _schedules_come_round(app, "offline_events")  # the records name no item: the guard catches up
    assert Decimal(str(portal.items[etid][item["id"]][field])) == Decimal(str(item[field]))
    assert len(log_messages_on(portal, etid, item["id"])) == 1


def test_a_second_hand_edit_right_after_our_put_back_is_put_back_too(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    etid, type_id, item = _accrued_item(app, emulator, portal)
    field = f"UF_CRM_{type_id}_AMOUNT"
    for typed in ("111", "222"):  # the second comes within seconds: our put-back's echo used its mark
        driver_crm.update_item(emulator, portal, etid, item["id"], user_id=1, **{field: typed})
        app.drain()
        assert Decimal(str(portal.items[etid][item["id"]][field])) == Decimal(str(item[field]))
    assert len(log_messages_on(portal, etid, item["id"])) == 2
