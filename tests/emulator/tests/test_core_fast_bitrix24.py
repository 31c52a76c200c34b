"""fast-bitrix24 1.8 (sync ``Bitrix`` and ``BitrixAsync``) against the emulator: webhook and OAuth modes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from fast_bitrix24 import Bitrix, BitrixAsync

from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator

N = 75  # more than one page of 50


def _token_func(emu: Emulator, portal: Any, counter: list[int]) -> Callable[[], Awaitable[str]]:
    """What an app does: refresh through the OAuth server (rotating refresh tokens) when asked."""
    state = {"refresh": emu.issue_tokens(portal, CLIENT_ID, 1).refresh_token}

    async def token_func() -> str:
        counter.append(1)
        params = {
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": state["refresh"],
        }
        async with aiohttp.ClientSession() as session, session.get(emu.oauth_url(), params=params) as answer:
            body = await answer.json()
        state["refresh"] = body["refresh_token"]
        return str(body["access_token"])

    return token_func


def _client(emu: Emulator, portal: Any, cls: type, mode: str, counter: list[int]) -> Any:
    if mode == "webhook":
        return cls(emu.add_webhook(portal), verbose=False, requests_per_second=2.0)
    token_func = _token_func(emu, portal, counter)
    return cls(emu.client_endpoint(portal), token_func=token_func, verbose=False, requests_per_second=2.0)


Do = Callable[..., Any]  # do("call", *args, **kwargs) runs one client method to completion


def _exercise(emu: Emulator, portal: Any, do: Do) -> None:
    one = do("call", "crm.contact.add", {"fields": {"NAME": "First"}})
    assert portal.contacts[int(one)]["NAME"] == "First"
    many = do("call", "crm.contact.add", [{"fields": {"NAME": f"c{i}"}} for i in range(N - 1)])
    assert len(many) == N - 1 and len({int(x) for x in many}) == N - 1
    raw = do("call", "crm.contact.get", {"id": one}, raw=True)
    assert raw["result"]["NAME"] == "First" and "operating" in raw["time"]
    emu.expire_access_tokens(portal)  # OAuth mode: the next call gets 401 expired_token and refreshes
    cmd = {
        "page": "crm.contact.list?select[]=ID&select[]=NAME&start=50",
        "again": "crm.contact.get?id=$result[page][0][ID]",
    }
    batch = do("call_batch", {"halt": 0, "cmd": cmd})
    assert len(batch["page"]) == N - 50 and batch["again"]["ID"] == batch["page"][0]["ID"]
    rows = do("get_all", "crm.contact.list", {"select": ["ID", "NAME"]})
    assert sorted(int(r["ID"]) for r in rows) == sorted(portal.contacts)
    assert len(rows) == N


@pytest.mark.parametrize("mode", ["webhook", "oauth"])
def test_sync_bitrix(emulator: Emulator, mode: str) -> None:
    portal = emulator.add_portal()
    counter: list[int] = []
    bx = _client(emulator, portal, Bitrix, mode, counter)
    _exercise(emulator, portal, lambda name, *args, **kwargs: getattr(bx, name)(*args, **kwargs))
    _check_auth(emulator, mode, counter)


@pytest.mark.parametrize("mode", ["webhook", "oauth"])
def test_async_bitrix(emulator: Emulator, mode: str) -> None:
    portal = emulator.add_portal()
    counter: list[int] = []
    bx = _client(emulator, portal, BitrixAsync, mode, counter)
    loop = asyncio.new_event_loop()
    try:
        _exercise(
            emulator,
            portal,
            lambda name, *args, **kwargs: loop.run_until_complete(getattr(bx, name)(*args, **kwargs)),
        )
    finally:
        loop.close()
    _check_auth(emulator, mode, counter)


def test_sync_bitrix_from_a_worker_thread(emulator: Emulator) -> None:
    """How a Flask worker thread uses it: no event loop in the thread, so the wrapper runs its own."""
    portal = emulator.add_portal()
    bx = Bitrix(emulator.add_webhook(portal), verbose=False, requests_per_second=2.0)

    async def in_thread() -> Any:
        return await asyncio.to_thread(bx.call, "crm.contact.add", {"fields": {"NAME": "T"}})

    new_id = asyncio.run(in_thread())
    assert portal.contacts[int(new_id)]["NAME"] == "T"


def _check_auth(emu: Emulator, mode: str, counter: list[int]) -> None:
    kinds = {c.auth_kind for c in emu.requests if c.status == 200}
    assert kinds == {"webhook" if mode == "webhook" else "oauth"}
    if mode == "oauth":  # one token at the start, one after the forced expiry
        assert len(counter) == 2 and emu.stats.oauth_refreshes == 2
        assert any(c.error == "expired_token" for c in emu.requests)
