"""What a habit is made of: the commands, buttons, forms, jobs and composers it declares, and the
turn every use case receives. `registry.py` gathers the habits; nothing else lists them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pepptalk.core.calendar import local_today
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import Role
from pepptalk.core.messages import Message, Reply, text_reply
from pepptalk.core.ports import (
    Actor,
    Chat,
    DeliveryError,
    FormValues,
    Press,
    RateLimitedError,
)
from pepptalk.core.privacy import Policy
from pepptalk.handlers.grammar import CommandLine
from pepptalk.store.database import Database
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob
from pepptalk.store.teams import Membership
from pepptalk.store.uow import UnitOfWork

T = TypeVar("T")
V = TypeVar("V")
T_contra = TypeVar("T_contra", contravariant=True)


@dataclass(frozen=True)
class Turn:
    """One person's action, whether or not they are in a team yet."""

    uow: UnitOfWork
    chat: Chat
    actor: Actor
    seat: Membership | None
    now: datetime
    commands: tuple[AnyCommand, ...]
    policy: Policy = Policy()

    @property
    def copy(self) -> Copy:
        """The words of the person's team's language (English before they have a team)."""
        return copy_for(self.seat.team.language if self.seat else "en")


@dataclass(frozen=True)
class TeamTurn:
    """One team member's action: who, in which team, when, and the unit of work it runs in."""

    uow: UnitOfWork
    chat: Chat
    actor: Actor
    seat: Membership
    now: datetime
    commands: tuple[AnyCommand, ...]
    policy: Policy = Policy()

    @property
    def team(self) -> Team:
        """The member's team."""
        return self.seat.team

    @property
    def member(self) -> Member:
        """The member acting."""
        return self.seat.member

    @property
    def is_leader(self) -> bool:
        """Whether the member leads the team."""
        return self.seat.is_leader

    @property
    def copy(self) -> Copy:
        """The words of the team's language."""
        return copy_for(self.seat.team.language)

    @property
    def today(self) -> date:
        """The date it is where the member is."""
        return local_today(self.seat.member, self.seat.team, self.now)

    async def post_in_channel(self, message: Message) -> None:
        """Post in the team channel; when that cannot be done, abandon the use case (so nothing
        it wrote is kept) with a reply that says why and what would work."""
        team, copy = self.team, self.copy
        if not team.channel_id:
            raise Abandon(text_reply(copy.text("wins.need_channel")))
        try:
            await self.chat.send_channel(
                platform=team.platform,
                workspace_id=team.workspace_id,
                channel_id=team.channel_id,
                message=message,
            )
        except (DeliveryError, RateLimitedError) as error:
            reason = error.reason if isinstance(error, DeliveryError) else "rate limited"
            said = copy("wins.post_failed", channel=team.channel_name or "", reason=reason)
            raise Abandon(text_reply(said)) from error

    async def seller(self, member_id: int) -> Member:
        """A seller of this member's team, by the id a button or form carried; a seller who has
        left abandons the use case with a reply that says so."""
        seller = await self.uow.teams.seller(self.team.id, member_id=member_id)
        if seller is None:
            raise Abandon(text_reply(self.copy("feedback.seller_gone")))
        return seller


class OpenHandler(Protocol):
    """A command anyone may type, in a team or not."""

    def __call__(self, *, turn: Turn, line: CommandLine) -> Awaitable[Reply]:
        """Answer the command."""
        ...


class TeamHandler(Protocol):
    """A command for members of a team."""

    def __call__(self, *, turn: TeamTurn, line: CommandLine) -> Awaitable[Reply]:
        """Answer the command."""
        ...


class ButtonHandler(Protocol[T_contra]):
    """A button press, its value already read into `target`."""

    def __call__(self, *, turn: TeamTurn, target: T_contra) -> Awaitable[Reply]:
        """Answer the press."""
        ...


class OpenButtonHandler(Protocol[T_contra]):
    """A button press by someone in no team (yet, or any more), its value read into `target`."""

    def __call__(self, *, turn: Turn, target: T_contra) -> Awaitable[Reply]:
        """Answer the press."""
        ...


