"""API tokens and idempotency keys of the HTTP service (zhiqian serve)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zq_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("office", sa.String(length=6), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_api_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_zq_api_tokens_secret_hash")),
    )
    op.create_table(
        "zq_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["zq_api_tokens.id"],
            name=op.f("fk_zq_idempotency_keys_token_id_zq_api_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_idempotency_keys")),
        sa.UniqueConstraint("token_id", "key", name=op.f("uq_zq_idempotency_keys_token_id_key")),
    )


def downgrade() -> None:
    op.drop_table("zq_idempotency_keys")
    op.drop_table("zq_api_tokens")
