"""Typed failures of portal calls, split by what the caller should do about them."""

from __future__ import annotations


class PortalError(Exception):
    """Base class: something went wrong talking to a portal."""

    retryable = False


class PortalUnavailable(PortalError):
    """Transient: 5xx, 503 limits, 429, timeouts, lost connections. Retry later with backoff."""

    retryable = True

    def __init__(
        self, message: str, *, status: int | None = None, code: str = "", retry_at: float | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_at = retry_at  # unix time before which retrying is pointless (OPERATION_TIME_LIMIT)


class PortalGone(PortalError):
    """The portal answers ``PORTAL_DELETED`` (HTTP 500, _includes/system-errors.md): it is deleted or
    closed. Retrying cannot help; the lane stops and the portal is marked until it is installed again."""

    def __init__(self, message: str, *, code: str = "PORTAL_DELETED") -> None:
        super().__init__(message)
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
AUTH_DEAD_CODES = frozenset({"invalid_token", "NO_AUTH_FOUND", "ERROR_OAUTH", "APPLICATION_NOT_FOUND"})
GONE_CODES = frozenset({"PORTAL_DELETED"})


def reset_time(body: dict[str, object]) -> float | None:
    """``operating_reset_at`` of an answer (in ``time``, or beside the error), as unix seconds."""
    timing = body.get("time")
    value = body.get("operating_reset_at")
    if value is None and isinstance(timing, dict):
        value = timing.get("operating_reset_at")
    try:
        return float(str(value)) if value is not None else None
    except ValueError:  # some samples show an ISO date; the wait then falls back to the backoff
        return None


def error_from_response(
    status: int, body: dict[str, object], method: str, reset_at: float | None = None
) -> PortalError:
    """Map an HTTP status and a Bitrix24 error body to the right exception.

    The code is read before the status: ``PORTAL_DELETED`` comes with HTTP 500 but means the
    portal is gone, not down. ``OPERATION_TIME_LIMIT`` waits until ``operating_reset_at`` — of this
    answer or, as settings/performance/limits.md says, of the last successful one (``reset_at``).
    """
    code = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if code in GONE_CODES:
        return PortalGone(f"{method}: {code}: {description}", code=code)
    if code == "OPERATION_TIME_LIMIT":
        retry_at = reset_time(body) or reset_at
        return PortalUnavailable(
            f"{method}: HTTP {status} {code}", status=status, code=code, retry_at=retry_at
        )
    if status >= 500 or status == 429 or code in TRANSIENT_CODES:
        return PortalUnavailable(f"{method}: HTTP {status} {code}", status=status, code=code)
    if code in AUTH_DEAD_CODES:
        return AuthRevoked(f"{method}: {code}", code=code)
    return PortalCallError(code, description, status=status, method=method)
