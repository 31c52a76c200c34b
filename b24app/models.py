"""Shell tables: portals and their tokens, provisioned objects, objects made through the outbox, lane
leases, inbox and outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base


class Portal(Base):
    """One Bitrix24 portal the app is installed on, keyed by ``member_id``."""

    __tablename__ = "portals"
    __table_args__ = (
        CheckConstraint("status IN ('installing','installed','failed','uninstalled')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[str] = mapped_column(String(64), unique=True)
    domain: Mapped[str] = mapped_column(String(255))
    client_endpoint: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[str] = mapped_column(String(16), default="installing")
    scenario: Mapped[str] = mapped_column(String(8), default="ui")  # ui | api | webhook
    application_token_hash: Mapped[str | None] = mapped_column(String(64))
    access_token: Mapped[str | None] = mapped_column(String(255))
    refresh_token: Mapped[str | None] = mapped_column(String(255))
    token_expires_at: Mapped[datetime | None]
    token_generation: Mapped[int] = mapped_column(default=0)  # bumped by every refresh
    auth_failed_at: Mapped[datetime | None]  # set when the refresh token is dead
    refresh_holder: Mapped[str | None] = mapped_column(String(64))  # who is refreshing the tokens now
    refresh_until: Mapped[datetime | None]  # … until then at most (a crashed holder's lease runs out)
    webhook_url: Mapped[str | None] = mapped_column(String(512))  # inbound-webhook mode
    user_id: Mapped[int | None]
    scope: Mapped[str | None] = mapped_column(String(512))
    installed_at: Mapped[datetime | None]
    uninstalled_at: Mapped[datetime | None]
    install_error: Mapped[str | None] = mapped_column(Text)
    bucket_level: Mapped[float] = mapped_column(default=0.0)  # our estimate of the portal's bucket
    bucket_at: Mapped[datetime | None]
    gone_at: Mapped[datetime | None]  # the portal answered PORTAL_DELETED: its lane stopped
    gone_reason: Mapped[str | None] = mapped_column(Text)


class ProvisionedObject(Base):
    """Something the installer created on a portal, with the portal's id for it."""

    __tablename__ = "provisioned_objects"
    __table_args__ = (UniqueConstraint("portal_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # smart_process, stage, field, event, robot, ...
    key: Mapped[str] = mapped_column(String(255))
    remote_id: Mapped[str] = mapped_column(String(255))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class PortalObject(Base):
    """An object we created on a portal through the outbox (a registry item per entry, …) and its id
    there, recorded when the write succeeded or a lookup found it. Stage moves and healing read it
    here, so delivered outbox rows can be pruned."""

    __tablename__ = "portal_objects"
    __table_args__ = (UniqueConstraint("portal_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # registry_item
    key: Mapped[str] = mapped_column(String(255))  # entry:{id}
    remote_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


class LaneLease(Base):
    """At most one job talks to a portal at a time: a lease with an expiry survives crashes."""

    __tablename__ = "lane_leases"

    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime | None]
    queued: Mapped[bool] = mapped_column(default=False)  # a lane job waits in the queue
    failures: Mapped[int] = mapped_column(default=0)  # consecutive failed runs, for backoff
    last_error: Mapped[str | None] = mapped_column(Text)
    wake_at: Mapped[datetime | None]  # a delayed run is scheduled for then (retries that come due)
    # The step the next run starts at: a run whose turn ran out goes on where it stopped, in
    # whichever worker process takes the lane next.
    resume_step: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class StepFailure(Base):
    """A lane step that keeps failing on one portal: skipped until ``retry_at``, shown by the status.

    The row exists only while the step fails; its next success deletes it.
    """

    __tablename__ = "lane_step_failures"
    __table_args__ = (UniqueConstraint("portal_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(default=1)
    error: Mapped[str] = mapped_column(Text)
    failing_since: Mapped[datetime]
    retry_at: Mapped[datetime]


class InboxEvent(Base):
    """Every verified inbound call, recorded before it is acknowledged (tokens redacted)."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        Index("ix_inbox_pending", "portal_id", "processed_at"),
        CheckConstraint("status IN ('pending','done','skipped','failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # deal | robot | uninstall | ...
    event: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[int | None]  # the deal id for deal events
    dedup_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    retry_at: Mapped[datetime | None]  # after a failed attempt, not before this time
    error: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A portal write owed, delivered at least once; ``key`` makes it idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("portal_id", "key"),
        Index("ix_outbox_due", "portal_id", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending','done','failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # registry_item | balance | comment | answer | ...
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    first_failure_at: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    remote_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class PortalCursor(Base):
    """A named watermark or schedule per portal (e.g. the deal reconciliation's last seen change)."""

    __tablename__ = "portal_cursors"
    __table_args__ = (UniqueConstraint("portal_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(String(64))
    next_run_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OperatorAlarm(Base):
    """Something only the operator can fix (our OAuth credentials are refused): one row per kind,
    raised once, shown by ``status`` and ``/healthz``, cleared when the cause is gone."""

    __tablename__ = "operator_alarms"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    occurrences: Mapped[int] = mapped_column(default=1)
