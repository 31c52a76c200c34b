"""Preview: what a deal (or a basket) would earn now, per rule, offer and bundle, with any instant
discount — the same ``registry.program.rewards.preview`` the win then accrues with.

It reads the portal (the deal and its rows, catalog sections not cached yet), so it runs where
portal calls may run: the worker, the console, or a service the card tab's job calls.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from b24app.db import Database
from b24app.gateway import PortalClient
from registry.bonuses.catalog import cached_paths, store_paths
from registry.bonuses.deals import owner_of
from registry.bonuses.reward_models import DealReward
from registry.bonuses.rewards import groups_of
from registry.bonuses.tiers import stored_level
from registry.program.deal import DealSnapshot, ProductLine
from registry.program.document import Program, current_program
from registry.program.rewards import Preview, preview
from registry.sync.catalog import read_paths, with_sections
from registry.sync.deals import read_deals


class PreviewError(ValueError):
    """The deal cannot be previewed (it does not exist, or the portal could not be read)."""


def catalog_sections(
    db: Database, client: PortalClient | None, portal_id: int, snapshot: DealSnapshot, now: datetime
) -> DealSnapshot:
    """The snapshot's lines with their section paths: cached ones, the rest read and cached."""
    ids = {ln.product_id for ln in snapshot.lines or () if ln.product_id}
    with db.transaction() as session:
        paths = cached_paths(session, portal_id, ids, now)
    missing = ids - set(paths)
    if missing and client is not None:
        read = read_paths(client, sorted(missing))
        with db.transaction() as session:
            store_paths(session, portal_id, read, now)
        paths.update(read)
    return with_sections(snapshot, paths)


def preview_deal(db: Database, client: PortalClient, portal_id: int, deal_id: int, now: datetime) -> Preview:
    """Read the deal with its rows and value it with the current program."""
    with db.transaction() as session:
        program = current_program(session, portal_id)
        done = frozenset(
            session.execute(
                select(DealReward.code).where(
                    DealReward.portal_id == portal_id,
                    DealReward.deal_id == deal_id,
                    DealReward.kind == "instant",
                    DealReward.status == "applied",
                )
            ).scalars()
        )
    found = read_deals(client, [deal_id], True, now, with_seller=program.needs_seller)
    if deal_id in found.failures:
        raise PreviewError(found.failures[deal_id])
    snapshot = found.snapshots[deal_id]
    if not snapshot.exists:
        raise PreviewError(f"deal {deal_id} does not exist")
    if program.needs_sections:
        snapshot = catalog_sections(db, client, portal_id, snapshot, now)
    return _value(db, portal_id, program, snapshot, now, done)


def preview_basket(
    db: Database,
    client: PortalClient | None,
    portal_id: int,
    owner: tuple[str, int],
    products: list[tuple[int, Decimal, Decimal]],
    now: datetime,
    amount: Decimal | None = None,
) -> Preview:
    """A basket of (product id, quantity, price) for a client (the API's preview of a purchase)."""
    with db.transaction() as session:
        program = current_program(session, portal_id)
    lines = tuple(
        ProductLine(i + 1, pid, "", price, quantity, None)
        for i, (pid, quantity, price) in enumerate(products)
    )
    total = sum((ln.total for ln in lines), Decimal("0"))
    kind, client_id = owner
    snapshot = DealSnapshot(
        deal_id=0,
        exists=True,
        observed_at=now,
        stage_semantic="S",
        amount=amount if amount is not None else total,
        company_id=client_id if kind == "company" else None,
        contact_id=client_id if kind == "contact" else None,
        lines=lines,
    )
    if program.needs_sections:
        snapshot = catalog_sections(db, client, portal_id, snapshot, now)
    return _value(db, portal_id, program, snapshot, now, frozenset())


def _value(
    db: Database,
    portal_id: int,
    program: Program,
    snapshot: DealSnapshot,
    now: datetime,
    done: frozenset[str],
) -> Preview:
    owner = owner_of(snapshot, program)
    with db.transaction() as session:
        groups = groups_of(session, portal_id, program, owner)
        level = stored_level(session, portal_id, program, owner) if owner else None
    kind = owner.type if owner else None
    return preview(program, snapshot, kind, now.date(), done_instant=done, client_groups=groups, level=level)


def as_json(found: Preview) -> dict[str, Any]:
    """The preview as the API and the card tab answer it (amounts as strings, 2 decimals)."""
    return {
        "points": str(found.points),
        "rule": {"points": str(found.rule), "snapshot": found.rule_snapshot},
        "offers": [
            {"code": o.code, "name": o.name, "points": str(o.amount), "legal_entity": o.legal_entity}
            for o in found.offers
        ],
        "instant_discount": str(found.discount),
        "instant": [
            {
                "code": o.code,
                "name": o.name,
                "discount": str(o.amount),
                "rows": {str(k): str(v) for k, v in o.lines.items()},
            }
            for o in found.instant
        ],
        "bundles": [
            {"code": b.code, "name": b.name, "type": b.type, "units": str(b.units), "value": str(b.value)}
            for b in found.bundles
        ],
    }
