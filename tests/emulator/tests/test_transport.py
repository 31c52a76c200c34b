"""Transport, errors, batch and limits, checked against the documented examples over real HTTP."""

from __future__ import annotations

import requests

from tests.emulator.portal import Portal
from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator


def _oauth(emu: Emulator) -> tuple[Portal, str]:
    portal = emu.add_portal(domain="acme.bitrix24.test")
    emu.app_install(portal, CLIENT_ID).installed = True
    return portal, emu.issue_tokens(portal, CLIENT_ID, 1).access_token


def test_auth_in_json_form_or_query_and_json_suffix(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    base = emulator.rest_base(portal)
    by_json = requests.post(base + "profile", json={"auth": token}, timeout=5).json()
    by_form = requests.post(base + "profile.json", data={"auth": token}, timeout=5).json()
    by_query = requests.post(base + "PROFILE", params={"auth": token}, timeout=5).json()
    assert by_json["result"]["ID"] == by_form["result"]["ID"] == by_query["result"]["ID"] == "1"
    assert {"start", "finish", "duration", "operating", "operating_reset_at"} <= set(by_json["time"])


def test_error_shapes_and_statuses(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    base = emulator.rest_base(portal)
    missing = requests.post(base + "no.such.method", json={"auth": token}, timeout=5)
    assert missing.status_code == 404 and missing.json()["error"] == "ERROR_METHOD_NOT_FOUND"
    bad = requests.post(base + "profile", json={"auth": "nope"}, timeout=5)
    assert bad.status_code == 401 and bad.json()["error"] == "NO_AUTH_FOUND"
    emulator.expire_access_tokens(portal)
    expired = requests.post(base + "profile", json={"auth": token}, timeout=5)
    assert expired.status_code == 401 and expired.json()["error"] == "expired_token"


def test_webhook_refused_for_application_methods(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    hook = emulator.add_webhook(portal)
    assert requests.post(hook + "profile", timeout=5).json()["result"]["ID"] == "1"
    refused = requests.post(
        hook + "event.bind", json={"event": "ONCRMDEALADD", "handler": "http://x/"}, timeout=5
    )
    assert refused.status_code == 403 and refused.json()["error"] == "ACCESS_DENIED"
    placement = requests.post(hook + "placement.bind", json={}, timeout=5)
    assert placement.status_code == 403 and placement.json()["error"] == "WRONG_AUTH_TYPE"
    wrong = requests.post(hook.replace(hook.split("/")[-2], "bad") + "profile", timeout=5)
    assert wrong.status_code == 401


def test_batch_references_errors_and_empty_groups(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    cmd = {
        "c": "crm.contact.add?fields[NAME]=Ann",
        "get": "crm.contact.get?id=$result[c]",
        "deal": "crm.deal.add?fields[TITLE]=for%20$result[get][NAME]&fields[CONTACT_ID]=$result[c]",
        "bad": "crm.contact.get?id=999999",
    }
    body = requests.post(
        emulator.rest_base(portal) + "batch", json={"auth": token, "halt": 0, "cmd": cmd}, timeout=5
    ).json()["result"]
    assert body["result"]["get"]["NAME"] == "Ann"
    deal = portal.deals[int(body["result"]["deal"])]
    assert deal["TITLE"] == "for Ann" and str(deal["CONTACT_ID"]) == str(body["result"]["c"])
    assert body["result_error"]["bad"]["error_description"] == "Not found."
    assert body["result_total"] == [] and body["result_next"] == []
    halted = requests.post(
        emulator.rest_base(portal) + "batch",
        json={"auth": token, "halt": 1, "cmd": {"a": "crm.contact.get?id=0", "b": "profile"}},
        timeout=5,
    ).json()["result"]
    assert "b" not in halted["result"]


def test_batch_over_fifty_is_refused(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    cmd = {f"c{i}": "profile" for i in range(51)}
    answer = requests.post(emulator.rest_base(portal) + "batch", json={"auth": token, "cmd": cmd}, timeout=5)
    assert answer.status_code == 400 and answer.json()["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"


def test_leaky_bucket_arithmetic(limited_emulator: Emulator) -> None:
    emu = limited_emulator
    portal, token = _oauth(emu)
    url = emu.rest_base(portal) + "profile"
    codes = [requests.post(url, json={"auth": token}, timeout=5).status_code for _ in range(51)]
    assert codes[:50] == [200] * 50
    assert codes[50] == 503
    emu.clock.advance(1.0)
    after = [requests.post(url, json={"auth": token}, timeout=5).status_code for _ in range(3)]
    assert after == [200, 200, 503]
    assert emu.stats.limit_503 == 2


def test_pagination_and_start_minus_one(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    cmd = {f"c{i}": f"crm.contact.add?fields[NAME]=n{i}" for i in range(50)}
    url = emulator.rest_base(portal)
    requests.post(url + "batch", json={"auth": token, "cmd": cmd}, timeout=5)
    requests.post(url + "batch", json={"auth": token, "cmd": dict(list(cmd.items())[:20])}, timeout=5)
    first = requests.post(url + "crm.contact.list", json={"auth": token}, timeout=5).json()
    assert first["total"] == 70 and first["next"] == 50 and len(first["result"]) == 50
    second = requests.post(url + "crm.contact.list", json={"auth": token, "start": 50}, timeout=5).json()
    assert len(second["result"]) == 20 and "next" not in second
    fast = requests.post(
        url + "crm.contact.list", json={"auth": token, "start": -1, "filter": {">ID": 60}}, timeout=5
    ).json()
    assert "total" not in fast and all(int(r["ID"]) > 60 for r in fast["result"])


def test_oauth_rotation(emulator: Emulator) -> None:
    portal = emulator.add_portal()
    tokens = emulator.issue_tokens(portal, CLIENT_ID, 1)
    params = {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": "test-secret",
        "refresh_token": tokens.refresh_token,
    }
    fresh = requests.get(emulator.oauth_url(), params=params, timeout=5).json()
    assert fresh["refresh_token"] != tokens.refresh_token and fresh["member_id"] == portal.member_id
    again = requests.get(emulator.oauth_url(), params=params, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    wrong = requests.get(emulator.oauth_url(), params={**params, "client_secret": "x"}, timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_faults_fail_and_lose_response(emulator: Emulator) -> None:
    portal, token = _oauth(emulator)
    url = emulator.rest_base(portal)
    emulator.faults.fail_next(1, status=503, code="INTERNAL_SERVER_ERROR")
    assert requests.post(url + "profile", json={"auth": token}, timeout=5).status_code == 503
    emulator.faults.lose_response_next(1)
    lost = requests.post(url + "crm.contact.add", json={"auth": token, "fields": {"NAME": "x"}}, timeout=5)
    assert lost.status_code == 502 and len(portal.contacts) == 1  # the write happened anyway
