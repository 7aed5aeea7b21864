"""clocks and timers

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "zq_clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assumed", sa.Boolean(), nullable=False),
        sa.Column("paused_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pauses", sa.JSON(), nullable=False),
        sa.Column("extensions", sa.JSON(), nullable=False),
        sa.Column("limit_override", sa.String(length=64), nullable=True),
        sa.Column("warned", sa.Integer(), nullable=False),
        sa.Column("breached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_clocks_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_clocks")),
        sa.UniqueConstraint("case_id", "clock_id", name=op.f("uq_zq_clocks_case_id_clock_id")),
    )
    with op.batch_alter_table("zq_clocks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_clocks_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_zq_clocks_deadline_at"), ["deadline_at"], unique=False)

    op.create_table(
        "zq_timers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_timers_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_timers")),
        sa.UniqueConstraint(
            "case_id",
            "clock_id",
            "cycle",
            "kind",
            "seq",
            name=op.f("uq_zq_timers_case_id_clock_id_cycle_kind_seq"),
        ),
    )
    with op.batch_alter_table("zq_timers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_timers_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_zq_timers_due_unfired",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("fired_at IS NULL"),
            sqlite_where=sa.text("fired_at IS NULL"),
        )


def downgrade() -> None:

    with op.batch_alter_table("zq_timers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_zq_timers_due_unfired",
            postgresql_where=sa.text("fired_at IS NULL"),
            sqlite_where=sa.text("fired_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_zq_timers_case_id"))

    op.drop_table("zq_timers")
    with op.batch_alter_table("zq_clocks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zq_clocks_deadline_at"))
        batch_op.drop_index(batch_op.f("ix_zq_clocks_case_id"))

    op.drop_table("zq_clocks")
