"""Neutral messages: what to show, never how. Renderers in bot/ turn these into Block Kit or cards.

Text here is plain: renderers escape it, so a seller's note can never inject markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Style(StrEnum):
    """How a button should stand out."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Heading:
    """A short title line."""

    text: str


@dataclass(frozen=True)
class Paragraph:
    """A block of plain text."""

    text: str


@dataclass(frozen=True)
class Fields:
    """Label/value pairs shown side by side where the platform can."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Note:
    """Small print: who sees this, hints."""

    text: str


@dataclass(frozen=True)
class Divider:
    """A visual break between parts of a message."""


@dataclass(frozen=True)
class Button:
    """A tappable button; `action` names the handler, `value` is what it receives."""

    label: str
    action: str
    value: str
    style: Style = Style.DEFAULT
    selected: bool = False


@dataclass(frozen=True)
class Buttons:
    """A row of buttons; `group` identifies the row (it carries context such as a date)."""

    group: str
    buttons: tuple[Button, ...]


Block = Heading | Paragraph | Fields | Note | Divider | Buttons


@dataclass(frozen=True)
class Message:
    """A whole message. `summary` is the plain-text fallback used for notifications."""

    summary: str
    blocks: tuple[Block, ...] = ()


@dataclass(frozen=True)
class TextInput:
    """A text field in a form."""

    name: str
    label: str
    initial: str = ""
    multiline: bool = False
    max_length: int = 500
    optional: bool = False
    placeholder: str = ""


@dataclass(frozen=True)
class Checkbox:
    """A single yes/no choice in a form."""

    name: str
    label: str
    checked: bool = False


@dataclass(frozen=True)
class Choice:
    """Pick one of several options in a form; `options` are (value, label) pairs."""

    name: str
    label: str
    options: tuple[tuple[str, str], ...]
    initial: str = ""


FormInput = TextInput | Checkbox | Choice


@dataclass(frozen=True)
class Form:
    """An input form (a Slack modal, a card with inputs). `context` comes back on submit."""

    action: str
    title: str
    submit: str
    cancel: str
    inputs: tuple[FormInput, ...]
    intro: str = ""
    context: str = ""


@dataclass(frozen=True)
class Reply:
    """What a handler answers to one user action.

    `message` goes back to the user privately; `replace` asks the platform to update the
    message the action came from instead of posting a new one; `form` opens a form;
    `form_errors` keeps a submitted form open with a message per input name.
    """

    message: Message | None = None
    replace: bool = False
    form: Form | None = None
    form_errors: dict[str, str] | None = None


def text_reply(text: str) -> Reply:
    """A reply that is just one paragraph of text."""
    return Reply(message=Message(summary=text, blocks=(Paragraph(text),)))
