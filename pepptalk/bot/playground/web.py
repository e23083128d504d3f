"""The playground's routes: the page, commands, button presses, forms and the clock."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import time

from aiohttp import web

from pepptalk.bot.jobs import drain, run_job, tick
from pepptalk.bot.playground.cast import answer_checkins
from pepptalk.bot.playground.clock import PlaygroundClock
from pepptalk.bot.playground.inbox import Inbox, OpenForm, Posted, channel_key
from pepptalk.bot.playground.page import Person, render_page
from pepptalk.bot.playground.seed import PLATFORM, TEAM_NAME, WORKSPACE
from pepptalk.bot.playground.seed import Person as CastMember
from pepptalk.bot.services import Services
from pepptalk.core.calendar import parse_time
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.mentions import channel_mention, user_mention
from pepptalk.core.messages import Checkbox, Reply
from pepptalk.core.ports import Actor, FormValues, Press, Submission
from pepptalk.store.models import Team

_AT_WORD = re.compile(r"(?<![<\w])@([\w.\-]+)")
_HASH_WORD = re.compile(r"(?<![<\w])#([\w\-]+)")


@dataclass
class Playground:
    """The playground's own state beside the services: the cast, the inbox, the clock."""

    services: Services
    inbox: Inbox
    clock: PlaygroundClock
    cast: tuple[CastMember, ...]
    token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    flashes: dict[str, str] = field(default_factory=dict)

    def actor(self, user_id: str) -> Actor:
        """A cast member acting in the playground."""
        return Actor(workspace_id=WORKSPACE, user_id=user_id, platform=PLATFORM)

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

    def show(self, me: str, reply: Reply, *, source: int | None = None) -> None:
        """Put a reply where the person sees it: an open form, an update in place, or a post."""
        if reply.form is not None:
            self.inbox.forms[me] = OpenForm(form=reply.form, source_id=source)
        elif reply.message is not None and not (
            reply.replace and source is not None and self.inbox.replace(me, source, reply.message)
        ):
            self.inbox.post(me, reply.message, at=self.services.clock(), private=True)

    async def team_of(self, me: str) -> Team | None:
        """The visitor's own team, else the demo team: its language and times drive the page."""
        async with self.services.database.uow() as uow:
            seat = await uow.teams.membership(WORKSPACE, me)
            return seat.team if seat else await uow.teams.named(WORKSPACE, TEAM_NAME)

    async def copy_of(self, me: str) -> Copy:
        """The words of the visitor's team's language."""
        team = await self.team_of(me)
        return copy_for(team.language if team else "en")


PLAYGROUND = web.AppKey("playground", Playground)


def _playground(request: web.Request) -> Playground:
    return request.app[PLAYGROUND]


async def _form(request: web.Request) -> tuple[Playground, str, dict[str, str]]:
    """The posted form, after checking its token and who the visitor says they are."""
    playground = _playground(request)
    data = await request.post()
    form = {key: str(value) for key, value in data.items()}
    if form.get("token") != playground.token:
        raise web.HTTPForbidden(text="This page is out of date. Reload it and try again.")
    me = form.get("as", "")
    if me not in {p.user_id for p in playground.cast}:
        raise web.HTTPBadRequest(text="Choose who you are from the list first.")
    return playground, me, form


