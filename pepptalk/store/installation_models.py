"""The data of a Slack app installed in many workspaces: one row per workspace, and the OAuth
states handed out for installs still under way. Tokens arrive here encrypted: the store keeps
ciphertext only and never sees a key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.store.base import Base, UTCDateTime


class SlackInstallation(Base):
    """Pepptalk installed in one Slack workspace: its bot and the bot's (encrypted) tokens."""

    __tablename__ = "slack_installations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The Slack team id; one row per workspace, so a second install updates the first.
    workspace_id: Mapped[str] = mapped_column(String(64), unique=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
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


class OAuthState(Base):
    """A state handed to a browser starting an install; consumed once, or expired."""

    __tablename__ = "oauth_states"

    state: Mapped[str] = mapped_column(String(128), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
