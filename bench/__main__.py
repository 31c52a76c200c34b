"""``make bench`` (``python -m bench``): every benchmark, printed as the README's table rows."""

from __future__ import annotations

import json
from pathlib import Path

from bench import accrual, expiry, intake


def main() -> None:
    acc = accrual.run(1000)
    ing = intake.run()
    exp = expiry.run(10_000)
    burst, lone = acc["burst"], acc["isolated"]
    events, bare = ing["events_4_clients"], ing["bare_4_clients"]
    rows = [
        ("Burst of 1,000 won deals: portal requests per deal", "≤ 0.15", burst["requests_per_deal"]),
        ("Burst: wall time / minimum at 2 req/s after the free burst", "≤ 1.25", burst["wall_vs_minimum"]),
        ("Burst: QUERY_LIMIT_EXCEEDED answers", "0", burst["query_limit_exceeded"]),
        ("Isolated won deal: portal requests", "≤ 2", lone["requests"]),
        ("Isolated won deal: seconds until its registry item exists", "≤ 2", lone["visible_s"]),
        ("Intake: events endpoint / bare Flask requests per second", "≥ 0.5", ing["throughput_ratio"]),
        (
            "Intake: p99 ms, 4 clients at saturation (bare endpoint alongside)",
            "< 20",
            f"{events['p99_ms']} ({bare['p99_ms']})",
        ),
        (
            "Intake: p99 ms at 100 events/s (bare endpoint alongside)",
            "< 20",
            f"{ing['events_100_per_s']['p99_ms']} ({ing['bare_100_per_s']['p99_ms']})",
        ),
        ("Expiry of 10,000 owners: requests / (1.1 × ⌈commands / 50⌉)", "≤ 1", exp["requests_vs_bound"]),
        ("Expiry: QUERY_LIMIT_EXCEEDED answers", "0", exp["query_limit_exceeded"]),
        ("Expiry: worker peak RSS, MB", "< 300", exp["worker_peak_rss_mb"]),
    ]
    print("| Measure | Goal | Result |\n|---|---|---|")
    for name, goal, value in rows:
        print(f"| {name} | {goal} | {value} |")
    Path("bench-results.json").write_text(
        json.dumps({"accrual": acc, "intake": ing, "expiry": exp}, indent=2)
    )


if __name__ == "__main__":
    main()
