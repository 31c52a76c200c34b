"""Support from the console: list pending requests, approve or cancel one with a reason."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from b24app.clock import FrozenClock
from bootstrap.console import main
from tests.e2e import approvals_support as a
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.server import Emulator
from tests.harness import AppHarness


@pytest.fixture
def app_clock(clock: FrozenClock) -> FrozenClock:
    return clock


def _run(app: AppHarness, capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv), container=app.container) == 0
    return json.loads(capsys.readouterr().out)


def test_support_lists_approves_and_cancels_with_a_reason(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, capsys: pytest.CaptureFixture[str]
) -> None:
    s = a.seed(emulator, portal)
    a.program(app, {"approvals": a.definitions(s)})
    deal = a.deal(emulator, portal, [(s.monthly, "30", 1)])
    first = a.request(
        app, emulator, portal, deal, s.agent, definition="complaint_monthly", amount="5", reason="a"
    )
    second = a.request(
        app, emulator, portal, deal, s.agent, definition="complaint_monthly", amount="6", reason="b"
    )
    listed = _run(app, capsys, "requests", portal.member_id)
    assert [(r["definition"], r["amount"], r["reason"]) for r in listed] == [
        ("complaint_monthly", "5.00", "a"),
        ("complaint_monthly", "6.00", "b"),
    ]
    one, two = (r["id"] for r in listed)
    assert _run(app, capsys, "approve", portal.member_id, str(one), "ticket 123")["outcome"] == "approved"
    assert _run(app, capsys, "cancel", portal.member_id, str(two), "duplicate")["outcome"] == "cancelled"
    assert _run(app, capsys, "cancel", portal.member_id, str(one), "late")["outcome"] == "final"
    app.drain()
    approved, cancelled = a.requests(app)
    assert (approved.approved_by, approved.decision_reason) == ("support", "ticket 123")
    assert (cancelled.cancelled_by, cancelled.decision_reason) == ("support", "duplicate")
    assert a.rows_of(portal, deal)[s.monthly]["price"] == Decimal("25.00")
    assert first.return_values and first.return_values["status"] == "approved"
    assert second.return_values and second.return_values["error_code"] == "CANCELLED"
    assert _run(app, capsys, "requests", portal.member_id) == []
    with pytest.raises(SystemExit, match="reason"):
        main(["approve", portal.member_id, str(one), " "], container=app.container)
