"""What the emulator saw: counters (``emu.stats``) and the request log (``emu.requests``)."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class StatsSnapshot:
    """A frozen copy of the counters, as returned by ``emu.stats()``."""

    http_requests: int = 0  # HTTP REST requests (a batch is one)
    batch_commands: int = 0
    per_method: dict[str, int] = field(default_factory=dict)  # direct calls and batch commands
    limit_503: int = 0  # QUERY_LIMIT_EXCEEDED served
    limit_429: int = 0  # OPERATION_TIME_LIMIT served (direct or per command)
    oauth_attempts: int = 0  # any request to /oauth/token/
    oauth_refreshes: int = 0  # successful refreshes
    deliveries: int = 0  # POSTs to the app attempted (dropped ones included)
    dropped_deliveries: int = 0
    faults_injected: int = 0
    internal_errors: int = 0  # handler crashes answered as INTERNAL_SERVER_ERROR

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Stats:
    """Live counters. ``emu.stats()`` returns a snapshot; ``emu.stats.http_requests`` reads one live."""

    http_requests: int
    batch_commands: int
    per_method: Counter[str]
    limit_503: int
    limit_429: int
    oauth_attempts: int
    oauth_refreshes: int
    deliveries: int
    dropped_deliveries: int
    faults_injected: int
    internal_errors: int

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            for f in fields(StatsSnapshot):
                setattr(self, f.name, 0)
            self.per_method = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        with self._lock:
            setattr(self, name, getattr(self, name) + amount)

    def count_method(self, method: str) -> None:
        with self._lock:
            self.per_method[method] += 1

    def __call__(self) -> StatsSnapshot:
        with self._lock:
            values = {f.name: getattr(self, f.name) for f in fields(StatsSnapshot)}
            values["per_method"] = dict(self.per_method)
        return StatsSnapshot(**values)

    def as_dict(self) -> dict[str, Any]:
        return self().as_dict()


@dataclass
class CallRecord:
    """One REST call as the portal saw it: a whole HTTP request, or one command inside a batch."""

    method: str
    params: dict[str, Any]
    auth_kind: str | None  # "oauth", "webhook" or None (never authenticated)
    status: int
    error: str = ""  # the error code, "" on success
    member_id: str | None = None
    via_batch: str | None = None  # the command's name when it ran inside a batch
    fault: str | None = None  # which injected fault answered, if any
    at: float = 0.0  # emulated unix time


class RequestLog:
    """Thread-safe list of CallRecord; iterate it or filter with ``calls(method)``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[CallRecord] = []

    def append(self, record: CallRecord) -> None:
        with self._lock:
            self._items.append(record)

    def calls(self, method: str | None = None, *, include_batch: bool = True) -> list[CallRecord]:
        with self._lock:
            items = list(self._items)
        return [
            r
            for r in items
            if (method is None or r.method == method.lower()) and (include_batch or r.via_batch is None)
        ]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Any:
        return iter(self.calls())

    def __getitem__(self, index: int) -> CallRecord:
        with self._lock:
            return self._items[index]
