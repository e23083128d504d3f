"""The playground page, drawn like a chat workspace: a rail with the direct messages, Home and
the team channel beside the clock, and the open conversation with its days, newest at the bottom.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, tzinfo
from html import escape
from importlib import resources
from itertools import groupby
from urllib.parse import urlencode

from pepptalk.bot.playground.inbox import OpenForm, Posted
from pepptalk.bot.playground.render import hidden, render_form_html, render_message_html
from pepptalk.core.i18n import Copy
from pepptalk.core.messages import Message


@dataclass(frozen=True)
class Person:
    """Someone the visitor can be."""

    user_id: str
    label: str


@dataclass(frozen=True)
class Clock:
    """The clock panel: what time it is, what comes next, and where the buttons jump to."""

    now: str
    next: str
    jumps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class View:
    """The conversation on show: the DM, Home or the channel."""

    name: str
    title: str
    posts: list[Posted]
    home: Message | None = None


# The page's look and its few lines of script, inlined so nothing is fetched from anywhere.
_FILES = resources.files("pepptalk.bot.playground")
STYLE = _FILES.joinpath("playground.css").read_text("utf-8")
SCRIPT = _FILES.joinpath("playground.js").read_text("utf-8")


def link(me: str, view: str) -> str:
    """The address of a view for a person."""
    return "/?" + urlencode({"as": me, "view": view})


def render_page(
    *,
    copy: Copy,
    me: str,
    people: list[Person],
    clock: Clock,
    zone: tzinfo,
    today: date,
    view: View,
    channel: str | None,
    open_form: OpenForm | None,
    token: str,
    version: str,
    flash: str = "",
) -> str:
    """The whole page for the person `me`."""
    context: dict[str, object] = {"as": me, "token": token, "view": view.name}
    if view.home is not None:
        body = f'<div class="msg home">{render_message_html(view.home, context=context)}</div>'
    elif view.posts:
        body = _days(view.posts, copy=copy, zone=zone, today=today, context=context)
    else:
        empty = "playground.channel_empty" if view.name == "channel" else "playground.empty"
        body = f'<p class="hint">{escape(copy(empty))}</p>'
    composer = ""
    if view.name == "dm":
        composer = f"""<form method="post" action="/playground/command" class="composer">
    {hidden(**context)}<label for="text">/pepptalk</label>
    <input id="text" name="text" autocomplete="off" placeholder="help" aria-describedby="hint">
    <button class="btn primary">{escape(copy("playground.send"))}</button></form>
  <p class="hint" id="hint">{escape(copy("playground.command_hint"))}</p>"""
    form_html = render_form_html(open_form, context=context) if open_form else ""
    flash_html = f'<p class="flash" role="status">{escape(flash)}</p>' if flash else ""
    return f"""<!doctype html>
<html lang="{escape(copy.language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{escape(view.title)} · {escape(copy("playground.title"))}</title><style>{STYLE}</style>
</head>
<body data-live="{escape(version)}" data-as="{escape(me)}">
<div class="workspace">
<header class="rail">
  <h1>{escape(copy("playground.title"))}</h1>
  {_switcher(copy, me, people, view.name)}
  {_nav(copy, me, view.name, channel)}
  {_clock(copy, clock, context)}
</header>
<main id="conversation" aria-labelledby="view-title">
  <h2 id="view-title">{escape(view.title)}</h2>
  <p class="intro">{escape(copy("playground.intro"))}</p>
  {flash_html}
  <div id="live">{body}</div>
  {composer}
