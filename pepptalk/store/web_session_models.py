"""The data of signing in to Pepptalk's web pages: each signed-in browser's session, and each
sign-in under way at Slack or Microsoft. Only hashes of the tokens browsers hold are kept, so the
table alone lets nobody in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.core.kinds import Platform
from pepptalk.store.base import Base, EnumText, UTCDateTime


class WebSession(Base):
    """A browser signed in as one person, until `expires_at` or until it sits idle too long."""

    __tablename__ = "web_sessions"

    # SHA-256 (hex) of the random token in the browser's cookie.
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    # The workspaces (Slack) or the tenant (Teams) the person signed in to, space-separated: on
    # Enterprise Grid, every workspace of the organisation Pepptalk knew of at sign-in.
    workspace_ids: Mapped[str] = mapped_column(Text)
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Sent back with every form, so another site cannot post one in the person's name.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    @property
    def workspaces(self) -> frozenset[str]:
        """The workspace ids, as a set."""
        return frozenset(self.workspace_ids.split())


class WebSignIn(Base):
    """A sign-in sent to Slack or Microsoft and not back yet: used once, or expired."""

    __tablename__ = "web_signins"

    # SHA-256 (hex) of the state the browser carries there and back.
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    # What the identity token must repeat, and the PKCE verifier (where the provider takes PKCE).
    nonce: Mapped[str] = mapped_column(String(64))
    verifier: Mapped[str | None] = mapped_column(String(128), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
