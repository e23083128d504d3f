"""Every card Pepptalk can send is a valid Adaptive Card 1.5, and submits read back correctly."""

from __future__ import annotations

import pytest

from pepptalk.bot.teams.render import form_values, render_card, render_form_card, submitted
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import Role
from pepptalk.core.messages import (
    Button,
    Buttons,
    Checkbox,
    Choice,
    Divider,
    Fields,
    Form,
    Heading,
    Message,
    Note,
    Paragraph,
    Style,
    TextInput,
)
from pepptalk.handlers.checkin import compose_checkin
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.models import Member, Team
from tests.bot.teams.cards import SCHEMA, card_problems

needs_schema = pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/schemas is absent")


def every_block() -> Message:
    return Message(
        summary="s",
        blocks=(
            Heading("Team check-in"),
            Paragraph("Anna: *bold* [link](x)"),
            Divider(),
            Fields((("Anna", "🙂 Good"), ("Bjørn", "😕 Low"))),
            Note("who sees"),
            Buttons(
                "checkin:2026-11-23",
                (
                    Button("😣", "checkin_mood", "1"),
                    Button("🙂", "checkin_mood", "4", Style.PRIMARY, selected=True),
                    Button("Stop", "x", "y", Style.DANGER),
                ),
            ),
        ),
    )


def help_lines() -> Message:
    """Every help line: text with a command in it."""
    copy = copy_for("en")
    return Message("help", tuple(Paragraph(copy.text(c.help)) for c in REGISTRY.commands))


def test_commands_are_shown_the_way_they_are_typed_where_the_card_lands() -> None:
    copy = copy_for("en")
    line = Message("s", (Paragraph(copy.text("help.seen")), Note(copy.text("errors.no_team"))))
    in_channel = str(render_card(line, prefix="@Pepptalk "))
    assert "**@Pepptalk seen**: when each seller last had a talk with you" in in_channel
    assert "**@Pepptalk team create" in in_channel
    in_chat = str(render_card(line))
    assert "**seen**: when each seller" in in_chat and "@Pepptalk" not in in_chat
    assert "/pepptalk" not in in_channel + in_chat


@needs_schema
def test_messages_and_forms_are_valid_cards() -> None:
    team = Team(name="Oslo", language="nb", checkin_time="08:30")
    member = Member(display_name="Anna Berg", role=Role.SELLER)
    from datetime import date

    cards = [
        render_card(every_block()),
        render_card(Message(summary="only a summary")),
        render_card(
            compose_checkin(
                team=team, member=member, day=date(2026, 11, 23), leaders=["Kari"], checkin=None
            )
        ),
        render_card(help_lines(), prefix="@Pepptalk "),
        render_form_card(
            Form(
                action="checkin_note_form",
                title="Today's note",
                submit="Save",
                cancel="Cancel",
                intro="Anything?",
                context="2026-11-23",
                inputs=(
                    TextInput("note", "Note", initial="x", multiline=True),
                    Checkbox("private", "Private"),
                    Choice("kind", "Kind", (("praise", "Praise"), ("goal", "Goal"))),
                ),
            ),
            errors={"note": "Too long"},
        ),
    ]
    for card in cards:
        assert card_problems(card) == []


@needs_schema
def test_the_schema_check_itself_catches_a_broken_card() -> None:
    assert card_problems({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Nope"}]})


def test_user_text_stays_plain_and_submits_read_back() -> None:
    card = render_card(every_block())
    assert card["body"][1]["text"] == r"Anna: \*bold\* \[link\]\(x\)"
    assert card["body"][2]["separator"] is True
    action = card["body"][-1]["actions"][1]
    assert action["style"] == "positive"
    data = submitted(action["data"])
    assert data == {
        "pepptalk": "button",
        "action": "checkin_mood",
        "group": "checkin:2026-11-23",
        "value": "4",
    }
    assert submitted({"msteams": "x"}) is None and submitted("text") is None
    form = render_form_card(
        Form("f", "T", "Save", "Cancel", (TextInput("note", "Note"), Checkbox("private", "P")))
    )
    sent = {**form["actions"][0]["data"], "note": "true", "private": "true"}
    assert form_values(sent) == {"note": "true", "private": True}


def test_the_moods_fit_a_phone_as_columns_and_buttons_say_whose_they_are() -> None:
    from datetime import date

    from tests.bot.teams.cards import taps

    for language in ("en", "nb", "sv", "da"):
        team = Team(name="Oslo", language=language, checkin_time="08:30")
        member = Member(display_name="Anna Berg", role=Role.SELLER)
        card = render_card(
            compose_checkin(
                team=team, member=member, day=date(2026, 11, 23), leaders=["Kari"], checkin=None
            )
        )
        [moods] = [e for e in card["body"] if e["type"] == "ColumnSet"]
        words = [c["items"][0]["text"] for c in moods["columns"]]
        assert len(words) == 5 and all(c["items"][0]["wrap"] for c in moods["columns"])
        copy = copy_for(language)
        assert [w.split(" ", 1)[1] for w in words] == [copy(f"mood.{n}") for n in range(1, 6)]
        assert [t["data"]["value"] for t in taps(card)[:5]] == ["1", "2", "3", "4", "5"]
        assert card_problems(card) == []
    row = Buttons("nudge:7", (Button("Log feedback", "feedback_log", "7", reader="For Anna"),))
    [action] = taps(render_card(Message("s", (row,))))
    assert action["title"] == "Log feedback" and action["tooltip"] == "For Anna"


def test_required_inputs_say_so_when_left_empty() -> None:
    form = Form(
        action="agenda_form",
        title="Add an item",
        submit="Add",
        cancel="Cancel",
        intro="",
        context="1",
        inputs=(TextInput("item", "Item"), TextInput("note", "Note", optional=True)),
    )
    inputs = [b for b in render_form_card(form)["body"] if b["type"] == "Input.Text"]
    assert inputs[0]["isRequired"] and inputs[0]["errorMessage"] == "Item"
    assert "errorMessage" not in inputs[1]
