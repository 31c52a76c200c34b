"""One HTTP request to a portal through fast-bitrix24, with our own deadline and no hidden retries.

fast-bitrix24 retries 5xx and timeouts on its own (up to 11 times), loops on rejected tokens and
drops error bodies. We hand it an aiohttp session that never raises for status and a middleware
that turns transport failures into our own exception, so the library only encodes and posts;
retries, refresh and pacing stay in the gateway where they can be counted.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from fast_bitrix24 import BitrixAsync

from b24app.gateway.errors import PortalUnavailable

# The library logs full params (client personal data) at INFO.
logging.getLogger("fast_bitrix24").setLevel(logging.WARNING)


@dataclass(frozen=True)
class RawResponse:
    status: int
    body: dict[str, Any]


class _TransportFailure(Exception):
    """Raised inside the session; deliberately not an aiohttp error so the library won't retry."""


def _guard(statuses: list[int]) -> aiohttp.ClientMiddlewareType:
    async def guard(
        request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        try:
            response = await handler(request)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _TransportFailure(type(exc).__name__) from exc
        statuses.append(response.status)
        if "json" not in response.headers.get("Content-Type", ""):
            await response.read()
            raise _TransportFailure(f"HTTP {response.status} non-JSON answer")
        return response

    return guard


async def _post(endpoint: str, method: str, body: dict[str, Any], token: str | None) -> RawResponse:
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    statuses: list[int] = []
    middlewares = (_guard(statuses),)
    async with aiohttp.ClientSession(
        raise_for_status=False, timeout=timeout, middlewares=middlewares
    ) as session:

        async def token_func() -> str:
            assert token is not None
            return token

        bitrix = BitrixAsync(
            endpoint,
            token_func=token_func if token else None,
            verbose=False,
            client=session,  # a fresh instance per call: its own throttles never hold us back
        )
        result = await bitrix.call(method, body, raw=True)
    answer = result if isinstance(result, dict) else {"result": result}
    return RawResponse(statuses[-1] if statuses else 200, answer)


def post(endpoint: str, method: str, body: dict[str, Any], token: str | None, deadline: float) -> RawResponse:
    """POST ``method`` with a JSON body; returns the decoded answer or raises PortalUnavailable."""
    try:
        return asyncio.run(asyncio.wait_for(_post(endpoint, method, body, token), deadline))
    except TimeoutError as exc:
        raise PortalUnavailable(f"{method}: no answer within {deadline:.0f}s") from exc
    except _TransportFailure as exc:
        raise PortalUnavailable(f"{method}: {exc}") from exc
