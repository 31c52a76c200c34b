"""Nobody takes a portal over through /install: the OAuth server and the portal confirm every install.

The attacker here has what a frame user has (the portal's ``member_id`` and ``APPLICATION_TOKEN``)
plus a Bitrix24 of their own: a second emulator (their endpoint and tokens) or a second portal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import redis
import requests
from sqlalchemy import func, select

from b24app.models import Portal
from registry.ledger.models import LedgerEntry
from tests.emulator import driver
from tests.emulator.portal import Portal as EmuPortal
from tests.emulator.protocol import TokenPair
from tests.emulator.pytest_plugin import CLIENT_ID, EmulatorFactory
from tests.emulator.server import Emulator
from tests.harness import AppHarness

REDIS_URL = "redis://127.0.0.1:6379/14"  # the job-queue tests use 15


def _stored(app: AppHarness) -> dict[str, Any]:
    with app.db.transaction() as session:
        rows = session.execute(select(Portal)).scalars().all()
        return {
            row.member_id: (
                row.client_endpoint,
                row.domain,
                row.access_token,
                row.refresh_token,
                row.application_token_hash,
                row.status,
                row.user_id,
            )
            for row in rows
        }


def _api_claim(member_id: str, endpoint: str, tokens: TokenPair, app_token: str) -> dict[str, str]:
    """An ONAPPINSTALL body as an attacker writes it: someone's member_id, their own everything else."""
    return {
        "event": "ONAPPINSTALL",
        "data[LANGUAGE_ID]": "ru",
        "auth[access_token]": tokens.access_token,
        "auth[refresh_token]": tokens.refresh_token,
        "auth[expires_in]": "3600",
        "auth[user_id]": "1",
        "auth[domain]": "evil.example",
        "auth[client_endpoint]": endpoint,
        "auth[member_id]": member_id,
        "auth[application_token]": app_token,
    }


def _ui_claim(member_id: str, tokens: TokenPair, app_token: str) -> dict[str, str]:
    return {
        "AUTH_ID": tokens.access_token,
        "AUTH_EXPIRES": "3600",
        "REFRESH_ID": tokens.refresh_token,
        "member_id": member_id,
        "APPLICATION_TOKEN": app_token,
        "PLACEMENT": "DEFAULT",
    }


def _accrues(app: AppHarness, emulator: Emulator, portal: EmuPortal) -> Decimal:
    """Win a deal on the real portal; what the ledger then holds in total."""
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    with app.db.transaction() as session:
        return Decimal(session.execute(select(func.sum(LedgerEntry.amount))).scalar_one() or 0)


def test_takeover_with_the_attackers_endpoint_and_tokens_changes_nothing(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, emulator_factory: EmulatorFactory
) -> None:
    attacker = emulator_factory(limits_enabled=False)
    theirs = attacker.add_portal(domain="evil.example")
    tokens = attacker.issue_tokens(theirs, CLIENT_ID, 1)
    before = _stored(app)
    api = requests.post(
        app.base_url + "/install",
        data=_api_claim(portal.member_id, attacker.client_endpoint(theirs), tokens, "attackers-token"),
        timeout=10,
    )
    ui = requests.post(
        app.base_url + "/install",
        data=_ui_claim(portal.member_id, tokens, "attackers-token"),
        params={"DOMAIN": attacker.ui_domain(theirs), "PROTOCOL": "0", "LANG": "ru"},
        timeout=10,
    )
    assert api.status_code == 401 and api.json()["error"] == "unauthorized"
    assert ui.status_code == 401 and "text/html" in ui.headers["Content-Type"]
    assert "Установку не удалось подтвердить" in ui.text
    assert app.container.jobs.pending_count() == 0  # nothing enqueued
    assert _stored(app) == before  # tokens, endpoint and application token as they were
    assert _accrues(app, emulator, portal) == Decimal("50.00")  # the real portal's events still count
    assert attacker.stats.http_requests == 0 and attacker.stats.oauth_attempts == 0


def test_a_user_who_is_not_an_administrator_cannot_reinstall(
    app: AppHarness, emulator: Emulator, portal: EmuPortal, emulator_factory: EmulatorFactory
) -> None:
    # Manager (user 2) opened a card tab: genuine tokens of this portal, and its application token.
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 2)
    attacker = emulator_factory(limits_enabled=False)
    theirs = attacker.add_portal(domain="evil.example")
    before = _stored(app)
    answer = requests.post(
        app.base_url + "/install",
        data=_api_claim(portal.member_id, attacker.client_endpoint(theirs), tokens, "managers-token"),
        timeout=10,
    )
    assert answer.status_code == 401
    assert _stored(app) == before and app.container.jobs.pending_count() == 0
    assert attacker.stats.http_requests == 0  # the admin check went to the endpoint the OAuth server named


