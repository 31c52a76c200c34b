"""The many-portals benchmark's arithmetic: requests per portal, its plans and its table rows."""

from __future__ import annotations

from bench.audit import PortalRequests, requests_by_portal
from bench.portals import FULL, QUICK, parse_args, plans
from bench.portals_table import rows
from tests.emulator.observe import CallRecord


def _record(member: str | None, method: str = "batch", via: str | None = None, error: str = "") -> CallRecord:
    return CallRecord(method, {}, "oauth", 503 if error else 200, error, member, via)


def test_requests_are_http_requests_per_portal_not_the_commands_inside_batches() -> None:
    records = [
        _record("a"),
        _record("a", "crm.item.add", via="c1"),
        _record("a", "crm.item.add", via="c2"),
        _record("a", error="QUERY_LIMIT_EXCEEDED"),
        _record("b", "user.admin"),
        _record(None, "app.info"),  # never reached a portal (no credential)
    ]
    assert requests_by_portal(records) == {"a": PortalRequests(2, 1), "b": PortalRequests(1, 0)}


def test_the_knobs_resize_the_chosen_scenarios_of_the_preset() -> None:
    chosen = plans(parse_args(["--scenario", "together", "--portals", "3", "--workers", "2", "--kill"]))
    assert list(chosen) == ["together"]
    assert chosen["together"].portals == 3 and chosen["together"].deals == FULL["together"].deals
    assert chosen["together"].workers == 2 and chosen["together"].kill
    quick = plans(parse_args(["--quick"]))
    assert quick == QUICK and not any(plan.kill for plan in quick.values())


def test_a_skipped_or_failed_scenario_is_one_row_saying_so() -> None:
    table = rows({"quiet": {"failed": "TimeoutError: not done"}, "shared": {"skipped": "needs REDIS_URL"}})
    assert table == [
        ("Portals, quiet", "—", "TimeoutError: not done"),
        ("Portals, shared", "—", "skipped: needs REDIS_URL"),
    ]
