"""Observation (stats, request log, reset), the /_emulator/ control API, and the standalone entry point."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import requests

from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator

ROOT = Path(__file__).resolve().parents[3]


def test_stats_count_everything_and_reset(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal = emu.add_portal()
    hook = emu.add_webhook(portal)
    for _ in range(3):
        requests.post(hook + "test.echo", timeout=5)
    requests.post(hook + "batch", json={"cmd": {"a": "test.echo", "b": "test.list"}}, timeout=5)
    requests.post(hook + "test.app_only", timeout=5)
    for _ in range(50):
        requests.post(hook + "test.echo", timeout=5)
    stats = emu.stats()
    assert stats.http_requests == 55 and stats.batch_commands == 2
    assert stats.per_method == {"test.echo": 54, "batch": 1, "test.list": 1, "test.app_only": 1}
    assert stats.limit_503 == 5 and stats.limit_429 == 0
    assert stats.as_dict()["http_requests"] == 55
    denied = [c for c in emu.requests if c.error == "ACCESS_DENIED"]
    assert len(denied) == 1 and denied[0].auth_kind == "webhook" and denied[0].status == 403
    limited = emu.requests.calls("test.echo", include_batch=False)[-1]
    assert limited.status == 503 and limited.error == "QUERY_LIMIT_EXCEEDED" and limited.auth_kind is None
    emu.reset_stats()
    assert emu.stats() == type(stats)() and len(emu.requests) == 0


def test_the_live_counters_are_plain_attributes(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    requests.post(emulator.add_webhook(portal) + "test.echo", timeout=5)
    assert emulator.stats.http_requests == 1
    emulator.stats.http_requests = 0  # tests may zero a counter by hand
    assert emulator.stats().http_requests == 0


def test_control_api(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    control = f"{emulator.base_url}/_emulator"
    hook = requests.post(f"{control}/webhook", json={"member_id": portal.member_id}, timeout=5).json()["url"]
    assert requests.post(hook + "test.echo", timeout=5).status_code == 200
    assert requests.get(f"{control}/stats", timeout=5).json()["http_requests"] == 1
    assert requests.get(f"{control}/requests", timeout=5).json()[0]["method"] == "test.echo"
    armed = requests.post(f"{control}/faults", json={"kind": "fail", "n": 1, "status": 503}, timeout=5)
    assert armed.json()["pending"]["queue"][0]["status"] == 503
    assert requests.post(hook + "test.echo", timeout=5).status_code == 503
    bad = requests.post(f"{control}/faults", json={"kind": "nonsense"}, timeout=5)
    assert bad.status_code == 400
    assert requests.post(f"{control}/reset-stats", timeout=5).json() == {"ok": True}
    assert requests.get(f"{control}/stats", timeout=5).json()["http_requests"] == 0
    tokens = requests.post(
        f"{control}/tokens", json={"member_id": portal.member_id, "client_id": CLIENT_ID}, timeout=5
    ).json()
    assert tokens["client_endpoint"] == emulator.rest_base(portal) and tokens["access_token"]
    portals = requests.get(f"{control}/portals", timeout=5).json()
    expected = {"member_id": portal.member_id, "domain": portal.domain, "plan": "basic"}
    assert portals == [{**expected, "rest": emulator.rest_base(portal)}]
    assert requests.get(f"{control}/nothing", timeout=5).status_code == 404


def test_control_portal_actions_go_to_the_driver(emulator: Emulator) -> None:
    from tests.emulator import driver

    portal = emulator.add_portal()
    url = f"{emulator.base_url}/_emulator/portal/{portal.member_id}/noop"
    answer = requests.post(url, json={}, timeout=5)
    if not hasattr(driver, "control"):
        assert answer.status_code == 404 and "control" in answer.json()["error_description"]
    else:
        assert answer.headers["Content-Type"].startswith("application/json")
    unknown = requests.post(f"{emulator.base_url}/_emulator/portal/nobody/noop", json={}, timeout=5)
    assert unknown.status_code == 404


def test_standalone_server_prints_its_urls_and_serves() -> None:
    command = [sys.executable, "-m", "tests.emulator", "--port", "0", "--no-limits"]
    out, err = subprocess.PIPE, subprocess.DEVNULL
    with subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True) as proc:
        try:
            assert proc.stdout is not None
            lines = dict(proc.stdout.readline().split(":", 1) for _ in range(5))
            webhook = lines["webhook"].strip()
            answer = requests.post(webhook + "profile", timeout=5)
            assert answer.status_code == 200 and answer.json()["result"]["ID"] in ("1", 1)
            assert "member_id=" in lines["portal"] and lines["REST base"].strip().endswith("/rest/")
            assert lines["OAuth URL"].strip().split()[0].endswith("/oauth/token/")
        finally:
            proc.terminate()
            proc.wait(timeout=10)
