"""Leaky bucket (burst X, drain Y/s, batch counts one) and the per-method operating-time budget."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.emulator.clock import Clock
from tests.emulator.server import Emulator


def _hammer(url: str, n: int, **body: Any) -> list[int]:
    with requests.Session() as session:
        return [session.post(url, json=body, timeout=5).status_code for _ in range(n)]


def test_fifty_pass_the_51st_is_503_and_a_second_later_exactly_two_more(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal) + "test.echo"
    assert _hammer(hook, 50) == [200] * 50
    refused = requests.post(hook, timeout=5)
    assert refused.status_code == 503
    assert refused.json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    assert _hammer(hook, 3) == [503] * 3  # rejected requests do not fill the bucket further
    emu.clock.advance(1.0)
    assert _hammer(hook, 3) == [200, 200, 503]
    assert emu.stats.limit_503 == 5


def test_the_bucket_drains_two_per_second(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal) + "test.echo"
    _hammer(hook, 50)
    emu.clock.advance(10.0)
    assert emu.limiter.level(portal.member_id, emu.profile(portal)) == pytest.approx(30.0)
    assert _hammer(hook, 21) == [200] * 20 + [503]
    emu.clock.advance(1000.0)
    assert emu.limiter.level(portal.member_id, emu.profile(portal)) == 0


def test_each_portal_has_its_own_bucket(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    one, two = emu.add_portal(), emu.add_portal()
    assert _hammer(emu.add_webhook(one) + "test.echo", 51)[-1] == 503
    assert _hammer(emu.add_webhook(two) + "test.echo", 50) == [200] * 50


def test_a_smaller_burst_holds_for_every_portal_and_each_keeps_its_own_bucket(
    limited_emulator: Emulator,
) -> None:
    # bench/portals.py: many portals, each its own bucket of 10 so that pacing matters.
    emu = limited_emulator
    emu.limiter.configure("basic", burst=10)
    one, two = emu.add_portal(), emu.add_portal()
    assert _hammer(emu.add_webhook(one) + "test.echo", 11) == [200] * 10 + [503]
    assert _hammer(emu.add_webhook(two) + "test.echo", 11) == [200] * 10 + [503]
    emu.clock.advance(1.0)
    assert _hammer(emu.add_webhook(one) + "test.echo", 3) == [200, 200, 503]


@pytest.mark.parametrize("how", ["plan", "setting"])
def test_enterprise_is_250_then_five_per_second(emulator_factory: Any, how: str) -> None:
    emu: Emulator = emulator_factory(manual_clock=True, enterprise=how == "setting")
    portal = emu.add_portal(plan="enterprise" if how == "plan" else "basic")
    hook = emu.add_webhook(portal) + "test.echo"
    assert _hammer(hook, 251) == [200] * 250 + [503]
    emu.clock.advance(1.0)
    assert _hammer(hook, 6) == [200] * 5 + [503]


def test_a_batch_counts_as_one_request(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal)
    cmd = {f"c{i}": "test.echo" for i in range(50)}
    assert _hammer(hook + "batch", 50, cmd=cmd) == [200] * 50
    assert requests.post(hook + "batch", json={"cmd": cmd}, timeout=5).status_code == 503
    assert emu.stats.batch_commands == 2500 and emu.stats.http_requests == 51


def test_limits_can_be_switched_off_and_reconfigured(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal) + "test.echo"
    emu.limits_enabled = False
    assert _hammer(hook, 80) == [200] * 80
    emu.limits_enabled = True
    emu.limiter.configure("basic", burst=3, drain=1.0)
    assert _hammer(hook, 4) == [200, 200, 200, 503]


def test_operating_time_budget_blocks_only_that_method(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal)
    costs = []
    for _ in range(5):  # 100 s each: 500 s > 480 s
        answer = requests.post(hook + "test.costly", timeout=5)
        assert answer.status_code == 200
        costs.append(answer.json()["time"]["operating"])
        emu.clock.advance(1.0)  # keep the bucket out of the way
    assert costs == [100.0, 200.0, 300.0, 400.0, 500.0]
    blocked = requests.post(hook + "test.costly", timeout=5)
    assert blocked.status_code == 429
    assert blocked.json() == {
        "error": "OPERATION_TIME_LIMIT",
        "error_description": "Method is blocked due to operation time limit.",
    }
    assert requests.post(hook + "test.echo", timeout=5).status_code == 200
    grouped = requests.post(hook + "batch", json={"cmd": {"a": "test.costly"}}, timeout=5).json()["result"]
    assert grouped["result_error"]["a"]["error"] == "OPERATION_TIME_LIMIT"
    assert emu.stats.limit_429 == 2
    emu.clock.advance(600.0)  # the window slides past all spending
    assert requests.post(hook + "test.costly", timeout=5).status_code == 200


def test_batch_commands_charge_their_own_methods(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal)
    answer = requests.post(hook + "batch", json={"cmd": {"a": "test.costly", "b": "test.costly"}}, timeout=5)
    assert answer.json()["time"]["operating"] == 200.0
    profile = emu.profile(portal)
    assert emu.limiter.operating(portal.member_id, "test.costly", profile) == 200.0
    assert emu.limiter.operating(portal.member_id, "batch", profile) == 0.0
    reset_at = answer.json()["time"]["operating_reset_at"]
    assert reset_at == int(emu.now() + 600)


def test_measured_cost_mode(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    emu.limiter.cost_mode = "measured"
    portal = emu.add_portal()
    answer = requests.post(emu.add_webhook(portal) + "test.costly", timeout=5)
    assert answer.json()["time"]["operating"] == 0.0  # a manual clock measures no time


def test_time_scale_makes_emulated_time_run_faster() -> None:
    clock = Clock(scale=1000.0)
    start = clock.now()
    time.sleep(0.01)
    assert clock.now() - start >= 10.0
    manual = Clock(manual=True)
    frozen = manual.now()
    manual.advance(5)
    assert manual.now() == frozen + 5
    with pytest.raises(ValueError):
        manual.advance(-1)


def test_scaled_clock_drains_the_bucket_in_real_time(emulator_factory: Any) -> None:
    emu: Emulator = emulator_factory(time_scale=100.0)
    portal = emu.add_portal()
    emu.limiter.configure("basic", burst=5, drain=2.0)
    hook = emu.add_webhook(portal) + "test.echo"
    _hammer(hook, 5)
    time.sleep(0.1)  # 10 emulated seconds: the bucket is empty again
    assert _hammer(hook, 5) == [200] * 5
