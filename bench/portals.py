"""Many portals at once (issue 15): does one portal's rate limit hold back the others?

Scenarios, each on a fresh fleet of portals installed through the app's real install path:

* ``together``: 8 portals × 300 won deals arriving at once, every portal with its own leaky
  bucket of burst 10 (2 requests/s). Wall time against what the slowest portal needs alone,
  ``(its requests − 10) / 2`` seconds (goal ≤ 1.2×); zero ``QUERY_LIMIT_EXCEEDED``.
* ``crowd``: 200 portals × 20 deals against one portal with 20 deals alone (the median of five
  portals, each alone in turn). Goal: within 1.5× that plus the CPU time the deals cost (the
  worker CPU per deal of the portals alone × all deals); worker peak RSS (goal < 300 MB).
* ``quiet``: one won deal on a quiet portal while 8 portals drain 1,000 deals each: seconds until
  its registry item exists (goal < 2 s).
* ``shared``: ``together`` on PostgreSQL + Redis (``BENCH_DATABASE_URL``, ``REDIS_URL``) with
  2 worker processes, then again with one of them SIGKILLed halfway: every deal accrued once.

The workers are ``python -m b24app.worker`` processes. They are held (SIGSTOP) while the emulator
delivers a wave's events and let go together: "at once" means every deal is queued when the
clock starts, whatever the emulator's own delivery speed. Set-up (installs, companies, delivery)
is timed apart from the measured part.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.audit import wave_figures
from bench.common import registry_items, wait_for
from bench.fleet import Fleet, FleetOptions
from bench.waves import Wave
from tests.emulator import driver

SCENARIOS = ("together", "crowd", "quiet", "shared")
TIMEOUT_S = 1800.0
QUIET_AFTER_S = 2.0  # the quiet portal's deal comes this long after the busy portals started
ALONE_SAMPLES = 5  # crowd: portals measured alone, one after another (CPU ticks are 10 ms)


@dataclass(frozen=True)
class Plan:
    """One scenario's size; ``kill`` SIGKILLs one worker when half of the deals are mirrored."""

    portals: int
    deals: int
    workers: int = 1
    burst: int = 50
    kill: bool = False


FULL = {
    "together": Plan(portals=8, deals=300, burst=10),
    "crowd": Plan(portals=200, deals=20),
    "quiet": Plan(portals=8, deals=1000),
    "shared": Plan(portals=8, deals=300, workers=2, burst=10),
}
QUICK = {
    "together": Plan(portals=2, deals=10, burst=10),
    "crowd": Plan(portals=6, deals=3),
    "quiet": Plan(portals=2, deals=30),
    "shared": Plan(portals=2, deals=10, workers=2, burst=10),
}


def progress(message: str) -> None:
    print(f"[bench.portals] {message}", file=sys.stderr, flush=True)


def _open(plan: Plan, **options: Any) -> Fleet:
    fleet = Fleet(FleetOptions(plan.portals, burst=plan.burst, workers=plan.workers, **options))
    progress(f"installing {plan.portals} portals, {plan.workers} worker process(es) ...")
    fleet.open()
    progress(f"set up in {fleet.setup_s} s")
    return fleet


def release_wave(fleet: Fleet, wave: Wave) -> float:
    """Deliver the wave with the workers held, then let them go; returns the start time."""
    fleet.emu.reset_stats()
    fleet.hold()
    try:
        progress(f"delivering {wave.deals} won deals to {len(wave.shares)} portals ...")
        wave.deliver()
    finally:
        started = time.monotonic()
        fleet.release()
    return started


def _measure_wave(fleet: Fleet, wave: Wave, plan: Plan) -> dict[str, Any]:
    """Release the wave, wait for every portal, and read the figures (killing a worker if asked)."""
    cpu_before = fleet.worker_cpu_s()
    started = release_wave(fleet, wave)
    killer = _Killer(fleet, wave, started) if plan.kill else None
    wall = wave.track(started, TIMEOUT_S, on_poll=killer)
    figures = wave_figures(fleet, wave, wall)
    figures["worker_cpu_s"] = round(fleet.worker_cpu_s() - cpu_before, 2)
    if killer is not None:
        figures["killed_at_s"] = killer.killed_at_s
    return figures


