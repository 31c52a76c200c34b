"""``make bench`` (``python -m bench``): every benchmark, printed as the README's table rows.

Progress (which benchmark runs, how long it took) and any error go to stderr as they happen; the
table goes to stdout and the raw figures to ``bench-results.json``. A benchmark that fails is
reported with its traceback, the others still run, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import accrual, api_import, campaigns, expiry, intake, portals, portals_table, tiers

BENCHMARKS: dict[str, tuple[str, Callable[[argparse.Namespace], dict[str, Any]]]] = {
    "accrual": ("a burst of won deals and one isolated deal", lambda a: accrual.run(a.deals)),
    "intake": ("the events endpoint against a bare Flask endpoint", lambda a: intake.run()),
    "expiry": ("one lifetime pass expiring many owners' lots", lambda a: expiry.run(a.owners)),
    "campaigns": (
        "the client mirror's first load of 10,000 and a birthday campaign awarding 1,000",
        lambda a: campaigns.run(),
    ),
    "api_import": ("a 10,000-row CSV import through the public API", lambda a: api_import.run(a.rows)),
    "tiers": ("the daily tiers pass lowering 10,000 clients' levels", lambda a: tiers.run(a.owners)),
    "portals": (
        "many portals at once (shared: only with BENCH_DATABASE_URL on PostgreSQL and REDIS_URL)",
        lambda a: portals.run(portals.parse_args([])),
    ),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", choices=list(BENCHMARKS), action="append", help="run only this one (repeatable)"
    )
    parser.add_argument("--deals", type=int, default=1000, help="won deals in the accrual burst (1000)")
    parser.add_argument("--owners", type=int, default=10_000, help="owners whose lots expire (10000)")
    parser.add_argument("--rows", type=int, default=10_000, help="CSV rows in the API import (10000)")
    return parser.parse_args(argv)


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def run_all(args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    results: dict[str, Any] = {}
    failed: list[str] = []
    chosen = args.only or list(BENCHMARKS)
    for number, name in enumerate(chosen, start=1):
        what, run = BENCHMARKS[name]
        progress(f"{number}/{len(chosen)} {name}: {what} ...")
        started = time.monotonic()
        try:
            results[name] = run(args)
            if results[name].get("failed_scenarios"):  # figures of the others are kept
                failed.append(name)
        except Exception:  # noqa: BLE001 - report it and go on with the next benchmark
            failed.append(name)
            progress(f"{name} FAILED after {time.monotonic() - started:.0f} s:\n{traceback.format_exc()}")
            continue
        progress(f"{name} done in {time.monotonic() - started:.0f} s")
    return results, failed


def _accrual_rows(acc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    burst, lone = acc["burst"], acc["isolated"]
    return [
        ("Burst of 1,000 won deals: portal requests per deal", "≤ 0.15", burst["requests_per_deal"]),
        ("Burst: wall time / minimum at 2 req/s after the free burst", "≤ 1.25", burst["wall_vs_minimum"]),
        ("Burst: QUERY_LIMIT_EXCEEDED answers", "0", burst["query_limit_exceeded"]),
        ("Isolated won deal: portal requests", "≤ 2", lone["requests"]),
        ("Isolated won deal: seconds until its registry item exists", "≤ 2", lone["visible_s"]),
    ]


def _intake_rows(ing: dict[str, Any]) -> list[tuple[str, str, Any]]:
    saturated = f"{ing['events_4_clients']['p99_ms']} ({ing['bare_4_clients']['p99_ms']})"
    paced = f"{ing['events_100_per_s']['p99_ms']} ({ing['bare_100_per_s']['p99_ms']})"
    return [
        ("Intake: events endpoint / bare Flask requests per second", "≥ 0.5", ing["throughput_ratio"]),
        ("Intake: p99 ms, 4 clients at saturation (bare endpoint alongside)", "< 20", saturated),
        ("Intake: p99 ms at 100 events/s (bare endpoint alongside)", "< 20", paced),
    ]


def _expiry_rows(exp: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        ("Expiry of 10,000 owners: requests / (1.1 × ⌈commands / 50⌉)", "≤ 1", exp["requests_vs_bound"]),
        ("Expiry: QUERY_LIMIT_EXCEEDED answers", "0", exp["query_limit_exceeded"]),
        ("Expiry: worker peak RSS, MB", "< 300", exp["worker_peak_rss_mb"]),
    ]


def _campaign_rows(camp: dict[str, Any]) -> list[tuple[str, str, Any]]:
    load, award = camp["first_load"], camp["award_run"]
    return [
        (
            "Client mirror, first load of 10,000: requests (1.1 × ⌈10,000/50/50⌉ = 4.4)",
            "≤ 4.4 + a few",
            load["requests"],
        ),
        (
            "Campaign awarding 1,000 birthdays: requests / (1.1 × ⌈commands / 50⌉)",
            "≤ 1",
            award["requests_vs_bound"],
        ),
        (
            "Campaign run: QUERY_LIMIT_EXCEEDED answers",
            "0",
            award["query_limit_exceeded"] + load["query_limit_exceeded"],
        ),
        ("Campaign run: worker peak RSS, MB", "< 300", award["worker_peak_rss_mb"]),
    ]


def _import_rows(imp: dict[str, Any]) -> list[tuple[str, str, Any]]:
    return [
        ("API import of 10,000 CSV rows: dry run, seconds", "—", imp["dry_run_s"]),
        ("API import: real run, seconds (rows/s)", "—", f"{imp['import_s']} ({imp['rows_per_s']})"),
        ("API import: portal requests per row until mirrored", "≤ 0.1", imp["requests_per_row"]),
    ]


ROWS = {
    "accrual": _accrual_rows,
    "intake": _intake_rows,
    "expiry": _expiry_rows,
    "campaigns": _campaign_rows,
    "api_import": _import_rows,
    "portals": portals_table.rows,
}


def main(argv: list[str] | None = None) -> int:
    results, failed = run_all(parse_args(argv))
    print("| Measure | Goal | Result |\n|---|---|---|")
    for benchmark, figures in results.items():
        for name, goal, value in ROWS[benchmark](figures):
            print(f"| {name} | {goal} | {value} |")
    Path("bench-results.json").write_text(json.dumps(results, indent=2))
    if failed:
        progress(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