def _back(me: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/?as={me}#latest")


async def _people(playground: Playground, copy: Copy) -> list[Person]:
    people = []
    async with playground.services.database.uow() as uow:
        for person in playground.cast:
            seat = await uow.teams.membership(WORKSPACE, person.user_id)
            if seat is None:
                label = copy("playground.not_in_team", name=person.name)
            elif seat.is_leader:
                label = copy("playground.leader_mark", name=person.name)
            else:
                label = person.name
            people.append(Person(person.user_id, label))
    return people


async def _channel(playground: Playground, me: str) -> tuple[str, list[Posted]] | None:
    team = await playground.team_of(me)
    if team is None or not team.channel_id:
        return None
    name = f"#{team.channel_name or team.channel_id}"
    return name, playground.inbox.thread(channel_key(team.channel_id))


async def handle_page(request: web.Request) -> web.Response:
    """The page, as the person chosen sees it."""
    playground = _playground(request)
    cast = {p.user_id for p in playground.cast}
    me = request.query.get("as", "")
    me = me if me in cast else playground.cast[0].user_id
    copy = await playground.copy_of(me)
    local = playground.clock.local()
    clock_text = copy(
        "playground.clock",
        time=f"{copy.date(local.date())}, {local:%H:%M}",
        place=str(playground.clock.zone).split("/")[-1].replace("_", " "),
    )
    html = render_page(
        copy=copy,
        me=me,
        people=await _people(playground, copy),
        clock_text=clock_text,
        zone=playground.clock.zone,
        thread=playground.inbox.thread(me),
        open_form=playground.inbox.forms.get(me),
        token=playground.token,
        channel=await _channel(playground, me),
        flash=playground.flashes.pop(me, ""),
    )
    return web.Response(text=html, content_type="text/html")


async def _deliver(playground: Playground) -> None:
    """What a tap or a command queued "within the minute" (a win for the leader, an action for
    its owner, a welcome) shows at once: a visitor should not wait for the schedule's tick."""
    await drain(playground.services)


async def handle_command(request: web.Request) -> web.Response:
    """A command typed in the box."""
    playground, me, form = await _form(request)
    text = form.get("text", "").strip().removeprefix("/pepptalk").strip()
    habits = playground.services.habits
    playground.show(me, await habits.command(playground.actor(me), playground.mentions(text)))
    await _deliver(playground)
    raise _back(me)


async def handle_action(request: web.Request) -> web.Response:
    """A button pressed in a message."""
    playground, me, form = await _form(request)
    press = Press(
        action=form.get("action", ""), group=form.get("group", ""), value=form.get("value", "")
    )
    reply = await playground.services.habits.press(playground.actor(me), press)
    source = form.get("message", "")
    playground.show(me, reply, source=int(source) if source.isdigit() else None)
    await _deliver(playground)
    raise _back(me)


async def handle_form(request: web.Request) -> web.Response:
    """The open form sent (or cancelled)."""
    playground, me, form = await _form(request)
    inbox = playground.inbox
    open_form = inbox.forms.get(me)
    if open_form is None or form.get("submit") == "cancel":
        inbox.forms.pop(me, None)
        raise _back(me)
    values: FormValues = {
        field.name: form.get(field.name) == "yes"
        if isinstance(field, Checkbox)
        else form.get(field.name, "")
        for field in open_form.form.inputs
    }
    submission = Submission(
        action=open_form.form.action, context=open_form.form.context, values=values
    )
    reply = await playground.services.habits.submit(playground.actor(me), submission)
    if reply.form_errors:
        open_form.errors, open_form.values = reply.form_errors, values
        raise _back(me)
    inbox.forms.pop(me, None)
    playground.show(me, reply, source=open_form.source_id)
    await _deliver(playground)
    raise _back(me)


def _summary_time(checkin: str, delay: int) -> str:
    hours, minutes = (int(p) for p in checkin.split(":"))
    total = hours * 60 + minutes + delay
    return f"{total // 60 % 24:02d}:{total % 60:02d}"


async def handle_clock(request: web.Request) -> web.Response:
    """Move the clock forward, and let the schedule's tick run at the new time."""
    playground, me, form = await _form(request)
    team = await playground.team_of(me)
    checkin = team.checkin_time if team else "08:30"
    delay = team.summary_delay_minutes if team else 30
    choice = form.get("to", "")
    targets = {"morning": "08:00", "checkin": checkin, "summary": _summary_time(checkin, delay)}
    target = targets[choice] if choice in targets else parse_time(form.get("at", ""))
    if target is None:
        playground.flashes[me] = (await playground.copy_of(me))("playground.bad_time")
        raise _back(me)
    hours, minutes = (int(p) for p in target.split(":"))
    moment = playground.clock.next_at(time(hours, minutes), skip_weekends=choice == "morning")
    playground.clock.move_to(moment)
    # Check-ins first, so the rest of the team can answer before a summary is drawn up.
    await run_job(playground.services, "checkins")
    await answer_checkins(playground.services, playground.inbox, playing=me)
    await tick(playground.services)
    raise _back(me)


def register(app: web.Application, playground: Playground) -> None:
    """Serve the playground at / on `app`."""
    app[PLAYGROUND] = playground
    app.router.add_get("/", handle_page)
    app.router.add_post("/playground/command", handle_command)
    app.router.add_post("/playground/action", handle_action)
    app.router.add_post("/playground/form", handle_form)
    app.router.add_post("/playground/clock", handle_clock)
