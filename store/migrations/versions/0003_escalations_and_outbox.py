"""escalations and the notice outbox

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_DUE_WHERE = "status IN ('pending', 'sending')"


def upgrade() -> None:

    op.create_table(
        "zq_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_key", sa.String(length=128), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("pack_name", sa.String(length=64), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_escalations_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_escalations")),
        sa.UniqueConstraint(
            "case_id",
            "rule_id",
            "cycle_key",
            name=op.f("uq_zq_escalations_case_id_rule_id_cycle_key"),
        ),
    )
    with op.batch_alter_table("zq_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_escalations_case_id"), ["case_id"], unique=False)

    op.create_table(
        "zq_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_key", sa.String(length=128), nullable=False),
        sa.Column("template", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=128), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remote_id", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_notices_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_notices")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_zq_notices_idempotency_key")),
    )
    with op.batch_alter_table("zq_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_notices_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_zq_notices_due",
            ["next_attempt_at"],
            unique=False,
            postgresql_where=sa.text(_DUE_WHERE),
            sqlite_where=sa.text(_DUE_WHERE),
        )
        batch_op.create_index(
            "ix_zq_notices_status_recipient", ["status", "recipient"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("zq_notices", schema=None) as batch_op:
        batch_op.drop_index("ix_zq_notices_status_recipient")
        batch_op.drop_index(
            "ix_zq_notices_due",
            postgresql_where=sa.text(_DUE_WHERE),
            sqlite_where=sa.text(_DUE_WHERE),
        )
        batch_op.drop_index(batch_op.f("ix_zq_notices_case_id"))

    op.drop_table("zq_notices")
    with op.batch_alter_table("zq_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zq_escalations_case_id"))

    op.drop_table("zq_escalations")
