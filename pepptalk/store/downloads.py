"""One-time downloads: a file Pepptalk made for one person (their data export), fetched once
through a link with an unguessable token, of which only a hash is kept."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Index, Integer, LargeBinary, String, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.store.base import Base, UTCDateTime
from pepptalk.store.sql import changed

# A token is 32 random bytes in URL-safe base64: 43 characters.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


class Download(Base):
    """A file waiting for its one download, until it expires."""

    __tablename__ = "downloads"
    __table_args__ = (
        Index("ix_downloads_expires_at", "expires_at"),
        Index("ix_downloads_workspace_id_user_id", "workspace_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the token in the link: the link itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    mime: Mapped[str] = mapped_column(String(80))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    # The language the person reads, for the page an expired or used link shows.
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Fetched(StrEnum):
    """Why a link gave no file."""

    UNKNOWN = "unknown"
    GONE = "gone"


@dataclass(frozen=True)
class File:
    """A downloaded file."""

    name: str
    mime: str
    data: bytes


def token_hash(token: str) -> str:
    """How a token is kept."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


class DownloadRepository:
    """One-time downloads, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def offer(
        self,
        *,
        workspace_id: str,
        user_id: str,
        name: str,
        mime: str,
        data: bytes,
        language: str,
        now: datetime,
        valid_for: timedelta,
    ) -> str:
        """Keep a file for one download; returns the token for its link (shown once)."""
        token = secrets.token_urlsafe(32)
        self._session.add(
            Download(
                workspace_id=workspace_id,
                user_id=user_id,
                token_hash=token_hash(token),
                name=name,
                mime=mime,
                data=data,
                language=language,
                created_at=now,
                expires_at=now + valid_for,
            )
        )
        await self._session.flush()
        return token

    async def take(self, token: str, *, now: datetime) -> File | tuple[Fetched, str]:
        """The file behind a token, marked as fetched so it goes out once; else why not (and
        the language to say it in)."""
        if not TOKEN_SHAPE.fullmatch(token):
            return Fetched.UNKNOWN, "en"
        row = (
            await self._session.execute(
                select(Download).where(Download.token_hash == token_hash(token))
            )
        ).scalar_one_or_none()
        if row is None:
            return Fetched.UNKNOWN, "en"
        file = File(name=row.name, mime=row.mime, data=row.data)
        # Checked again in the UPDATE, so two fetches at once cannot both get the file; the
        # bytes go at once, the row (the link's memory) at the next tick.
        taken = await self._session.execute(
            update(Download)
            .where(Download.id == row.id, Download.used_at.is_(None), Download.expires_at > now)
            .values(used_at=now, data=b"")
            .execution_options(synchronize_session=False)
        )
        if changed(taken) == 0:
            return Fetched.GONE, row.language
        return file

    async def forget_expired(self, now: datetime) -> int:
        """Drop files whose link has expired or was used (they hold people's data)."""
        result = await self._session.execute(
            delete(Download).where((Download.expires_at <= now) | Download.used_at.is_not(None))
        )
        return changed(result)

    async def forget_person(self, *, workspace_id: str, user_id: str) -> None:
        """Drop every file waiting for one person."""
        await self._session.execute(
            delete(Download).where(
                Download.workspace_id == workspace_id, Download.user_id == user_id
            )
        )
