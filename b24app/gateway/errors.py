"""Typed failures of portal calls, split by what the caller should do about them."""

from __future__ import annotations


class PortalError(Exception):
    """Base class: something went wrong talking to a portal."""

    retryable = False


class PortalUnavailable(PortalError):
    """Transient: 5xx, 503 limits, 429, timeouts, lost connections. Retry later with backoff."""

    retryable = True

    def __init__(self, message: str, *, status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class AuthRevoked(PortalError):
    """The portal's refresh token is dead (or the app is gone): a person must reinstall.

    Jobs treat it as retryable later so nothing is lost if the admin fixes the install.
    ``code`` is the portal's or the OAuth server's error code ("" when we already knew the
    tokens were dead and asked nobody).
    """

    retryable = True

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class CallerRejected(PortalError):
    """The portal refused a caller's own token (a robot's ``auth[access_token]``, a frame's
    ``AUTH_ID``): the call did not come from that portal's user, or came too late."""

    def __init__(self, code: str) -> None:
        super().__init__(f"caller token rejected: {code}")
        self.code = code


class PortalCallError(PortalError):
    """The portal answered with an error for this call (bad arguments, access denied...)."""

    def __init__(self, code: str, description: str, *, status: int | None = None, method: str = "") -> None:
        super().__init__(f"{method}: {code}: {description}" if method else f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.method = method


TRANSIENT_CODES = frozenset(
    {"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT", "INTERNAL_SERVER_ERROR", "OVERLOAD_LIMIT"}
)
TOKEN_EXPIRED_CODES = frozenset({"expired_token"})
# Answers to a call whose token the portal does not accept (_includes/system-errors.md; invalid_token
# is b24pysdk's "Unable to get application by token").
AUTH_DEAD_CODES = frozenset(
    {"invalid_token", "NO_AUTH_FOUND", "ERROR_OAUTH", "APPLICATION_NOT_FOUND", "PORTAL_DELETED"}
)


def error_from_response(status: int, body: dict[str, object], method: str) -> PortalError:
    """Map an HTTP status and a Bitrix24 error body to the right exception."""
    code = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if status >= 500 or status == 429 or code in TRANSIENT_CODES:
        return PortalUnavailable(f"{method}: HTTP {status} {code}", status=status, code=code)
    if code in AUTH_DEAD_CODES:
        return AuthRevoked(f"{method}: {code}", code=code)
    return PortalCallError(code, description, status=status, method=method)
