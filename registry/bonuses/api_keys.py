"""API keys of a portal: made (the secret shown once, only its SHA-256 kept), listed, revoked, and
found again from a ``Bearer`` token. A key carries scopes: read, spend, events, program."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry.bonuses.api_models import ApiKey

TOKEN_PREFIX = "bk_"
TOUCH_EVERY = timedelta(minutes=1)  # last use is written at most this often (not a write per request)
MAX_TOKEN = 128


class Scope(StrEnum):
    READ = "read"  # balances, movements, preview
    SPEND = "spend"
    EVENTS = "events"
    PROGRAM = "program"  # read and replace the program document


ALL_SCOPES = tuple(Scope)


class KeyProblem(ValueError):
    """A key that cannot be made or revoked as asked (the message says why)."""


@dataclass(frozen=True)
class Caller:
    """Who an API request comes from: the portal and the key."""

    portal_id: int
    key_id: int
    name: str
    scopes: frozenset[str]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    """``read,spend`` → the scopes, each known; ``all`` is every scope."""
    if text.strip() == "all":
        return tuple(str(s) for s in ALL_SCOPES)
    asked = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [s for s in asked if s not in {str(x) for x in ALL_SCOPES}]
    if unknown or not asked:
        raise KeyProblem(f"scopes must be some of {', '.join(ALL_SCOPES)} (or all), not {text!r}")
    return tuple(sorted(set(asked)))


def create(
    session: Session, portal_id: int, name: str, scopes: tuple[str, ...], actor: str, now: datetime
) -> tuple[str, dict[str, Any]]:
    """A new key: its secret (to show once) and its description."""
    name = name.strip()
    if not name or len(name) > 64:
        raise KeyProblem("name must be 1 to 64 characters")
    taken = session.execute(
        select(ApiKey.id).where(ApiKey.portal_id == portal_id, ApiKey.name == name)
    ).scalar_one_or_none()
    if taken is not None:
        raise KeyProblem(f"a key named {name!r} exists (revoked keys keep their name)")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        portal_id=portal_id,
        name=name,
        prefix=token[:10],
        key_hash=digest(token),
        scopes=",".join(scopes),
        created_by=actor[:64],
        created_at=now,
    )
    session.add(key)
    session.flush()
    return token, describe(key)


def describe(key: ApiKey) -> dict[str, Any]:
    return {
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes.split(","),
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


def listing(session: Session, portal_id: int) -> list[dict[str, Any]]:
    keys = session.execute(select(ApiKey).where(ApiKey.portal_id == portal_id).order_by(ApiKey.id)).scalars()
    return [describe(k) for k in keys]


def revoke(session: Session, portal_id: int, name: str, now: datetime) -> dict[str, Any]:
    key = session.execute(
        select(ApiKey).where(ApiKey.portal_id == portal_id, ApiKey.name == name)
    ).scalar_one_or_none()
    if key is None:
        raise KeyProblem(f"no key named {name!r}")
    key.revoked_at = key.revoked_at or now
    return describe(key)


def find(session: Session, token: str) -> ApiKey | None:
    """The live key a token names (compared by its hash, in constant time), or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN:
        return None
    wanted = digest(token)
    key = session.execute(select(ApiKey).where(ApiKey.key_hash == wanted)).scalar_one_or_none()
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, wanted):
        return None
    return key


def touch(key: ApiKey, now: datetime) -> None:
    """Record the key's use (at most once a minute, so busy keys do not write on every request)."""
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = now


def caller_of(key: ApiKey) -> Caller:
    return Caller(key.portal_id, key.id, key.name, frozenset(key.scopes.split(",")))
