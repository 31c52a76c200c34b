"""Public API tables: keys (stored hashed), answered idempotent requests, webhook endpoints and the
per-portal secret that signs their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base


class ApiKey(Base):
    """One key of one portal: only its SHA-256 is kept; ``prefix`` lets a person tell keys apart."""

    __tablename__ = "api_keys"
    __table_args__ = (
        UniqueConstraint("portal_id", "name"),
        CheckConstraint("length(key_hash) = 64", name="key_hash_is_sha256"),
        CheckConstraint("scopes <> ''", name="scopes_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(64))  # comma-separated: read,spend,events,program
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class ApiRequest(Base):
    """The first answer to an idempotent request (spend, events): a repeat with the same key and
    body gets it again; the same key with another body is refused (409)."""

    __tablename__ = "api_requests"
    __table_args__ = (
        UniqueConstraint("portal_id", "operation", "idempotency_key"),
        CheckConstraint("operation IN ('spend','events')", name="operation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    operation: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    body_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    answer: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class WebhookEndpoint(Base):
    """A URL an administrator registered for movement events (accrued, spent, expired, level)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("portal_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]


class WebhookSecret(Base):
    """The portal's signing secret (HMAC-SHA256 of every delivery's body)."""

    __tablename__ = "webhook_secrets"

    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
