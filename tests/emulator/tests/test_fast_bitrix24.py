"""fast-bitrix24, sync and async, works against the emulator as webhook and as OAuth client."""

from __future__ import annotations

import asyncio

from fast_bitrix24 import Bitrix, BitrixAsync

from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator


def _seed(emu: Emulator, n: int = 120) -> None:
    portal = next(iter(emu.portals.values()))
    for i in range(n):
        portal.contacts[portal.next_id()] = {"ID": str(portal.next_id()), "NAME": f"c{i}"}
    for key, row in list(portal.contacts.items()):
        row["ID"] = str(key)


def _oauth_client(emu: Emulator, cls: type) -> object:
    portal = next(iter(emu.portals.values()))
    emu.app_install(portal, CLIENT_ID).installed = True
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token

    async def token_func() -> str:
        return token

    return cls(emu.client_endpoint(portal), token_func=token_func, verbose=False, requests_per_second=2.0)


def test_sync_webhook(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    _seed(emulator)
    bx = Bitrix(emulator.add_webhook(portal), verbose=False, requests_per_second=2.0)
    assert len(bx.get_all("crm.contact.list")) == 120
    assert bx.call("profile", raw=True)["result"]["ID"] == "1"
    new_id = bx.call("crm.contact.add", {"fields": {"NAME": "Zed"}})
    assert portal.contacts[int(new_id)]["NAME"] == "Zed"


def test_sync_oauth(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    _seed(emulator, 60)
    bx = _oauth_client(emulator, Bitrix)
    assert len(bx.get_all("crm.contact.list")) == 60  # type: ignore[attr-defined]
    batch = bx.call_batch({"halt": 0, "cmd": {"p": "profile", "a": "app.info"}})  # type: ignore[attr-defined]
    assert batch["a"]["CODE"] == CLIENT_ID and portal.apps[CLIENT_ID].installed


def test_async_webhook_and_oauth(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    _seed(emulator, 70)
    hook = BitrixAsync(emulator.add_webhook(portal), verbose=False, requests_per_second=2.0)
    oauth = _oauth_client(emulator, BitrixAsync)

    async def run() -> tuple[int, int]:
        a = await hook.get_all("crm.contact.list")
        b = await oauth.get_all("crm.contact.list")  # type: ignore[attr-defined]
        return len(a), len(b)

    assert asyncio.run(run()) == (70, 70)
