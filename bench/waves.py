"""A wave of won deals over several portals, and when each portal is done with its share.

Each deal has a company of its own (made during set-up). The emulator delivers ``ONCRMDEALADD``
one event at a time, interleaving the portals, so every portal's deals arrive together. A portal
is done when all of its deals are mirrored: a registry item each, the company's balance field
and both timeline comments (the same test as ``bench/accrual.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.common import registry_items
from tests.emulator import driver
from tests.emulator.portal import Portal
from tests.emulator.server import Emulator

COMMENTS_PER_DEAL = 2  # one on the deal, one on the client


@dataclass
class Share:
    """One portal's part of a wave and what the portal held before it."""

    portal: Portal
    companies: list[int]
    items_before: int
    comments_before: int
    finished_s: float | None = None
    deal_ids: list[int] = field(default_factory=list)

    @property
    def deals(self) -> int:
        return len(self.companies)

    def mirrored(self) -> bool:
        portal = self.portal
        if registry_items(portal) < self.items_before + self.deals:
            return False
        if len(portal.comments) < self.comments_before + COMMENTS_PER_DEAL * self.deals:
            return False
        return all(_has_balance(portal.companies[c]) for c in self.companies)


def _has_balance(company: dict[str, object]) -> bool:
    return company.get("UF_CRM_BONUS_BALANCE") not in (None, "", 0, "0")


@dataclass
class Wave:
    emu: Emulator
    shares: list[Share] = field(default_factory=list)
    delivered_s: float = 0.0

    @classmethod
    def prepare(cls, emu: Emulator, portals: list[Portal], deals: int) -> Wave:
        """``deals`` companies on each portal, to be won one deal each (set-up, not measured)."""
        wave = cls(emu)
        for portal in portals:
            companies = [
                driver.create_company(emu, portal, TITLE=f"Client {portal.domain} {i}") for i in range(deals)
            ]
            wave.shares.append(Share(portal, companies, registry_items(portal), len(portal.comments)))
        return wave

    @property
    def deals(self) -> int:
        return sum(share.deals for share in self.shares)

    def deliver(self) -> float:
        """Win every deal: the i-th deal of every portal, then the (i+1)-th, ...; returns seconds."""
        started = time.monotonic()
        for i in range(max((share.deals for share in self.shares), default=0)):
            for share in self.shares:
                if i < share.deals:
                    deal_id = driver.create_deal(
                        self.emu,
                        share.portal,
                        TITLE=f"Deal {i}",
                        OPPORTUNITY=str(1000 + i),
                        COMPANY_ID=share.companies[i],
                        STAGE_ID="WON",
                    )
                    share.deal_ids.append(deal_id)
        self.delivered_s = round(time.monotonic() - started, 2)
        return self.delivered_s

    def track(
        self, started: float, timeout: float, poll: float = 0.05, on_poll: Callable[[], None] | None = None
    ) -> float:
        """Note when each portal is done (seconds after ``started``); returns when all are.

        ``on_poll`` runs at every look (a benchmark kills a worker from there).
        """
        deadline = started + timeout
        waiting = list(self.shares)
        while waiting:
            if on_poll is not None:
                on_poll()
            now = time.monotonic()
            for share in [s for s in waiting if s.mirrored()]:
                share.finished_s = round(now - started, 2)
                waiting.remove(share)
            if not waiting:
                break
            if now > deadline:
                raise TimeoutError(f"{len(waiting)} of {len(self.shares)} portals not done in {timeout} s")
            time.sleep(poll)
        return max(share.finished_s or 0.0 for share in self.shares)

    def mirrored_items(self) -> int:
        """Registry items the wave has added so far, over all its portals."""
        return sum(registry_items(share.portal) - share.items_before for share in self.shares)

    def done(self) -> int:
        """How many portals are done now (without waiting)."""
        return sum(1 for share in self.shares if share.mirrored())
