"""What a lane run's steps raise to hand the lane back to the queue at a safe point."""

from __future__ import annotations


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
