"""The catalog cache: each product's section path, kept ``CATALOG_TTL`` before it is read again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from b24app.db import insert_ignore
from registry.bonuses.reward_models import CatalogProduct

CATALOG_TTL = timedelta(hours=1)  # a section moved in the catalog counts within the hour


def cached_paths(
    session: Session,
    portal_id: int,
    product_ids: Iterable[int],
    now: datetime,
    max_age: timedelta = CATALOG_TTL,
) -> dict[int, list[int]]:
    """Cached paths of these products no older than ``max_age`` (others are left out: read them again)."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(CatalogProduct).where(
            CatalogProduct.portal_id == portal_id,
            CatalogProduct.product_id.in_(ids),
            CatalogProduct.fetched_at > now - max_age,
        )
    ).scalars()
    return {row.product_id: [int(s) for s in row.sections.get("path", [])] for row in rows}


def store_paths(session: Session, portal_id: int, paths: Mapping[int, list[int]], now: datetime) -> None:
    for product_id, path in paths.items():
        values = {
            "portal_id": portal_id,
            "product_id": product_id,
            "sections": {"path": path},
            "fetched_at": now,
        }
        if not insert_ignore(session, CatalogProduct.__table__, values):
            row = session.execute(
                select(CatalogProduct).where(
                    CatalogProduct.portal_id == portal_id, CatalogProduct.product_id == product_id
                )
            ).scalar_one()
            row.sections, row.fetched_at = {"path": path}, now
