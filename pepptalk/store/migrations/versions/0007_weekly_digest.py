"""the weekly digest and the team pulse; indexes so a week's reading costs the same after years

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("digest", sa.String(length=9), server_default="fri 14:00", nullable=False)
        )
        batch_op.add_column(
            sa.Column("pulse", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.create_index("ix_feedback_team_id_given_on", "feedback", ["team_id", "given_on"])
    op.create_index("ix_wins_team_id_won_on", "wins", ["team_id", "won_on"])
    op.create_index("ix_wins_team_id_shouted_at", "wins", ["team_id", "shouted_at"])
    op.create_index("ix_deliveries_team_id_local_date", "deliveries", ["team_id", "local_date"])
    op.create_index(
        "ix_actions_team_id_open",
        "actions",
        ["team_id"],
        sqlite_where=sa.text("done_at IS NULL"),
        postgresql_where=sa.text("done_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_actions_team_id_open", table_name="actions")
    op.drop_index("ix_deliveries_team_id_local_date", table_name="deliveries")
    op.drop_index("ix_wins_team_id_shouted_at", table_name="wins")
    op.drop_index("ix_wins_team_id_won_on", table_name="wins")
    op.drop_index("ix_feedback_team_id_given_on", table_name="feedback")
    with op.batch_alter_table("teams", schema=None) as batch_op:
        batch_op.drop_column("pulse")
        batch_op.drop_column("digest")
