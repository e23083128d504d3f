"""Actions from the meeting: `action @owner <text>` records one (the owner gets it in a message),
`action done <n>` or the agenda's Done button closes it; until then it is on every agenda."""

from __future__ import annotations

from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Message, Note, Paragraph, Reply, text_reply
from pepptalk.core.privacy import Policy
from pepptalk.core.values import whole_number
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, Habit, TeamCommand, TeamTurn
from pepptalk.handlers.people import find, shown
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

TEXT_MAX = 300


async def _close(turn: TeamTurn, number_text: str) -> Reply:
    copy = turn.copy
    number = whole_number(number_text)
    if number is None:
        return text_reply(copy.text("actions.usage_done"))
    action = await turn.uow.meetings.action_numbered(turn.team.id, number)
    if action is None:
        return text_reply(copy("actions.no_number", number=number_text[:10]))
    if action.done_at is not None:
        return text_reply(copy("actions.already_done", number=action.number))
    action.done_at = turn.now
    return text_reply(copy("actions.done", number=action.number))


async def record_action(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`action @owner <text>` records an action; `action done <n>` closes one."""
    copy, team = turn.copy, turn.team
    if line.arg(0).lower() == "done":
        return await _close(turn, line.arg(1))
    mention = line.mention(0)
    text = " ".join(line.rest(1).split())
    if mention is None or not text:
        return text_reply(copy.text("actions.usage"))
    if len(text) > TEXT_MAX:
        return text_reply(copy("errors.text_too_long", length=len(text), max=TEXT_MAX))
    owner = find(await turn.uow.teams.members(team.id), mention)
    if owner is None:
        name = shown(mention, unnamed=copy("feedback.that_person"))
        return text_reply(copy("actions.not_in_team", name=name))
    action = await turn.uow.meetings.add_action(
        owner=owner, by=turn.member, text=text, now=turn.now
    )
    if owner.id != turn.member.id:
        await turn.uow.outbox.claim(
            [
                NewDelivery(
                    workspace_id=team.workspace_id,
                    team_id=team.id,
                    member_id=owner.id,
                    kind=DeliveryKind.ACTION.keyed(action.id),
                    local_date=turn.today,
                    due_at=turn.now,
                )
            ]
        )
    return text_reply(
        copy("actions.recorded", number=action.number, name=owner.display_name, text=text)
    )


async def compose_actions(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """The owner's message about an action given to them (None when it is done or gone)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        action_id = whole_number(job.delivery.kind.partition(":")[2])
        action = await uow.meetings.action(action_id) if action_id is not None else None
        if action is None or action.done_at is not None or job.member.removed_at is not None:
            messages[job.delivery.id] = None
            continue
        members = {m.id: m.display_name for m in await uow.teams.members(job.team.id)}
        copy = copy_for(job.team.language)
        said = copy(
            "actions.to_owner",
            # A leader who has erased their data since is no longer named.
            leader=members.get(action.created_by or 0, copy("checkin.leaders_fallback")),
            number=action.number,
            text=action.text,
        )
        messages[job.delivery.id] = Message(
            summary=said, blocks=(Paragraph(said), Note(copy("actions.owner_note")))
        )
    return messages


HABIT = Habit(
    name="actions",
    commands=(TeamCommand(("action",), "help.action", record_action, role=Role.LEADER),),
    composers=(ComposerSpec(DeliveryKind.ACTION, compose_actions),),
)
