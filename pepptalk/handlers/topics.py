"""Topics: a seller proposes something to talk about, and chooses whether it is for the team
meeting or for their own 1:1. A topic taken up by a posted agenda is closed."""

from __future__ import annotations

from dataclasses import dataclass

from pepptalk.core.i18n import Copy
from pepptalk.core.kinds import Role, TopicAudience
from pepptalk.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Note,
    Paragraph,
    Reply,
    Style,
    text_reply,
)
from pepptalk.core.ports import Press
from pepptalk.handlers.grammar import CommandLine, read_id
from pepptalk.handlers.habit import ButtonSpec, Habit, TeamCommand, TeamTurn
from pepptalk.store.models import Topic

FOR_ACTION = "topic_for"
TEXT_MAX = 200


@dataclass(frozen=True)
class Placement:
    """A topic and who it is for, as a button carried them."""

    topic_id: int
    audience: TopicAudience


def placement_buttons(copy: Copy, topic: Topic) -> Buttons:
    """The choice for a topic: the team meeting, or the seller's own 1:1."""
    return Buttons(
        group=f"topic:{topic.id}",
        buttons=(
            Button(copy("topics.for_team"), FOR_ACTION, f"{topic.id}:team", Style.PRIMARY),
            Button(copy("topics.for_me"), FOR_ACTION, f"{topic.id}:private"),
        ),
    )


async def propose_topic(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`topic <text>`: keep a seller's topic, then ask who it is for."""
    copy = turn.copy
    text = " ".join(line.rest().split())
    if not text:
        return text_reply(copy.text("topics.empty"))
    if len(text) > TEXT_MAX:
        return text_reply(copy("errors.text_too_long", length=len(text), max=TEXT_MAX))
    topic = await turn.uow.meetings.add_topic(member=turn.member, text=text, now=turn.now)
    said = copy("topics.choose", text=text)
    return Reply(
        message=Message(summary=said, blocks=(Paragraph(said), placement_buttons(copy, topic)))
    )


def _read_placement(press: Press) -> Placement | None:
    topic, _, audience = press.value.partition(":")
    topic_id = read_id(topic)
    try:
        return Placement(topic_id, TopicAudience(audience)) if topic_id is not None else None
    except ValueError:
        return None


async def place_topic(*, turn: TeamTurn, target: Placement) -> Reply:
    """A seller's choice: the team meeting, or their own 1:1; the question updates in place."""
    copy = turn.copy
    topic = await turn.uow.meetings.topic(target.topic_id)
    if topic is None or topic.member_id != turn.member.id or topic.closed_at is not None:
        return text_reply(copy("topics.not_found"))
    topic.audience = target.audience
    if target.audience is TopicAudience.TEAM:
        said = copy("topics.placed_team", text=topic.text)
    else:
        leaders = (await turn.uow.teams.leader_names([turn.team.id]))[turn.team.id]
        who = copy.join(leaders) or copy("checkin.leaders_fallback")
        said = copy("topics.placed_private", text=topic.text, leaders=who)
    return Reply(message=Message(summary=said, blocks=(Paragraph(said),)), replace=True)


def _line(copy: Copy, topic: Topic) -> str:
    if topic.audience is TopicAudience.TEAM:
        return copy("topics.line_team", text=topic.text)
    if topic.audience is TopicAudience.ONE_TO_ONE:
        return copy("topics.line_private", text=topic.text)
    return copy("topics.line_unplaced", text=topic.text)


async def list_topics(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`topics`: a seller's own open topics; for a leader, everyone's."""
    copy, team = turn.copy, turn.team
    if turn.is_leader:
        topics = await turn.uow.meetings.open_topics(team.id)
        names = {m.id: m.display_name for m in await turn.uow.teams.members(team.id)}
    else:
        topics = await turn.uow.meetings.open_topics(team.id, member_id=turn.member.id)
        names = {}
    if not topics:
        return text_reply(copy.text("topics.none"))
    blocks: list[Block] = [Heading(copy("topics.title"))]
    for topic in topics:
        text = _line(copy, topic)
        if names:
            text = f"{names.get(topic.member_id, '?')}: {text}"
        blocks.append(Paragraph(text))
        if not turn.is_leader and topic.audience is None:
            blocks.append(placement_buttons(copy, topic))
    blocks.append(Note(copy("topics.hint")))
    return Reply(message=Message(summary=copy("topics.title"), blocks=tuple(blocks)))


HABIT = Habit(
    name="topics",
    commands=(
        TeamCommand(
            ("topic",),
            "help.topic",
            propose_topic,
            role=Role.SELLER,
            refusal="topics.leader_hint",
            private=True,
        ),
        TeamCommand(("topics",), "help.topics", list_topics, private=True),
    ),
    buttons=(
        ButtonSpec(FOR_ACTION, _read_placement, place_topic, Role.SELLER, "topics.not_found"),
    ),
)
