"""The portal's limits: a leaky bucket per portal and a per-method operating-time budget (limits.md)."""

from __future__ import annotations

import threading
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from typing import Literal

from tests.emulator.clock import Clock

ENTERPRISE_PLANS = frozenset({"enterprise", "ent", "ent250", "ent500", "ent1000"})


@dataclass(frozen=True)
class Profile:
    """Leaky bucket ``burst`` (X) and ``drain`` per second (Y); operating budget per method."""

    name: str = "basic"
    burst: int = 50
    drain: float = 2.0
    operating_limit: float = 480.0
    operating_window: float = 600.0


BASIC = Profile()
ENTERPRISE = Profile(name="enterprise", burst=250, drain=5.0)


@dataclass
class _Bucket:
    level: float = 0.0
    at: float | None = None


class Limiter:
    """Per-portal leaky bucket and per-(portal, method) operating time over a sliding window.

    The operating budget is per method for the whole portal: limits.md says a method over budget
    "is blocked for all applications and webhooks of that account".
    """

    def __init__(self, clock: Clock, enabled: bool = True) -> None:
        self.clock = clock
        self.enabled = enabled
        self.basic = BASIC
        self.enterprise = ENTERPRISE
        self.force: Literal["basic", "enterprise"] | None = None  # overrides the portal's plan
        self.cost_mode: Literal["spec", "measured"] = "spec"  # MethodSpec.cost or measured handler time
        self._buckets: dict[str, _Bucket] = defaultdict(_Bucket)
        self._spent: dict[tuple[str, str], deque[tuple[float, float]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def profile_for(self, plan: str) -> Profile:
        name = self.force or ("enterprise" if plan.lower() in ENTERPRISE_PLANS else "basic")
        return self.enterprise if name == "enterprise" else self.basic

    def configure(self, which: Literal["basic", "enterprise"], **changes: float) -> None:
        """Change one profile, e.g. ``configure("basic", burst=10, drain=1.0)``."""
        if which == "enterprise":
            self.enterprise = replace(self.enterprise, **changes)  # type: ignore[arg-type]
        else:
            self.basic = replace(self.basic, **changes)  # type: ignore[arg-type]

    def admit(self, member_id: str, profile: Profile) -> bool:
        """Add one request, then check: over the burst means 503, and the rejected request does not add."""
        if not self.enabled:
            return True
        with self._lock:
            bucket = self._drained(member_id, profile)
            if bucket.level + 1 > profile.burst + 1e-9:
                return False
            bucket.level += 1
            return True

    def level(self, member_id: str, profile: Profile) -> float:
        with self._lock:
            return self._drained(member_id, profile).level

    def _drained(self, member_id: str, profile: Profile) -> _Bucket:
        now, bucket = self.clock.now(), self._buckets[member_id]
        if bucket.at is not None:
            bucket.level = max(0.0, bucket.level - (now - bucket.at) * profile.drain)
        bucket.at = now
        return bucket

    def operating(self, member_id: str, method: str, profile: Profile) -> float:
        """Seconds this method has spent on this portal within the window."""
        with self._lock:
            return sum(cost for _, cost in self._window(member_id, method, profile))

    def blocked(self, member_id: str, method: str, profile: Profile) -> bool:
        return self.enabled and self.operating(member_id, method, profile) >= profile.operating_limit

    def reset_at(self, member_id: str, method: str, profile: Profile) -> int:
        """When the oldest spending in the window drops out (``time.operating_reset_at``)."""
        with self._lock:
            spent = self._window(member_id, method, profile)
            oldest = spent[0][0] if spent else self.clock.now()
            return int(oldest + profile.operating_window)

    def _window(self, member_id: str, method: str, profile: Profile) -> deque[tuple[float, float]]:
        spent = self._spent[(member_id, method.lower())]
        horizon = self.clock.now() - profile.operating_window
        while spent and spent[0][0] <= horizon:
            spent.popleft()
        return spent

    def charge(self, member_id: str, method: str, cost: float) -> None:
        """Record ``cost`` seconds of work for this method (ignored while limits are off)."""
        if self.enabled and cost > 0:
            with self._lock:
                self._spent[(member_id, method.lower())].append((self.clock.now(), cost))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
            self._spent.clear()
