"""What a leader is told about their team's CRM: a problem in plain words (once, not every
night), and how the connection stands (`team connection`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pepptalk.core.calendar import member_zone
from pepptalk.core.crm import CrmError, CrmKind, CrmProblem
from pepptalk.core.i18n import Copy, copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import Command, Message, Note, Paragraph
from pepptalk.core.privacy import Policy
from pepptalk.store.crm_models import CrmConnection
from pepptalk.store.models import Member, Team
from pepptalk.store.outbox import DeliveryJob, NewDelivery
from pepptalk.store.uow import UnitOfWork

# A CRM that is down or at its limit often is again tomorrow: the leader hears of it only when
# it lasts this long. A revoked key, a missing scope or a wrong address needs them at once.
PATIENCE = timedelta(hours=24)
NAMES = {
    CrmKind.HUBSPOT: "HubSpot",
    CrmKind.PIPEDRIVE: "Pipedrive",
    CrmKind.SALESFORCE: "Salesforce",
}


def crm_name(kind: CrmKind) -> str:
    """A CRM's name as its users write it."""
    return NAMES[kind]


def problem_text(copy: Copy, connection: CrmConnection) -> str:
    """What went wrong, and what to do, in the leader's words."""
    problem = connection.problem or CrmProblem.DOWN
    return copy(
        f"crm.problem_{problem.value}",
        crm=crm_name(connection.kind),
        kind=connection.kind.value,
        detail=connection.problem_detail or "",
    )


async def note_problem(
    *, uow: UnitOfWork, connection: CrmConnection, error: CrmError, now: datetime
) -> None:
    """Keep what went wrong; queue one message to the team's leaders when it needs them."""
    if connection.problem is not error.problem:
        connection.problem, connection.problem_since = error.problem, now
        connection.problem_told = False
    connection.problem_detail = error.detail[:300] or None
    lasting = now - (connection.problem_since or now) >= PATIENCE
    urgent = error.problem in (CrmProblem.REVOKED, CrmProblem.SCOPE, CrmProblem.ADDRESS)
    if connection.problem_told or not (urgent or lasting):
        return
    connection.problem_told = True
    team = await uow.teams.by_id(connection.team_id)
    if team is None:
        return
    leaders = [m for m in await uow.teams.members(team.id) if m.role is Role.LEADER]
    await uow.outbox.claim(
        NewDelivery(
            workspace_id=team.workspace_id,
            team_id=team.id,
            member_id=leader.id,
            kind=DeliveryKind.CRM.keyed(connection.id),
            local_date=now.astimezone(member_zone(leader, team)).date(),
            due_at=now,
        )
        for leader in leaders
    )


async def compose_problems(
    *, uow: UnitOfWork, jobs: list[DeliveryJob], policy: Policy
) -> dict[int, Message | None]:
    """The message about a CRM problem (None when it has cleared up since, or the connection
    is gone)."""
    messages: dict[int, Message | None] = {}
    for job in jobs:
        connection = await uow.crm.of_team(job.team.id)
        if connection is None or connection.problem is None:
            messages[job.delivery.id] = None
            continue
        copy = copy_for(job.team.language)
        said = problem_text(copy, connection)
        messages[job.delivery.id] = Message(
            summary=said,
            blocks=(
                Paragraph(said),
                Note(copy("crm.problem_more", command=Command("team connection"))),
            ),
        )
    return messages


async def connection_message(*, uow: UnitOfWork, team: Team, copy: Copy, tz: ZoneInfo) -> Message:
    """How the team's CRM connection stands: what, since when, the last sync, who is not
    matched, and the last problem."""
    connection = await uow.crm.of_team(team.id)
    if connection is None:
        said = copy("crm.none")
        return Message(summary=said, blocks=(Paragraph(said),))
    name = crm_name(connection.kind)
    members = {m.id: m for m in await uow.teams.members(team.id)}
    by = members.get(connection.connected_by or 0)
    said = copy(
        "crm.status",
        crm=name,
        account=connection.account or name,
        date=copy.date(connection.connected_at.date()),
        name=by.display_name if by else "",
    )
    blocks: list[Paragraph | Note] = [Paragraph(said), Paragraph(_sync_line(copy, connection, tz))]
    unmatched = _unmatched(connection, members)
    if unmatched:
        blocks.append(Paragraph(copy("crm.unmatched", crm=name, names=copy.join(unmatched))))
    if connection.problem is not None:
        blocks.append(Paragraph(problem_text(copy, connection)))
    goals = "crm.goals_own_first" if connection.own_goals_first else "crm.goals_crm_first"
    blocks.append(Note(copy(goals, crm=name)))
    blocks.append(Note(copy("crm.disconnect_how", kind=connection.kind.value)))
    return Message(summary=said, blocks=tuple(blocks))


def _sync_line(copy: Copy, connection: CrmConnection, tz: ZoneInfo) -> str:
    if connection.progress is not None and connection.synced_through is not None:
        return copy("crm.sync_under_way", day=copy.date(connection.synced_through))
    if connection.synced_at is None:
        return copy("crm.sync_not_yet")
    synced = connection.synced_at.astimezone(tz)
    return copy(
        "crm.synced",
        date=copy.date(synced.date()),
        time=synced.strftime("%H:%M"),
        figures=copy.number(connection.figures),
    )


def _unmatched(connection: CrmConnection, members: dict[int, Member]) -> list[str]:
    try:
        ids = [int(i) for i in json.loads(connection.unmatched)]
    except (ValueError, TypeError):
        return []
    return [members[i].display_name for i in ids if i in members]
