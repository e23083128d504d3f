"""A team's CRM connection and the goals a leader set in Pepptalk. The connection's secret
arrives here encrypted: the store keeps ciphertext only and never sees a key."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.core.crm import CrmKind, CrmProblem, GoalPeriod
from pepptalk.store.base import Base, EnumText, UTCDateTime


class CrmConnection(Base):
    """One team's CRM: which one, its (encrypted) secret, and how its syncing goes."""

    __tablename__ = "crm_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    # One CRM per team: connecting another replaces it.
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[CrmKind] = mapped_column(EnumText(CrmKind, 16))
    secret: Mapped[str] = mapped_column(Text)
    account: Mapped[str] = mapped_column(String(200), default="")
    connected_by: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), nullable=True
    )
    connected_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The last sync that ran to the end, the last day it covered, and what it stored.
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    synced_through: Mapped[date | None] = mapped_column(Date, nullable=True)
    figures: Mapped[int] = mapped_column(Integer, default=0)
    # A sync under way: its window, stream, cursor and the counts read so far (JSON), so a sync
    # cut short by a limit or a restart resumes at the page where it stopped.
    progress: Mapped[str | None] = mapped_column(Text, nullable=True)
    # When a sync last started, so a CRM that is down is tried again hourly, not every minute.
    tried_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Who runs the sync now, so replicas never read the same CRM at once.
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Sellers no CRM owner matched at the last sync (JSON list of member ids).
    unmatched: Mapped[str] = mapped_column(Text, default="[]")
    # What went wrong last (None: nothing), since when, and whether the leader was told.
    problem: Mapped[CrmProblem | None] = mapped_column(EnumText(CrmProblem, 16), nullable=True)
    problem_detail: Mapped[str | None] = mapped_column(String(300), nullable=True)
    problem_since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    problem_told: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The leader's word on goals: True when Pepptalk's goals win over the CRM's.
    own_goals_first: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Goal(Base):
    """A goal a leader set in Pepptalk, for the team (member None) or one seller."""

    __tablename__ = "goals"
    __table_args__ = (Index("ix_goals_team_id", "team_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), nullable=True
    )
    metric: Mapped[str] = mapped_column(String(40))
    period: Mapped[GoalPeriod] = mapped_column(EnumText(GoalPeriod, 8))
    value: Mapped[float] = mapped_column(Float)
    set_at: Mapped[datetime] = mapped_column(UTCDateTime())
