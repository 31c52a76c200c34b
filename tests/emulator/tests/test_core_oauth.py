"""The OAuth server: refresh with rotation, its error codes, expiry on REST, the full-flow code grant."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.pytest_plugin import CLIENT_ID, CLIENT_SECRET
from tests.emulator.server import Emulator


def _refresh(emu: Emulator, refresh_token: str, **override: str) -> requests.Response:
    params = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": refresh_token,
        **override,
    }
    return requests.get(emu.oauth_url(), params=params, timeout=5)


def test_refresh_answers_the_documented_shape(emulator: Emulator) -> None:
    portal = emulator.add_portal(member_id="a223c6b3710f85df22e9377d6c4f7553", domain="acme.bitrix24.test")
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 67)
    answer = _refresh(emulator, tokens.refresh_token)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {
        "access_token",
        "client_endpoint",
        "domain",
        "expires",
        "expires_in",
        "member_id",
        "refresh_token",
        "scope",
        "server_endpoint",
        "status",
        "user_id",
    }
    assert body["client_endpoint"] == emulator.rest_base(portal)
    assert body["domain"] == "oauth.bitrix.info" and body["status"] == "L" and body["user_id"] == 67
    assert body["member_id"] == portal.member_id and body["expires_in"] == 3600
    assert abs(body["expires"] - (emulator.now() + 3600)) < 5
    assert body["server_endpoint"] == emulator.oauth_rest_url() and "crm" in body["scope"].split(",")
    assert len(body["access_token"]) == 32 and body["refresh_token"] != tokens.refresh_token
    url = emulator.rest_base(portal) + "test.echo"
    who = requests.post(url, json={"auth": body["access_token"]}, timeout=5)
    assert who.json()["result"]["user_id"] == 67
    assert emulator.stats.oauth_refreshes == 1 and emulator.stats.oauth_attempts == 1


def test_rotation_kills_the_old_refresh_token(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    fresh = _refresh(emulator, tokens.refresh_token).json()
    again = _refresh(emulator, tokens.refresh_token)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert tokens.refresh_token not in emulator.refresh
    assert _refresh(emulator, fresh["refresh_token"]).status_code == 200
    assert emulator.stats.oauth_attempts == 3 and emulator.stats.oauth_refreshes == 2


def test_unknown_refresh_token_is_invalid_grant(emulator: Emulator) -> None:
    emulator.add_portal()
    answer = _refresh(emulator, "x" * 32)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert set(answer.json()) == {"error", "error_description"}


def test_wrong_client_is_invalid_client(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    for override in ({"client_secret": "wrong"}, {"client_id": "local.other.app"}):
        answer = _refresh(emulator, tokens.refresh_token, **override)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    assert _refresh(emulator, tokens.refresh_token).status_code == 200  # still unused


def test_another_apps_refresh_token_is_invalid_grant(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    emulator.register_app("local.other.app", "other-secret")
    theirs = emulator.issue_tokens(portal, "local.other.app", 1)
    answer = _refresh(emulator, theirs.refresh_token)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_missing_parameters_are_invalid_request(emulator: Emulator) -> None:
    for params in ({"grant_type": "refresh_token", "client_id": CLIENT_ID}, {}, {"grant_type": "password"}):
        answer = requests.get(emulator.oauth_url(), params=params, timeout=5)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_expired_access_token_then_refresh_then_success(emulator_factory: Any) -> None:
    emu: Emulator = emulator_factory(limits_enabled=False, manual_clock=True, token_lifetime=60)
    portal = emu.add_portal()
    tokens = emu.issue_tokens(portal, CLIENT_ID, 1)
    url = emu.rest_base(portal) + "test.echo"
    assert requests.post(url, json={"auth": tokens.access_token}, timeout=5).status_code == 200
    emu.clock.advance(61)
    expired = requests.post(url, json={"auth": tokens.access_token}, timeout=5)
    assert expired.status_code == 401
    assert expired.json() == {
        "error": "expired_token",
        "error_description": "The access token provided has expired.",
    }
    fresh = _refresh(emu, tokens.refresh_token).json()
    assert fresh["expires_in"] == 60
    assert requests.post(url, json={"auth": fresh["access_token"]}, timeout=5).status_code == 200


def test_refresh_token_dies_after_180_days(emulator_factory: Any) -> None:
    emu: Emulator = emulator_factory(limits_enabled=False, manual_clock=True)
    portal = emu.add_portal()
    tokens = emu.issue_tokens(portal, CLIENT_ID, 1)
    emu.clock.advance(180 * 86400 + 1)
    assert _refresh(emu, tokens.refresh_token).json()["error"] == "invalid_grant"


def test_revoked_tokens_cannot_refresh(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    emulator.revoke_tokens(portal)
    assert _refresh(emulator, tokens.refresh_token).json()["error"] == "invalid_grant"


def test_authorization_code_grant_once(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    code = emulator.issue_auth_code(portal, CLIENT_ID, 3)
    params = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    first = requests.get(emulator.oauth_url(), params={**params, "code": code}, timeout=5)
    assert first.status_code == 200 and first.json()["user_id"] == 3
    second = requests.get(emulator.oauth_url(), params={**params, "code": code}, timeout=5)
    assert second.json()["error"] == "invalid_grant"


def test_oauth_server_rest_answers_app_info_only(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    token = emulator.issue_tokens(portal, CLIENT_ID, 1).access_token
    other = requests.get(emulator.oauth_rest_url() + "test.echo", params={"auth": token}, timeout=5)
    assert other.status_code == 404 and other.json()["error"] == "ERROR_METHOD_NOT_FOUND"
    anonymous = requests.get(emulator.oauth_rest_url() + "app.info", params={"auth": "nope"}, timeout=5)
    assert anonymous.status_code == 401
