"""private by default: one-time downloads of a person's export; a leader who erases themselves
leaves the feedback and actions they logged for others in place; indexes for the note sweep

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# (table, column, constraint) whose member may be erased while the row stays someone else's.
LOGGED_BY = (
    ("feedback", "given_by", "fk_feedback_given_by_members"),
    ("actions", "created_by", "fk_actions_created_by_members"),
)
NOTED = sa.text("note IS NOT NULL")


def _logged_by(ondelete: str, nullable: bool) -> None:
    for table, column, constraint in LOGGED_BY:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(constraint, type_="foreignkey")
            batch_op.alter_column(column, existing_type=sa.Integer(), nullable=nullable)
            batch_op.create_foreign_key(constraint, "members", [column], ["id"], ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "downloads",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("mime", sa.String(length=80), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_downloads")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_downloads_token_hash")),
    )
    op.create_index("ix_downloads_expires_at", "downloads", ["expires_at"])
    op.create_index("ix_downloads_workspace_id_user_id", "downloads", ["workspace_id", "user_id"])
    op.create_index(
        "ix_checkins_noted_updated_at",
        "checkins",
        ["updated_at"],
        sqlite_where=NOTED,
        postgresql_where=NOTED,
    )
    op.create_index(
        "ix_feedback_noted_created_at",
        "feedback",
        ["created_at"],
        sqlite_where=NOTED,
        postgresql_where=NOTED,
    )
    _logged_by("SET NULL", nullable=True)


def downgrade() -> None:
    # Rows whose logger was erased have no one to point to any more: they go with the rule.
    op.execute("DELETE FROM feedback WHERE given_by IS NULL")
    op.execute("DELETE FROM actions WHERE created_by IS NULL")
    _logged_by("CASCADE", nullable=False)
    op.drop_index("ix_feedback_noted_created_at", table_name="feedback")
    op.drop_index("ix_checkins_noted_updated_at", table_name="checkins")
    op.drop_index("ix_downloads_workspace_id_user_id", table_name="downloads")
    op.drop_index("ix_downloads_expires_at", table_name="downloads")
    op.drop_table("downloads")