class _Killer:
    """SIGKILLs the first worker once half of the wave's deals have their registry item."""

    def __init__(self, fleet: Fleet, wave: Wave, started: float) -> None:
        self.fleet, self.wave, self.started = fleet, wave, started
        self.killed_at_s: float | None = None

    def __call__(self) -> None:
        if self.killed_at_s is not None:
            return
        mirrored = self.wave.mirrored_items()
        if mirrored >= self.wave.deals / 2:
            self.fleet.workers[0].kill()
            self.killed_at_s = round(time.monotonic() - self.started, 2)
            pid = self.fleet.workers[0].pid
            progress(f"worker {pid} killed at {self.killed_at_s} s ({mirrored} registry items)")


def together(plan: Plan, **options: Any) -> dict[str, Any]:
    """N portals × M won deals at once, every portal its own bucket."""
    if plan.kill and plan.workers < 2:
        raise ValueError("killing a worker needs at least 2 (--workers 2)")
    fleet = _open(plan, **options)
    try:
        wave = Wave.prepare(fleet.emu, fleet.portals, plan.deals)
        figures = _measure_wave(fleet, wave, plan)
        figures["worker_peak_rss_mb"] = fleet.worker_peak_rss_mb()
        return {"setup_s": fleet.setup_s, "workers": plan.workers, **figures}
    finally:
        fleet.close()


def crowd(plan: Plan, **options: Any) -> dict[str, Any]:
    """Portals alone one after another, then every portal at once; the goal adds the deals' CPU."""
    fleet = _open(plan, **options)
    try:
        alone = [
            _measure_wave(fleet, Wave.prepare(fleet.emu, [portal], plan.deals), plan)
            for portal in fleet.portals[:ALONE_SAMPLES]
        ]
        alone_wall = statistics.median(run["wall_s"] for run in alone)
        fleet.settle()
        progress(f"one portal alone: {alone_wall} s (median of {len(alone)}); preparing the crowd ...")
        everyone = _measure_wave(fleet, Wave.prepare(fleet.emu, fleet.portals, plan.deals), plan)
        # What the deals themselves cost: the worker CPU per deal of a portal alone, for every deal.
        per_deal = sum(run["worker_cpu_s"] for run in alone) / sum(run["deals"] for run in alone)
        deals_cpu = per_deal * everyone["deals"]
        goal = 1.5 * alone_wall + deals_cpu
        return {
            "setup_s": fleet.setup_s,
            "alone": {"wall_s": alone_wall, "runs": alone},
            "all": everyone,
            "deals_cpu_s": round(deals_cpu, 2),
            "goal_s": round(goal, 2),
            "wall_vs_goal": round(everyone["wall_s"] / goal, 3),
            "worker_peak_rss_mb": fleet.worker_peak_rss_mb(),
        }
    finally:
        fleet.close()


def quiet(plan: Plan, **options: Any) -> dict[str, Any]:
    """A quiet portal's single won deal while ``plan.portals`` portals drain ``plan.deals`` each."""
    fleet = _open(replace(plan, portals=plan.portals + 1), **options)
    try:
        busy, calm = fleet.portals[:-1], fleet.portals[-1]
        wave = Wave.prepare(fleet.emu, busy, plan.deals)
        company = driver.create_company(fleet.emu, calm, TITLE="Quiet client")
        started = release_wave(fleet, wave)
        time.sleep(max(0.0, started + QUIET_AFTER_S - time.monotonic()))
        before = registry_items(calm)
        driver.create_deal(
            fleet.emu, calm, TITLE="Quiet deal", OPPORTUNITY="5000", COMPANY_ID=company, STAGE_ID="WON"
        )
        visible = wait_for(lambda: registry_items(calm) > before, timeout=TIMEOUT_S, poll=0.01)
        return {
            "setup_s": fleet.setup_s,
            "busy_portals": len(busy),
            "busy_deals": wave.deals,
            "events_delivered_s": wave.delivered_s,
            "quiet_deal_after_s": round(QUIET_AFTER_S, 1),
            "visible_s": round(visible, 3),
            "busy_portals_done_when_visible": wave.done(),
        }
    finally:
        fleet.close()


