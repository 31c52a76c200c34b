"""Campaigns end to end: the seed's birthday campaign (segment "registered >= 365 days", trigger
"date of birth"), an anniversary of registration, a group by shop, a birthday edited on the portal,
a crash mid-run, the daily lane step and the console's dry run."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from bootstrap.console import main
from registry.bonuses import campaigns as campaign_awards
from registry.bonuses.audience import CampaignAward, CampaignRun
from registry.bonuses.segments import yearly
from registry.ledger.models import LedgerEntry
from registry.program.document import save_program
from registry.services import campaign_step
from tests.emulator import driver_crm
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness, portal_id_of

TODAY = datetime.now(UTC).date()
BIRTHDAY = {
    "code": "birthday",
    "name": "Birthday",
    "trigger": {"kind": "date", "field": "BIRTHDATE", "days_before": 0},
    "segment": {"clients": "contacts", "registered_days_min": 365},
    "award": {"points": 100, "lifetime_days": 30, "legal_entity": 1, "description": "Happy birthday"},
}


def _born(day: date, years: int = 30) -> str:
    return yearly(day, day.year - years).isoformat()


def _client(
    app: AppHarness,
    emulator: Emulator,
    portal: EmuPortal,
    *,
    registered: date,
    birthday: date | None = None,
    **f: Any,
) -> int:
    """A contact registered on ``registered`` (backdated), its birthday typed afterwards (an event)."""
    contact = driver_crm.create_client(emulator, portal, "contact", name="Client", **f)
    driver_crm.set_created_time(emulator, portal, "contact", contact, registered.isoformat())
    driver_crm.update_client(emulator, portal, "contact", contact, comments="imported")  # event: read back
    if birthday is not None:
        driver_crm.set_birthdate(emulator, portal, contact, _born(birthday))
    app.drain()
    return contact


@pytest.fixture(autouse=True)
def _mirror_kept(app: AppHarness, portal: EmuPortal) -> None:
    """A program with a customer group from the start: the client mirror is kept (it is only for
    programs with campaigns or groups), so the clients made below are mirrored through their events."""
    group = {"code": "vip", "name": "VIP", "by": "customer", "clients": ["contact:1"]}
    _program(app, groups=[group])
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()


def _program(app: AppHarness, **sections: Any) -> None:
    with app.db.transaction() as session:
        save_program(session, portal_id_of(app), sections, "test", app.container.clock.now())


def _console(app: AppHarness, portal: EmuPortal, *args: str) -> dict[str, Any]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["campaigns", portal.member_id, "run", *args], container=app.container) == 0
    return dict(json.loads(out.getvalue()))


def _awards(app: AppHarness) -> list[tuple[str, str, int, date]]:
    with app.db.transaction() as session:
        rows = session.execute(select(CampaignAward).order_by(CampaignAward.id)).scalars()
        return [(a.campaign, a.client_type, a.client_id, a.occurrence) for a in rows]


def _entries(app: AppHarness) -> list[LedgerEntry]:
    with app.db.transaction() as session:
        rows = list(session.execute(select(LedgerEntry).where(LedgerEntry.kind == "campaign")).scalars())
        session.expunge_all()
    return rows


def test_birthday_campaign_of_the_seed(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    old = TODAY - timedelta(days=400)
    due = _client(app, emulator, portal, registered=old, birthday=TODAY)
    _client(app, emulator, portal, registered=TODAY - timedelta(days=100), birthday=TODAY)
    _client(app, emulator, portal, registered=old, birthday=TODAY + timedelta(days=1))
    _program(app, campaigns=[BIRTHDAY])

    dry = _console(app, portal, "--dry-run")
    assert [d["client"] for d in dry["due"]] == [f"contact:{due}"] and dry["dry_run"] is True
    assert _awards(app) == [] and _entries(app) == []  # a dry run writes nothing

    assert _console(app, portal)["awarded"] == {"birthday": 1}
    app.drain()
    assert _awards(app) == [("birthday", "contact", due, TODAY)]
    [entry] = _entries(app)
    assert (entry.amount, entry.legal_entity_id, entry.reason) == (Decimal("100.00"), 1, "Happy birthday")
    assert entry.source == "campaign:birthday"
    assert float(portal.contacts[due]["UF_CRM_BONUS_BALANCE"]) == 100.0
    etid = next(iter(portal.types.values()))["entityTypeId"]
    [item] = portal.items[etid].values()
    assert item["contactId"] == due and item["xmlId"] == f"entry:{entry.id}"
    assert any("Happy birthday" in c["COMMENT"] for c in portal.comments)

    assert _console(app, portal)["awarded"] == {"birthday": 0}  # a rerun awards nothing more
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    assert len(_entries(app)) == 1 and len(_awards(app)) == 1


def test_daily_step_runs_once_per_portal_day(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    due = _client(app, emulator, portal, registered=TODAY - timedelta(days=800), birthday=TODAY)
    _program(app, campaigns=[BIRTHDAY])
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()  # the lane's daily step awards on its own
    assert _awards(app) == [("birthday", "contact", due, TODAY)]
    with app.db.transaction() as session:
        [run] = session.execute(select(CampaignRun)).scalars().all()
        assert (run.campaign, run.day, run.awarded, run.runs) == ("birthday", TODAY, 1, 1)
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()
    [summary] = campaign_step.summary(app.container, portal_id_of(app))
    assert (summary.code, summary.last_day, summary.awarded_total, summary.points_total) == (
        "birthday",
        TODAY,
        1,
        Decimal("100.00"),
    )
    with app.db.transaction() as session:
        assert session.execute(select(func.sum(CampaignRun.runs))).scalar_one() == 1  # once that day


def test_anniversary_of_registration(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> None:
    two_years = _client(app, emulator, portal, registered=date.fromisoformat(_born(TODAY, 2)))
    _client(app, emulator, portal, registered=date.fromisoformat(_born(TODAY + timedelta(days=1), 2)))
    _client(app, emulator, portal, registered=TODAY)  # no anniversary on the day itself
    anniversary = {
        "code": "anniversary",
        "trigger": {"kind": "date", "field": "created"},
        "segment": {"clients": "both"},
        "award": {"points": 50, "lifetime_days": 0, "description": "With us another year"},
    }
    _program(app, campaigns=[anniversary])
    report = _console(app, portal)
    assert report["awarded"] == {"anniversary": 1}
    assert _awards(app) == [("anniversary", "contact", two_years, TODAY)]


def test_group_by_shop_takes_clients_created_after_setup(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    shop = driver_crm.create_client(emulator, portal, "company", title="Shop")
    other = driver_crm.create_client(emulator, portal, "company", title="Other")
    app.drain()
    once = {
        "code": "shop-day",
        "trigger": {"kind": "once", "date": TODAY.isoformat()},
        "segment": {"clients": "both", "groups": ["shop"]},
        "award": {"points": 10, "lifetime_days": 7},
    }
    _program(app, groups=[{"code": "shop", "by": "shop", "companies": [shop]}], campaigns=[once])
    newcomer = driver_crm.create_client(emulator, portal, "contact", name="New", companyIds=[shop])
    driver_crm.create_client(emulator, portal, "contact", name="Elsewhere", companyIds=[other])
    app.drain()  # the event brings the newcomer into the mirror; the daily step awards the group
    assert sorted(_awards(app)) == sorted(
        [("shop-day", "company", shop, TODAY), ("shop-day", "contact", newcomer, TODAY)]
    )


def test_birthday_edited_on_the_portal_is_seen_through_the_event(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    contact = _client(
        app, emulator, portal, registered=TODAY - timedelta(days=500), birthday=TODAY + timedelta(days=3)
    )
    _program(app, campaigns=[BIRTHDAY])
    assert _console(app, portal)["awarded"] == {"birthday": 0}
    driver_crm.set_birthdate(emulator, portal, contact, _born(TODAY))  # a manager corrects the date
    app.drain()
    assert _awards(app) == [("birthday", "contact", contact, TODAY)]


class Crash(BaseException):
    """Stands for the process dying: nothing catches it."""


def test_crash_mid_run_then_rerun_awards_each_once(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, monkeypatch: pytest.MonkeyPatch
) -> None:
    clients = [
        _client(app, emulator, portal, registered=TODAY - timedelta(days=400), birthday=TODAY)
        for _ in range(5)
    ]
    _program(app, campaigns=[BIRTHDAY])
    real, calls = campaign_awards.award, []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise Crash()
        return real(*args, **kwargs)

    monkeypatch.setattr(campaign_step, "PER_COMMIT", 2)
    monkeypatch.setattr(campaign_awards, "award", crashing)
    with pytest.raises(Crash):
        campaign_step.run_campaigns(app.db, portal_id_of(app), app.container.clock.now())
    assert len(_awards(app)) == 2  # the first transaction committed, the open one was lost
    monkeypatch.setattr(campaign_awards, "award", real)
    assert _console(app, portal)["awarded"] == {"birthday": 3}
    assert sorted(a[2] for a in _awards(app)) == sorted(clients)
    assert len({e.business_key for e in _entries(app)}) == len(_entries(app)) == 5


def test_a_date_user_field_trigger_reloads_the_mirror_with_that_field(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    with emulator.lock:
        portal.userfields.setdefault("CRM_CONTACT", []).append(
            {"ID": "900", "FIELD_NAME": "UF_CRM_ENROLLED", "USER_TYPE_ID": "date"}
        )
    member = _client(app, emulator, portal, registered=TODAY - timedelta(days=2000))
    driver_crm.update_client(emulator, portal, "contact", member, ufCrmEnrolled=_born(TODAY, 3))
    app.drain()  # the mirror does not keep UF_CRM_ENROLLED yet: no campaign reads it
    enrolment = {
        "code": "enrolment",
        "trigger": {"kind": "date", "field": "UF_CRM_ENROLLED"},
        "award": {"points": 30, "lifetime_days": 60},
    }
    _program(app, campaigns=[enrolment])
    app.container.jobs.enqueue_lane(portal_id_of(app), force=True)
    app.drain()  # a program reading a new UF loads the mirror again, then the daily step awards
    assert _awards(app) == [("enrolment", "contact", member, TODAY)]


def test_the_main_page_shows_each_campaigns_last_run(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    _client(app, emulator, portal, registered=TODAY - timedelta(days=400), birthday=TODAY)
    _program(app, campaigns=[BIRTHDAY, {**BIRTHDAY, "code": "later", "name": "Later", "active": False}])
    _console(app, portal)
    form = {
        "AUTH_ID": emulator.issue_tokens(portal, CLIENT_ID, 2).access_token,
        "AUTH_EXPIRES": "3600",
        "member_id": portal.member_id,
        "APPLICATION_TOKEN": portal.apps[CLIENT_ID].application_token,
    }
    query = {"DOMAIN": emulator.ui_domain(portal), "PROTOCOL": "0", "LANG": portal.lang}
    page = requests.post(app.base_url + "/", data=form, params=query, timeout=10)
    assert page.status_code == 200 and 'id="campaigns-panel"' in page.text
    assert 'data-campaign="birthday"' in page.text and 'data-awarded="1"' in page.text
    assert "Ещё не запускалась" in page.text  # the inactive one has not run
