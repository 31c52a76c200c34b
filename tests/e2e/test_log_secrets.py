"""Even at DEBUG, with every library's logger at DEBUG too, our log handler lets no secret through."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import requests

from b24app.logs import build_handler
from tests.emulator import driver
from tests.emulator.protocol import TokenPair
from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator
from tests.harness import AppHarness

LIBRARIES = ("urllib3", "requests", "fast_bitrix24", "aiohttp", "werkzeug", "huey", "asyncio")
SECRET_FIELDS = ("AUTH_ID", "REFRESH_ID", "APPLICATION_TOKEN", "auth[access_token]", "auth[refresh_token]")


@pytest.fixture
def debug_log(app: AppHarness) -> Iterator[io.StringIO]:
    """Our handler on the root logger, everything at DEBUG, captured in a buffer."""
    buffer = io.StringIO()
    handler = build_handler(app.container.settings, buffer)
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in LIBRARIES)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield buffer
    logging.getLogger().removeHandler(handler)
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.fixture
def issued(emulator: Emulator) -> list[TokenPair]:
    """Every token pair the emulator hands out (redeemed refresh tokens leave its store)."""
    pairs: list[TokenPair] = []
    issue = emulator.tokens.issue

    def recording(member_id: str, client_id: str, user_id: int) -> TokenPair:
        pairs.append(issue(member_id, client_id, user_id))
        return pairs[-1]

    emulator.tokens.issue = recording  # type: ignore[method-assign]
    return pairs


def test_a_debug_run_logs_no_token_and_no_client_secret(
    app: AppHarness, emulator: Emulator, debug_log: io.StringIO, issued: list[TokenPair]
) -> None:
    portal = emulator.add_portal(lang="ru")
    page = driver.install_ui(emulator, portal, CLIENT_ID, app.base_url + "/install")
    assert page.status == 200
    app.drain()
    driver.install_finish(emulator, portal, CLIENT_ID)
    company = driver.create_company(emulator, portal, TITLE="ACME")
    driver.create_deal(emulator, portal, TITLE="d", OPPORTUNITY="1000", COMPANY_ID=company, STAGE_ID="WON")
    app.drain()
    emulator.expire_access_tokens(portal)  # the lane refreshes: an OAuth GET with the secret in its URL
    run, _ = driver.start_robot(
        emulator,
        portal,
        CLIENT_ID,
        "bonus_writeoff",
        ["crm", "CCrmDocumentCompany", f"COMPANY_{company}"],
        {"amount": "5"},
    )
    app.drain()
    assert run.answered
    assert driver.open_placement(emulator, portal, CLIENT_ID, "CRM_COMPANY_DETAIL_TAB", company).status == 200
    forged = {"event": "ONAPPINSTALL", "auth[member_id]": portal.member_id, "auth[refresh_token]": "r" * 32}
    requests.post(app.base_url + "/install", data={**forged, "auth[application_token]": "x" * 32}, timeout=10)
    driver.uninstall(emulator, portal, CLIENT_ID, clean=True)
    app.drain()

    logs = debug_log.getvalue()
    assert "/oauth/token/?grant_type=refresh_token" in logs  # urllib3 did log the OAuth URL...
    assert "client_secret=***" in logs and "refresh_token=***" in logs  # ...redacted
    presented = {value for d in emulator.deliveries for key, value in d.form if key in SECRET_FIELDS}
    secrets = {CLIENT_SECRET, "r" * 32, "x" * 32, *presented}
    secrets |= {token for pair in issued for token in (pair.access_token, pair.refresh_token)}
    assert len(issued) >= 6
    leaked = sorted(secret for secret in secrets if secret in logs)
    assert leaked == []
