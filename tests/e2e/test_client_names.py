"""The main page names its clients: the worker reads the shown clients' names in one batch request
(crm.contact.list and crm.company.list by id), the page shows them, and a rename on the portal
reaches the page through the client event; the page itself never asks the portal for a name."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests
from sqlalchemy import delete

from b24app.clock import FrozenClock
from registry.bonuses.client_names import ClientName
from registry.ledger.posting import Owner
from registry.program.document import save_program
from registry.services.support import move
from tests.emulator import driver, driver_crm
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

LISTS = ("crm.contact.list", "crm.company.list")


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _dashboard(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> str:
    frame = driver.frame(emulator, portal, CLIENT_ID, app.base_url + "/", 1, [])
    answer = requests.post(frame.url, data=frame.form, params=frame.query, timeout=10)
    assert answer.status_code == 200
    return answer.text


def _shown(page: str, owner_type: str, owner_id: int) -> list[str]:
    """The text of each link to the client's card on the page (largest balances, expiring soon)."""
    path = re.escape(f"/crm/{owner_type}/details/{owner_id}/")
    return re.findall(rf'data-portal-path="{path}"[^>]*>([^<]*)</a>', page)


def _name_reads(emulator: Emulator) -> list[int]:
    """Where in the request log the name lists ran (consecutive: the same batch request); the tamper
    guard's balance-field reads of the same lists select no name and are not counted."""
    return [
        i
        for i, r in enumerate(emulator.requests.calls())
        if r.method in LISTS and r.via_batch and {"NAME", "TITLE"} & set(r.params.get("select") or [])
    ]


def test_names_are_read_in_one_request_and_shown(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, clock: FrozenClock
) -> None:
    ann = driver.create_contact(emulator, portal, NAME="Ann", LAST_NAME="Lee")
    shop = driver.create_company(emulator, portal, TITLE="Shop & Co")
    gone = driver.create_contact(emulator, portal, NAME="Gone")
    pid = portal_id_of(app)
    for owner, amount in (
        (Owner("contact", ann), 300),
        (Owner("company", shop), 200),
        (Owner("contact", gone), 100),
    ):
        assert move(app.container, pid, owner, Decimal(amount), "welcome", "adjust")["ok"]
    driver_crm.delete_client(emulator, portal, "contact", gone)
    with app.db.transaction() as session:
        session.execute(delete(ClientName))  # as if the names had never been read
    emulator.requests.clear()

    page = _dashboard(app, emulator, portal)
    assert _name_reads(emulator) == []  # the web only asked the worker
    assert _shown(page, "contact", ann) == [f"Контакт №{ann}"]  # until the worker has read the name
    app.drain()
    reads = _name_reads(emulator)
    assert len(reads) == 2 and reads[1] == reads[0] + 1  # both lists in one batch request
    contact_read = next(r for r in emulator.requests.calls("crm.contact.list"))
    assert contact_read.via_batch == "contact"

    page = _dashboard(app, emulator, portal)
    assert _shown(page, "contact", ann) == ["Ann Lee"]  # still the link to the card (BX24 openPath)
    assert _shown(page, "company", shop) == ["Shop &amp; Co"]
    assert _shown(page, "contact", gone) == [f"Контакт №{gone}"]  # not on the portal any more
    emulator.requests.clear()
    _dashboard(app, emulator, portal)
    app.drain()
    assert _name_reads(emulator) == []  # every shown client is named or known missing: no new read

    driver_crm.update_client(emulator, portal, "contact", ann, name="Anna")  # ONCRMCONTACTUPDATE
    app.drain()
    assert _shown(_dashboard(app, emulator, portal), "contact", ann) == ["Ann Lee"]  # read once settled
    clock.advance(minutes=16)
    app.container.jobs.enqueue_lane(pid, force=True)
    app.drain()
    assert _shown(_dashboard(app, emulator, portal), "contact", ann) == ["Anna Lee"]
    reads = _name_reads(emulator)
    assert reads and reads == list(range(reads[0], reads[0] + len(reads)))  # again one request


def test_with_the_client_mirror_a_rename_is_shown_without_a_read_of_its_own(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    pid = portal_id_of(app)
    with app.db.transaction() as session:  # groups keep the client mirror, which reads changed clients
        document = {"groups": [{"code": "vip", "name": "VIP", "by": "customer", "clients": ["contact:1"]}]}
        save_program(session, pid, document, "test", app.container.clock.now())
    ann = driver.create_contact(emulator, portal, NAME="Ann", LAST_NAME="Lee")
    assert move(app.container, pid, Owner("contact", ann), Decimal(50), "welcome", "adjust")["ok"]
    _dashboard(app, emulator, portal)  # a client without a name: the worker is asked to read it
    app.drain()
    assert _shown(_dashboard(app, emulator, portal), "contact", ann) == ["Ann Lee"]
    emulator.requests.clear()
    driver_crm.update_client(emulator, portal, "contact", ann, lastName="Smith")
    app.drain()
    assert _shown(_dashboard(app, emulator, portal), "contact", ann) == [
        "Ann Smith"
    ]  # from the mirror's read
    assert _name_reads(emulator) == []
