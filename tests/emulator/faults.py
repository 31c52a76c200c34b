"""Injected failures: error answers, hangs, lost responses, dropped deliveries and outages."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tests.emulator.clock import Clock

FaultKind = Literal["fail", "timeout", "lose_response"]


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    method: str | None = None  # None: the next request, whatever it calls
    status: int = 500
    code: str = "INTERNAL_SERVER_ERROR"
    seconds: float = 0.0


@dataclass(frozen=True)
class Outage:
    until: float  # emulated unix time
    method: str | None
    code: str


class Faults:
    """Queue of one-shot faults, consumed in order by the requests they match.

    Scoping: a fault with ``method=None`` hits the next HTTP request. A scoped fault hits a direct call
    of that method, and a batch whose commands include it: ``timeout``/``lose_response`` then hit the
    whole batch request, while ``fail`` answers only that command (in ``result_error``, the batch still
    answers 200), as a real failing sub-call would.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: list[Fault] = []
        self._drops = 0
        self._outages: list[Outage] = []

    def fail_next(
        self, n: int = 1, status: int = 500, code: str = "INTERNAL_SERVER_ERROR", method: str | None = None
    ) -> None:
        """The next ``n`` matching calls answer ``{"error": code}`` with ``status`` and are not executed."""
        self._push(n, Fault("fail", _low(method), status, code))

    def timeout_next(self, n: int = 1, seconds: float = 30.0, method: str | None = None) -> None:
        """The server sleeps ``seconds`` real seconds, then answers 504 without executing the request."""
        self._push(n, Fault("timeout", _low(method), 504, "GATEWAY_TIMEOUT", seconds))

    def lose_response_next(self, n: int = 1, method: str | None = None) -> None:
        """The request IS executed (writes happen) but the caller gets an HTML 502 Bad Gateway instead."""
        self._push(n, Fault("lose_response", _low(method), 502, "BAD_GATEWAY"))

    def drop_deliveries(self, n: int = 1) -> None:
        """The next ``n`` POSTs to the app (events, robots, installs) are lost: never sent."""
        with self._lock:
            self._drops += n

    def down_for(
        self,
        seconds: float,
        now: float | None = None,
        *,
        method: str | None = None,
        code: str = "SERVICE_UNAVAILABLE",
    ) -> None:
        """Every REST request (or only ``method``) answers 503 for ``seconds`` of emulated time."""
        start = self._clock.now() if now is None else now
        with self._lock:
            self._outages.append(Outage(start + seconds, _low(method), code))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._outages.clear()
            self._drops = 0

    def pending(self) -> dict[str, Any]:
        with self._lock:
            return {
                "queue": [asdict(f) for f in self._queue],
                "drop_deliveries": self._drops,
                "outages": [asdict(o) for o in self._outages],
            }

    def _push(self, n: int, fault: Fault) -> None:
        if n < 0:
            raise ValueError("n must not be negative")
        with self._lock:
            self._queue += [fault] * n

    def take_request(self, method: str, commands: Collection[str] = ()) -> Fault | None:
        """The fault answering this HTTP request (``commands``: the methods inside a batch)."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                scoped_to_command = fault.method in commands and fault.kind != "fail"
                if fault.method is None or fault.method == method or scoped_to_command:
                    return self._queue.pop(index)
        return None

    def take_command(self, method: str) -> Fault | None:
        """A ``fail`` fault scoped to this batch command's method."""
        with self._lock:
            for index, fault in enumerate(self._queue):
                if fault.kind == "fail" and fault.method == method:
                    return self._queue.pop(index)
        return None

    def take_delivery(self) -> bool:
        """True when this delivery must be dropped."""
        with self._lock:
            if self._drops > 0:
                self._drops -= 1
                return True
            return False

    def outage(self, method: str, commands: Collection[str] = ()) -> Outage | None:
        now = self._clock.now()
        with self._lock:
            self._outages = [o for o in self._outages if o.until > now]
            for outage in self._outages:
                if outage.method is None or outage.method == method or outage.method in commands:
                    return outage
        return None


def _low(method: str | None) -> str | None:
    return method.lower().removesuffix(".json") if method else None