class FormHandler(Protocol[T_contra]):
    """A submitted form, its context already read into `target`."""

    def __call__(self, *, turn: TeamTurn, target: T_contra, values: FormValues) -> Awaitable[Reply]:
        """Answer the submission."""
        ...


class Claim(Protocol):
    """A scheduled job: queue in the outbox (or do) what is due at `now`; returns how many were
    new. `policy`: the operator's privacy settings (how long notes are kept)."""

    def __call__(
        self, *, uow: UnitOfWork, now: datetime, queued_at: datetime, policy: Policy
    ) -> Awaitable[int]:
        """Queue what is due."""
        ...


class Composer(Protocol):
    """Turn leased deliveries of one kind into messages (None: nothing to send any more)."""

    def __call__(
        self, *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
    ) -> Awaitable[dict[int, Message | None]]:
        """Compose a batch (`policy`: what the operator set, such as Pepptalk's address)."""
        ...


class HomeView(Protocol):
    """What a person sees on Pepptalk's home."""

    def __call__(self, *, turn: Turn) -> Awaitable[Message]:
        """Compose the home view."""
        ...


class Section(StrEnum):
    """Where `help all` lists a habit's commands, in the order it shows them: the day's habits
    first, setting up and the rest after."""

    MORNINGS = "mornings"
    TALKS = "talks"
    WINS = "wins"
    MEETINGS = "meetings"
    DIGEST = "digest"
    TEAM = "team"
    NUMBERS = "numbers"
    DATA = "data"
    HELP = "help"
    MORE = "more"


@dataclass(frozen=True)
class OpenCommand:
    """A command anyone may use. `for_newcomers`: help lists it only to people without a team.
    `section`: where `help all` lists it (None: its habit's section)."""

    words: tuple[str, ...]
    help: str
    run: OpenHandler
    for_newcomers: bool = False
    section: Section | None = None


@dataclass(frozen=True)
class TeamCommand:
    """A command for team members; `role` narrows it, `refusal` is the prompt key when refused,
    `private` marks an answer for the asker's eyes only (a seller's mood, a leader's views),
    `section` is where `help all` lists it (None: its habit's section)."""

    words: tuple[str, ...]
    help: str
    run: TeamHandler
    role: Role | None = None
    refusal: str = ""
    private: bool = False
    section: Section | None = None


AnyCommand = OpenCommand | TeamCommand


@dataclass(frozen=True)
class ButtonSpec(Generic[T]):
    """A button: its action name, how its value is read (`unreadable`: the prompt key when it
    cannot be), who may press it, and what it does."""

    action: str
    read: Callable[[Press], T | None]
    run: ButtonHandler[T]
    role: Role | None = None
    unreadable: str = "errors.unknown_action"
    # What a press does for someone in no team (a second tap on "erase my data"); without it
    # they are told they are in no team.
    without_team: OpenButtonHandler[T] | None = None


@dataclass(frozen=True)
class FormSpec(Generic[T]):
    """A form: its action name, how its context is read, who may send it, and what it does."""

    action: str
    read: Callable[[str], T | None]
    run: FormHandler[T]
    role: Role | None = None
    unreadable: str = "errors.unknown_action"
    # Saved once per opening (its context carries what tells one opening from the next): a
    # second Save of the same form, a double tap or a stale card, stores nothing more.
    once: bool = False


def by_value(read: Callable[[str], T | None]) -> Callable[[Press], T | None]:
    """Read a button by its value alone (most buttons carry just an id or a date)."""

    def read_press(press: Press) -> T | None:
        return read(press.value)

    return read_press


class Abandon(Exception):  # noqa: N818 - it is an outcome, not a failure
    """Raised by a use case to undo everything it wrote and answer `reply` instead.

    The unit of work rolls back, so a use case never has to take back its own writes by hand.
    """

    def __init__(self, reply: Reply) -> None:
        super().__init__("use case abandoned")
        self.reply = reply


