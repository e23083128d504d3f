"""The playground's routes: the page, commands, button presses, forms, the clock and a reset."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from aiohttp import web

from pepptalk.bot.jobs import drain, run_job, tick
from pepptalk.bot.playground.cast import answer_checkins
from pepptalk.bot.playground.inbox import channel_key
from pepptalk.bot.playground.page import Clock, Person, View, link, render_notice, render_page
from pepptalk.bot.playground.render import field_name
from pepptalk.bot.playground.seed import WORKSPACE
from pepptalk.bot.playground.site import Playground
from pepptalk.bot.playground.upcoming import first_of, upcoming, weekly_slot
from pepptalk.core.calendar import parse_time
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.messages import Checkbox
from pepptalk.core.ports import FormValues, Press, Submission
from pepptalk.store.models import Team

PLAYGROUND = web.AppKey("playground", Playground)
VIEWS = ("dm", "home", "channel")
# The nudge follows the summary by five minutes: a jump past both stops for each.
NUDGE_AFTER_SUMMARY = timedelta(minutes=5)


def _playground(request: web.Request) -> Playground:
    return request.app[PLAYGROUND]


def _notice(status: type[web.HTTPException], copy: Copy, key: str, back: str) -> web.HTTPException:
    html = render_notice(
        copy=copy, title=copy(f"playground.{key}_title"), text=copy(f"playground.{key}"), back=back
    )
    return status(text=html, content_type="text/html")


async def _form(request: web.Request) -> tuple[Playground, str, dict[str, str]]:
    """The posted form, after checking its token and who the visitor says they are."""
    playground = _playground(request)
    data = await request.post()
    form = {key: str(value) for key, value in data.items()}
    me = form.get("as", "")
    known = me in {p.user_id for p in playground.cast}
    if form.get("token") != playground.token:
        # A page from before a reset (or from another playground): say so, with a way back.
        back = link(me, form.get("view", "dm")) if known else "/"
        raise _notice(web.HTTPForbidden, copy_for("en"), "stale", back)
    if not known:
        raise _notice(web.HTTPBadRequest, copy_for("en"), "choose_first", "/")
    return playground, me, form


def _back(me: str, form: dict[str, str], anchor: str = "latest") -> web.HTTPSeeOther:
    view = form.get("view", "dm")
    return web.HTTPSeeOther(f"{link(me, view if view in VIEWS else 'dm')}#{anchor}")


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


def _channel_name(team: Team | None) -> str | None:
    if team is None or not team.channel_id:
        return None
    return f"#{team.channel_name or team.channel_id}"


def _clock(playground: Playground, copy: Copy, team: Team | None) -> Clock:
    local = playground.clock.local()
    now = copy(
        "playground.clock",
        time=f"{copy.date(local.date())}, {local:%H:%M}",
        place=str(playground.clock.zone).split("/")[-1].replace("_", " "),
    )
    jumps = [
        ("morning", copy("playground.next_morning")),
        ("checkin", copy("playground.jump_checkin")),
        ("summary", copy("playground.jump_summary")),
    ]
    if team is None:
        return Clock(now, "", tuple(jumps))
    coming = upcoming(team, playground.clock())
    if team.meeting:
        jumps.append(("meeting", copy("playground.jump_meeting")))
    jumps.append(("digest", copy("playground.jump_digest")))
    following = ""
    if coming:
        soonest = coming[0].at.astimezone(playground.clock.zone)
        when = (
            f"{soonest:%H:%M}"
            if soonest.date() == local.date()
            else f"{copy.day(soonest.date())} {soonest:%H:%M}"
        )
        following = copy(f"playground.next_{coming[0].kind}", when=when)
    return Clock(now, following, tuple(jumps))


async def _view(playground: Playground, copy: Copy, me: str, name: str, team: Team | None) -> View:
    if name == "home":
        home = await playground.services.habits.home(playground.actor(me))
        return View(name, copy("playground.home"), [], home)
    channel = _channel_name(team)
    if name == "channel" and team is not None and team.channel_id and channel:
        return View(name, channel, playground.inbox.thread(channel_key(team.channel_id)))
    return View("dm", copy("playground.thread"), playground.inbox.thread(me))


async def handle_page(request: web.Request) -> web.Response:
    """The page, as the person chosen sees it."""
    playground = _playground(request)
    cast = {p.user_id for p in playground.cast}
    me = request.query.get("as", "")
    me = me if me in cast else playground.cast[0].user_id
    team = await playground.team_of(me)
    copy = copy_for(team.language if team else "en")
    html = render_page(
        copy=copy,
        me=me,
        people=await _people(playground, copy),
        clock=_clock(playground, copy, team),
        zone=playground.clock.zone,
        today=playground.clock.local().date(),
        view=await _view(playground, copy, me, request.query.get("view", "dm"), team),
        channel=_channel_name(team),
        open_form=playground.inbox.forms.get(me),
        token=playground.token,
        version=playground.live_version(),
        flash=playground.flashes.pop(me, ""),
    )
    return web.Response(text=html, content_type="text/html")


async def handle_live(request: web.Request) -> web.Response:
    """A short answer the page asks for now and then: has anything changed?"""
    return web.Response(text=_playground(request).live_version())


async def _deliver(playground: Playground) -> None:
    """What a tap or a command queued "within the minute" (a win for the leader, an action for
    its owner, a welcome) shows at once: a visitor should not wait for the schedule's tick."""
    await drain(playground.services)


