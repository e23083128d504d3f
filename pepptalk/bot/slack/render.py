"""Neutral messages as Block Kit: messages, modals and the values a submitted modal carries."""

from __future__ import annotations

import json
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
    Style,
    Text,
    TextInput,
)

# Block Kit's limits (https://api.slack.com/reference/block-kit).
MAX_BLOCKS = 50
MAX_ACCESSIBILITY_LABEL = 75
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_ACTION_ID = 255
MAX_TITLE = 24
MAX_METADATA = 3000
CHECKED = "yes"
# How a command is typed in Slack.
COMMAND_PREFIX = "/pepptalk "

Json = dict[str, Any]


def escape(text: str) -> str:
    """Text safe for mrkdwn: the three characters Slack reserves become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _markup(text: Text) -> str:
    """Text as mrkdwn: words escaped, each command as code, typed the Slack way."""
    if isinstance(text, str):
        return escape(text)
    return "".join(
        escape(part)
        if isinstance(part, str)
        # Slack shows the person's name and tells them they were mentioned.
        else f"<@{part.user_id}>"
        if isinstance(part, Person)
        else f"`{escape(COMMAND_PREFIX + part.words)}`"
        for part in text.parts
    )


def _mrkdwn(text: Text, limit: int = MAX_SECTION_TEXT) -> Json:
    # Cut before escaping would break entities; cut the escaped text, then tidy a split entity.
    escaped = _cut(_markup(text), limit)
    if "&" in escaped[-5:] and not escaped.endswith(";"):
        escaped = escaped[: escaped.rfind("&")] + "…"
    return {"type": "mrkdwn", "text": escaped}


def _button(button: Button, action_id: str) -> Json:
    element: Json = {
        "type": "button",
        "text": _plain(button.label, MAX_BUTTON_TEXT),
        "action_id": action_id[:MAX_ACTION_ID],
        "value": button.value,
    }
    if button.style is not Style.DEFAULT:
        element["style"] = button.style.value
    if button.reader:
        element["accessibility_label"] = button.reader[:MAX_ACCESSIBILITY_LABEL]
    return element


def action_name(action_id: str) -> str:
    """The neutral action name behind a rendered action_id ("checkin_mood#3" -> "checkin_mood")."""
    return action_id.split("#", 1)[0]


def _buttons(row: Buttons) -> Json:
    names = [button.action for button in row.buttons]
    elements = [
        # Slack wants action_ids unique within a block; buttons sharing an action get a suffix.
        _button(button, f"{button.action}#{i}" if names.count(button.action) > 1 else button.action)
        for i, button in enumerate(row.buttons)
    ]
    return {"type": "actions", "block_id": row.group[:MAX_ACTION_ID], "elements": elements}


def _fields(fields: Fields) -> list[Json]:
    texts = [
        {"type": "mrkdwn", "text": _cut(f"*{escape(label)}*\n{escape(value)}", MAX_FIELD_TEXT)}
        for label, value in fields.pairs
    ]
    return [
        {"type": "section", "fields": texts[start : start + MAX_FIELDS]}
        for start in range(0, len(texts), MAX_FIELDS)
    ]


def render_blocks(message: Message) -> list[Json]:
    """The blocks of a message, within Slack's limits."""
    blocks: list[Json] = []
    for block in message.blocks:
        match block:
            case Heading():
                blocks.append({"type": "header", "text": _plain(block.text, MAX_HEADER_TEXT)})
            case Paragraph():
                blocks.append({"type": "section", "text": _mrkdwn(block.text)})
            case Fields():
                blocks.extend(_fields(block))
            case Note():
                blocks.append({"type": "context", "elements": [_mrkdwn(block.text)]})
            case Divider():
                blocks.append({"type": "divider"})
            case Buttons():
                blocks.append(_buttons(block))
            case Chart():
                # Drawn into a Picture before sending; if one slips through, its words.
                blocks.append({"type": "context", "elements": [_mrkdwn(f"📈 {block.alt}")]})
            case Picture():
                # Block Kit cannot carry the image's bytes: a message sent to a DM uploads it
                # (SlackChat); anywhere else the words stand in for it.
                blocks.append({"type": "context", "elements": [_mrkdwn(f"📈 {block.alt}")]})
            case Attachment():
                # Uploaded when the message goes to a DM (SlackChat); elsewhere only its name.
                blocks.append({"type": "context", "elements": [_mrkdwn(f"📎 {block.title}")]})
            case Link():
                label = escape(block.label).replace("|", "¦")
                text = {"type": "mrkdwn", "text": f"<{escape(block.url)}|{label}>"}
                blocks.append({"type": "section", "text": text})
            case _:
                assert_never(block)
    if len(blocks) > MAX_BLOCKS:
        blocks = [*blocks[: MAX_BLOCKS - 1], {"type": "context", "elements": [_mrkdwn("…")]}]
    return blocks


