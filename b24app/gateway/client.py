"""PortalClient: paced, authenticated calls and explicit batches to one portal."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from b24app.config import Settings
from b24app.db import Database
from b24app.gateway import transport
from b24app.gateway.errors import (
    AUTH_DEAD_CODES,
    TOKEN_EXPIRED_CODES,
    TRANSIENT_CODES,
    CallerRejected,
    PortalCallError,
    PortalUnavailable,
    error_from_response,
    reset_time,
)
from b24app.gateway.pacing import LeakyBucket
from b24app.gateway.phpquery import build_query
from b24app.gateway.tokens import PortalAuth, TokenKeeper
from b24app.models import Portal

log = logging.getLogger(__name__)
BATCH_LIMIT = 50
LIMIT_RETRIES = 3  # a 503 QUERY_LIMIT_EXCEEDED request was not executed, so resending is safe
# OPERATION_TIME_LIMIT before any successful answer told us the reset time: one basket is a
# minute (settings/performance/limits.md), so the oldest drops out within it at the earliest.
UNKNOWN_RESET_WAIT = 60.0


@dataclass(frozen=True)
class Command:
    method: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def encoded(self) -> str:
        query = build_query(self.params)
        return f"{self.method}?{query}" if query else self.method


@dataclass
class BatchResult:
    """Per-command results and errors of one or more batches, keyed by our own labels."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, PortalCallError] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)
    reset_at: float | None = None  # when an OPERATION_TIME_LIMIT inside the batch may lift

    def limited(self) -> PortalUnavailable | None:
        """A limit that refused commands of the batch: those were not executed, the run waits."""
        for label, error in self.errors.items():
            if error.code in TRANSIENT_CODES:
                retry_at = self.reset_at if error.code == "OPERATION_TIME_LIMIT" else None
                return PortalUnavailable(
                    f"{error.method} ({label}): {error.code}", code=error.code, retry_at=retry_at
                )
        return None

    def get(self, label: str) -> Any:
        if label in self.errors:
            raise self.errors[label]
        return self.results.get(label)

    def merge(self, other: BatchResult) -> None:
        self.results.update(other.results)
        self.errors.update(other.errors)
        self.totals.update(other.totals)
        self.reset_at = other.reset_at or self.reset_at


def _as_dict(value: Any) -> dict[str, Any]:
    # The portal serialises empty groups as [] instead of {}.
    return value if isinstance(value, dict) else {}


def _batch_result(commands: Mapping[str, Command], body: dict[str, Any]) -> BatchResult:
    errors = {
        label: PortalCallError(
            str(err.get("error", "")),
            str(err.get("error_description", "")),
            method=commands[label].method,
        )
        for label, err in _as_dict(body.get("result_error")).items()
    }
    totals = {k: int(v) for k, v in _as_dict(body.get("result_total")).items()}
    return BatchResult(_as_dict(body.get("result")), errors, totals)


def _refuses_token(status: int, code: str) -> bool:
    """The portal's "not this token" answers (_includes/system-errors.md): 401s and the auth codes."""
    return status == 401 or code in TOKEN_EXPIRED_CODES or code in AUTH_DEAD_CODES