async def handle_command(request: web.Request) -> web.Response:
    """A command typed in the box."""
    playground, me, form = await _form(request)
    text = form.get("text", "").strip().removeprefix("/pepptalk").strip()
    habits = playground.services.habits
    await playground.show(me, await habits.command(playground.actor(me), playground.mentions(text)))
    await _deliver(playground)
    raise _back(me, {"view": "dm"})


async def handle_action(request: web.Request) -> web.Response:
    """A button pressed in a message."""
    playground, me, form = await _form(request)
    press = Press(
        action=form.get("action", ""), group=form.get("group", ""), value=form.get("value", "")
    )
    reply = await playground.services.habits.press(playground.actor(me), press)
    source_text = form.get("message", "")
    source = int(source_text) if source_text.isdigit() else None
    await playground.show(me, reply, source=source)
    await _deliver(playground)
    # A form opens over the message it came from; any other answer is at the bottom of the DM.
    if reply.form is not None:
        raise _back(me, form, f"m{source}" if source is not None else "latest")
    raise _back(me, form if reply.replace else {"view": "dm"})


async def handle_form(request: web.Request) -> web.Response:
    """The open form sent (or cancelled)."""
    playground, me, form = await _form(request)
    inbox = playground.inbox
    open_form = inbox.forms.get(me)
    if open_form is None or form.get("submit") == "cancel":
        inbox.forms.pop(me, None)
        # Back where the person was: at the message the form came from.
        source = open_form.source_id if open_form is not None else None
        raise _back(me, form, f"m{source}" if source is not None else "latest")
    values: FormValues = {
        field.name: form.get(field_name(field.name)) == "yes"
        if isinstance(field, Checkbox)
        else form.get(field_name(field.name), "")
        for field in open_form.form.inputs
    }
    submission = Submission(
        action=open_form.form.action, context=open_form.form.context, values=values
    )
    reply = await playground.services.habits.submit(playground.actor(me), submission)
    if reply.form_errors:
        open_form.errors, open_form.values = reply.form_errors, values
        raise _back(me, form)
    inbox.forms.pop(me, None)
    await playground.show(me, reply, source=open_form.source_id)
    # A CRM just connected through its form shows its first weeks at once, not at the next
    # minute's tick (with nothing due this only looks). The job sends the outbox after.
    await run_job(playground.services, "crm")
    source = open_form.source_id
    raise _back(me, form, f"m{source}" if reply.replace and source is not None else "latest")


async def handle_clock(request: web.Request) -> web.Response:
    """Move the clock forward, and let the schedule's tick run at the new time."""
    playground, me, form = await _form(request)
    team = await playground.team_of(me)
    choice = form.get("to", "")
    moment = None
    if choice in ("checkin", "summary", "meeting", "digest", "agenda") and team is not None:
        found = first_of(choice, upcoming(team, playground.clock()))
        moment = found.at if found is not None else None
        if choice == "meeting" and moment is None and (slot := weekly_slot(team.meeting)):
            moment = playground.clock.next_at(slot[1], weekday=slot[0])
    elif choice == "morning":
        moment = playground.clock.next_at(time(8, 0), skip_weekends=True)
    else:
        target = parse_time(form.get("at", ""))
        if target is not None:
            moment = playground.clock.next_at(time(int(target[:2]), int(target[3:])))
    if moment is None:
        playground.flashes[me] = (await playground.copy_of(me))("playground.bad_time")
        raise _back(me, form)
    # Every scheduled moment on the way happens, as it would have while the demo ran: a jump
    # to the meeting brings the mornings before it and the draft agenda the day before.
    stops = [u.at for u in upcoming(team, playground.clock()) if u.at < moment] if team else []
    stops += [at + NUDGE_AFTER_SUMMARY for at in stops if at + NUDGE_AFTER_SUMMARY < moment]
    for stop in [*sorted(set(stops)), moment]:
        await _run_at(playground, me, stop)
    raise _back(me, form)


async def _run_at(playground: Playground, me: str, moment: datetime) -> None:
    """Move the clock to `moment` and let the schedule run there."""
    await playground.move_clock(moment)
    # The CRM sync runs in the night, before the morning: awaited here, not beside the tick, so
    # its figures are in place when the page comes back (the tick's own run then finds it done).
    await run_job(playground.services, "crm")
    # Check-ins first, so the rest of the team can answer before a summary is drawn up.
    await run_job(playground.services, "checkins")
    await answer_checkins(playground.services, playground.inbox, playing=me)
    await tick(playground.services)


async def handle_reset(request: web.Request) -> web.Response:
    """Start the demo over (the page asks to confirm first)."""
    playground, me, form = await _form(request)
    await playground.reset()
    playground.flashes[me] = (await playground.copy_of(me))("playground.reset_done")
    raise _back(me, {"view": "dm"})


def register(app: web.Application, playground: Playground) -> None:
    """Serve the playground at / on `app`."""
    app[PLAYGROUND] = playground
    app.router.add_get("/", handle_page)
    app.router.add_get("/playground/live", handle_live)
    app.router.add_post("/playground/command", handle_command)
    app.router.add_post("/playground/action", handle_action)
    app.router.add_post("/playground/form", handle_form)
    app.router.add_post("/playground/clock", handle_clock)
    app.router.add_post("/playground/reset", handle_reset)
