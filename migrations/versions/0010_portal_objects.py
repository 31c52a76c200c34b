"""portal objects: ids of what the outbox created on a portal, kept apart from delivered messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 10:30:00.000000

Registry items recorded so far only on their delivered ``item:{entry}`` outbox rows are copied,
so delivered rows can be pruned without breaking stage moves or healing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('portal_objects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('remote_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', b24app.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['portal_id'], ['portals.id'], name=op.f('fk_portal_objects_portal_id_portals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_portal_objects')),
    sa.UniqueConstraint('portal_id', 'kind', 'key', name=op.f('uq_portal_objects_portal_id_kind_key'))
    )
    op.execute(
        "INSERT INTO portal_objects (portal_id, kind, key, remote_id, created_at)"
        " SELECT portal_id, 'registry_item', 'entry:' || substr(key, 6), remote_id, COALESCE(done_at, created_at)"
        " FROM outbox WHERE kind = 'registry_item' AND status = 'done' AND remote_id IS NOT NULL"
        " AND key LIKE 'item:%'"
    )


def downgrade() -> None:
    op.drop_table('portal_objects')