class PortalClient:
    """Talks to one portal for one job; not shared between threads."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        portal_id: int,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.settings = settings
        self.portal_id = portal_id
        self.tokens = TokenKeeper(db, settings, now)
        self._sleep = sleep
        self._clock = clock
        self._auth: PortalAuth | None = None
        self.bucket = self._load_bucket()
        self.requests_sent = 0
        # When the bucket is full, wait until this many requests fit: a lane that hands its
        # worker back comes back for a few requests, not for each one.
        self.wake_room = 1
        self.operating_reset_at: float | None = None  # of the last successful answer (limits.md)

    def _load_bucket(self) -> LeakyBucket:
        with self.db.transaction() as session:
            portal = session.get_one(Portal, self.portal_id)
            at = portal.bucket_at.timestamp() if portal.bucket_at else self._clock()
            return LeakyBucket(self.settings.portal_rate, self.settings.portal_burst, portal.bucket_level, at)

    def save_bucket(self) -> None:
        """Persist our estimate so the next job on this portal starts from it."""
        with self.db.transaction() as session:
            portal = session.get_one(Portal, self.portal_id)
            portal.bucket_level = self.bucket.level
            portal.bucket_at = datetime.fromtimestamp(self.bucket.at, UTC)

    def room(self) -> int:
        """Requests that fit under the bucket right now (0: a request would have to wait)."""
        return self.bucket.room(self._clock())

    def budget(self, wanted: int | None = None) -> int:
        """Requests that may be sent now (at least one): a step sizes its batches by it.

        With no room, the pacing wait runs first: in a lane it hands the lane back until
        ``wake_room`` requests fit; elsewhere it sleeps. A caller with only ``wanted`` requests
        left, no more than ``wake_room``, comes back for each as soon as it fits: the last one
        goes when the bucket first allows it, not with the others of a clump (whose work would
        fall due together with every other portal's last clump, and each one wait for the rest).
        """
        room = self.bucket.room(self._clock())
        if room == 0:
            tail = wanted is not None and wanted <= self.wake_room
            self._sleep(self.bucket.delay_for(self._clock(), 1 if tail else self.wake_room))
            room = max(1, self.bucket.room(self._clock()))
        return room

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """One REST call; returns ``result`` or raises a PortalError."""
        return self._request(method, dict(params or {}))["result"]

    def call_page(self, method: str, params: Mapping[str, Any]) -> tuple[Any, int | None]:
        """One page of a list method: (result, next start or None)."""
        body = self._request(method, dict(params))
        return body["result"], body.get("next")

    def batch(self, commands: Mapping[str, Command], *, halt: bool = False) -> BatchResult:
        """Send up to 50 commands as one request; each keeps its own result or error."""
        body = self._request("batch", self._batch_body(commands, halt))["result"]
        result = _batch_result(commands, body)
        result.reset_at = self.operating_reset_at or self._clock() + UNKNOWN_RESET_WAIT
        return result

    def batch_as(self, token: str, commands: Mapping[str, Command]) -> BatchResult:
        """A batch sent with a caller's own token (a robot call's ``auth[access_token]``) to the endpoint
        we stored: only that portal can accept it. CallerRejected when it does not (forged, foreign
        or expired: we cannot refresh a token that is not ours)."""
        endpoint = (self._auth or self.tokens.current(self.portal_id)).endpoint
        caller = PortalAuth(self.portal_id, "", endpoint, token, -1)
        body = self._request("batch", self._batch_body(commands, False), caller=caller)["result"]
        return _batch_result(commands, body)

    @staticmethod
    def _batch_body(commands: Mapping[str, Command], halt: bool) -> dict[str, Any]:
        if len(commands) > BATCH_LIMIT:
            raise ValueError(f"a batch holds at most {BATCH_LIMIT} commands, got {len(commands)}")
        encoded = {label: command.encoded() for label, command in commands.items()}
        return {"halt": 1 if halt else 0, "cmd": encoded}

    def batch_all(self, commands: Mapping[str, Command]) -> BatchResult:
        """Any number of independent commands, sent 50 to a request."""
        merged = BatchResult()
        labels = list(commands)
        for start in range(0, len(labels), BATCH_LIMIT):
            chunk = {label: commands[label] for label in labels[start : start + BATCH_LIMIT]}
            merged.merge(self.batch(chunk))
        return merged

    def list_all(self, method: str, params: Mapping[str, Any], items_key: str | None = None) -> Iterator[Any]:
        """Every row of a list method, paging by ``>id`` with ``start=-1`` (no COUNT on the portal)."""
        id_field = "id" if items_key else "ID"
        last_id = 0
        while True:
            filter_ = {**dict(params.get("filter", {})), f">{id_field}": last_id}
            page_params = {**params, "filter": filter_, "order": {id_field: "ASC"}, "start": -1}
            result = self.call(method, page_params)
            rows = result.get(items_key, []) if items_key else result
            yield from rows
            if len(rows) < BATCH_LIMIT:
                return
            last_id = int(rows[-1][id_field])

    def _request(self, method: str, body: dict[str, Any], caller: PortalAuth | None = None) -> dict[str, Any]:
        auth = caller or self._auth or self.tokens.current(self.portal_id)
        if caller is None:
            self._auth = auth
        refreshed = False
        for _ in range(LIMIT_RETRIES + 2):
            answer = self._send(auth, method, body)
            code = str(answer.body.get("error", "")) if "error" in answer.body else ""
            if not code:
                self.operating_reset_at = reset_time(answer.body) or self.operating_reset_at
                return answer.body
            if caller is not None and _refuses_token(answer.status, code):
                raise CallerRejected(code)
            if code in TOKEN_EXPIRED_CODES and not refreshed:
                auth = self._auth = self.tokens.refresh(self.portal_id, auth.generation)
                refreshed = True
                continue
            if code == "QUERY_LIMIT_EXCEEDED":
                self.bucket.saturate(self._clock())
                log.warning("portal.limit_exceeded", extra={"portal_id": self.portal_id, "method": method})
                continue
            reset_at = self.operating_reset_at or self._clock() + UNKNOWN_RESET_WAIT
            raise error_from_response(answer.status, answer.body, method, reset_at)
        raise PortalUnavailable(
            f"{method}: still limited after {LIMIT_RETRIES} waits", code="QUERY_LIMIT_EXCEEDED"
        )

    def _send(self, auth: PortalAuth, method: str, body: dict[str, Any]) -> transport.RawResponse:
        if self.bucket.delay(self._clock()) > 0:
            self._sleep(self.bucket.delay_for(self._clock(), self.wake_room))
        self.bucket.record(self._clock())
        self.requests_sent += 1
        return transport.post(auth.endpoint, method, body, auth.access_token, self.settings.portal_timeout)
