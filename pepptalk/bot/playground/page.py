"""The playground page: who you are, the clock, your thread with Pepptalk, and the command box."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from html import escape
from importlib import resources

from pepptalk.bot.playground.inbox import OpenForm, Posted
from pepptalk.bot.playground.render import hidden, render_form_html, render_message_html
from pepptalk.core.i18n import Copy


@dataclass(frozen=True)
class Person:
    """Someone the visitor can be."""

    user_id: str
    label: str


# The page's look, inlined so nothing is fetched from anywhere.
STYLE = resources.files("pepptalk.bot.playground").joinpath("playground.css").read_text("utf-8")


def render_page(
    *,
    copy: Copy,
    me: str,
    people: list[Person],
    clock_text: str,
    zone: tzinfo,
    thread: list[Posted],
    open_form: OpenForm | None,
    token: str,
    channel: tuple[str, list[Posted]] | None = None,
    flash: str = "",
) -> str:
    """The whole page for the person `me`."""
    context: dict[str, object] = {"as": me, "token": token}
    options = "".join(
        f'<option value="{escape(p.user_id)}"{" selected" if p.user_id == me else ""}>'
        f"{escape(p.label)}</option>"
        for p in people
    )
    thread_html = (
        _thread(thread, copy=copy, zone=zone, context=context, anchor=True)
        if thread
        else f'<p class="hint">{escape(copy("playground.empty"))}</p>'
    )
    channel_html = ""
    if channel is not None and channel[1]:
        name, posts = channel
        channel_html = f"<h2>{escape(copy('playground.channel', channel=name))}</h2>" + _thread(
            posts[-10:], copy=copy, zone=zone, context=context, anchor=False
        )
    form_html = render_form_html(open_form, context=context) if open_form else ""
    flash_html = f'<p class="flash" role="status">{escape(flash)}</p>' if flash else ""
    return f"""<!doctype html>
<html lang="{escape(copy.language)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(copy("playground.title"))}</title><style>{STYLE}</style></head>
<body>
<header>
  <h1>{escape(copy("playground.title"))}</h1>
  <form method="get" action="/" class="row">
    <label for="as">{escape(copy("playground.you_are"))}</label>
    <select id="as" name="as" onchange="this.form.submit()">{options}</select>
    <noscript><button class="btn">{escape(copy("playground.switch"))}</button></noscript>
  </form>
</header>
<div class="clock" role="region" aria-label="Clock">
  <p>{escape(clock_text)}</p>
  <form method="post" action="/playground/clock" class="row">{hidden(**context)}
    <button class="btn" name="to" value="morning">{escape(copy("playground.next_morning"))}</button>
    <button class="btn" name="to" value="checkin">{escape(copy("playground.jump_checkin"))}</button>
    <button class="btn" name="to" value="summary">{escape(copy("playground.jump_summary"))}</button>
    <label for="at">{escape(copy("playground.jump_to"))}</label>
    <input id="at" name="at" placeholder="08:30" inputmode="numeric" autocomplete="off">
    <button class="btn" name="to" value="at">{escape(copy("playground.go"))}</button>
  </form>
</div>
<main>
  <p class="intro">{escape(copy("playground.intro"))}</p>
  {flash_html}
  {form_html}
  <h2>{escape(copy("playground.thread"))}</h2>
  {thread_html}
  <form method="post" action="/playground/command" class="composer">{hidden(**context)}
    <label for="text">/pepptalk</label>
    <input id="text" name="text" autocomplete="off" placeholder="help" aria-describedby="hint">
    <button class="btn primary">{escape(copy("playground.send"))}</button>
  </form>
  <p class="hint" id="hint">{escape(copy("playground.command_hint"))}</p>
  {channel_html}
</main>
</body></html>"""


def _thread(
    posts: list[Posted], *, copy: Copy, zone: tzinfo, context: dict[str, object], anchor: bool
) -> str:
    items = []
    for posted in posts:
        meta = f"{escape(copy('playground.from_pepptalk'))} · {posted.at.astimezone(zone):%H:%M}"
        if posted.private:
            meta += f" · {escape(copy('playground.only_you'))}"
        body = render_message_html(posted.message, context={**context, "message": posted.id})
        css = "msg private" if posted.private else "msg"
        mark = ' id="latest"' if anchor and posted is posts[-1] else ""
        items.append(f'<li class="{css}"{mark}><div class="meta">{meta}</div>{body}</li>')
    return f'<ol class="thread" aria-live="polite">{"".join(items)}</ol>'
