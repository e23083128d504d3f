"""Messages kept as JSON in the playground's database come back as they went in."""

from __future__ import annotations

import json

import pytest

from pepptalk.bot.playground.codec import dumps, loads
from pepptalk.core.messages import (
    Button,
    Buttons,
    Checkbox,
    Choice,
    Command,
    Fields,
    Form,
    Message,
    Paragraph,
    Person,
    Picture,
    Rich,
    Style,
    TextInput,
)


def test_every_kind_of_block_and_form_comes_back_equal() -> None:
    message = Message(
        summary="Hi",
        blocks=(
            Paragraph(Rich(("Well done ", Person("UANNA", "Anna Berg"), ": try ", Command("win")))),
            Fields((("Anna", "🙂 Good"), ("Bjørn", "😕 Low"))),
            Buttons("g", (Button("Low", "checkin_mood", "2", Style.DANGER, True, "Low for me"),)),
            Picture(b"\x89PNG\r\n\x1a\n\x00\xff", "Mood over eight weeks"),
        ),
    )
    assert loads(dumps(message), Message) == message
    form = Form(
        "a",
        "Title",
        "Save",
        "Cancel",
        (
            TextInput("note", "Note"),
            Checkbox("private", "Private"),
            Choice("k", "K", (("a", "A"),)),
        ),
    )
    assert loads(dumps(form), Form) == form


def test_a_stored_row_names_only_message_classes() -> None:
    with pytest.raises(ValueError, match="not a message class"):
        loads(json.dumps({"class": "Popen", "fields": {}}), Message)
    with pytest.raises(ValueError, match="is not a Message"):
        loads(dumps(Command("win")), Message)
