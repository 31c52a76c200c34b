"""Who holds a token: ``user.current`` and ``user.admin`` asked of the portal with that very token.

The web process calls this where a person waits for an answer that depends on who they are
(installing, opening a frame): one batch request, a short deadline, no retries. The endpoint is
always one we learned from the OAuth server, never one named by the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from b24app.gateway import transport
from b24app.gateway.errors import CallerRejected, PortalCallError, PortalUnavailable, error_from_response

# api-reference/user/user-current.md, api-reference/common/users/user-admin.md
WHO_AM_I = {"user": "user.current", "admin": "user.admin"}


@dataclass(frozen=True)
class Identity:
    """The portal's word on a token's user."""

    user_id: int
    is_admin: bool
    name: str
    time_zone: str = ""  # the user's TIME_ZONE (api-reference/user/user-get.md); "" = the portal's default


def _results(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    outer = body.get("result")
    outer = outer if isinstance(outer, dict) else {}
    results, errors = outer.get("result"), outer.get("result_error")
    return (results if isinstance(results, dict) else {}), (errors if isinstance(errors, dict) else {})


def _identity(body: dict[str, Any]) -> Identity:
    results, errors = _results(body)
    user = results.get("user")
    user_id = str(user.get("ID", "")) if isinstance(user, dict) else ""
    if not (user_id.isascii() and user_id.isdigit()) or len(user_id) > 9:
        failed = errors.get("user")
        raise CallerRejected(str(failed.get("error") if isinstance(failed, dict) else "no user"))
    assert isinstance(user, dict)
    name = " ".join(str(user.get(k) or "") for k in ("NAME", "LAST_NAME")).strip()
    zone = str(user.get("TIME_ZONE") or "")[:64]
    return Identity(int(user_id), results.get("admin") is True, name, zone)


def identify(endpoint: str, token: str, deadline: float) -> Identity:
    """Ask the portal at ``endpoint`` who ``token`` belongs to and whether they administer it.

    CallerRejected when the portal refuses the token (401/403: unknown, foreign, expired, or a
    user the app is closed to); PortalUnavailable when it cannot answer in time.
    """
    answer = transport.post(endpoint, "batch", {"halt": 0, "cmd": WHO_AM_I}, token, deadline)
    if "error" in answer.body:
        if answer.status in (401, 403):
            raise CallerRejected(str(answer.body.get("error")))
        failure = error_from_response(answer.status, answer.body, "batch")
        if isinstance(failure, PortalCallError | PortalUnavailable):
            raise failure
        raise CallerRejected(str(answer.body.get("error")))
    return _identity(answer.body)
