"""Block Kit rendering stays inside Slack's limits and never lets user text become markup."""

from __future__ import annotations

from pepptalk.bot.slack.render import (
    action_name,
    form_metadata,
    form_values,
    render_form,
    render_message,
)
from pepptalk.core.i18n import copy_for
from pepptalk.core.messages import (
    Attachment,
    Button,
    Buttons,
    Checkbox,
    Choice,
    Fields,
    Form,
    Heading,
    Link,
    Message,
    Paragraph,
    TextInput,
)
from tests.fakes.slack_api import block_problems


def test_user_text_is_escaped_and_long_text_is_cut() -> None:
    message = Message(
        summary="s",
        blocks=(
            Paragraph("<!channel> & <@U1> " + "x" * 5000),
            Heading("h" * 400),
            Fields(tuple((f"name {i}", "v" * 3000) for i in range(23))),
            Buttons("g", tuple(Button("b" * 100, "act", str(i)) for i in range(5))),
        ),
    )
    body = render_message(message)
    assert body["blocks"][0]["text"]["text"].startswith("&lt;!channel&gt; &amp; &lt;@U1&gt;")
    assert block_problems(body["blocks"], max_blocks=50) == []
    assert len([b for b in body["blocks"] if "fields" in b]) == 3


def test_too_many_blocks_are_trimmed_to_fifty() -> None:
    message = Message(summary="s", blocks=tuple(Paragraph(str(i)) for i in range(80)))
    blocks = render_message(message)["blocks"]
    assert len(blocks) == 50 and block_problems(blocks, max_blocks=50) == []


def test_buttons_sharing_an_action_get_unique_ids_that_map_back() -> None:
    row = Buttons(
        "checkin:2026-11-23", tuple(Button(str(i), "checkin_mood", str(i)) for i in range(1, 6))
    )
    block = render_message(Message(summary="s", blocks=(row,)))["blocks"][0]
    ids = [e["action_id"] for e in block["elements"]]
    assert len(set(ids)) == 5 and {action_name(i) for i in ids} == {"checkin_mood"}


def test_a_form_round_trips_through_a_modal() -> None:
    form = Form(
        action="checkin_note_form",
        title="A very long title for a modal",
        submit="Save",
        cancel="Cancel",
        context="2026-11-23",
        inputs=(
            TextInput("note", "Note", initial="hi"),
            Checkbox("private", "Private", checked=True),
        ),
    )
    view = render_form(form, response_url="https://hooks.example/1")
    assert len(view["title"]["text"]) <= 24
    assert form_metadata(view) == ("2026-11-23", "https://hooks.example/1")
    view["state"] = {
        "values": {
            "note": {"note": {"type": "plain_text_input", "value": "Tired"}},
            "private": {"private": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}},
        }
    }
    assert form_values(view) == {"note": "Tired", "private": True}
    assert form_metadata({"private_metadata": "not json"}) == ("", None)


def test_a_choice_round_trips_through_a_select() -> None:
    form = Form(
        "f",
        "Log",
        "Save",
        "Cancel",
        (Choice("kind", "Kind", (("praise", "Praise"), ("goal", "Goal")), "goal"),),
    )
    view = render_form(form)
    select = view["blocks"][0]["element"]
    assert select["type"] == "static_select" and select["initial_option"]["value"] == "goal"
    view["state"] = {
        "values": {
            "kind": {"kind": {"type": "static_select", "selected_option": {"value": "praise"}}}
        }
    }
    assert form_values(view) == {"kind": "praise"}


def test_commands_in_text_are_shown_as_slack_users_type_them() -> None:
    copy = copy_for("en")
    body = render_message(
        Message("s", (Paragraph(copy.text("errors.unknown_command", word="<x>")),))
    )
    text = body["blocks"][0]["text"]["text"]
    assert text == 'I don\'t know "&lt;x&gt;". Try `/pepptalk help` to see what you can do.'


def test_a_button_says_whose_it_is_to_a_screen_reader() -> None:
    from pepptalk.bot.slack.render import render_blocks
    from pepptalk.core.messages import Button, Buttons, Message

    row = Buttons("nudge:7", (Button("Log feedback", "feedback_log", "7", reader="Log: Anna"),))
    [block] = render_blocks(Message("s", (row,)))
    assert block["elements"][0]["accessibility_label"] == "Log: Anna"


def test_a_link_is_a_slack_link_and_a_file_outside_a_dm_is_its_name() -> None:
    message = Message(
        summary="s",
        blocks=(
            Link("https://p.example.com/download/a?b=1&c=<2>", "Download <your|data>"),
            Attachment(b"{}", "export.json", "application/json", "Your data (export.json)"),
        ),
    )
    blocks = render_message(message)["blocks"]
    assert block_problems(blocks, max_blocks=50) == []
    assert blocks[0]["text"]["text"] == (
        "<https://p.example.com/download/a?b=1&amp;c=&lt;2&gt;|Download &lt;your¦data&gt;>"
    )
    assert blocks[1]["elements"][0]["text"] == "📎 Your data (export.json)"
