"""The README table's rows for ``bench/portals.py``: (measure, goal, result) per figure."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, Any]


def rows(results: dict[str, Any]) -> list[Row]:
    """Rows for every scenario that ran; a skipped or failed one gets one row saying so."""
    makers = {"together": _together, "crowd": _crowd, "quiet": _quiet, "shared": _shared}
    table: list[Row] = []
    for name, make in makers.items():
        figures = results.get(name)
        if figures is None:
            continue
        if "failed" in figures or "skipped" in figures:
            table.append((f"Portals, {name}", "—", figures.get("failed") or f"skipped: {figures['skipped']}"))
            continue
        table += make(figures)
    return table


def _size(f: dict[str, Any]) -> str:
    per_portal = f["deals"] // max(f["portals"], 1)
    return f"{f['portals']} portals × {per_portal:,} won deals at once"


def _wave_rows(f: dict[str, Any], label: str) -> list[Row]:
    finish = ", ".join(f"{s:g}" for s in f["finish_s"])
    alone = f"(requests − {f['burst']}) / 2"
    return [
        (f"{label}: wall time / slowest portal alone {alone}", "≤ 1.2", _ratio(f)),
        (f"{label}: QUERY_LIMIT_EXCEEDED answers", "0", f["query_limit_exceeded"]),
        (f"{label}: portal requests per deal", "≤ 0.15", f["requests_per_deal"]),
        (f"{label}: each portal's finish time, s", "—", finish),
    ]


def _ratio(f: dict[str, Any]) -> str:
    return f"{f['wall_vs_alone']} ({f['wall_s']} s / {f['slowest_alone_minimum_s']} s)"


def _together(f: dict[str, Any]) -> list[Row]:
    return _wave_rows(f, f"{_size(f)}, burst {f['burst']}")


def _crowd(f: dict[str, Any]) -> list[Row]:
    everyone, alone = f["all"], f["alone"]
    detail = f"{everyone['wall_s']} s / (1.5 × {alone['wall_s']} s + {f['deals_cpu_s']} s)"
    measure = f"{_size(everyone)}: wall / (1.5 × one portal alone + the deals' worker CPU)"
    cpu = f"{everyone['worker_cpu_s']} ({f['deals_cpu_s']})"
    return [
        (measure, "≤ 1", f"{f['wall_vs_goal']} ({detail})"),
        (f"{everyone['portals']} portals: worker CPU, s (the deals' own at one portal's rate)", "—", cpu),
        (f"{everyone['portals']} portals: worker peak RSS, MB", "< 300", f["worker_peak_rss_mb"]),
    ]


def _quiet(f: dict[str, Any]) -> list[Row]:
    busy = f"{f['busy_portals']} portals drain {f['busy_deals'] // max(f['busy_portals'], 1):,} deals each"
    done = f"{f['busy_portals_done_when_visible']} of {f['busy_portals']} busy portals done by then"
    measure = f"Quiet portal's won deal while {busy}: seconds until visible"
    return [(measure, "< 2", f"{f['visible_s']} ({done})")]


def _shared(f: dict[str, Any]) -> list[Row]:
    table: list[Row] = []
    plain, killed = f.get("plain"), f.get("killed")
    if plain is not None:
        label = f"PostgreSQL + Redis, {plain['workers']} workers, {_size(plain)}"
        table += _wave_rows(plain, label)[:2]
    if killed is not None:
        once = killed["exactly_once"]
        label = f"PostgreSQL + Redis, a worker SIGKILLed at {killed.get('killed_at_s')} s"
        duplicates = once["duplicate_accruals"] + once["duplicate_items"]
        missing = once["missing_accruals"] + once["missing_items"]
        table += [
            (
                f"{label}: duplicate / missing accruals and registry items",
                "0 / 0",
                f"{duplicates} / {missing}",
            ),
            (f"{label}: wall time, s", "—", killed["wall_s"]),
        ]
    return table
