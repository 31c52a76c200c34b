"""The console: list portals, print a portal's status, re-provision it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from b24app.cli import main
from b24app.db import Database
from tests.emulator import driver
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


@pytest.fixture
def app(database: Database, emulator: Emulator) -> Iterator[AppHarness]:
    harness = AppHarness(database.url, oauth_url=emulator.oauth_url())
    yield harness
    harness.close()


def test_status_and_reprovision(
    app: AppHarness, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    portal.apps[CLIENT_ID].placements.clear()  # an admin removed our tabs by hand
    assert main(["provision", portal.member_id], container=app.container) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["status"] == "installed" and printed["run"]["error"] is None
    assert (
        "smart_process:registry=" + str(next(iter(portal.types.values()))["entityTypeId"])
        in printed["objects"]
    )
    assert len(portal.apps[CLIENT_ID].placements) == 3  # put back
    assert main(["status", portal.member_id], container=app.container) == 0
    status = json.loads(capsys.readouterr().out)
    assert {"token_expires_at", "queue_depth", "inbox_pending", "outbox_failed", "inbox_failed"} <= set(
        status
    )
    assert status["skipped_deals"] == []
    driver.create_deal(emulator, portal, TITLE="nobody", OPPORTUNITY="10", STAGE_ID="WON")
    app.drain()
    assert main(["status", portal.member_id], container=app.container) == 0
    skipped = json.loads(capsys.readouterr().out)["skipped_deals"]
    assert [s["reason"] for s in skipped] == ["no_client"]
    assert "access" not in json.dumps(status)  # no tokens printed
