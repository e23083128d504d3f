"""Platform events already handled, so a platform's retry is not handled twice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from pepptalk.store.models import ProcessedEvent
from pepptalk.store.sql import changed, upsert


class EventRepository:
    """Processed event ids, read and written in one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def remember(self, *, event_id: str, workspace_id: str, now: datetime) -> bool:
        """Note an event as handled; False when it was handled before (a retry)."""
        statement = (
            upsert(self._session, ProcessedEvent)
            .values(event_id=event_id, workspace_id=workspace_id, received_at=now)
            .on_conflict_do_nothing(index_elements=[ProcessedEvent.event_id])
        )
        return changed(await self._session.execute(statement)) > 0

    async def forget_before(self, when: datetime) -> None:
        """Drop event ids older than any retry could be."""
        await self._session.execute(delete(ProcessedEvent).where(ProcessedEvent.received_at < when))
