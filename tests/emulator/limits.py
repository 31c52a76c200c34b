"""Emulated time and the portal's limits: the leaky bucket and the per-method operating-time budget."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field


class Clock:
    """Emulated seconds: real time times ``scale``, plus whatever tests ``advance`` by hand."""

    def __init__(self, scale: float = 1.0, manual: bool = False) -> None:
        self.scale = scale
        self.manual = manual
        self._start = time.monotonic()
        self._offset = time.time()

    def now(self) -> float:
        elapsed = 0.0 if self.manual else (time.monotonic() - self._start) * self.scale
        return self._offset + elapsed

    def advance(self, seconds: float) -> None:
        self._offset += seconds


@dataclass
class Profile:
    burst: int = 50
    rate: float = 2.0
    operating_limit: float = 480.0
    operating_window: float = 600.0


BASIC = Profile()
ENTERPRISE = Profile(burst=250, rate=5.0)


@dataclass
class _Bucket:
    level: float = 0.0
    at: float = 0.0


@dataclass
class Limiter:
    """Per-portal leaky bucket (a request adds 1 before the check) and per-method time budget."""

    clock: Clock
    enabled: bool = True
    _buckets: dict[str, _Bucket] = field(default_factory=lambda: defaultdict(_Bucket))
    _spent: dict[tuple[str, str], deque[tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(deque)
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, member_id: str, profile: Profile) -> bool:
        """Count one HTTP request; False (503) when it would overflow the bucket (then it does not count)."""
        if not self.enabled:
            return True
        with self._lock:
            now, bucket = self.clock.now(), self._buckets[member_id]
            bucket.level = max(0.0, bucket.level - (now - bucket.at) * profile.rate) if bucket.at else 0.0
            bucket.at = now
            if bucket.level + 1 > profile.burst + 1e-9:
                return False
            bucket.level += 1
            return True

    def operating(self, member_id: str, method: str, profile: Profile) -> float:
        """Seconds this method spent within the window; over the limit means 429."""
        with self._lock:
            spent = self._spent[(member_id, method)]
            horizon = self.clock.now() - profile.operating_window
            while spent and spent[0][0] < horizon:
                spent.popleft()
            return sum(cost for _, cost in spent)

    def charge(self, member_id: str, method: str, cost: float) -> None:
        if self.enabled:
            with self._lock:
                self._spent[(member_id, method)].append((self.clock.now(), cost))
