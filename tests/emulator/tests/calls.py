"""Calling the emulator as an installed app would, for the tests of the newer methods."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from tests.emulator.portal import Portal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator


@dataclass
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def result(self) -> Any:
        assert self.status == 200, self.body
        return self.body["result"]

    @property
    def error(self) -> Any:
        assert self.status != 200, self.body
        return self.body["error"]


def installed_portal(emu: Emulator) -> Portal:
    """A portal with the test app installed (installFinish done: events are delivered)."""
    portal = emu.add_portal()
    emu.app_install(portal, CLIENT_ID).installed = True
    return portal


def call(emu: Emulator, portal: Portal, method: str, *, user: int = 1, **params: Any) -> Answer:
    """A REST call with an OAuth token of ``user``."""
    token = emu.issue_tokens(portal, CLIENT_ID, user).access_token
    response = requests.post(emu.rest_base(portal) + method, json={"auth": token, **params}, timeout=10)
    return Answer(response.status_code, response.json())


def hook_call(emu: Emulator, portal: Portal, method: str, *, user: int = 1, **params: Any) -> Answer:
    """The same call through an inbound webhook of ``user``."""
    response = requests.post(emu.add_webhook(portal, user) + method, json=params, timeout=10)
    return Answer(response.status_code, response.json())


def bind(emu: Emulator, portal: Portal, event: str, handler: str = "", offline: bool = False) -> Answer:
    params: dict[str, Any] = {"event": event}
    params.update({"event_type": "offline"} if offline else {"handler": handler})
    return call(emu, portal, "event.bind", **params)
