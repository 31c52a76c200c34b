"""public API: keys, idempotent requests, webhook endpoints and secret; customer-event and opening-balance entries

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 11:00:00.000000

The ledger's kind CHECK is generated again from ``EntryKind`` (it now holds ``customer_event``
and ``opening_balance``); the downgrade drops those rows' kinds from it. Both keep the append-only
triggers (``migrations.ledger_kinds``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import b24app.db
from migrations.ledger_kinds import rebuild_kind_check
from registry.ledger.kinds import EntryKind, kind_check

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_KINDS = ("customer_event", "opening_balance")


def _portal_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ['portal_id'], ['portals.id'], name=op.f(f'fk_{table}_portal_id_portals'), ondelete='CASCADE'
    )


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', b24app.db.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', b24app.db.UTCDateTime(), nullable=True),
    sa.Column('last_used_at', b24app.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint('length(key_hash) = 64', name=op.f('ck_api_keys_key_hash_is_sha256')),
    sa.CheckConstraint("scopes <> ''", name=op.f('ck_api_keys_scopes_not_empty')),
    _portal_fk('api_keys'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash')),
    sa.UniqueConstraint('portal_id', 'name', name=op.f('uq_api_keys_portal_id_name'))
    )
    op.create_table('api_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('operation', sa.String(length=16), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('created_at', b24app.db.UTCDateTime(), nullable=False),
    sa.CheckConstraint("operation IN ('spend','events')", name=op.f('ck_api_requests_operation')),
    _portal_fk('api_requests'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_requests')),
    sa.UniqueConstraint('portal_id', 'operation', 'idempotency_key',
                        name=op.f('uq_api_requests_portal_id_operation_idempotency_key'))
    )
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=512), nullable=False),
    sa.Column('created_at', b24app.db.UTCDateTime(), nullable=False),
    sa.Column('removed_at', b24app.db.UTCDateTime(), nullable=True),
    _portal_fk('webhook_endpoints'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints')),
    sa.UniqueConstraint('portal_id', 'url', name=op.f('uq_webhook_endpoints_portal_id_url'))
    )
    op.create_table('webhook_secrets',
    sa.Column('portal_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', b24app.db.UTCDateTime(), nullable=False),
    _portal_fk('webhook_secrets'),
    sa.PrimaryKeyConstraint('portal_id', name=op.f('pk_webhook_secrets'))
    )
    rebuild_kind_check(kind_check())


def downgrade() -> None:
    older = ", ".join(repr(str(kind)) for kind in EntryKind if str(kind) not in NEW_KINDS)
    rebuild_kind_check(f"kind IN ({older})")
    op.drop_table('webhook_secrets')
    op.drop_table('webhook_endpoints')
    op.drop_table('api_requests')
    op.drop_table('api_keys')