def shared(plan: Plan, kill: bool | None = None) -> dict[str, Any]:
    """``together`` on PostgreSQL + Redis; unless ``kill`` is False, also with a worker killed."""
    url, redis_url = os.environ.get("BENCH_DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not url.startswith("postgresql") or not redis_url:
        return {"skipped": "needs BENCH_DATABASE_URL=postgresql+psycopg://... and REDIS_URL"}
    runs: dict[str, Any] = {}
    if not kill:
        runs["plain"] = together(replace(plan, kill=False), redis_url=redis_url, postgres=True)
    if kill is not False:
        # A killed worker's lease must run out before its lanes are taken over; keep it short.
        killed = replace(plan, kill=True)
        runs["killed"] = together(killed, redis_url=redis_url, lease_seconds=30, postgres=True)
    return runs


RUNNERS: dict[str, Callable[[Plan, argparse.Namespace], dict[str, Any]]] = {
    "together": lambda plan, args: together(plan),
    "crowd": lambda plan, args: crowd(plan),
    "quiet": lambda plan, args: quiet(plan),
    "shared": lambda plan, args: shared(plan, args.kill),
}


def plans(args: argparse.Namespace) -> dict[str, Plan]:
    """The chosen scenarios' sizes: the preset, then ``--portals``, ``--deals``, ``--workers``, ``--kill``.

    ``shared`` reads ``--kill`` itself: it runs plain and killed unless told one of them.
    """
    preset = QUICK if args.quick else FULL
    chosen = args.scenario or list(SCENARIOS)
    sizes = {k: v for k in ("portals", "deals", "workers") if (v := getattr(args, k)) is not None}
    chosen_plans = {name: replace(preset[name], **sizes) for name in chosen}
    if "together" in chosen_plans and args.kill:
        chosen_plans["together"] = replace(chosen_plans["together"], kill=True)
    return chosen_plans


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Every chosen scenario in turn; one that fails is recorded (``failed``) and the rest still run."""
    results: dict[str, Any] = {}
    for name, plan in plans(args).items():
        progress(f"{name}: {plan}")
        started = time.monotonic()
        try:
            results[name] = RUNNERS[name](plan, args)
        except Exception as exc:  # noqa: BLE001 - report it and go on with the next scenario
            progress(f"{name} FAILED:\n{traceback.format_exc()}")
            results[name] = {"failed": f"{type(exc).__name__}: {exc}"}
        progress(f"{name} done in {time.monotonic() - started:.0f} s")
    results["failed_scenarios"] = [name for name, figures in results.items() if "failed" in figures]
    return results


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.portals", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", choices=SCENARIOS, action="append", help="run only this one (repeatable)"
    )
    parser.add_argument("--portals", type=int, help="portals (quiet: busy portals); the preset's by default")
    parser.add_argument("--deals", type=int, help="won deals per portal; the preset's by default")
    parser.add_argument("--workers", type=int, help="worker processes (together 1, shared 2 by default)")
    parser.add_argument(
        "--kill",
        action=argparse.BooleanOptionalAction,
        help="SIGKILL one worker halfway (together: needs --workers 2+; shared: only the killed run); "
        "--no-kill: shared without its killed run",
    )
    parser.add_argument("--quick", action="store_true", help="a few portals and deals (seconds, for tests)")
    parser.add_argument("--json", default="bench-results.json", help="merge the raw figures into this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from bench.portals_table import rows

    args = parse_args(argv)
    results = run(args)
    print("| Measure | Goal | Result |\n|---|---|---|")
    for name, goal, value in rows(results):
        print(f"| {name} | {goal} | {value} |")
    path = Path(args.json)
    saved = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**saved, "portals": results}, indent=2))
    return 1 if results["failed_scenarios"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
