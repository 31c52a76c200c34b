"""Installing the app on the emulated portal in both scenarios, idempotently; uninstall."""

from __future__ import annotations

from typing import Any

import requests
from sqlalchemy import func, select

from b24app.models import Portal, ProvisionedObject
from install import spec
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator
from tests.harness import AppHarness


def portal_objects(emu: Emulator, portal: EmuPortal) -> dict[str, Any]:
    """Everything the app created, seen from the portal's side."""
    app = portal.apps[CLIENT_ID]
    return {
        "types": [(t["title"], t["entityTypeId"]) for t in portal.types.values()],
        "fields": {
            k: sorted(f.get("FIELD_NAME") or f.get("fieldName") for f in v)
            for k, v in portal.userfields.items()
        },
        "stages": sorted(
            (s["STATUS_ID"], s["NAME"], s["SEMANTICS"])
            for s in portal.statuses
            if s["ENTITY_ID"].startswith("DYNAMIC_")
        ),
        "events": sorted((b["event"], b["handler"]) for b in app.events),
        "robots": sorted(app.robots),
        "activities": sorted(app.activities),
        "placements": sorted((p["placement"], p["handler"]) for p in app.placements),
    }


def page_url(body: str, name: str) -> str:
    """The installer page's ``data-<name>-url`` (status or retry endpoint, read by static/install.js)."""
    return body.split(f'data-{name}-url="')[1].split('"')[0]


def _provisioned(app: AppHarness) -> tuple[str, int]:
    with app.db.transaction() as session:
        portal = session.execute(select(Portal)).scalar_one()
        count = session.execute(select(func.count()).select_from(ProvisionedObject)).scalar_one()
        return portal.status, int(count)


def test_api_install_provisions_everything_once(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal(lang="ru")
    answer = driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    assert answer.status == 200
    assert not portal.types  # the web process never calls the portal
    app.drain()
    seen = portal_objects(emulator, portal)
    etid = seen["types"][0][1]
    assert seen["types"][0] == ("Бонусы", etid) and seen["types"][1][0] == "Заявки на бонусы"
    assert seen["fields"]["CRM_CONTACT"] == [spec.BALANCE_FIELD] == seen["fields"]["CRM_COMPANY"]
    assert seen["fields"]["CRM_DEAL"] == [spec.PERCENT_FIELD]
    type_id = next(iter(portal.types))
    assert seen["fields"][f"CRM_{type_id}"] == sorted(f"UF_CRM_{type_id}_{s}" for s in spec.REGISTRY_FIELDS)
    names = {
        code.split(":")[1]: (name, sem) for code, name, sem in seen["stages"] if code.startswith(f"DT{etid}_")
    }
    assert names["NEW"] == ("Ожидают", None) and names["SUCCESS"][0] == "Списано"
    assert names["EXPIRED"] == ("Сгорели", "F") and names["FAIL"][0] == "Отменены"
    guarded = spec.guard_events(etid)  # the registry's own items, online and offline
    assert seen["events"] == sorted(
        [(e, app.base_url + "/events") for e in (*spec.APP_EVENTS, *guarded)]
        + [(e, "") for e in (*spec.OFFLINE_EVENTS, *guarded)]
    )
    assert seen["robots"] == ["bonus_accrue", "bonus_request", "bonus_writeoff"] and seen["activities"] == []
    assert portal.apps[CLIENT_ID].robots["bonus_writeoff"]["USE_SUBSCRIPTION"] == "Y"
    assert seen["placements"] == sorted((t, app.base_url + "/placements/tab") for t in spec.TABS)
    assert _provisioned(app)[0] == "installed"

    emulator.stats.http_requests = 0
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    assert portal_objects(emulator, portal) == seen  # a second install changes nothing
    # the admin check, two read rounds, then two of the requests process's: nothing created
    assert emulator.stats.http_requests == 5
    assert _provisioned(app)[0] == "installed"


def test_ui_install_reports_progress_and_finishes(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal(lang="en")
    page = driver.install_ui(emulator, portal, CLIENT_ID, app.base_url + "/install")
    assert page.status == 200 and "install.js" in page.body  # installFinish: see tests/browser
    status_path = page_url(page.body, "status")
    assert requests.get(app.base_url + status_path, timeout=5).json()["status"] == "installing"
    app.drain()
    assert requests.get(app.base_url + status_path, timeout=5).json()["status"] == "installed"
    driver.install_finish(emulator, portal, CLIENT_ID)
    assert portal_objects(emulator, portal)["types"][0][0] == "Bonuses"
    forged = requests.get(app.base_url + "/install/status/forged", timeout=5)
    assert forged.status_code == 401


def test_failed_provisioning_is_shown_and_can_be_retried(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal()
    page = driver.install_ui(emulator, portal, CLIENT_ID, app.base_url + "/install")
    status_path, retry_path = page_url(page.body, "status"), page_url(page.body, "retry")
    emulator.faults.fail_next(1, status=400, code="ACCESS_DENIED", method="batch")
    app.drain()
    state = requests.get(app.base_url + status_path, timeout=5).json()
    assert state["status"] == "failed" and "ACCESS_DENIED" in state["error"]
    assert requests.post(app.base_url + retry_path, timeout=5).status_code == 202
    app.drain()
    assert requests.get(app.base_url + status_path, timeout=5).json()["status"] == "installed"


def test_bad_install_body_names_the_field(app: AppHarness) -> None:
    answer = requests.post(
        app.base_url + "/install", data={"event": "ONAPPINSTALL", "auth[member_id]": "m"}, timeout=5
    )
    assert answer.status_code == 400 and answer.json()["field"] == "auth[refresh_token]"


def test_uninstall_deletes_tokens_and_keeps_or_cleans_data(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal()
    driver.install_api(emulator, portal, CLIENT_ID, app.base_url + "/install")
    app.drain()
    deliveries = driver.uninstall(emulator, portal, CLIENT_ID, clean=False)
    assert [d.status for d in deliveries] == [200]
    app.drain()  # the lane confirms with the portal that the app is gone, then acts
    with app.db.transaction() as session:
        row = session.execute(select(Portal)).scalar_one()
        assert row.status == "uninstalled" and row.access_token is None and row.refresh_token is None
    again = driver.uninstall(emulator, portal, CLIENT_ID, clean=True)
    assert again == []  # the portal removed our handlers with the app
