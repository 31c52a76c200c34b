"""Frames we cannot serve, answered with a friendly page (handlers/frame.py)."""

from __future__ import annotations


class FrameDenied(Exception):
    """A frame we cannot serve: answered with the friendly page of ``problem`` (handlers/frame.py)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