class Work(Protocol):
    """A scheduled job that does its work itself rather than queue messages (reading a CRM):
    in as many units of work of its own as it needs, so nothing waits on a long transaction;
    returns how much it did."""

    def __call__(self, *, database: Database, now: datetime, policy: Policy) -> Awaitable[int]:
        """Do what is due."""
        ...


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job, by the name `pepptalk send NAME` knows it by: one that queues (`claim`)
    or one that works (`work`; the schedule runs it beside the tick, never holding it up)."""

    name: str
    claim: Claim | None = None
    work: Work | None = None


@dataclass(frozen=True)
class ComposerSpec:
    """How the outbox turns one kind of delivery into messages. `for_its_day`: a message about
    its day (a check-in, a summary) that is not sent at all once that day is over where its
    reader is (a server down all day must not send Monday's check-in on Tuesday)."""

    kind: str
    compose: Composer
    for_its_day: bool = False


@dataclass(frozen=True)
class Habit:
    """Everything one habit offers. `on_text`: what words written to Pepptalk that are not a
    command mean (one habit may claim them); `section`: where `help all` lists its commands."""

    name: str
    commands: tuple[AnyCommand, ...] = ()
    buttons: tuple[ButtonSpec[Any], ...] = ()
    forms: tuple[FormSpec[Any], ...] = ()
    jobs: tuple[JobSpec, ...] = ()
    composers: tuple[ComposerSpec, ...] = ()
    home: HomeView | None = None
    on_text: TeamHandler | None = None
    section: Section = Section.MORE

    def within(self, section: Section) -> Habit:
        """The habit, listed by `help all` under `section`."""
        return replace(self, section=section)


class Registry:
    """The habits, gathered: what the grammar, the adapters, the sender and the schedule look up."""

    def __init__(self, habits: tuple[Habit, ...]) -> None:
        self.habits = habits
        self.commands: tuple[AnyCommand, ...] = tuple(
            c if c.section else replace(c, section=h.section) for h in habits for c in h.commands
        )
        self.buttons = _unique("button", ((b.action, b) for h in habits for b in h.buttons))
        self.forms = _unique("form", ((f.action, f) for h in habits for f in h.forms))
        self.jobs = _unique("job", ((j.name, j) for h in habits for j in h.jobs))
        self.composers = _unique(
            "composer", ((c.kind, c.compose) for h in habits for c in h.composers)
        )
        self.for_its_day = frozenset(c.kind for h in habits for c in h.composers if c.for_its_day)
        homes = [h.home for h in habits if h.home is not None]
        texts = [h.on_text for h in habits if h.on_text is not None]
        if len(homes) > 1 or len(texts) > 1:
            raise ValueError("only one habit may own the home view, and one the plain text")
        self.home: HomeView | None = homes[0] if homes else None
        self.on_text: TeamHandler | None = texts[0] if texts else None
        self.verbs = frozenset(c.words[0] for c in self.commands)

    def match(self, words: list[str]) -> list[AnyCommand]:
        """The commands the typed words name, longest match first (`team add` before `team`)."""
        typed = tuple(w.lower() for w in words)
        found = [c for c in self.commands if typed[: len(c.words)] == c.words]
        longest = max((len(c.words) for c in found), default=0)
        return [c for c in found if len(c.words) == longest]

    def composer(self, kind: str) -> Composer | None:
        """The composer for a stored delivery kind ("win:42" is composed by "win")."""
        return self.composers.get(kind.partition(":")[0])

    def only_on_its_day(self, kind: str) -> bool:
        """Whether a stored delivery kind goes out only on the day it is for."""
        return kind.partition(":")[0] in self.for_its_day


def _unique(what: str, pairs: Iterable[tuple[str, V]]) -> dict[str, V]:
    table: dict[str, V] = {}
    for key, value in pairs:
        if key in table:
            raise ValueError(f"two habits declare the {what} {key!r}")
        table[key] = value
    return table
