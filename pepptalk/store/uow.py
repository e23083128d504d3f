"""The unit of work: one use case's reads and writes, committed together or not at all."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from pepptalk.store.checkins import CheckinRepository
from pepptalk.store.crm import CrmRepository
from pepptalk.store.downloads import DownloadRepository
from pepptalk.store.events import EventRepository
from pepptalk.store.feedback import FeedbackRepository
from pepptalk.store.history import HistoryRepository
from pepptalk.store.installations import InstallationRepository
from pepptalk.store.meetings import MeetingRepository
from pepptalk.store.metrics import MetricRepository
from pepptalk.store.outbox import OutboxRepository
from pepptalk.store.privacy import PrivacyRepository
from pepptalk.store.references import ReferenceRepository
from pepptalk.store.teams import TeamRepository
from pepptalk.store.web_sessions import WebSessionRepository
from pepptalk.store.wins import WinRepository


class UnitOfWork:
    """A session and the repositories on it; leaving the `async with` commits, an error rolls back.

    Rows read through it stay attached, so a use case changes a setting by setting the attribute
    (`team.language = "nb"`) and the change lands with everything else at the end.
    """

    session: AsyncSession
    teams: TeamRepository
    checkins: CheckinRepository
    feedback: FeedbackRepository
    wins: WinRepository
    outbox: OutboxRepository
    metrics: MetricRepository
    meetings: MeetingRepository
    references: ReferenceRepository
    events: EventRepository
    privacy: PrivacyRepository
    downloads: DownloadRepository
    installations: InstallationRepository
    crm: CrmRepository
    history: HistoryRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = session = self._sessions()
        self.teams = TeamRepository(session)
        self.checkins = CheckinRepository(session)
        self.feedback = FeedbackRepository(session)
        self.wins = WinRepository(session)
        self.outbox = OutboxRepository(session)
        self.metrics = MetricRepository(session)
        self.meetings = MeetingRepository(session)
        self.references = ReferenceRepository(session)
        self.events = EventRepository(session)
        self.privacy = PrivacyRepository(session)
        self.downloads = DownloadRepository(session)
        self.installations = InstallationRepository(session)
        self.crm = CrmRepository(session)
        self.web_sessions = WebSessionRepository(session)
        self.history = HistoryRepository(session)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                await self.session.commit()
            else:
                await self.session.rollback()
        finally:
            await self.session.close()
