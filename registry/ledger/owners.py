"""Whose account a movement is on: a CRM contact or company of the portal."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    type: str  # contact | company
    id: int
