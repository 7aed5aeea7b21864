"""a partial index on running clocks' deadlines (the overdue listing)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_RUNNING = "status = 'running'"


def upgrade() -> None:
    with op.batch_alter_table("zq_clocks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_zq_clocks_running_deadline",
            ["deadline_at"],
            unique=False,
            postgresql_where=sa.text(_RUNNING),
            sqlite_where=sa.text(_RUNNING),
        )


def downgrade() -> None:
    with op.batch_alter_table("zq_clocks", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_zq_clocks_running_deadline",
            postgresql_where=sa.text(_RUNNING),
            sqlite_where=sa.text(_RUNNING),
        )
