"""The one entry every adapter calls: a command, a button press, a form, the home view.

Each call is one use case in one unit of work: it commits when the reply is ready, and rolls
back when the use case abandons or breaks, so a mood tap's writes land together or not at all.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar

from pepptalk.core.crm import CrmKind, CrmOwner, CrmSecret
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import Platform, Role
from pepptalk.core.messages import Message, Reply, text_reply
from pepptalk.core.ports import Actor, Chat, Press, Submission, UserProfile
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.crm_operator import ConnectionCheck as ConnectionCheck
from pepptalk.handlers.crm_operator import (
    check_connections,
    connect_signed_in,
    sync_named_team,
)
from pepptalk.handlers.crm_sync import OnPage
from pepptalk.handlers.crm_sync import SyncReport as SyncReport
from pepptalk.handlers.grammar import COMMAND_MAX, CommandLine, tokens
from pepptalk.handlers.habit import Abandon, OpenCommand, Registry, TeamCommand, TeamTurn, Turn
from pepptalk.handlers.help import suggestion
from pepptalk.handlers.history import TeamHistory, own_data, team_history
from pepptalk.handlers.metrics import (
    MAX_BODY,
    import_by_token,
    import_for_team,
    import_from_chat,
    read_body,
)
from pepptalk.handlers.metrics import ImportReport as ImportReport
from pepptalk.handlers.metrics import Refused as Refused
from pepptalk.store.database import Database, out_of_reach, reconnected
from pepptalk.store.models import Team
from pepptalk.store.teams import Membership

log = logging.getLogger(__name__)
# What adapters need of the metrics habit: the size they may read, and what an import answers.
MAX_METRICS_BODY = MAX_BODY
R = TypeVar("R")
Clock = Callable[[], datetime]
_REFUSALS = {Role.LEADER: "errors.leaders_only", Role.SELLER: "errors.sellers_only"}
# Use cases under way at once; the rest wait their turn in the order they came. Left to wait in
# the database pool instead, they would race for each connection that comes back, and under load
# one request can lose that race again and again (the slowest answers' whole wait). Fewer than
# the pool's 15 connections, so the schedule and the outbox still find one.
AT_ONCE = 10


def _refusal(copy: Copy, role: Role | None, key: str = "") -> Reply:
    return text_reply(copy.text(key or _REFUSALS.get(role or Role.LEADER, "errors.leaders_only")))


def _team_turn(turn: Turn) -> TeamTurn | None:
    if turn.seat is None:
        return None
    return TeamTurn(
        turn.uow, turn.chat, turn.actor, turn.seat, turn.now, turn.commands, turn.policy
    )


class Habits:
    """Pepptalk's habits behind one door, for Slack, Teams and the playground alike."""

    def __init__(
        self,
        *,
        registry: Registry,
        database: Database,
        chat: Chat,
        clock: Clock,
        policy: Policy = DEFAULT_POLICY,
    ) -> None:
        self.registry = registry
        self.database = database
        self.chat = chat
        self.clock = clock
        self.policy = policy
        # Use cases that broke with an error, by what was being handled (for /metrics).
        self.failures: Counter[str] = Counter()
        self._turns = asyncio.Semaphore(AT_ONCE)

    async def command(self, actor: Actor, text: str) -> Reply:
        """Answer one command, typed after `/pepptalk` (or to the bot in Teams)."""
        return await self._guarded(actor, "a command", lambda turn: self._command(turn, text))

    async def direct_message(self, actor: Actor, text: str) -> Reply:
        """Words written straight to Pepptalk: a command when they start like one, else today's
        note (or whatever the habit that owns plain text makes of them)."""
        said = text.strip()
        words = tokens(said.removeprefix("/pepptalk").strip())
        # Written as a command ("/pepptalk …") it is one, even a word Pepptalk does not know.
        explicit = said.startswith("/pepptalk")
        if not words or explicit or words[0].lower() in self.registry.verbs | {"help"}:
            return await self.command(actor, " ".join(words))
        return await self._guarded(actor, "a direct message", lambda turn: self._text(turn, text))

    async def press(self, actor: Actor, press: Press) -> Reply:
        """Answer a button press."""
        return await self._guarded(actor, "a button", lambda turn: self._press(turn, press))

    async def submit(self, actor: Actor, submission: Submission) -> Reply:
        """Answer a submitted form."""
        return await self._guarded(actor, "a form", lambda turn: self._submit(turn, submission))

    async def home(self, actor: Actor) -> Message:
        """What this person sees on Pepptalk's home."""
        home = self.registry.home
        if home is None:
            return Message(summary="Pepptalk")
        return await self._run(actor, lambda turn: home(turn=turn))

    async def help(self, actor: Actor) -> Message:
        """What this person can do (Teams greets with it when installed)."""
        reply = await self.command(actor, "help")
        return reply.message or Message(summary="Pepptalk")

    async def import_metrics(
        self, *, token: str, body: bytes, content_type: str
    ) -> ImportReport | Refused | None:
        """The metrics API: a body of figures for the team whose token it carries (None: the
        token is not one Pepptalk gave out, whatever the body). Nothing is stored when the body
        is refused."""
        async with self.database.uow() as uow:
            return await import_by_token(
                uow=uow, token=token, rows=lambda: read_body(body, content_type), now=self.clock()
            )

    async def import_metrics_for(
        self, *, team: str, workspace_id: str | None, body: bytes
    ) -> ImportReport | Refused:
        """An operator's CSV file of figures for a team they name."""
        rows = read_body(body, "text/csv")
        if isinstance(rows, Refused):
            return rows
        async with self.database.uow() as uow:
            return await import_for_team(
                uow=uow, team_name=team, workspace_id=workspace_id, rows=rows, now=self.clock()
            )

    async def sync_crm(
        self, *, team: str, workspace_id: str | None, since: date | None, on_page: OnPage | None
    ) -> SyncReport | str:
        """`pepptalk crm sync`: read a named team's CRM now (what is wrong, as text, instead)."""
        return await sync_named_team(
            database=self.database,
            crm=self.policy.crm,
            team=team,
            workspace_id=workspace_id,
            now=self.clock(),
            since=since,
            on_page=on_page,
        )

    async def check_crm(self) -> list[ConnectionCheck]:
        """`pepptalk doctor`: every team's CRM connection, checked against its CRM."""
        return await check_connections(database=self.database, crm=self.policy.crm)

    async def connect_signed_in(
        self,
        *,
        team_id: int,
        member_id: int,
        kind: CrmKind,
        secret: CrmSecret,
        account: str,
        owners: list[CrmOwner],
    ) -> Message | None:
        """A leader back from signing in to their CRM: keep the connection, say what was found."""
        return await connect_signed_in(
            database=self.database,
            crm=self.policy.crm,
            team_id=team_id,
            member_id=member_id,
            kind=kind,
            secret=secret,
            account=account,
            owners=owners,
            now=self.clock(),
        )

    async def import_metrics_file(self, actor: Actor, text: str) -> Reply:
        """A CSV file a leader dropped into the chat with Pepptalk."""

        async def use(turn: Turn) -> Reply:
            team_turn = _team_turn(turn)
            if team_turn is None:
                return text_reply(turn.copy.text("errors.no_team"))
            return await import_from_chat(turn=team_turn, text=text)

        return await self._guarded(actor, "a metrics file", use)

    async def copy_of(self, actor: Actor) -> Copy:
        """The words of the person's team (English for someone in no team), for what an adapter
        says on its own."""
        async with self.database.uow() as uow:
            seat = await uow.teams.membership(actor.workspace_id, actor.user_id)
        return copy_for(seat.team.language if seat else "en")

    async def seats_of(
        self, platform: Platform, workspace_ids: Iterable[str], user_id: str
    ) -> list[Membership]:
        """Where someone signed in to the history pages sits today (asked on every page)."""
        async with self.database.uow() as uow:
            return await uow.history.seats(platform, workspace_ids, user_id)

    async def team_history(self, team: Team) -> TeamHistory:
        """A team's weeks, for its leaders' history page."""
        async with self.database.uow() as uow:
            return await team_history(uow=uow, team=team, now=self.clock())

    async def own_data(self, seat: Membership) -> dict[str, Any]:
        """Everything kept about the person in a seat: the document `export` gives."""
        async with self.database.uow() as uow:
            return await own_data(uow=uow, seat=seat, now=self.clock())

    async def update_profile(self, workspace_id: str, profile: UserProfile) -> None:
        """Keep a person's name and time zone as their platform reports them."""
        async with self.database.uow() as uow:
            await uow.teams.update_profile(workspace_id=workspace_id, profile=profile)

    async def _run(self, actor: Actor, use: Callable[[Turn], Awaitable[R]]) -> R:
        try:
            return await self._once(actor, use)
        except Exception as error:
            # The connection broke under the use case (rolled back whole): once more on a fresh
            # one, so a database back from a short outage answers the first request after it.
            if not reconnected(error):
                raise
            log.warning("database connection lost; trying once more: %s", type(error).__name__)
        return await self._once(actor, use)

    async def _once(self, actor: Actor, use: Callable[[Turn], Awaitable[R]]) -> R:
        async with self._turns, self.database.uow() as uow:
            seat = await uow.teams.membership(actor.workspace_id, actor.user_id)
            turn = Turn(
                uow, self.chat, actor, seat, self.clock(), self.registry.commands, self.policy
            )
            return await use(turn)

    async def _guarded(
        self, actor: Actor, what: str, use: Callable[[Turn], Awaitable[Reply]]
    ) -> Reply:
        language = "en"

        async def remembering_language(turn: Turn) -> Reply:
            nonlocal language
            language = turn.seat.team.language if turn.seat else "en"
            return await use(turn)

        try:
            return await self._run(actor, remembering_language)
        except Abandon as abandoned:
            return abandoned.reply
        except Exception as error:
            if out_of_reach(error):
                # An outage, not a bug: one line for the operator, and the person is told why.
                said = (str(getattr(error, "orig", None) or error).splitlines() or [""])[0][:200]
                log.error("handling %s: the database is out of reach: %s", what, said)
                return text_reply(copy_for(language).text("errors.storage_unavailable"))
            # A bug must not leave the person in silence: log it, say so calmly, in their language.
            log.exception("handling %s failed", what)
            self.failures[what] += 1
            return text_reply(copy_for(language).text("errors.something_wrong"))

    async def _command(self, turn: Turn, text: str) -> Reply:
        copy = turn.copy
        text = text.strip()
        if len(text) > COMMAND_MAX:
            return text_reply(
                copy.text("errors.command_too_long", length=len(text), max=COMMAND_MAX)
            )
        if not text:
            text = "help"
        words = tokens(text)
        matches = self.registry.match(words)
        # A slip of the finger ("sene", "team ad") is answered with the command it was close to,
        # not run: only the person knows what they meant.
        known = len(matches[0].words) if matches else 0
        meant = suggestion(turn, words, known)
        if meant is not None:
            return meant
        if not matches:
            return text_reply(copy.text("errors.unknown_command", word=words[0][:40]))
        first = matches[0]
        line = CommandLine(text=text, command_words=len(first.words))
        if isinstance(first, OpenCommand):
            return await first.run(turn=turn, line=line)
        team_turn = _team_turn(turn)
        if team_turn is None:
            return text_reply(copy.text("errors.no_team"))
        role = team_turn.member.role
        fitting = [c for c in matches if isinstance(c, TeamCommand) and c.role in (None, role)]
        if not fitting:
            refused = next(c for c in matches if isinstance(c, TeamCommand))
            return _refusal(copy, refused.role, refused.refusal)
        chosen = fitting[0]
        reply = await chosen.run(turn=team_turn, line=line)
        return replace(reply, private=True) if chosen.private else reply

    async def _text(self, turn: Turn, text: str) -> Reply:
        team_turn = _team_turn(turn)
        if team_turn is None or self.registry.on_text is None:
            return text_reply(turn.copy.text("errors.no_team"))
        return await self.registry.on_text(turn=team_turn, line=CommandLine(text, 0))

    async def _press(self, turn: Turn, press: Press) -> Reply:
        team_turn = _team_turn(turn)
        spec = self.registry.buttons.get(press.action)
        if spec is None:
            key = "errors.no_team" if team_turn is None else "errors.unknown_action"
            return text_reply(turn.copy.text(key))
        if team_turn is None and spec.without_team is None:
            return text_reply(turn.copy.text("errors.no_team"))
        target = spec.read(press)
        if target is None:
            return text_reply(turn.copy.text(spec.unreadable))
        if team_turn is None:
            if spec.without_team is None:  # pragma: no cover - answered above
                return text_reply(turn.copy.text("errors.no_team"))
            return await spec.without_team(turn=turn, target=target)
        if spec.role not in (None, team_turn.member.role):
            return _refusal(turn.copy, spec.role)
        return await spec.run(turn=team_turn, target=target)

    async def _submit(self, turn: Turn, submission: Submission) -> Reply:
        team_turn = _team_turn(turn)
        if team_turn is None:
            return text_reply(turn.copy.text("errors.no_team"))
        spec = self.registry.forms.get(submission.action)
        if spec is None:
            return text_reply(turn.copy.text("errors.unknown_action"))
        target = spec.read(submission.context)
        if target is None:
            return text_reply(turn.copy.text(spec.unreadable))
        if spec.role not in (None, team_turn.member.role):
            return _refusal(turn.copy, spec.role)
        reply = await spec.run(turn=team_turn, target=target, values=submission.values)
        if spec.once and not reply.form_errors:
            fresh = await turn.uow.events.remember(
                event_id=f"form:{submission.action}:{submission.context}"[:128],
                workspace_id=turn.actor.workspace_id,
                now=turn.now,
            )
            if not fresh:
                # Saved already: what this save wrote is undone with the rest of the turn.
                raise Abandon(text_reply(turn.copy.text("errors.form_saved_already")))
        return reply
