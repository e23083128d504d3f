"""Web sessions and the sign-ins under way, read and written in one unit of work."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import Platform
from pepptalk.store.sql import changed
from pepptalk.store.web_session_models import WebSession, WebSignIn


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in taken back from the table: who it was for and what the provider must match."""

    platform: Platform
    nonce: str
    verifier: str | None


class WebSessionRepository:
    """Where signed-in browsers and sign-ins under way live."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        *,
        key_hash: str,
        platform: Platform,
        workspace_ids: Collection[str],
        user_id: str,
        name: str | None,
        csrf_token: str,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        """Keep a new session."""
        self._session.add(
            WebSession(
                key_hash=key_hash,
                platform=platform,
                workspace_ids=" ".join(sorted(set(workspace_ids))),
                user_id=user_id,
                name=name,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    async def find(self, key_hash: str) -> WebSession | None:
        """The session with this key, whether or not it has run out."""
        return await self._session.get(WebSession, key_hash)

    async def touch(self, key_hash: str, *, now: datetime) -> None:
        """Note that the session was used now."""
        await self._session.execute(
            update(WebSession).where(WebSession.key_hash == key_hash).values(last_seen_at=now)
        )

    async def remove(self, key_hash: str) -> bool:
        """End a session; whether there was one."""
        result = await self._session.execute(
            delete(WebSession).where(WebSession.key_hash == key_hash)
        )
        return changed(result) == 1

    async def remove_for(self, platform: Platform, user_id: str) -> int:
        """End every session of one person (they erased their data); how many there were."""
        result = await self._session.execute(
            delete(WebSession).where(WebSession.platform == platform, WebSession.user_id == user_id)
        )
        return changed(result)

    async def remove_expired(self, *, now: datetime, idle_since: datetime) -> int:
        """Drop the sessions past their lifetime or unused since `idle_since`; how many."""
        result = await self._session.execute(
            delete(WebSession).where(
                or_(WebSession.expires_at <= now, WebSession.last_seen_at <= idle_since)
            )
        )
        return changed(result)

    async def issue_sign_in(
        self,
        *,
        state_hash: str,
        platform: Platform,
        nonce: str,
        verifier: str | None,
        expires_at: datetime,
    ) -> None:
        """Remember a sign-in sent to a provider."""
        self._session.add(
            WebSignIn(
                state_hash=state_hash,
                platform=platform,
                nonce=nonce,
                verifier=verifier,
                expires_at=expires_at,
            )
        )

    async def consume_sign_in(self, state_hash: str, *, now: datetime) -> PendingSignIn | None:
        """Use a sign-in up: it, only when issued here, not expired and not used before (the
        one DELETE decides, so two replicas cannot both accept it)."""
        found = await self._session.get(WebSignIn, state_hash)
        if found is None:
            return None
        pending = PendingSignIn(found.platform, found.nonce, found.verifier)
        result = await self._session.execute(
            delete(WebSignIn).where(WebSignIn.state_hash == state_hash, WebSignIn.expires_at > now)
        )
        return pending if changed(result) == 1 else None

    async def forget_sign_ins_before(self, when: datetime) -> int:
        """Drop the sign-ins that expired by `when`; how many."""
        result = await self._session.execute(delete(WebSignIn).where(WebSignIn.expires_at <= when))
        return changed(result)

    async def count(self) -> int:
        """How many sessions are kept (expired ones not yet dropped included)."""
        return int(await self._session.scalar(select(func.count()).select_from(WebSession)) or 0)
