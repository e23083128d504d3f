"""Enterprise Grid: an organisation's org-wide install (no workspace of its own), and which
workspaces belong to which organisation

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

ORG_WIDE = sa.text("workspace_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.alter_column("workspace_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("enterprise_name", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_slack_installations_org",
        "slack_installations",
        ["enterprise_id"],
        unique=True,
        sqlite_where=ORG_WIDE,
        postgresql_where=ORG_WIDE,
    )
    op.create_table(
        "slack_org_workspaces",
        sa.Column("workspace_id", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_slack_org_workspaces")),
    )
    op.create_index(
        op.f("ix_slack_org_workspaces_enterprise_id"), "slack_org_workspaces", ["enterprise_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_org_workspaces_enterprise_id"), table_name="slack_org_workspaces")
    op.drop_table("slack_org_workspaces")
    op.drop_index("uq_slack_installations_org", table_name="slack_installations")
    # Org-wide installs have no workspace to keep them under: they go, and the organisation
    # installs again per workspace.
    op.execute("DELETE FROM slack_installations WHERE workspace_id IS NULL")
    with op.batch_alter_table("slack_installations", schema=None) as batch_op:
        batch_op.drop_column("enterprise_name")
        batch_op.alter_column("workspace_id", existing_type=sa.String(length=64), nullable=False)
