"""Queued events (``Emulator(queued_events=True)``): what a REST call raises goes out after the call,
in order, as from Bitrix24's queue server; what the driver raises is still delivered at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from tests.emulator import driver
from tests.emulator.portal import Portal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.emulator.tests.calls import call, installed_portal
from tests.emulator.tests.test_deliveries import Receiver


def _bind(portal: Portal, receiver: Receiver, event: str) -> None:
    portal.apps[CLIENT_ID].events.append(
        {"id": 3, "event": event, "handler": receiver.url + "/ev", "auth_type": "0", "offline": 0}
    )


def _held(receiver: Receiver) -> tuple[threading.Event, Callable[..., Any]]:
    """The receiver answers only once the returned event is set: a slow app handler."""
    gate, answer = threading.Event(), Receiver.__call__

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        gate.wait(10)
        return answer(receiver, environ, start_response)

    return gate, slow


def test_a_rest_calls_events_go_out_after_it_in_order(emulator_factory: Callable[..., Emulator]) -> None:
    emu = emulator_factory(limits_enabled=False, queued_events=True)
    receiver = Receiver()
    portal = installed_portal(emu)
    _bind(portal, receiver, "ONCRMCOMPANYUPDATE")
    company = driver.create_company(emu, portal, TITLE="Client")
    gate, slow = _held(receiver)
    receiver.server.app = slow  # the app's handler hangs until the gate opens
    for title in ("A", "B", "C"):
        # the call is answered although the app has not answered its event yet
        assert call(emu, portal, "crm.company.update", id=company, fields={"TITLE": title}).result is True
    gate.set()
    assert emu.drain_events(timeout=10)
    assert [form["data[FIELDS][ID]"] for _, form, _ in receiver.got] == [str(company)] * 3
    assert emu.stats.deliveries == 3
    receiver.server.shutdown()


def test_the_drivers_own_changes_are_still_delivered_at_once(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emu = emulator_factory(limits_enabled=False, queued_events=True)
    receiver = Receiver()
    portal = installed_portal(emu)
    _bind(portal, receiver, "ONCRMDEALADD")
    deal = driver.create_deal(emu, portal, TITLE="x")
    assert [form["data[FIELDS][ID]"] for _, form, _ in receiver.got] == [str(deal)]  # no drain needed
    receiver.server.shutdown()