def render_message(message: Message) -> Json:
    """`text` and `blocks` for chat.postMessage, chat.update or a response_url."""
    return {"text": _cut(message.summary, 3000), "blocks": render_blocks(message)}


def _choice(field: Choice) -> Json:
    options = [{"text": _plain(label, 75), "value": value} for value, label in field.options]
    element: Json = {"type": "static_select", "action_id": field.name, "options": options}
    initial = next((o for o in options if o["value"] == field.initial), None)
    if initial is not None:
        element["initial_option"] = initial
    return {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, 2000),
        "element": element,
    }


def _input(field: FormInput) -> Json:
    match field:
        case Choice():
            return _choice(field)
        case TextInput():
            return _text_input(field)
        case Checkbox():
            return _checkbox(field)
        case _:
            assert_never(field)


def _text_input(field: TextInput) -> Json:
    element: Json = {
        "type": "plain_text_input",
        "action_id": field.name,
        "multiline": field.multiline,
        "max_length": field.max_length,
    }
    if field.initial:
        element["initial_value"] = field.initial
    if field.placeholder:
        element["placeholder"] = _plain(field.placeholder, 150)
    return {
        "type": "input",
        "block_id": field.name,
        "optional": field.optional,
        "label": _plain(field.label, 2000),
        "element": element,
    }


def _checkbox(field: Checkbox) -> Json:
    option = {"text": _plain(field.label, 75), "value": CHECKED}
    element: Json = {"type": "checkboxes", "action_id": field.name, "options": [option]}
    if field.checked:
        element["initial_options"] = [option]
    return {
        "type": "input",
        "block_id": field.name,
        "optional": True,
        "label": _plain(field.label, 2000),
        "element": element,
    }


def render_form(form: Form, *, response_url: str | None = None) -> Json:
    """A modal view. The form's context and where to show the result ride in private_metadata."""
    blocks: list[Json] = []
    if form.intro:
        blocks.append({"type": "section", "text": _mrkdwn(form.intro)})
    blocks.extend(_input(field) for field in form.inputs)
    metadata = json.dumps({"context": form.context, "response_url": response_url})
    return {
        "type": "modal",
        "callback_id": form.action,
        "title": _plain(form.title, MAX_TITLE),
        "submit": _plain(form.submit, MAX_TITLE),
        "close": _plain(form.cancel, MAX_TITLE),
        "private_metadata": metadata[:MAX_METADATA],
        "blocks": blocks,
    }


def form_values(view: Json) -> dict[str, str | bool]:
    """The values of a submitted modal, by input name."""
    values: dict[str, str | bool] = {}
    state = view.get("state", {}).get("values", {})
    for block in state.values():
        for name, element in block.items():
            if element.get("type") == "static_select":
                values[name] = str((element.get("selected_option") or {}).get("value") or "")
            elif element.get("type") == "checkboxes":
                values[name] = any(
                    o.get("value") == CHECKED for o in element.get("selected_options") or []
                )
            else:
                values[name] = element.get("value") or ""
    return values


def form_metadata(view: Json) -> tuple[str, str | None]:
    """The context and response_url a modal was opened with."""
    try:
        metadata = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return "", None
    if not isinstance(metadata, dict):
        return "", None
    url = metadata.get("response_url")
    return str(metadata.get("context") or ""), url if isinstance(url, str) else None


def render_home(message: Message) -> Json:
    """An App Home view."""
    return {"type": "home", "blocks": render_blocks(message)[:100]}
