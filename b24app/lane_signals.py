"""What a lane run's steps raise to hand the lane back, and the bucket waits a run keeps track of."""

from __future__ import annotations

from collections.abc import Callable


class LaneHandOff(Exception):  # noqa: N818 - a signal, not an error
    """The run gives its worker back at a safe point; what is done is committed, the rest waits."""


class LaneInterrupted(LaneHandOff):
    """The process is stopping (SIGTERM, Ctrl-C): the run hands its lane back at the next safe point."""


class LaneLost(LaneHandOff):
    """The lease ran out (this process stalled) and another worker took the lane: stop, touch nothing."""


class LaneYield(LaneHandOff):  # noqa: N818 - a signal, not an error
    """The lane has work but must wait (its portal's bucket, or its turn): due again in ``wait`` s."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"due again in {wait:.2f} s")
        self.wait = wait


class LaneWait(LaneYield):  # noqa: N818 - a signal, not an error
    """A step needs a request and the portal's bucket is full: it is due again in ``wait`` s.

    The run does not end there: the steps that need no request (accruing deals read ahead,
    planning messages) go on meanwhile, so the requests are ready when the bucket is.
    """


class BucketWaits:
    """The steps of one run waiting for the bucket, by their index, and until when (``now``, the
    lane's clock in seconds, so a test's clock drives it too)."""

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self._until: dict[int, float] = {}

    def add(self, index: int, wait: float) -> None:
        self._until[index] = self._now() + wait

    def blocks(self, index: int) -> bool:
        """Whether the step is still waiting (once its wait is over it runs again)."""
        until = self._until.get(index)
        return until is not None and self._now() < until

    def __bool__(self) -> bool:
        return bool(self._until)

    def first(self) -> int:
        """The index of the step whose wait ends first: the next run starts there."""
        return min(self._until, key=self._until.__getitem__)

    def left(self) -> float:
        """Seconds until the first wait ends (0 when it already has)."""
        return max(0.0, min(self._until.values()) - self._now())
