"""Neutral messages as HTML: the playground's renderer, beside Block Kit and Adaptive Cards.

Every value is escaped; buttons and forms are plain HTML forms, so the page works by keyboard and
without JavaScript.
"""

from __future__ import annotations

import base64
from html import escape
from typing import assert_never

from pepptalk.bot.playground.inbox import OpenForm
from pepptalk.core.messages import (
    Attachment,
    Buttons,
    Chart,
    Checkbox,
    Choice,
    Divider,
    Fields,
    FormInput,
    Heading,
    Link,
    Message,
    Note,
    Paragraph,
    Person,
    Picture,
    Style,
    Text,
    TextInput,
)


def _inline(text: Text) -> str:
    """Text as HTML: words escaped, each command as code, typed as in a direct message."""
    if isinstance(text, str):
        return escape(text)
    return "".join(
        escape(part)
        if isinstance(part, str)
        else f'<strong class="mention">{escape(part.name)}</strong>'
        if isinstance(part, Person)
        else f"<code>{escape(part.words)}</code>"
        for part in text.parts
    )


def field_name(name: str) -> str:
    """The name a form's input is posted under: apart from the page's own fields (`token`,
    `as`, `view`...), so a form may ask for a `token` of its own."""
    return f"f-{name}"


def hidden(**values: object) -> str:
    """Hidden inputs carrying context back with a form."""
    return "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(str(value))}">'
        for name, value in values.items()
    )


def _buttons(row: Buttons, *, context: dict[str, object]) -> str:
    forms = []
    for button in row.buttons:
        classes = ["btn"]
        if button.selected or button.style is Style.PRIMARY:
            classes.append("primary")
        if button.style is Style.DANGER:
            classes.append("danger")
        pressed = ' aria-pressed="true"' if button.selected else ""
        if button.reader:
            pressed += f' aria-label="{escape(button.reader)}"'
        forms.append(
            '<form method="post" action="/playground/action" class="inline">'
            + hidden(**context, action=button.action, group=row.group, value=button.value)
            + f'<button class="{" ".join(classes)}"{pressed}>{escape(button.label)}</button>'
            + "</form>"
        )
    return f'<div class="buttons" role="group">{"".join(forms)}</div>'


def render_message_html(message: Message, *, context: dict[str, object], live: bool = True) -> str:
    """A message's blocks as HTML; `context` rides along with every button press. A message
    that is no longer `live` (from an earlier day) keeps its words but not its buttons."""
    parts = []
    for block in message.blocks:
        match block:
            case Heading():
                parts.append(f"<h3>{escape(block.text)}</h3>")
            case Paragraph():
                parts.append(f"<p>{_inline(block.text)}</p>")
            case Fields():
                rows = "".join(
                    f"<div><dt>{escape(label)}</dt><dd>{escape(value)}</dd></div>"
                    for label, value in block.pairs
                )
                parts.append(f'<dl class="fields">{rows}</dl>')
            case Note():
                parts.append(f'<p class="note">{_inline(block.text)}</p>')
            case Divider():
                parts.append("<hr>")
            case Buttons():
                if live:
                    parts.append(_buttons(block, context=context))
            case Chart():
                # Drawn into a Picture before it is shown; if one slips through, its words.
                parts.append(f'<p class="note">{escape(block.alt)}</p>')
            case Picture():
                data = base64.b64encode(block.png).decode("ascii")
                parts.append(
                    f'<img class="picture" src="data:image/png;base64,{data}" '
                    f'alt="{escape(block.alt)}">'
                )
            case Attachment():
                parts.append(f'<p class="note">📎 {escape(block.title)}</p>')
            case Link():
                parts.append(
                    f'<p><a class="btn primary" href="{escape(block.url)}" download>'
                    f"{escape(block.label)}</a></p>"
                )
            case _:
                assert_never(block)
    if not parts:
        parts.append(f"<p>{escape(message.summary)}</p>")
    return "".join(parts)


def _field_html(field: FormInput, open_form: OpenForm, *, first: bool) -> str:
    name = escape(field_name(field.name))
    # The dialog opens with the cursor in its first field.
    described = " autofocus" if first else ""
    error = open_form.errors.get(field.name)
    error_html = f'<p class="error" id="err-{name}">{escape(error)}</p>' if error else ""
    described += f' aria-describedby="err-{name}"' if error else ""
    match field:
        case TextInput():
            value = escape(str(open_form.values.get(field.name, field.initial)))
            hint = escape(field.placeholder)
            tag = (
                f'<textarea id="{name}" name="{name}" rows="4"'
                f' maxlength="{field.max_length * 2}" placeholder="{hint}"'
                f"{described}>{value}</textarea>"
                if field.multiline
                else f'<input id="{name}" name="{name}" value="{value}" placeholder="{hint}"'
                f"{described}>"
            )
            return f'<label for="{name}">{escape(field.label)}</label>{tag}{error_html}'
        case Choice():
            chosen = str(open_form.values.get(field.name, field.initial))
            # Nothing is chosen for the person: an empty first option until they pick.
            options = ("" if chosen else '<option value="" selected disabled>…</option>') + "".join(
                f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
                f"{escape(label)}</option>"
                for value, label in field.options
            )
            return (
                f'<label for="{name}">{escape(field.label)}</label>'
                f'<select id="{name}" name="{name}" required{described}>{options}</select>'
                f"{error_html}"
            )
        case Checkbox():
            mark = " checked" if open_form.values.get(field.name, field.checked) else ""
            return (
                f'<label class="check"><input type="checkbox" name="{name}"'
                f' value="yes"{mark}{described}> {escape(field.label)}</label>{error_html}'
            )
        case _:
            assert_never(field)


def render_form_html(open_form: OpenForm, *, context: dict[str, object]) -> str:
    """An open form as a dialog over the page, wherever the person had scrolled to; the page's
    script makes it modal, and Escape cancels it."""
    form = open_form.form
    fields = [_field_html(field, open_form, first=i == 0) for i, field in enumerate(form.inputs)]
    intro = f"<p>{escape(form.intro)}</p>" if form.intro else ""
    source = open_form.source_id if open_form.source_id is not None else ""
    return (
        '<dialog open class="dialog" id="form-dialog" aria-labelledby="form-title">'
        f'<h2 id="form-title">{escape(form.title)}</h2>{intro}'
        '<form method="post" action="/playground/form">'
        + hidden(**context, action=form.action, form_context=form.context, source=source)
        + "".join(fields)
        + f'<div class="buttons"><button class="btn primary" name="submit" value="save">'
        f"{escape(form.submit)}</button>"
        f'<button class="btn" name="submit" value="cancel" formnovalidate>'
        f"{escape(form.cancel)}</button></div></form></dialog>"
    )
