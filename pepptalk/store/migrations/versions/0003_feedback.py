"""feedback conversations and each seller's cadence

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cadence", sa.String(length=12), server_default="weekly", nullable=False)
        )
        batch_op.add_column(sa.Column("cadence_wish", sa.String(length=12), nullable=True))
        batch_op.add_column(
            sa.Column("cadence_asked", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("feedback_pulled_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("feedback_snoozed_until", sa.Date(), nullable=True))
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("given_by", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["given_by"],
            ["members.id"],
            name=op.f("fk_feedback_given_by_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_feedback_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_feedback_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            "ix_feedback_member_id_given_on", ["member_id", "given_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_member_id_given_on")
    op.drop_table("feedback")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("feedback_snoozed_until")
        batch_op.drop_column("feedback_pulled_on")
        batch_op.drop_column("cadence_asked")
        batch_op.drop_column("cadence_wish")
        batch_op.drop_column("cadence")
