"""The program table: every saved program document is a new immutable version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from b24app.db import Base


class ProgramVersion(Base):
    """The administrator's program (rules and settings); every save is a new immutable version."""

    __tablename__ = "program_versions"
    __table_args__ = (UniqueConstraint("portal_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    portal_id: Mapped[int] = mapped_column(ForeignKey("portals.id", ondelete="CASCADE"))
    version: Mapped[int]
    document: Mapped[dict[str, Any]]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
