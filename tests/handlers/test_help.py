"""Help that teaches: each person's five, everything by habit, and what a typo was close to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pepptalk.core.i18n import LANGUAGES, copy_for, load_prompts
from pepptalk.core.kinds import Role
from pepptalk.core.messages import Command, Heading, Message, Paragraph, Reply, Rich, plain
from pepptalk.handlers.grammar import nearest, tokens
from pepptalk.handlers.habit import Section
from pepptalk.handlers.help import TOP, usable
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import Database
from tests.bot.slack.harness import running_pepptalk
from tests.fakes.chat import FakeChat
from tests.fakes.clock import FakeClock
from tests.handlers.helpers import SLACK_PREFIX, Team, paragraph_texts, words


@pytest.fixture
async def team(database: Database, chat: FakeChat, clock: FakeClock) -> Team:
    team = Team(database, chat, clock)
    await team.create({"UANNA": None})
    return team


def message_of(reply: Reply) -> Message:
    assert reply.message is not None
    return reply.message


def commands_shown(message: Message) -> list[str]:
    """The first command of each paragraph, as the reader would type it after /pepptalk."""
    shown = []
    for block in message.blocks:
        if isinstance(block, Paragraph) and isinstance(block.text, Rich):
            command = next(p for p in block.text.parts if isinstance(p, Command))
            shown.append(command.words)
    return shown


def headings(message: Message) -> list[str]:
    return [b.text for b in message.blocks if isinstance(b, Heading)][1:]


def help_line(key: str) -> str:
    return plain(copy_for("en").text(key), prefix=SLACK_PREFIX)


SELLER_FIVE = [
    "checkin",
    "note Slept badly, so a slow start today",
    "win Booked a demo with Nordvik",
    "topic Handling the price objection",
    "pause until 2026-07-31",
]
LEADER_FIVE = [
    "checkin",
    "seen",
    "feedback @anna praise Great save on the Nordvik call",
    "agenda",
    "digest",
]
NEWCOMER_FIVE = [
    "team create Oslo",
    "team add @anna @bjorn",
    "team set channel #sales-oslo",
    "team set meeting thu 09:00",
    "team set language nb",
]


async def test_a_sellers_help_is_their_five_then_the_way_to_everything(team: Team) -> None:
    message = message_of(await team.reply("UANNA", "help"))
    assert commands_shown(message) == [*SELLER_FIVE, "help all"]
    texts = paragraph_texts(message)
    assert texts[0] == "You are in Oslo. What you'll use most:"
    assert texts[-1] == "/pepptalk help all shows everything you can do."
    assert len(texts) == 7


async def test_a_leaders_help_is_their_five(team: Team) -> None:
    message = message_of(await team.reply("ULEAD", "help"))
    assert commands_shown(message) == [*LEADER_FIVE, "help all"]
    assert paragraph_texts(message)[0] == "You lead Oslo. What you'll use most:"
    assert "/pepptalk seen: when each seller last had a talk with you" in words(message)


async def test_someone_in_no_team_gets_the_first_steps_of_a_team(team: Team) -> None:
    message = message_of(await team.reply("USTRANGER", "help"))
    assert commands_shown(message) == [*NEWCOMER_FIVE, "help all"]
    said = words(message)
    assert "Pepptalk helps a sales team start the day well" in said
    assert "Leading a team? Start like this:" in said
    assert "Joining a team? Ask your leader to add you" in said


def test_each_five_is_real_use_of_a_command_the_person_can_use() -> None:
    english = load_prompts("en")
    for role, keys in TOP.items():
        assert len(keys) == 5, role
        for key in keys:
            example = english[key].split("`")[1]
            assert not set(example) & set("<>[]|"), f"{key}: an example, not the grammar"
            commands = REGISTRY.match(tokens(example))
            # Someone with no team is shown the first steps: what they can use once
            # `team create` has made them a leader.
            fits = (role,) if role is not None else (None, Role.LEADER)
            assert any(usable(c, r) for c in commands for r in fits), key


async def test_help_all_lists_every_command_of_a_seller_by_habit_and_nothing_else(
    team: Team,
) -> None:
    message = message_of(await team.reply("UANNA", "help all"))
    assert message.summary == "Everything you can do with Pepptalk"
    assert headings(message) == [
        "Mornings",
        "Wins",
        "Team meetings",
        "Your team",
        "Your data",
        "Help",
    ]
    lines = paragraph_texts(message)[1:]
    theirs = [c.help for c in REGISTRY.commands if usable(c, Role.SELLER)]
    assert sorted(lines) == sorted(help_line(key) for key in theirs)
    for command in REGISTRY.commands:
        if not usable(command, Role.SELLER):
            assert help_line(command.help) not in lines, command.words
    said = words(message)
    assert said.index("Mornings") < said.index("/pepptalk note <text>") < said.index("Wins")


async def test_help_all_lists_every_command_of_a_leader_and_nothing_of_a_seller(
    team: Team,
) -> None:
    message = message_of(await team.reply("ULEAD", "help all"))
    assert headings(message) == [
        "Mornings",
        "Feedback talks",
        "Team meetings",
        "Weekly digest",
        "Your team",
        "Numbers and goals",
        "Your data",
        "Help",
    ]
    lines = paragraph_texts(message)[1:]
    theirs = [c.help for c in REGISTRY.commands if usable(c, Role.LEADER)]
    assert sorted(lines) == sorted(help_line(key) for key in theirs)
    for key in ("help.note", "help.win", "help.remind", "help.topic", "help.team_create"):
        assert help_line(key) not in lines, key
    said = words(message)
    assert said.index("Feedback talks") < said.index("/pepptalk seen:")
    assert said.index("/pepptalk seen:") < said.index("Team meetings")


async def test_help_all_for_someone_in_no_team_is_what_they_can_do_now(team: Team) -> None:
    message = message_of(await team.reply("USTRANGER", "help all"))
    assert headings(message) == ["Your team", "Your data", "Help"]
    assert commands_shown(message) == [
        "team create <name>",
        "export",
        "forget-me",
        "help",
        "help all",
    ]


async def test_a_typo_gets_the_command_it_was_close_to(team: Team) -> None:
    meant = message_of(await team.reply("ULEAD", "sene"))
    assert paragraph_texts(meant) == ['I don\'t know "sene". Did you mean /pepptalk seen?']
    assert "Did you mean /pepptalk agenda?" in await team.say("ULEAD", "agneda")
    assert "Did you mean /pepptalk help?" in await team.say("UANNA", "halp")
    assert "Did you mean /pepptalk help all?" in await team.say("UANNA", "help al")
    assert "Did you mean /pepptalk note?" in await team.say("UANNA", "ntoe Slept badly")


async def test_a_typo_in_the_second_word_is_caught_too_and_nothing_is_run(team: Team) -> None:
    team.chat.add_user("UBJORN", "Bjørn Haugen")
    said = await team.say("ULEAD", "team ad <@UBJORN>")
    assert 'I don\'t know "team ad". Did you mean /pepptalk team add?' in said
    assert await team.seat_of("UBJORN") is None, "a suggestion is not a command run"
    assert "Did you mean /pepptalk team add?" in await team.say("ULEAD", "taem add <@UBJORN>")
    assert "Did you mean /pepptalk team set goal?" in await team.say(
        "ULEAD", "team set goall calls 60/day"
    )
    # A setting is no slip of `team set goal`: it is saved as typed.
    assert "Saved. Check-in: 07:45" in await team.say("ULEAD", "team set checkin 07:45")
    assert "Did you mean /pepptalk team create?" in await team.say("USTRANGER", "team creat Oslo")
    assert await team.seat_of("USTRANGER") is None


async def test_a_seller_is_never_pointed_at_a_leaders_command(team: Team) -> None:
    for typo in ("sene", "agneda", "digets", "feedbak @anna praise", "team ad @bjorn"):
        said = await team.say("UANNA", typo)
        assert "Did you mean" not in said, typo
        assert "Try /pepptalk help to see what you can do." in said, typo
    assert "Did you mean /pepptalk topic?" in await team.say("UANNA", "topc Pricing")
    # Typed whole, a leader's command is refused as before, not turned into another one.
    assert "Only a team leader" in await team.say("UANNA", "seen everyone")


async def test_someone_in_no_team_is_pointed_only_at_what_they_can_use(team: Team) -> None:
    assert "Did you mean" not in await team.say("USTRANGER", "chekin")
    assert "Did you mean /pepptalk export?" in await team.say("USTRANGER", "exprot")
    # Typed whole, a team member's command still says why it cannot be used yet.
    assert "You're not in a team yet" in await team.say("USTRANGER", "team")


async def test_nonsense_points_at_help(team: Team) -> None:
    for nonsense in ("dance", "stop", "blorp the wibble", "team fly"):
        said = await team.say("ULEAD", nonsense)
        assert "Did you mean" not in said, nonsense
        assert "Try /pepptalk help to see what you can do." in said, nonsense


@pytest.mark.parametrize(
    ("language", "meant", "five", "error"),
    [
        ("nb", "Mente du /pepptalk seen?", "Dette bruker du mest:", "Prøv: /pepptalk remind off"),
        ("sv", "Menade du /pepptalk seen?", "Det här använder du mest:", "Prova: /pepptalk remind"),
        ("da", "Mente du /pepptalk seen?", "Det bruger du mest:", "Prøv: /pepptalk remind off"),
    ],
)
async def test_help_and_suggestions_speak_the_teams_language(
    team: Team, language: str, meant: str, five: str, error: str
) -> None:
    await team.say("ULEAD", f"team set language {language}")
    assert meant in await team.say("ULEAD", "sene")
    seller = message_of(await team.reply("UANNA", "help"))
    assert five in paragraph_texts(seller)[0]
    assert commands_shown(seller)[0] == "checkin" and commands_shown(seller)[-1] == "help all"
    assert len(commands_shown(seller)) == 6
    assert error in await team.say("UANNA", "remind maybe")
    everything = message_of(await team.reply("ULEAD", "help all"))
    copy = copy_for(language)
    assert headings(everything)[0] == copy("help.section_mornings")
    assert everything.summary == copy("help.title_all")


def test_nearest_reads_word_by_word_and_only_what_is_close() -> None:
    known = [("seen",), ("team",), ("team", "add"), ("team", "set"), ("team", "set", "goal")]
    assert nearest(["SENE"], known) == ("seen",)
    assert nearest(["taem", "ad", "<@U1>"], known) == ("team", "add")
    assert nearest(["team", "set", "goall", "calls"], known) == ("team", "set", "goal")
    assert nearest(["team", "fly"], known) == ("team",)
    assert nearest(["dance"], [("cadence",)]) is None
    assert nearest([], known) is None
    # Words that run out on the way lead to the one command they can only mean.
    assert nearest(["taem"], [("team", "create"), ("help",)]) == ("team", "create")


def test_every_section_has_a_heading_in_every_language() -> None:
    for language in LANGUAGES:
        prompts = load_prompts(language)
        for section in Section:
            assert prompts[f"help.section_{section.value}"].strip(), (language, section)


async def test_a_slack_slash_command_with_a_typo_is_answered_with_the_suggestion(
    tmp_path: Path, clock: FakeClock
) -> None:
    async with running_pepptalk(tmp_path, clock) as slack:
        answer = await slack.command("UNEW", "halp")
        said = json.dumps(answer, ensure_ascii=False)
        assert answer["response_type"] == "ephemeral"
        assert "Did you mean `/pepptalk help`?" in said
        short = json.dumps(await slack.command("UNEW", "help"), ensure_ascii=False)
        assert "`/pepptalk help all` shows everything you can do." in short
