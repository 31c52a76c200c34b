"""REST transport: auth placements, URL forms, parameter encodings, envelopes, error shapes."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.emulator.pytest_plugin import CLIENT_ID
from tests.emulator.server import Emulator

TIME_KEYS = {
    "start",
    "finish",
    "duration",
    "processing",
    "date_start",
    "date_finish",
    "operating_reset_at",
    "operating",
}


def _setup(emu: Emulator) -> tuple[Any, str, str]:
    portal = emu.add_portal(domain="acme.bitrix24.test")
    token = emu.issue_tokens(portal, CLIENT_ID, 1).access_token
    return portal, emu.rest_base(portal), token


def test_rest_base_is_a_path_prefix_named_after_the_domain(emulator: Emulator) -> None:
    portal, base, _ = _setup(emulator)
    assert base == f"{emulator.base_url}/acme.bitrix24.test/rest/"
    assert emulator.client_endpoint(portal) == base
    assert emulator.oauth_url() == f"{emulator.base_url}/oauth/token/"


@pytest.mark.parametrize("where", ["json", "form", "query"])
def test_oauth_auth_in_json_form_or_query(emulator: Emulator, where: str) -> None:
    _, base, token = _setup(emulator)
    if where == "json":
        answer = requests.post(base + "test.echo", json={"auth": token, "x": 1}, timeout=5)
    elif where == "form":
        answer = requests.post(base + "test.echo", data={"auth": token, "x": "1"}, timeout=5)
    else:
        answer = requests.post(base + "test.echo", params={"auth": token, "x": "1"}, timeout=5)
    assert answer.status_code == 200, answer.text
    result = answer.json()["result"]
    assert result["auth_kind"] == "oauth" and result["client_id"] == CLIENT_ID and result["user_id"] == 1
    assert str(result["params"]["x"]) == "1" and "auth" not in result["params"]
    assert set(answer.json()["time"]) == TIME_KEYS


def test_webhook_path_json_suffix_and_case_insensitive_names(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    hook = emulator.add_webhook(portal, user_id=7)
    assert hook.startswith(emulator.rest_base(portal) + "7/")
    for name in ("test.echo", "TEST.Echo", "test.echo.json", "Test.Echo.JSON"):
        answer = requests.post(hook + name, json={"a": "b"}, timeout=5)
        assert answer.status_code == 200, (name, answer.text)
        result = answer.json()["result"]
        assert result["auth_kind"] == "webhook" and result["user_id"] == 7 and result["method"] == "test.echo"
        assert result["client_id"] is None


def test_get_requests_are_accepted_too(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    answer = requests.get(emulator.add_webhook(portal) + "test.echo", params={"a": "1"}, timeout=5)
    assert answer.json()["result"]["params"] == {"a": "1"}


def test_php_style_form_keys_are_unflattened(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    form = [
        ("fields[TITLE]", "Deal & co"),
        ("fields[UF][0]", "a"),
        ("fields[UF][1]", "b"),
        ("filter[>ID]", "5"),
        ("filter[0][logic]", "OR"),
        ("select[]", "ID"),
        ("select[]", "TITLE"),
    ]
    answer = requests.post(emulator.add_webhook(portal) + "test.echo", data=form, timeout=5)
    assert answer.json()["result"]["params"] == {
        "fields": {"TITLE": "Deal & co", "UF": ["a", "b"]},
        "filter": {">ID": "5", "0": {"logic": "OR"}},
        "select": ["ID", "TITLE"],
    }


def test_bare_rest_prefix_routes_by_credential(emulator: Emulator) -> None:
    first, _, token = _setup(emulator)
    second = emulator.add_portal(domain="other.bitrix24.test")
    other_token = emulator.issue_tokens(second, CLIENT_ID, 2).access_token
    bare = f"{emulator.base_url}/rest/"
    assert (
        requests.post(bare + "test.echo", json={"auth": token}, timeout=5).json()["result"]["member_id"]
        == first.member_id
    )
    result = requests.post(bare + "test.echo", json={"auth": other_token}, timeout=5).json()["result"]
    assert result["member_id"] == second.member_id and result["user_id"] == 2
    hook = emulator.add_webhook(second, 3).replace(emulator.rest_base(second), bare)
    assert requests.post(hook + "test.echo", timeout=5).json()["result"]["member_id"] == second.member_id
    anonymous = requests.post(bare + "test.echo", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "NO_AUTH_FOUND"


def test_a_token_works_only_on_its_own_portal(emulator: Emulator) -> None:
    _, _, token = _setup(emulator)
    other = emulator.add_portal()
    answer = requests.post(emulator.rest_base(other) + "test.echo", json={"auth": token}, timeout=5)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"


def test_unknown_portal_domain_is_404(emulator: Emulator) -> None:
    _setup(emulator)
    answer = requests.post(f"{emulator.base_url}/nowhere.bitrix24.test/rest/test.echo", timeout=5)
    assert answer.status_code == 404 and answer.json()["error"] == "NOT_FOUND"


def test_renamed_portal_answers_302_from_its_old_domain(emulator: Emulator) -> None:
    portal, old_base, token = _setup(emulator)
    portal.domain = "renamed.bitrix24.test"
    answer = requests.post(old_base + "test.echo?x=1", json={"auth": token}, timeout=5, allow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"{emulator.base_url}/renamed.bitrix24.test/rest/test.echo?x=1"


@pytest.mark.parametrize(
    ("auth", "status", "code"),
    [
        (None, 401, "NO_AUTH_FOUND"),
        ("not-a-token", 401, "NO_AUTH_FOUND"),
    ],
)
def test_missing_or_unknown_token(emulator: Emulator, auth: str | None, status: int, code: str) -> None:
    _, base, _ = _setup(emulator)
    body = {} if auth is None else {"auth": auth}
    answer = requests.post(base + "test.echo", json=body, timeout=5)
    assert answer.status_code == status
    assert answer.json() == {"error": code, "error_description": "Wrong authorization data"}


def test_bad_webhook_secret_or_user_is_no_auth_found(emulator: Emulator) -> None:
    portal, base, _ = _setup(emulator)
    hook = emulator.add_webhook(portal, 1)
    secret = hook.rstrip("/").rsplit("/", 1)[1]
    for url in (base + "1/wrongsecret/test.echo", base + f"2/{secret}/test.echo"):
        answer = requests.post(url, timeout=5)
        assert answer.status_code == 401 and answer.json()["error"] == "NO_AUTH_FOUND"


def test_expired_and_revoked_tokens(emulator: Emulator) -> None:
    portal, base, token = _setup(emulator)
    emulator.expire_access_tokens(portal)
    expired = requests.post(base + "test.echo", json={"auth": token}, timeout=5)
    assert expired.status_code == 401 and expired.json()["error"] == "expired_token"
    fresh = emulator.issue_tokens(portal, CLIENT_ID, 1).access_token
    emulator.revoke_tokens(portal, CLIENT_ID)
    revoked = requests.post(base + "test.echo", json={"auth": fresh}, timeout=5)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"


def test_unknown_method_is_404_never_a_fake_success(emulator: Emulator) -> None:
    portal, base, token = _setup(emulator)
    for url, body in (
        (base + "crm.no.such.method", {"auth": token}),
        (emulator.add_webhook(portal) + "crm.no.such.method", {}),
        (emulator.add_webhook(portal), {}),
    ):
        answer = requests.post(url, json=body, timeout=5)
        assert answer.status_code == 404
        assert answer.json() == {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"}


def test_app_only_methods_refuse_webhooks(emulator: Emulator) -> None:
    portal, base, token = _setup(emulator)
    hook = emulator.add_webhook(portal)
    for name, code in (("test.app_only", "ACCESS_DENIED"), ("test.app_only_wrong", "WRONG_AUTH_TYPE")):
        refused = requests.post(hook + name, timeout=5)
        assert refused.status_code == 403
        assert refused.json() == {"error": code, "error_description": "Application context required"}
        assert requests.post(base + name, json={"auth": token}, timeout=5).json()["result"] is True


def test_handler_errors_keep_status_code_and_extra_keys(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    hook = emulator.add_webhook(portal)
    body = {"code": "", "text": "Not found.", "status": 400}
    answer = requests.post(hook + "test.fail", json=body, timeout=5)
    assert answer.status_code == 400
    assert answer.json() == {"error": "", "error_description": "Not found.", "argument": "x"}
    answer = requests.post(hook + "test.fail", json={"code": "INVALID_ARG_VALUE", "status": 400}, timeout=5)
    assert answer.json()["error"] == "INVALID_ARG_VALUE"


def test_a_crash_is_500_and_recorded_loudly(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    answer = requests.post(emulator.add_webhook(portal) + "test.crash", timeout=5)
    assert answer.status_code == 500 and answer.json()["error"] == "INTERNAL_SERVER_ERROR"
    assert "boom" in answer.json()["error_description"]
    assert len(emulator.internal_errors) == 1 and "RuntimeError: boom" in emulator.internal_errors[0]
    assert emulator.stats.internal_errors == 1
    emulator.internal_errors.clear()  # expected here; the fixture fails a test that leaves any behind


def test_malformed_json_body_is_400(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    answer = requests.post(
        emulator.add_webhook(portal) + "test.echo",
        data="{not json",
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400 and answer.json()["error"] == "INVALID_REQUEST"


def test_list_envelope_has_total_and_next_only_when_set(emulator: Emulator) -> None:
    portal, _, _ = _setup(emulator)
    hook = emulator.add_webhook(portal)
    first = requests.post(hook + "test.list", json={"count": 120}, timeout=5).json()
    assert len(first["result"]) == 50 and first["total"] == 120 and first["next"] == 50
    last = requests.post(hook + "test.list", json={"count": 120, "start": 100}, timeout=5).json()
    assert len(last["result"]) == 20 and last["total"] == 120 and "next" not in last
    fast = requests.post(hook + "test.list", json={"count": 120, "start": -1}, timeout=5).json()
    assert "total" not in fast and "next" not in fast and set(fast) == {"result", "time"}


def test_time_block_uses_the_emulated_clock(emulator_factory: Any) -> None:
    emu: Emulator = emulator_factory(limits_enabled=False, manual_clock=True)
    portal = emu.add_portal()
    hook = emu.add_webhook(portal)
    emu.clock.advance(86400)
    timing = requests.post(hook + "test.echo", timeout=5).json()["time"]
    assert timing["start"] == pytest.approx(emu.now()) and timing["duration"] == 0
    assert timing["date_start"].endswith("+00:00") and timing["operating"] == pytest.approx(0.01)
