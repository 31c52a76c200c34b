"""Deal reads held between a lane's turns: a backlog is read ahead while the portal's bucket has
room, and accrued over the next turns without reading it again.

A portal's burst is the only time it allows several requests at once; a lane that reads 50 deals,
accrues them and only then reads the next 50 spends that burst slowly while other portals wait
for the CPU, and room unused is lost. Reading the backlog ahead spends it at once.

A held snapshot is used only while its deal's newest pending inbox row is the one it was read for:
an event that arrived after the read makes it stale (the deal is read again), a deal handled
elsewhere (another worker process) drops it. What is held lives in this worker process only,
briefly (``TTL_SECONDS``), and for a bounded number of portals.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from registry.program.deal import DealSnapshot

TTL_SECONDS = 60.0  # a read older than this is read again: its accrual was held up for long
PORTALS = 64  # portals whose reads are held at once; the least recently used is dropped first


@dataclass(frozen=True)
class HeldRead:
    inbox_id: int  # the deal's newest pending inbox row when it was read
    snapshot: DealSnapshot
    at: float  # time.monotonic() of the read


class ReadAhead:
    """The deal snapshots of one worker process that were read ahead of their accrual."""

    def __init__(self, ttl: float = TTL_SECONDS, portals: int = PORTALS) -> None:
        self.ttl = ttl
        self.portals = portals
        self._held: OrderedDict[int, dict[int, HeldRead]] = OrderedDict()
        self._lock = threading.Lock()  # lanes of different portals run in different threads

    def current(self, portal_id: int, pending: Mapping[int, int]) -> dict[int, DealSnapshot]:
        """The held snapshots still good for ``pending`` (deal -> newest pending inbox row); the
        stale ones are dropped."""
        fresh_after = time.monotonic() - self.ttl
        with self._lock:
            held = self._held.get(portal_id, {})
            good = {
                deal_id: read
                for deal_id, read in held.items()
                if pending.get(deal_id) == read.inbox_id and read.at >= fresh_after
            }
            if good:
                self._held[portal_id] = good
                self._held.move_to_end(portal_id)
            else:
                self._held.pop(portal_id, None)
        return {deal_id: read.snapshot for deal_id, read in good.items()}

    def hold(self, portal_id: int, snapshots: Mapping[int, DealSnapshot], pending: Mapping[int, int]) -> None:
        """Keep snapshots just read for the deals' next turns."""
        now = time.monotonic()
        reads = {deal_id: HeldRead(pending[deal_id], snap, now) for deal_id, snap in snapshots.items()}
        with self._lock:
            self._held.setdefault(portal_id, {}).update(reads)
            self._held.move_to_end(portal_id)
            while len(self._held) > self.portals:
                self._held.popitem(last=False)

    def release(self, portal_id: int, deal_ids: list[int]) -> None:
        """The deals were accrued (or failed): their reads are used up."""
        with self._lock:
            held = self._held.get(portal_id)
            if held is None:
                return
            for deal_id in deal_ids:
                held.pop(deal_id, None)
            if not held:
                del self._held[portal_id]

    def held(self) -> int:
        """How many snapshots are held (all portals)."""
        with self._lock:
            return sum(len(reads) for reads in self._held.values())
