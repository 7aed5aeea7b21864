"""initial: cases and the event log

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "zq_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("handling_region", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("previous_state", sa.String(length=32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("pack_name", sa.String(length=64), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("employer_name", sa.String(length=200), nullable=False),
        sa.Column("employer_uscc", sa.String(length=18), nullable=True),
        sa.Column("employer_category", sa.String(length=16), nullable=False),
        sa.Column("project_name", sa.String(length=200), nullable=True),
        sa.Column("project_kind", sa.String(length=16), nullable=True),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("migrant_workers", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("migrant_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("complainant_name", sa.String(length=100), nullable=False),
        sa.Column("complainant_phone", sa.String(length=32), nullable=False),
        sa.Column("complainant_id_number", sa.String(length=18), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("leader", sa.String(length=100), nullable=True),
        sa.Column("leader_role", sa.String(length=64), nullable=True),
        sa.Column("supervised_by", sa.String(length=16), nullable=True),
        sa.Column("police_referred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("police_filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("blacklist_candidate", sa.Boolean(), nullable=False),
        sa.Column("arrears_verified", sa.Boolean(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_without_filing", sa.Boolean(), nullable=False),
        sa.Column("recovered_workers", sa.Integer(), nullable=False),
        sa.Column("recovered_migrant_workers", sa.Integer(), nullable=False),
        sa.Column("recovered_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("recovered_migrant_amount", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("orders_to_correct", sa.Integer(), nullable=False),
        sa.Column("handling_decisions", sa.Integer(), nullable=False),
        sa.Column("penalty_decisions", sa.Integer(), nullable=False),
        sa.Column("publicised", sa.Boolean(), nullable=False),
        sa.Column("blacklisted", sa.Boolean(), nullable=False),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_cases")),
        sa.UniqueConstraint("ref", name=op.f("uq_zq_cases_ref")),
    )
    with op.batch_alter_table("zq_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_zq_cases_employer_uscc"), ["employer_uscc"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_zq_cases_region"), ["region"], unique=False)
        batch_op.create_index(
            "ix_zq_cases_state_level_region", ["state", "level", "handling_region"], unique=False
        )

    op.create_table(
        "zq_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("pack_name", sa.String(length=64), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["zq_cases.id"], name=op.f("fk_zq_events_case_id_zq_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zq_events")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_zq_events_case_id_seq")),
    )
    with op.batch_alter_table("zq_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zq_events_case_id"), ["case_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("zq_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zq_events_case_id"))

    op.drop_table("zq_events")
    with op.batch_alter_table("zq_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_zq_cases_state_level_region")
        batch_op.drop_index(batch_op.f("ix_zq_cases_region"))
        batch_op.drop_index(batch_op.f("ix_zq_cases_employer_uscc"))

    op.drop_table("zq_cases")
