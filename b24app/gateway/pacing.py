"""Client-side model of the portal's leaky bucket, so we hold back instead of collecting 503s."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class LeakyBucket:
    """Each request adds one; the bucket drains ``rate`` per second; over ``burst`` the portal says 503.

    We keep ``headroom`` requests spare because other apps on the same server share the bucket
    and our estimate starts from what we persisted, not from the portal's own counter.
    """

    rate: float = 2.0
    burst: int = 50
    level: float = 0.0
    at: float = 0.0
    headroom: int = 2

    def _drain(self, now: float) -> None:
        if now > self.at:
            self.level = max(0.0, self.level - (now - self.at) * self.rate)
            self.at = now

    def delay(self, now: float) -> float:
        """Seconds to wait before one more request fits under the bucket."""
        return self.delay_for(now, 1)

    def room(self, now: float) -> int:
        """How many requests fit under the bucket right now, without waiting."""
        self._drain(now)
        return max(0, int(self._limit() - self.level))

    def delay_for(self, now: float, requests: int) -> float:
        """Seconds until ``requests`` more fit (capped at what the bucket can ever hold)."""
        self._drain(now)
        wanted = min(max(requests, 1), int(self._limit()))
        excess = self.level + wanted - self._limit()
        return 0.0 if excess <= 0 else excess / self.rate

    def _limit(self) -> float:
        return max(1.0, self.burst - self.headroom)

    def record(self, now: float) -> None:
        self._drain(now)
        self.level += 1

    def saturate(self, now: float) -> None:
        """The portal said QUERY_LIMIT_EXCEEDED: assume the bucket is full right now."""
        self._drain(now)
        self.level = float(self.burst)
