"""Where a platform lets Pepptalk reach a person or channel later: Teams conversation references."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.core.kinds import Platform
from pepptalk.store.models import ConversationRef
from pepptalk.store.sql import upsert


class ReferenceRepository:
    """Conversation references, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def save(
        self,
        *,
        workspace_id: str,
        platform: Platform,
        scope: str,
        key: str,
        reference: str,
        now: datetime,
    ) -> None:
        """Keep the newest way to reach a person or channel."""
        statement = (
            upsert(self._session, ConversationRef)
            .values(
                workspace_id=workspace_id,
                platform=platform,
                scope=scope,
                key=key,
                reference=reference,
                updated_at=now,
            )
            .on_conflict_do_update(
                index_elements=[
                    ConversationRef.workspace_id,
                    ConversationRef.platform,
                    ConversationRef.scope,
                    ConversationRef.key,
                ],
                set_={"reference": reference, "updated_at": now},
            )
        )
        await self._session.execute(statement)

    async def get(
        self, *, workspace_id: str, platform: Platform, scope: str, key: str
    ) -> str | None:
        """The stored reference for a person or channel, if any."""
        return await self._session.scalar(
            select(ConversationRef.reference).where(
                ConversationRef.workspace_id == workspace_id,
                ConversationRef.platform == platform,
                ConversationRef.scope == scope,
                ConversationRef.key == key,
            )
        )
