"""decisions a named person takes, per-office document numbers, the facts the law's branches need

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_MONEY = sa.Numeric(precision=16, scale=2, asdecimal=True)


def upgrade() -> None:
    with op.batch_alter_table("zq_cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("largest_owed", _MONEY, nullable=True))
        batch_op.add_column(sa.Column("largest_owed_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("contracted_migrant_workers", sa.Integer(), nullable=True))
    op.create_table(
        "zq_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("act", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposed_seq", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("decider_role", sa.String(length=64), nullable=False),
        sa.Column("decider_division", sa.String(length=6), nullable=False),
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_seq", sa.Integer(), nullable=True),
        sa.Column("act_seq", sa.Integer(), nullable=True),
        sa.Column("document_no", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_decisions_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_decisions")),
    )
    with op.batch_alter_table("zq_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_decisions_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_zq_decisions_status_division", ["status", "decider_division"], unique=False
        )
    op.create_table(
        "zq_document_sequences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_document_sequences")),
        sa.UniqueConstraint(
            "division", "kind", "year", name=op.f("uq_zq_document_sequences_division_kind_year")
        ),
    )


def downgrade() -> None:
    op.drop_table("zq_document_sequences")
    with op.batch_alter_table("zq_decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_zq_decisions_status_division")
        batch_op.drop_index(batch_op.f("ix_zq_decisions_case_id"))
    op.drop_table("zq_decisions")
    with op.batch_alter_table("zq_cases", schema=None) as batch_op:
        batch_op.drop_column("contracted_migrant_workers")
        batch_op.drop_column("largest_owed_months")
        batch_op.drop_column("largest_owed")
