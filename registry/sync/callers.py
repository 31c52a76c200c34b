"""Who started a robot: each call's own ``auth[access_token]`` is sent to the portal we stored, in one
batch with ``user.current`` and the document reads of the calls that carry that token.

The application token in a robot call proves little (every user who opens one of our frames can
read it). A portal only accepts access tokens it issued, so an answer to ``user.current`` proves
the call came from that portal and names the user, who becomes the actor of the movement. Calls
the portal refuses are reported with its error code and must write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from b24app.gateway import BatchResult, CallerRejected, Command, PortalClient
from b24app.gateway.client import BATCH_LIMIT
from b24app.models import InboxEvent
from registry.bonuses.robots import CALLER_TOKEN

WHO = "caller"  # our batch label for user.current (documents use d…/i… labels)


@dataclass
class Callers:
    """What the portal said: document reads, and per inbox row the verified user or the refusal."""

    reads: BatchResult = field(default_factory=BatchResult)
    user_ids: dict[int, int] = field(default_factory=dict)
    refused: dict[int, str] = field(default_factory=dict)


def _chunks(
    rows: list[InboxEvent], reads_of: Callable[[InboxEvent], dict[str, Command]]
) -> Iterator[tuple[list[InboxEvent], dict[str, Command]]]:
    """Rows with their reads, at most BATCH_LIMIT - 1 reads a batch (user.current takes one slot)."""
    chunk: list[InboxEvent] = []
    reads: dict[str, Command] = {}
    for row in rows:
        mine = reads_of(row)
        if chunk and len(reads | mine) >= BATCH_LIMIT:
            yield chunk, reads
            chunk, reads = [], {}
        chunk.append(row)
        reads |= mine
    if chunk:
        yield chunk, reads


def _user_id(result: BatchResult) -> int | None:
    user = result.results.get(WHO)
    raw = str(user.get("ID", "")) if isinstance(user, dict) else ""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def verify(
    client: PortalClient, rows: list[InboxEvent], reads_of: Callable[[InboxEvent], dict[str, Command]]
) -> Callers:
    """Ask the portal about every row's caller token, reading the rows' documents on the way."""
    found = Callers()
    by_token: dict[str, list[InboxEvent]] = {}
    for row in rows:
        token = row.payload.get(CALLER_TOKEN)
        if isinstance(token, str) and token:
            by_token.setdefault(token, []).append(row)
        else:
            found.refused[row.id] = "no caller token"
    for token, group in by_token.items():
        for chunk, reads in _chunks(group, reads_of):
            try:
                result = client.batch_as(token, {WHO: Command("user.current"), **reads})
            except CallerRejected as exc:
                found.refused.update((row.id, exc.code) for row in chunk)
                continue
            user_id = _user_id(result)
            for row in chunk:
                if user_id is None:
                    found.refused[row.id] = "no user"
                else:
                    found.user_ids[row.id] = user_id
            found.reads.merge(result)
    return found