def test_another_portals_administrator_cannot_claim_this_portal(
    app: AppHarness, emulator: Emulator, portal: EmuPortal
) -> None:
    other = emulator.add_portal(domain="attacker.bitrix24.test")
    tokens = emulator.issue_tokens(other, CLIENT_ID, 1)  # genuine, but for their own portal
    emulator.reset_stats()
    before = _stored(app)
    answer = requests.post(
        app.base_url + "/install",
        data=_api_claim(portal.member_id, emulator.client_endpoint(other), tokens, "theirs"),
        timeout=10,
    )
    assert answer.status_code == 401
    assert _stored(app) == before and app.container.jobs.pending_count() == 0
    assert emulator.stats.per_method["user.admin"] == 0  # refused on member_id, before asking a portal


def test_a_new_portals_install_with_forged_tokens_stores_nothing(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal(lang="en")
    forged = TokenPair("forged-access", "forged-refresh", 3600, 0)
    api = requests.post(
        app.base_url + "/install",
        data=_api_claim(portal.member_id, emulator.client_endpoint(portal), forged, "t"),
        timeout=10,
    )
    ui = requests.post(
        app.base_url + "/install",
        data=_ui_claim(portal.member_id, forged, "t"),
        params={"DOMAIN": emulator.ui_domain(portal), "PROTOCOL": "0", "LANG": "en"},
        timeout=10,
    )
    assert api.status_code == 401 and ui.status_code == 401
    assert "Only a portal administrator can install the application." in ui.text
    assert _stored(app) == {} and app.container.jobs.pending_count() == 0
    assert not portal.types and emulator.stats.http_requests == 0


def test_the_stored_endpoint_and_user_come_from_the_oauth_server(app: AppHarness, emulator: Emulator) -> None:
    portal = emulator.add_portal()
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    claim = _api_claim(portal.member_id, "http://127.0.0.1:9/elsewhere/rest/", tokens, "genuine")
    claim["auth[user_id]"] = "77"
    assert requests.post(app.base_url + "/install", data=claim, timeout=10).status_code == 200
    endpoint, domain, access, refresh, _, status, user_id = _stored(app)[portal.member_id]
    assert endpoint == emulator.client_endpoint(portal) and domain == emulator.ui_domain(portal)
    assert (access, refresh) != (tokens.access_token, tokens.refresh_token)  # the exchanged pair
    assert status == "installing" and user_id == 1


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    return {"install_rate_limit": "3 per minute"}


def test_installs_are_throttled_per_address(app: AppHarness) -> None:
    codes = [
        requests.post(app.base_url + "/install", data={"event": "ONAPPINSTALL"}, timeout=5).status_code
        for _ in range(5)
    ]
    assert codes == [400, 400, 400, 429, 429]


def test_an_install_while_the_oauth_server_is_silent_stores_nothing(
    database: Any, emulator: Emulator
) -> None:
    silent = AppHarness(database.url, oauth_url="http://127.0.0.1:9/oauth/token/")  # nothing listens
    try:
        portal = emulator.add_portal()
        answer = driver.install_api(emulator, portal, CLIENT_ID, silent.base_url + "/install")
        assert answer.status == 503
        assert _stored(silent) == {} and silent.container.jobs.pending_count() == 0
    finally:
        silent.close()


def test_with_redis_the_install_throttle_is_shared_by_every_web_process(database: Any) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    stale = list(client.scan_iter("*bonus-install*"))
    if stale:
        client.delete(*stale)
    overrides = {"redis_url": REDIS_URL, "install_rate_limit": "3 per minute"}
    first = AppHarness(database.url, oauth_url="http://127.0.0.1:9/", overrides=overrides)
    second = AppHarness(database.url, oauth_url="http://127.0.0.1:9/", overrides=overrides)
    try:
        codes = [
            requests.post(web.base_url + "/install", data={"event": "ONAPPINSTALL"}, timeout=5).status_code
            for web in (first, second, first, second)
        ]
        assert codes == [400, 400, 400, 429]
    finally:
        first.close()
        second.close()
        used = list(client.scan_iter("*bonus-install*"))
        if used:
            client.delete(*used)
