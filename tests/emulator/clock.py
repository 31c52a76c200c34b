"""Emulated time: real time sped up by a scale factor, or a manual clock that moves only when told."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


class Clock:
    """Unix seconds as the emulated cloud sees them.

    ``scale`` makes emulated time run faster than real time (100.0: one real second is 100 emulated
    seconds); ``manual=True`` freezes it so that only ``advance`` moves it (deterministic tests).
    """

    def __init__(self, scale: float = 1.0, manual: bool = False) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self.manual = manual
        self._real_start = time.monotonic()
        self._origin = time.time()
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            elapsed = 0.0 if self.manual else (time.monotonic() - self._real_start) * self.scale
            return self._origin + elapsed + self._offset

    def advance(self, seconds: float) -> None:
        """Move emulated time forward (works with a running clock too)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._offset += seconds

    def real_seconds(self, emulated: float) -> float:
        """How long, in real seconds, an emulated interval lasts (0 for a manual clock)."""
        return 0.0 if self.manual else emulated / self.scale

    @staticmethod
    def iso(moment: float) -> str:
        """Bitrix-style date: ``2025-09-09T16:31:11+00:00``."""
        return datetime.fromtimestamp(moment, UTC).replace(microsecond=0).isoformat()
