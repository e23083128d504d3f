"""The data Pepptalk keeps. Every row carries its workspace, so installs can share a database."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from pepptalk.core.kinds import (
    AgendaItemKind,
    Cadence,
    DeliveryStatus,
    FeedbackKind,
    Mood,
    Platform,
    Role,
    TopicAudience,
)
from pepptalk.store.base import Base, EnumText, MoodNumber, UTCDateTime


class Team(Base):
    """A sales team and its settings."""

    __tablename__ = "teams"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    name: Mapped[str] = mapped_column(String(80))
    checkin_time: Mapped[str] = mapped_column(String(5), default="08:30")
    summary_delay_minutes: Mapped[int] = mapped_column(Integer, default=30)
    workdays: Mapped[str] = mapped_column(String(27), default="mon,tue,wed,thu,fri")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Oslo")
    language: Mapped[str] = mapped_column(String(2), default="en")
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_name: Mapped[str | None] = mapped_column(String(80), nullable=True)
    meeting: Mapped[str | None] = mapped_column(String(9), nullable=True)
    leader_sells: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The metrics API's token, kept only as its SHA-256: shown once, replaced by a new one.
    metrics_token_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    # Whether the pre-read shows each seller's numbers (the team agrees) or team totals only.
    numbers_per_seller: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # When each leader's weekly digest comes ("fri 14:00", in the leader's own zone), and whether
    # the team channel gets the weekly pulse (aggregates only, from three answers up).
    digest: Mapped[str] = mapped_column(String(9), default="fri 14:00", server_default="fri 14:00")
    pulse: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    """A person in a team: a leader or a seller. Removed members keep their history."""

    __tablename__ = "members"
    __table_args__ = (
        # One active team per person per workspace; removed rows do not count.
        Index(
            "uq_members_active_user",
            "workspace_id",
            "user_id",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
        Index("ix_members_team_id", "team_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(EnumText(Role, 8))
    display_name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # How often this seller should get feedback, what they said they would like, and when a low
    # morning pulled the next conversation forward.
    cadence: Mapped[Cadence] = mapped_column(
        EnumText(Cadence, 12), default=Cadence.WEEKLY, server_default=Cadence.WEEKLY.value
    )
    cadence_wish: Mapped[Cadence | None] = mapped_column(EnumText(Cadence, 12), nullable=True)
    cadence_asked: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    feedback_pulled_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    feedback_snoozed_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    # From the platform's directory, so a CRM export can name sellers by e-mail.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    # Whether the seller wants the one gentle reminder when they have not answered.
    reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # The e-mail the team's CRM knows this seller by, when it is not the one above (`team match`).
    crm_email: Mapped[str | None] = mapped_column(String(254), nullable=True)


class Checkin(Base):
    """One seller's answer for one local date."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("member_id", "local_date"),
        Index("ix_checkins_team_id_local_date", "team_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    mood: Mapped[Mood] = mapped_column(MoodNumber())
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    note_private: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the mood was last set (a note changes updated_at, not this): a low mood set after the
    # leader's summary went out reaches the leader on its own.
    mood_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Delivery(Base):
    """The outbox: one proactive message per (member, kind, local date), sent once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "local_date"),
        Index("ix_deliveries_status_due_at", "status", "due_at"),
        Index("ix_deliveries_team_id_local_date", "team_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[DeliveryStatus] = mapped_column(
        EnumText(DeliveryStatus, 8), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(32), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    channel_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    message_ref: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Set when the message goes to the team's channel rather than to the member's DM (the member
    # is then the leader it is sent on behalf of).
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ProcessedEvent(Base):
    """Events already handled, so a platform's retry is not handled twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ConversationRef(Base):
    """Where a platform lets us reach a person or a channel later (Teams conversation references).

    `scope` is "user" (key: the person's id) or "channel" (key: the channel's id); `reference` is
    the platform's own serialised reference, kept opaque here.
    """

    __tablename__ = "conversation_refs"
    __table_args__ = (UniqueConstraint("workspace_id", "platform", "scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[Platform] = mapped_column(EnumText(Platform, 16))
    scope: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Feedback(Base):
    """A feedback conversation a leader had with a seller."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_member_id_given_on", "member_id", "given_on"),
        Index("ix_feedback_team_id_given_on", "team_id", "given_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    given_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    kind: Mapped[FeedbackKind] = mapped_column(EnumText(FeedbackKind, 12))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    given_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Win(Base):
    """A win a seller logged, and whether their leader gave it a shout-out."""

    __tablename__ = "wins"
    __table_args__ = (
        Index("ix_wins_member_id_won_on", "member_id", "won_on"),
        Index("ix_wins_team_id_won_on", "team_id", "won_on"),
        Index("ix_wins_team_id_shouted_at", "team_id", "shouted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    won_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shouted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Metric(Base):
    """One number for one seller, metric and day (weekly figures use the week's Monday)."""

    __tablename__ = "metrics"
    __table_args__ = (
        UniqueConstraint("team_id", "member_id", "metric", "day"),
        Index("ix_metrics_team_id_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    goal: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Topic(Base):
    """Something a seller wants to talk about: at the team meeting, or in their own 1:1."""

    __tablename__ = "topics"
    __table_args__ = (Index("ix_topics_team_id_closed_at", "team_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    audience: Mapped[TopicAudience | None] = mapped_column(
        EnumText(TopicAudience, 8), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class MeetingAction(Base):
    """An action agreed at a meeting: numbered per team, owned by a member, open until done."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("team_id", "number"),
        # Every agenda and digest reads the open ones: only those, however many were done.
        Index(
            "ix_actions_team_id_open",
            "team_id",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Agenda(Base):
    """The agenda of one team meeting: drafted for the leader, posted to the team once."""

    __tablename__ = "agendas"
    __table_args__ = (UniqueConstraint("team_id", "meeting_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[str] = mapped_column(String(64))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    meeting_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AgendaItem(Base):
    """One item of an agenda's team part, in the order the leader left it."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_agenda_id", "agenda_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agenda_id: Mapped[int] = mapped_column(ForeignKey("agendas.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AgendaItemKind] = mapped_column(EnumText(AgendaItemKind, 12))
    text: Mapped[str] = mapped_column(Text)
    ref_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    removed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
