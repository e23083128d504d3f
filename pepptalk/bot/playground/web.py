"""The playground's routes: the page, commands, button presses, forms and the clock."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import time

from aiohttp import web

from pepptalk.bot.jobs import tick
from pepptalk.bot.playground.clock import PlaygroundClock
from pepptalk.bot.playground.inbox import Inbox, OpenForm, Posted, channel_key
from pepptalk.bot.playground.page import Person, render_page
from pepptalk.bot.playground.seed import PLATFORM, TEAM_NAME, WORKSPACE
from pepptalk.bot.playground.seed import Person as CastMember
from pepptalk.bot.services import Services
from pepptalk.handlers.actions import press_button, submit_form
from pepptalk.handlers.calendar import parse_time
from pepptalk.handlers.commands import run_command
from pepptalk.handlers.i18n import Copy, copy_for
from pepptalk.handlers.messages import Checkbox, Reply
from pepptalk.handlers.models import Team
from pepptalk.handlers.ports import Actor

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
            return f"<@{found}|{match.group(1)}>" if found else match.group(0)

        text = _AT_WORD.sub(user, text)
        return _HASH_WORD.sub(lambda m: f"<#{m.group(1)}|{m.group(1)}>", text)


def _ids(form: dict[str, str], playground: Playground) -> str:
    if form.get("token") != playground.token:
        raise web.HTTPForbidden(text="This page is out of date. Reload it and try again.")
    me = form.get("as", "")
    if me not in {p.user_id for p in playground.cast}:
        raise web.HTTPBadRequest(text="Choose who you are from the list first.")
    return me


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {key: str(value) for key, value in data.items()}


def _back(me: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/?as={me}#latest")


def register(app: web.Application, playground: Playground) -> None:
    """Serve the playground at / on `app`."""
    services, inbox = playground.services, playground.inbox

    def show(me: str, reply: Reply, *, source: int | None = None) -> None:
        at = services.clock()
        if reply.form is not None:
            inbox.forms[me] = OpenForm(form=reply.form, source_id=source)
        elif reply.message is not None and not (
            reply.replace and source is not None and inbox.replace(me, source, reply.message)
        ):
            inbox.post(me, reply.message, at=at, private=True)

    async def team_of(me: str) -> Team | None:
        # The visitor's own team, else the demo team: its language and times drive the page.
        seat = await services.store.membership(WORKSPACE, me)
        return seat.team if seat else await services.store.team_named(WORKSPACE, TEAM_NAME)

    async def channel_of(me: str) -> tuple[str, list[Posted]] | None:
        team = await team_of(me)
        if team is None or not team.channel_id:
            return None
        name = f"#{team.channel_name or team.channel_id}"
        return name, inbox.thread(channel_key(team.channel_id))

    async def copy_of(me: str) -> Copy:
        team = await team_of(me)
        return copy_for(team.language if team else "en")

    async def page(request: web.Request) -> web.Response:
        me = request.query.get("as") or playground.cast[0].user_id
        if me not in {p.user_id for p in playground.cast}:
            me = playground.cast[0].user_id
        copy = await copy_of(me)
        people = []
        for person in playground.cast:
            seat = await services.store.membership(WORKSPACE, person.user_id)
            if seat is None:
                label = copy("playground.not_in_team", name=person.name)
            elif seat.is_leader:
                label = copy("playground.leader_mark", name=person.name)
            else:
                label = person.name
            people.append(Person(person.user_id, label))
        local = playground.clock.local()
        clock_text = copy(
            "playground.clock",
            time=f"{copy.date(local.date())}, {local:%H:%M}",
            place=str(playground.clock.zone).split("/")[-1].replace("_", " "),
        )
        html = render_page(
            copy=copy,
            me=me,
            people=people,
            clock_text=clock_text,
            zone=playground.clock.zone,
            thread=inbox.thread(me),
            open_form=inbox.forms.get(me),
            token=playground.token,
            channel=await channel_of(me),
            flash=playground.flashes.pop(me, ""),
        )
        return web.Response(text=html, content_type="text/html")

    async def command(request: web.Request) -> web.Response:
        form = await _form(request)
        me = _ids(form, playground)
        text = form.get("text", "").strip().removeprefix("/pepptalk").strip()
        reply = await run_command(
            store=services.store,
            chat=services.chat,
            actor=playground.actor(me),
            text=playground.mentions(text),
            now=services.clock(),
        )
        show(me, reply)
        raise _back(me)

    async def action(request: web.Request) -> web.Response:
        form = await _form(request)
        me = _ids(form, playground)
        reply = await press_button(
            store=services.store,
            chat=services.chat,
            actor=playground.actor(me),
            action=form.get("action", ""),
            group=form.get("group", ""),
            value=form.get("value", ""),
            now=services.clock(),
        )
        source = form.get("message", "")
        show(me, reply, source=int(source) if source.isdigit() else None)
        raise _back(me)

    async def submit(request: web.Request) -> web.Response:
        form = await _form(request)
        me = _ids(form, playground)
        open_form = inbox.forms.get(me)
        if open_form is None or form.get("submit") == "cancel":
            inbox.forms.pop(me, None)
            raise _back(me)
        values: dict[str, str | bool] = {
            field.name: form.get(field.name) == "yes"
            if isinstance(field, Checkbox)
            else form.get(field.name, "")
            for field in open_form.form.inputs
        }
        reply = await submit_form(
            store=services.store,
            actor=playground.actor(me),
            action=open_form.form.action,
            context=open_form.form.context,
            values=values,
            now=services.clock(),
        )
        if reply.form_errors:
            open_form.errors, open_form.values = reply.form_errors, values
            raise _back(me)
        inbox.forms.pop(me, None)
        show(me, reply, source=open_form.source_id)
        raise _back(me)

    async def move_clock(request: web.Request) -> web.Response:
        form = await _form(request)
        me = _ids(form, playground)
        copy = await copy_of(me)
        team = await team_of(me)
        checkin = team.checkin_time if team else "08:30"
        delay = team.summary_delay_minutes if team else 30
        choice = form.get("to", "")
        target: str | None
        if choice == "morning":
            target, weekdays_only = "08:00", True
        elif choice == "checkin":
            target, weekdays_only = checkin, False
        elif choice == "summary":
            hours, minutes = (int(p) for p in checkin.split(":"))
            total = hours * 60 + minutes + delay
            target, weekdays_only = f"{total // 60 % 24:02d}:{total % 60:02d}", False
        else:
            target, weekdays_only = parse_time(form.get("at", "")), False
        if target is None:
            playground.flashes[me] = copy("playground.bad_time")
            raise _back(me)
        hours, minutes = (int(p) for p in target.split(":"))
        moment = playground.clock.next_at(time(hours, minutes), skip_weekends=weekdays_only)
        playground.clock.move_to(moment)
        await tick(services)
        raise _back(me)

    app.router.add_get("/", page)
    app.router.add_post("/playground/command", command)
    app.router.add_post("/playground/action", action)
    app.router.add_post("/playground/form", submit)
    app.router.add_post("/playground/clock", move_clock)
