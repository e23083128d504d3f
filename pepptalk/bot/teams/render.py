"""Neutral messages as Adaptive Cards 1.5, and reading what a submitted card carries."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any, assert_never

from pepptalk.core.messages import (
    Attachment,
    Button,
    Buttons,
    Chart,
    Checkbox,
    Choice,
    Divider,
    Fields,
    Form,
    FormInput,
    Heading,
    Link,
    Message,
    Note,
    Paragraph,
    Person,
    Picture,
    Rich,
    Style,
    Text,
    TextInput,
)

Json = dict[str, Any]
SCHEMA_URL = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
# What a card's Action.Submit data says it is; inputs are merged beside these keys.
KIND = "pepptalk"
BUTTON = "button"
FORM = "form"
# A row of this many buttons or more is laid out as tappable columns.
COLUMNS_FROM = 4
# ...when every label is this short (a long one would wrap into a tall, narrow column).
SHORT_LABEL = 12
_MARKDOWN = re.compile(r"([\\*_\[\]()#>`~])")


def escape(text: str) -> str:
    """Text that card markdown shows as typed (a note with *stars* stays plain)."""
    return _MARKDOWN.sub(r"\\\1", text)


def _markdown(text: Text, prefix: str, people: Mapping[str, str] | None = None) -> str:
    """Text as card markdown: words escaped, each command in bold, typed the way `prefix` says;
    a person Teams knows (`people`: user id -> Teams id) as a mention, anyone else by name."""
    if isinstance(text, str):
        return escape(text)
    known = people or {}
    return "".join(
        escape(part)
        if isinstance(part, str)
        else (f"<at>{escape(part.name)}</at>" if part.user_id in known else escape(part.name))
        if isinstance(part, Person)
        else f"**{escape(prefix + part.words)}**"
        for part in text.parts
    )


def _text(
    text: Text, prefix: str = "", people: Mapping[str, str] | None = None, **style: object
) -> Json:
    return {"type": "TextBlock", "text": _markdown(text, prefix, people), "wrap": True, **style}


def mentions(message: Message, people: Mapping[str, str]) -> list[Json]:
    """The mention entities a card needs for the people it names that Teams knows: without one,
    "<at>Anna</at>" is plain text and Anna is not told."""
    found: dict[str, Json] = {}
    for block in message.blocks:
        text = getattr(block, "text", None)
        for part in text.parts if isinstance(text, Rich) else ():
            if isinstance(part, Person) and part.user_id in people:
                found[part.user_id] = {
                    "type": "mention",
                    "text": f"<at>{escape(part.name)}</at>",
                    "mentioned": {"id": people[part.user_id], "name": part.name},
                }
    return list(found.values())


def _card(body: list[Json], actions: list[Json] | None = None) -> Json:
    card: Json = {"type": "AdaptiveCard", "$schema": SCHEMA_URL, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


def _action_style(style: Style, selected: bool) -> str | None:
    if style is Style.DANGER:
        return "destructive"
    if selected or style is Style.PRIMARY:
        return "positive"
    return None


def _action(row: Buttons, button: Button) -> Json:
    action: Json = {
        "type": "Action.Submit",
        "title": button.label,
        "data": {
            KIND: BUTTON,
            "action": button.action,
            "group": row.group,
            "value": button.value,
        },
    }
    style = _action_style(button.style, button.selected)
    if style:
        action["style"] = style
    if button.reader:
        action["tooltip"] = button.reader
    return action


def _columns(row: Buttons) -> Json:
    """Many short choices (the five moods) as tappable columns whose words wrap: an ActionSet
    cuts each title to one line, which at phone width leaves "😣 R…"."""
    columns = []
    for button in row.buttons:
        words: Json = {
            "type": "TextBlock",
            "text": escape(button.label),
            "wrap": True,
            "horizontalAlignment": "Center",
        }
        if button.selected:
            words["weight"] = "Bolder"
        columns.append(
            {
                "type": "Column",
                "width": "stretch",
                "style": "accent" if button.selected else "emphasis",
                "spacing": "Small",
                "selectAction": _action(row, button),
                "items": [words],
            }
        )
    return {"type": "ColumnSet", "columns": columns}


def _buttons(row: Buttons) -> Json:
    short = all(len(b.label) <= SHORT_LABEL for b in row.buttons)
    if short and len(row.buttons) >= COLUMNS_FROM:
        return _columns(row)
    return {"type": "ActionSet", "actions": [_action(row, b) for b in row.buttons]}


def render_card(
    message: Message, *, prefix: str = "", people: Mapping[str, str] | None = None
) -> Json:
    """A message as one Adaptive Card; commands shown with `prefix` ("@Pepptalk " in a channel,
    nothing in the 1:1 chat, where people type to the bot directly); people Teams knows
    (`people`: user id -> Teams id) mentioned, so they are told."""
    body: list[Json] = []
    separate = False
    for block in message.blocks:
        element: Json | None = None
        match block:
            case Heading():
                element = _text(block.text, weight="Bolder", size="Medium")
            case Paragraph():
                element = _text(block.text, prefix, people)
            case Fields():
                facts = [{"title": label, "value": value} for label, value in block.pairs]
                element = {"type": "FactSet", "facts": facts}
            case Note():
                element = _text(block.text, prefix, isSubtle=True, size="Small")
            case Divider():
                separate = True
            case Buttons():
                element = _buttons(block)
            case Chart():
                # Drawn into a Picture before sending; if one slips through, its words.
                element = _text(block.alt, prefix, isSubtle=True, size="Small")
            case Picture():
                # A data URI: the card carries the image itself, with nothing served to fetch.
                data = base64.b64encode(block.png).decode("ascii")
                element = {
                    "type": "Image",
                    "url": f"data:image/png;base64,{data}",
                    "altText": block.alt,
                    "size": "Stretch",
                }
            case Attachment():
                # A card cannot carry a file: the habit offers a Link to it instead.
                element = _text(f"📎 {block.title}", isSubtle=True, size="Small")
            case Link():
                open_url = {"type": "Action.OpenUrl", "title": block.label, "url": block.url}
                element = {"type": "ActionSet", "actions": [open_url]}
            case _:
                assert_never(block)
        if element is not None:
            if separate:
                element["separator"] = True
                separate = False
            body.append(element)
    if not body:
        body.append(_text(message.summary))
    card = _card(body)
    entities = mentions(message, people or {})
    if entities:
        card["msteams"] = {"entities": entities}
    return card


def _input(field: FormInput) -> Json:
    match field:
        case Choice():
            return _choice_input(field)
        case TextInput():
            return _text_input(field)
        case Checkbox():
            return _toggle(field)
        case _:
            assert_never(field)


def _choice_input(field: Choice) -> Json:
    element: Json = {
        "type": "Input.ChoiceSet",
        "id": field.name,
        "label": field.label,
        "style": "compact",
        "isRequired": True,
        "errorMessage": field.label,
        "choices": [{"title": label, "value": value} for value, label in field.options],
    }
    # Without a choice made for them, people pick one; nothing is chosen silently.
    if field.initial:
        element["value"] = field.initial
    else:
        element["placeholder"] = "…"
    return element


def _text_input(field: TextInput) -> Json:
    element: Json = {
        "type": "Input.Text",
        "id": field.name,
        "label": field.label,
        "isMultiline": field.multiline,
        "maxLength": field.max_length,
        "isRequired": not field.optional,
    }
    if not field.optional:
        # Teams shows this under an empty required input when Save is tapped.
        element["errorMessage"] = field.label
    if field.initial:
        element["value"] = field.initial
    if field.placeholder:
        element["placeholder"] = field.placeholder
    return element


def _toggle(field: Checkbox) -> Json:
    return {
        "type": "Input.Toggle",
        "id": field.name,
        "title": field.label,
        "value": "true" if field.checked else "false",
        "valueOn": "true",
        "valueOff": "false",
    }


def render_form_card(
    form: Form, *, errors: dict[str, str] | None = None, source: str | None = None
) -> Json:
    """A form as a card with inputs and one submit action; errors show under their input.
    `source`: the card the form was opened from, so saving can update it too."""
    body: list[Json] = [_text(form.title, weight="Bolder", size="Medium")]
    if form.intro:
        body.append(_text(form.intro))
    for field in form.inputs:
        body.append(_input(field))
        if errors and field.name in errors:
            body.append(_text(errors[field.name], color="Attention", spacing="None"))
    data: Json = {
        KIND: FORM,
        "action": form.action,
        "context": form.context,
        "toggles": [f.name for f in form.inputs if isinstance(f, Checkbox)],
        "texts": [f.name for f in form.inputs if isinstance(f, TextInput | Choice)],
    }
    if source:
        data["source"] = source
    submit = {"type": "Action.Submit", "title": form.submit, "style": "positive", "data": data}
    return _card(body, [submit])


def submitted(value: object) -> Json | None:
    """The data of a card submit from this app, or None when the value is not one."""
    if isinstance(value, dict) and value.get(KIND) in (BUTTON, FORM):
        return value
    return None


def form_values(data: Json) -> dict[str, str | bool]:
    """Input values from a submitted form card; toggles arrive as "true" or "false"."""
    values: dict[str, str | bool] = {}
    for name in data.get("texts") or []:
        values[str(name)] = str(data.get(name) or "")
    for name in data.get("toggles") or []:
        values[str(name)] = str(data.get(name)) == "true"
    return values
