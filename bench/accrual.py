"""Accrual benchmark: a burst of won deals and one isolated deal against the default limiter.

Goals (issue: accrual): ≤ 0.15 portal requests per deal in a burst of 1,000, wall time ≤ 1.25× the
minimum those requests need at 2 requests/s (the first ``burst`` of them are free), zero
``QUERY_LIMIT_EXCEEDED``; an isolated deal costs ≤ 2 requests and is visible within 2 s.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Stand, registry_items, settle, stand, wait_for
from tests.emulator import driver


def burst(s: Stand, deals: int) -> dict[str, Any]:
    """``deals`` won deals, each of its own company, arriving as fast as the portal sends them."""
    companies = [driver.create_company(s.emu, s.portal, TITLE=f"Client {i}") for i in range(deals)]
    settle(s.emu, s.portal)
    s.emu.reset_stats()
    start = time.monotonic()
    for i, company in enumerate(companies):
        driver.create_deal(
            s.emu, s.portal, TITLE=f"Deal {i}", OPPORTUNITY=str(1000 + i), COMPANY_ID=company, STAGE_ID="WON"
        )
    delivered = time.monotonic() - start
    wait_for(lambda: _mirrored(s, deals), timeout=1800, poll=0.05)
    wall = time.monotonic() - start
    stats = s.emu.stats()
    profile = s.emu.profile(s.portal)
    minimum = max(0.0, stats.http_requests - profile.burst) / profile.drain
    return {
        "deals": deals,
        "requests": stats.http_requests,
        "requests_per_deal": round(stats.http_requests / deals, 3),
        "batch_commands": stats.batch_commands,
        "events_delivered_s": round(delivered, 2),
        "wall_s": round(wall, 2),
        "minimum_s": round(minimum, 2),
        "wall_vs_minimum": round(wall / minimum, 3) if minimum else None,
        "query_limit_exceeded": stats.limit_503,
    }


def _mirrored(s: Stand, deals: int) -> bool:
    companies = s.portal.companies.values()
    balances = sum(1 for c in companies if c.get("UF_CRM_BONUS_BALANCE") not in (None, "", 0, "0"))
    return registry_items(s.portal) >= deals and balances >= deals and len(s.portal.comments) >= 2 * deals


def isolated(s: Stand) -> dict[str, Any]:
    """One won deal on a quiet portal: requests until its registry item exists, and how long."""
    company = driver.create_company(s.emu, s.portal, TITLE="Lone client")
    settle(s.emu, s.portal)
    before = registry_items(s.portal)
    s.emu.reset_stats()
    driver.create_deal(
        s.emu, s.portal, TITLE="Lone deal", OPPORTUNITY="5000", COMPANY_ID=company, STAGE_ID="WON"
    )
    visible = wait_for(lambda: registry_items(s.portal) > before, timeout=60, poll=0.005)
    wait_for(lambda: len(s.emu.stats().per_method) > 0 and _quiet(s), timeout=60)
    stats = s.emu.stats()
    return {
        "requests": stats.http_requests,
        "visible_s": round(visible, 3),
        "query_limit_exceeded": stats.limit_503,
        "methods": dict(stats.per_method),
    }


def _quiet(s: Stand) -> bool:
    seen = s.emu.stats().http_requests
    time.sleep(1.0)
    return s.emu.stats().http_requests == seen


def run(deals: int = 1000) -> dict[str, Any]:
    s = stand(worker_process=True)
    try:
        return {"isolated": isolated(s), "burst": burst(s, deals)}
    finally:
        s.close()


if __name__ == "__main__":
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m bench.accrual", description=__doc__.split("\n\n")[0])
    parser.add_argument("deals", nargs="?", type=int, default=1000, help="won deals in the burst (1000)")
    print(json.dumps(run(parser.parse_args().deals), indent=2))
