"""What an outbox kind tells the machine about one message: a ``Plan`` of reads to share, then an
action decided from their answers — a portal write (shared in batches of 50), a direct delivery
run outside any transaction (SMS over HTTP), or an outcome at once.

Simple kinds (``OutboxKind``: lookup / found / write / written) are planned by the machine itself;
kinds that need data from the portal to decide (a card's e-mail, a client's chats) implement
``PlanningKind``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from b24app.gateway import Command, PortalCallError
from b24app.models import OutboxMessage


class NotReady(Exception):
    """The message cannot be delivered yet (e.g. the portal is still being provisioned): retry later."""


@dataclass
class Outcome:
    """How one message ended this round: delivered (``error`` None), or to be retried."""

    remote_id: str | None = None
    error: str | None = None
    due_now: bool = False  # its batch found the portal unreachable: retried at the lane's next run
    released: bool = False  # never sent (an earlier batch failed): the claim is given back


@dataclass
class Reads:
    """The answers to the shared reads, by the kinds' own keys."""

    results: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, PortalCallError] = field(default_factory=dict)


@dataclass(frozen=True)
class Write:
    """A portal command; ``done`` reads its result, ``refused`` its error into an outcome."""

    command: Command
    done: Callable[[Any], Outcome]
    refused: Callable[[PortalCallError], Outcome]
    # sent just ahead of ``command`` in the same batch to make sure of a precondition (e.g. the
    # sender joins the chat); its own error is ignored, ``command``'s answer tells what happened
    before: Command | None = None


@dataclass(frozen=True)
class Deliver:
    """A delivery the kind makes itself, outside any transaction (e.g. an SMS gateway)."""

    send: Callable[[], Outcome]


Action = Write | Deliver | Outcome
Final = str  # what the message's row became: done | pending | failed


@dataclass
class Plan:
    """One message's delivery, built in a transaction from what the database holds."""

    act: Callable[[Reads], Action]
    reads: dict[str, Command] = field(default_factory=dict)  # the same key is read once per round
    prepare: Callable[[], bool] | None = None  # slow local work outside any transaction; True: keep it
    keep: Callable[[Session], None] | None = None  # store what ``prepare`` made, before anything is sent
    settle: Callable[[Session, Outcome, Final, datetime], None] | None = None  # in the recording transaction


class OutboxKind(Protocol):
    """How one kind of message is looked up and written on the portal."""

    kind: str

    def lookup(self, session: Session, message: OutboxMessage) -> Command | None:
        """A read that finds what an earlier attempt may have created (None: nothing to look up)."""

    def found(self, message: OutboxMessage, result: Any) -> str | None:
        """The remote id if the lookup result shows the write already happened."""

    def write(self, session: Session, message: OutboxMessage) -> Command | None:
        """The write to send (None: nothing to do any more, e.g. the owner is gone)."""

    def written(self, message: OutboxMessage, result: Any) -> str | None:
        """The remote id from the write's result."""

    # Optional: ``prefetch(session, messages)`` reads at once what ``write`` needs for each of
    # these messages (kept for the transaction), so a batch costs one query, not one per message.


class PlanningKind(Protocol):
    """A kind that plans each message itself (reads it needs, then what to do with their answers)."""

    kind: str

    def plan(self, session: Session, message: OutboxMessage) -> Plan: ...
