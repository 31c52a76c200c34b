"""The many-portals benchmark's building blocks do what its figures claim (no timings asserted).

Real worker processes, the emulator and the app over HTTP, on both database backends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text

from b24app.db import Database
from bench.audit import exactly_once, requests_by_portal
from bench.fleet import Fleet, FleetOptions
from bench.waves import Wave
from registry.ledger.models import LedgerEntry
from tests.dbsupport import BACKENDS, PG_ADMIN_URL

REDIS_URL = "redis://127.0.0.1:6379/14"  # not the jobs tests' database 15


@pytest.fixture
def fleet(database: Database) -> Iterator[Fleet]:
    opened = Fleet(FleetOptions(2, burst=10, workers=1, database_url=database.url)).open()
    yield opened
    opened.close()


def _accruals(fleet: Fleet) -> int:
    with fleet.app.db.transaction() as session:
        query = select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "accrual")
        return int(session.execute(query).scalar_one())


def _state(pid: int) -> str:
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0]


def test_every_portal_of_a_fleet_is_installed_through_the_confirmed_install_path(fleet: Fleet) -> None:
    members = {portal.member_id for portal in fleet.portals}
    assert fleet.installed() == 2
    assert {call.member_id for call in fleet.emu.requests.calls("user.admin")} == members
    assert fleet.emu.stats().oauth_attempts >= 2  # each claim redeemed at the OAuth server
    assert all(portal.types for portal in fleet.portals)  # provisioned by the worker's lane


def test_held_workers_take_no_job_and_released_ones_accrue_every_deal_once(fleet: Fleet) -> None:
    wave = Wave.prepare(fleet.emu, fleet.portals, 3)
    fleet.hold()
    wave.deliver()
    assert _state(fleet.workers[0].pid) == "T"
    assert _accruals(fleet) == 0 and wave.done() == 0
    fleet.release()
    wave.track(time.monotonic(), timeout=120)
    assert all(share.finished_s is not None for share in wave.shares)
    once = exactly_once(fleet.url, wave.shares)
    assert once.exact and once.deals == 6
    sent = requests_by_portal(fleet.emu.requests.calls())
    assert set(sent) == {portal.member_id for portal in fleet.portals}
    assert fleet.worker_cpu_s() > 0 and fleet.worker_peak_rss_mb() > 10


def test_the_audit_finds_duplicates_and_missing_ones(fleet: Fleet) -> None:
    wave = Wave.prepare(fleet.emu, fleet.portals[:1], 3)
    wave.deliver()
    wave.track(time.monotonic(), timeout=120)
    share = wave.shares[0]
    registry_type = next(iter(share.portal.types.values()))["entityTypeId"]
    items = share.portal.items[registry_type]
    first, second = sorted(items)[:2]
    items[max(items) + 1] = dict(items[first])  # the first entry's item twice
    del items[second]  # the second entry's item gone
    with fleet.app.db.transaction() as session:
        entry = session.execute(
            select(LedgerEntry).where(LedgerEntry.deal_id == share.deal_ids[0])
        ).scalar_one()
        twin = {c.key: getattr(entry, c.key) for c in LedgerEntry.__table__.columns if c.key != "id"}
        session.execute(insert(LedgerEntry), [{**twin, "business_key": entry.business_key + ":twin"}])
    share.deal_ids.append(10**9)  # a won deal that never reached the ledger
    once = exactly_once(fleet.url, wave.shares)
    assert (once.duplicate_accruals, once.missing_accruals) == (1, 1)
    assert (once.duplicate_items, once.missing_items) == (1, 2)  # and the twin has no item at all


def test_a_killed_worker_keeps_its_last_readings(database: Database) -> None:
    empty = Fleet(FleetOptions(0, database_url=database.url)).open()
    try:
        worker = empty.workers[0]
        cpu = worker.cpu_seconds()
        worker.kill()
        assert not worker.alive()
        assert worker.cpu_seconds() >= cpu > 0 and worker.peak_rss_mb() > 10
    finally:
        empty.close()


@pytest.fixture(params=BACKENDS)
def bench_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """What ``make bench`` would be given: nothing (SQLite), or a fresh PostgreSQL database and Redis."""
    if request.param == "sqlite":
        yield {}
        return
    name = f"bench_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield {"BENCH_DATABASE_URL": f"{PG_ADMIN_URL.rpartition('/')[0]}/{name}", "REDIS_URL": REDIS_URL}
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_the_quick_preset_runs_every_scenario_and_writes_its_figures(
    bench_env: dict[str, str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("BENCH_DATABASE_URL", "REDIS_URL")}
    figures_file = tmp_path / "bench-results.json"
    figures_file.write_text(json.dumps({"accrual": {"kept": True}}))
    command = [sys.executable, "-m", "bench.portals", "--quick", "--no-kill", "--json", str(figures_file)]
    done = subprocess.run(command, env={**env, **bench_env}, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    saved = json.loads(figures_file.read_text())
    assert saved["accrual"] == {"kept": True}
    results = saved["portals"]
    assert results["failed_scenarios"] == []
    waves = [results["together"], *results["crowd"]["alone"]["runs"], results["crowd"]["all"]]
    if bench_env:
        waves.append(results["shared"]["plain"])
    else:
        assert "skipped" in results["shared"]
    for wave in waves:
        assert wave["exactly_once"]["exact"] and wave["query_limit_exceeded"] == 0
        assert len(wave["finish_s"]) == wave["portals"] and wave["emulator_internal_errors"] == 0
    assert results["quiet"]["visible_s"] > 0
    assert "| Measure | Goal | Result |" in done.stdout and "seconds until visible" in done.stdout