</main>
</div>
{form_html}
<script>{SCRIPT}</script>
</body></html>"""


def _switcher(copy: Copy, me: str, people: list[Person], view: str) -> str:
    # A plain select and a button: choosing with the arrow keys does not navigate by itself.
    options = "".join(
        f'<option value="{escape(p.user_id)}"{" selected" if p.user_id == me else ""}>'
        f"{escape(p.label)}</option>"
        for p in people
    )
    return f"""<form method="get" action="/" class="row you-are">
    <label for="as">{escape(copy("playground.you_are"))}</label>
    <select id="as" name="as">{options}</select>{hidden(view=view)}
    <button class="btn">{escape(copy("playground.switch"))}</button></form>"""


def _nav(copy: Copy, me: str, view: str, channel: str | None) -> str:
    items = [("dm", copy("playground.from_pepptalk")), ("home", copy("playground.home"))]
    if channel:
        items.append(("channel", channel))
    links = "".join(
        f'<li><a href="{escape(link(me, name))}"'
        + (' aria-current="page"' if name == view else "")
        + f">{escape(label)}</a></li>"
        for name, label in items
    )
    # The history pages are served beside the playground, as the demo person chosen here.
    history = "/history?" + urlencode({"as": me})
    links += f'<li><a href="{escape(history)}">{escape(copy("history.title"))}</a></li>'
    return (
        f'<nav aria-label="{escape(copy("playground.conversations"))}">'
        f'<ul class="views">{links}</ul></nav>'
    )


def _clock(copy: Copy, clock: Clock, context: dict[str, object]) -> str:
    jumps = "".join(
        f'<button class="btn" name="to" value="{escape(value)}">{escape(label)}</button>'
        for value, label in clock.jumps
    )
    return f"""<section class="clock" aria-labelledby="clock-now">
  <p id="clock-now" class="now">{escape(clock.now)}</p>
  <p id="clock-next" class="next" aria-live="polite">{escape(clock.next)}</p>
  <form method="post" action="/playground/clock" class="row">{hidden(**context)}{jumps}</form>
  <form method="post" action="/playground/clock" class="row">{hidden(**context)}
    <label for="at">{escape(copy("playground.jump_to"))}</label>
    <input id="at" name="at" placeholder="08:30" inputmode="numeric" autocomplete="off">
    <button class="btn" name="to" value="at">{escape(copy("playground.go"))}</button>
  </form>
  <details class="reset"><summary>{escape(copy("playground.reset"))}</summary>
    <p>{escape(copy("playground.reset_warning"))}</p>
    <form method="post" action="/playground/reset">{hidden(**context)}
      <button class="btn danger">{escape(copy("playground.reset_confirm"))}</button></form>
  </details>
</section>"""


def _days(
    posts: list[Posted], *, copy: Copy, zone: tzinfo, today: date, context: dict[str, object]
) -> str:
    """The thread day by day: earlier days folded away, buttons live on today's messages only
    (an old check-in's buttons would only say it has closed)."""
    sections = []
    last = posts[-1]
    for day, group in groupby(posts, key=lambda p: p.at.astimezone(zone).date()):
        items = "".join(
            _message(p, copy=copy, zone=zone, context=context, live=day == today, last=p is last)
            for p in group
        )
        title = escape(copy.date(day))
        if day < today:
            sections.append(
                f'<details class="day"><summary><h3>{title}</h3></summary>'
                f'<ol class="thread">{items}</ol></details>'
            )
        else:
            sections.append(
                f'<section class="day" aria-label="{title}"><h3 class="divider">{title}</h3>'
                f'<ol class="thread">{items}</ol></section>'
            )
    return "".join(sections)


def _message(
    posted: Posted,
    *,
    copy: Copy,
    zone: tzinfo,
    context: dict[str, object],
    live: bool,
    last: bool,
) -> str:
    sender = escape(copy("playground.from_pepptalk"))
    meta = (
        f'<span class="avatar" aria-hidden="true">{sender[:1]}</span>'
        f'<strong class="sender">{sender}</strong> '
        f"<time>{posted.at.astimezone(zone):%H:%M}</time>"
    )
    if posted.private:
        meta += f' <span class="only-you">{escape(copy("playground.only_you"))}</span>'
    body = render_message_html(posted.message, context={**context, "message": posted.id}, live=live)
    css = "msg private" if posted.private else "msg"
    mark = ' id="latest"' if last else ""
    return (
        f'<li class="{css}" id="m{posted.id}"><div class="meta">{meta}</div>{body}'
        f'<span{mark} class="anchor"></span></li>'
    )


def render_notice(*, copy: Copy, title: str, text: str, back: str) -> str:
    """A short page with a link back: what a stale or wrong request gets instead of bare text."""
    return f"""<!doctype html>
<html lang="{escape(copy.language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · {escape(copy("playground.title"))}</title><style>{STYLE}</style></head>
<body><main class="notice"><h1>{escape(title)}</h1><p>{escape(text)}</p>
<p><a class="btn primary" href="{escape(back)}">{escape(copy("playground.back"))}</a></p>
</main></body></html>"""
