"""The data of a Slack app installed in many workspaces: one row per install (a workspace's, or
an Enterprise Grid organisation's that serves all its workspaces), which workspaces belong to
which organisation, and the OAuth states handed out for installs still under way. Tokens arrive
here encrypted: the store keeps ciphertext only and never sees a key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.store.base import Base, UTCDateTime

# The rows that are an organisation's own install: they name no workspace.
ORG_WIDE = text("workspace_id IS NULL")


class SlackInstallation(Base):
    """Pepptalk installed in one Slack workspace, or org-wide in an Enterprise Grid organisation:
    its bot and the bot's (encrypted) tokens."""

    __tablename__ = "slack_installations"
    __table_args__ = (
        # One org-wide install per organisation, so installing it again updates that row.
        Index(
            "uq_slack_installations_org",
            "enterprise_id",
            unique=True,
            sqlite_where=ORG_WIDE,
            postgresql_where=ORG_WIDE,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The Slack team id; one row per workspace, so a second install updates the first. None for
    # an org-wide install: its token serves every workspace of `enterprise_id`.
    workspace_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    enterprise_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    team_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    app_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bot_scopes: Mapped[str] = mapped_column(Text, default="")
    bot_token: Mapped[str] = mapped_column(Text)
    bot_refresh_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    bot_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    installer_user_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    installed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def org_wide(self) -> bool:
        """Whether this is an organisation's install rather than one workspace's."""
        return self.workspace_id is None


class SlackOrgWorkspace(Base):
    """A workspace of an Enterprise Grid organisation, as Slack's requests and events named it:
    how a message queued for the workspace finds the organisation's token."""

    __tablename__ = "slack_org_workspaces"

    workspace_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    enterprise_id: Mapped[str] = mapped_column(String(64), index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OAuthState(Base):
    """A state handed to a browser starting an install; consumed once, or expired."""

    __tablename__ = "oauth_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
