"""Neutral messages: what to show, never how. Renderers in bot/ turn these into Block Kit,
Adaptive Cards or HTML.

Text here is plain: renderers escape it, so a seller's note can never inject markup. A command
inside a text is a `Command`, so each platform can show it the way it is typed there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Command:
    """A command by its words ("team add @name"); renderers add the platform's way to type it."""

    words: str


@dataclass(frozen=True)
class Person:
    """Someone named in a text: where the platform can, a mention that tells them (Slack's
    <@id>, a Teams mention entity); elsewhere their name."""

    user_id: str
    name: str

    def __format__(self, spec: str) -> str:
        # Filled into plain text, a person is their name.
        return format(self.name, spec)


@dataclass(frozen=True)
class Rich:
    """Text with commands (and people) in it, in reading order."""

    parts: tuple[str | Command | Person, ...]


Text = str | Rich


def plain(text: Text, *, prefix: str = "") -> str:
    """A text as plain characters, each command shown as `prefix` + its words."""
    if isinstance(text, str):
        return text
    return "".join(
        p if isinstance(p, str) else p.name if isinstance(p, Person) else f"{prefix}{p.words}"
        for p in text.parts
    )


def joined(*texts: Text, sep: str = " ") -> Text:
    """Several texts as one, `sep` between them."""
    parts: list[str | Command | Person] = []
    for i, text in enumerate(texts):
        if i:
            parts.append(sep)
        parts.extend((text,) if isinstance(text, str) else text.parts)
    return (
        Rich(tuple(parts))
        if any(not isinstance(p, str) for p in parts)
        else "".join(p for p in parts if isinstance(p, str))
    )


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
    """A block of text."""

    text: Text


@dataclass(frozen=True)
class Fields:
    """Label/value pairs shown side by side where the platform can."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Note:
    """Small print: who sees this, hints."""

    text: Text


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
    # What a screen reader says when the label alone does not say whose it is ("Log feedback:
    # Anna Berg" for a "Log feedback" beside her name).
    reader: str = ""


@dataclass(frozen=True)
class Buttons:
    """A row of buttons; `group` identifies the row (it carries context such as a date)."""

    group: str
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class Picture:
    """An image drawn by Pepptalk (a PNG), with the words that say what it shows for anyone who
    cannot see it, and for places that cannot show an image."""

    png: bytes
    alt: str
    name: str = "chart.png"
    title: str = ""


@dataclass(frozen=True)
class ChartPoint:
    """One point of a chart: its label, its value and its range (None: no value there)."""

    label: str
    value: float | None
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Chart:
    """A chart to draw: points on a 1-to-5 scale, the last one picked out. The runtime draws it
    into a Picture before the message goes out; `alt` says what it shows, `unavailable` what to
    say if it cannot be drawn."""

    points: tuple[ChartPoint, ...]
    title: str
    axis: str
    alt: str
    unavailable: str
    # The last point's value as the reader's language writes it ("3,7" in Norwegian).
    last_value: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file Pepptalk made for the reader (their data export): sent as a file where the platform
    takes one into a direct message (Slack), else offered as a `Link`."""

    data: bytes
    name: str
    mime: str
    title: str


@dataclass(frozen=True)
class Link:
    """A link the reader opens (a one-time download); `url` may be a path on Pepptalk's own
    address where the page is served by Pepptalk itself (the playground)."""

    url: str
    label: str


Block = (
    Heading | Paragraph | Fields | Note | Divider | Buttons | Picture | Chart | Attachment | Link
)


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

    `message` goes back to the user; `replace` asks the platform to update the message the
    action came from instead of posting a new one; `form` opens a form; `form_errors` keeps a
    submitted form open with a message per input name; `private` says it is for this person's
    eyes only, also where others could read the answer (a Teams channel).
    """

    message: Message | None = None
    replace: bool = False
    form: Form | None = None
    form_errors: dict[str, str] | None = None
    private: bool = False


def text_reply(text: Text) -> Reply:
    """A reply that is just one paragraph of text."""
    return Reply(message=Message(summary=plain(text), blocks=(Paragraph(text),)))
