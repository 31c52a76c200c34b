"""client names: the contacts' and companies' names the main page shows, read by the worker

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('client_names',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('owner_type', sa.String(length=8), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('read_at', b24app.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("owner_type IN ('contact','company')", name=op.f('ck_client_names_owner_type')),
    sa.ForeignKeyConstraint(
        ['portal_id'], ['portals.id'], name=op.f('fk_client_names_portal_id_portals'), ondelete='CASCADE'
    ),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_client_names')),
    sa.UniqueConstraint('portal_id', 'owner_type', 'owner_id', name=op.f('uq_client_names_portal_id_owner_type_owner_id'))
    )


def downgrade() -> None:
    op.drop_table('client_names')
