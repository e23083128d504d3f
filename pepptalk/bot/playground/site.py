"""The playground as one object: the services on its own database, the cast, the inbox, the
clock and its page token, all kept in that database so a restart goes on where the demo was."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pepptalk.bot.playground.chat import PlaygroundChat
from pepptalk.bot.playground.clock import PlaygroundClock
from pepptalk.bot.playground.demo_crm import demo_access
from pepptalk.bot.playground.inbox import Inbox, OpenForm
from pepptalk.bot.playground.seed import CAST, PLATFORM, TEAM_NAME, WORKSPACE, directory, seed_demo
from pepptalk.bot.playground.seed import Person as CastMember
from pepptalk.bot.playground.state import PlaygroundState
from pepptalk.bot.services import Clock, Services
from pepptalk.core.calendar import zone
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.mentions import channel_mention, user_mention
from pepptalk.core.messages import Reply
from pepptalk.core.ports import Actor
from pepptalk.core.privacy import DEFAULT_POLICY, Policy
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from pepptalk.store.models import Team

DEMO_ZONE = "Europe/Oslo"
_AT_WORD = re.compile(r"(?<![<\w])@([\w.\-]+)")
_HASH_WORD = re.compile(r"(?<![<\w])#([\w\-]+)")
_OFFSET = "clock_offset_seconds"
_TOKEN = "page_token"  # noqa: S105 - the name of a setting, not a secret


@dataclass
class Playground:
    """The playground's own state beside the services: the cast, the inbox, the clock."""

    services: Services
    inbox: Inbox
    clock: PlaygroundClock
    state: PlaygroundState
    cast: tuple[CastMember, ...] = CAST
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    flashes: dict[str, str] = field(default_factory=dict)

    def actor(self, user_id: str) -> Actor:
        """A cast member acting in the playground."""
        return Actor(workspace_id=WORKSPACE, user_id=user_id, platform=PLATFORM)

    def name_of(self, user_id: str) -> str:
        """A cast member's full name."""
        return next((p.name for p in self.cast if p.user_id == user_id), user_id)

    def mentions(self, text: str) -> str:
        """Typed @names and #channels as the mentions a chat platform would send."""
        by_name: dict[str, str] = {}
        for person in self.cast:
            first = person.name.split()[0].lower()
            for key in (person.user_id.lower(), first, person.name.lower().replace(" ", ".")):
                by_name[key] = person.user_id

        def user(match: re.Match[str]) -> str:
            found = by_name.get(match.group(1).lower())
            return user_mention(found, match.group(1)) if found else match.group(0)

        text = _AT_WORD.sub(user, text)
        return _HASH_WORD.sub(lambda m: channel_mention(m.group(1), m.group(1)), text)

    async def show(self, me: str, reply: Reply, *, source: int | None = None) -> None:
        """Put a reply where the person sees it: an open form, an update in place, or a post."""
        if reply.form is not None:
            self.inbox.forms[me] = OpenForm(form=reply.form, source_id=source)
        elif reply.message is not None and not (
            reply.replace
            and source is not None
            and await self.inbox.replace(me, source, reply.message)
        ):
            await self.inbox.post(me, reply.message, at=self.services.clock(), private=True)

    async def team_of(self, me: str) -> Team | None:
        """The visitor's own team, else the demo team: its language and times drive the page."""
        async with self.services.database.uow() as uow:
            seat = await uow.teams.membership(WORKSPACE, me)
            return seat.team if seat else await uow.teams.named(WORKSPACE, TEAM_NAME)

    async def copy_of(self, me: str) -> Copy:
        """The words of the visitor's team's language."""
        team = await self.team_of(me)
        return copy_for(team.language if team else "en")

    async def move_clock(self, moment: datetime) -> bool:
        """Move the clock forward to `moment` and keep where it is."""
        moved = self.clock.move_to(moment)
        if moved:
            await self.state.put_setting(_OFFSET, str(self.clock.offset.total_seconds()))
        return moved

    def live_version(self) -> str:
        """Changes whenever anything on anyone's page would: a new or changed message, the clock."""
        return f"{self.inbox.version}-{int(self.clock.offset.total_seconds())}"

    async def reset(self) -> None:
        """Start the demo over: every table emptied, the clock back to now, the team reseeded."""
        await self.state.clear()
        self.clock.offset = timedelta()
        self.flashes.clear()
        await self.state.put_setting(_TOKEN, self.token)
        await seed_demo(
            self.services.database,
            today=self.clock.local().date(),
            now=self.clock(),
            crm=self.services.policy.crm,
        )
        await self.inbox.load()


async def open_playground(
    database: Database,
    *,
    real_clock: Clock,
    policy: Policy = DEFAULT_POLICY,
    keys: Sequence[str] = (),
) -> Playground:
    """The playground on its own (migrated) database: seeded once, its clock and threads read
    back from where the last run left them, its CRMs the demo CRM (sealed with `keys`, the
    operator's PEPPTALK_ENCRYPTION_KEY, when set)."""
    state = PlaygroundState(database.engine)
    await state.create()
    clock = PlaygroundClock(zone(DEMO_ZONE), real_clock, await state.clock_offset())
    policy = replace(policy, crm=demo_access(database, clock, keys))
    await seed_demo(database, today=clock.local().date(), now=clock(), crm=policy.crm)
    inbox = Inbox(state)
    await inbox.load()
    # The page's token is kept too, so a page that was open across a restart still works.
    token = await state.setting(_TOKEN)
    if token is None:
        token = secrets.token_urlsafe(16)
        await state.put_setting(_TOKEN, token)
    chat = PlaygroundChat(inbox, directory(), clock)
    services = Services(database=database, chat=chat, registry=REGISTRY, clock=clock, policy=policy)
    return Playground(services=services, inbox=inbox, clock=clock, state=state, token=token)
