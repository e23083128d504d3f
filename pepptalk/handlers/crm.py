"""Numbers straight from the CRM: a leader connects the team's HubSpot, Pipedrive or Salesforce
once, and the figures come in by themselves, every night and before each meeting.

The secret is typed into a form (never a command line that stays in a channel), checked against
the CRM, and stored sealed. The reading itself is `crm_sync`'s; the words for a leader are
`crm_told`'s.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from urllib.parse import urlencode

from pepptalk.core.calendar import member_zone, moment, zone
from pepptalk.core.crm import (
    CrmAccess,
    CrmError,
    CrmKind,
    CrmOwner,
    CrmProblem,
    CrmSecret,
    RecordKind,
    company_domain,
)
from pepptalk.core.i18n import copy_for
from pepptalk.core.kinds import DeliveryKind, Role
from pepptalk.core.messages import (
    Form,
    Link,
    Message,
    Note,
    Paragraph,
    Reply,
    TextInput,
    text_reply,
)
from pepptalk.core.ports import FormValues
from pepptalk.core.privacy import Policy
from pepptalk.handlers.crm_figures import match_owners
from pepptalk.handlers.crm_sync import sync_connection
from pepptalk.handlers.crm_told import (
    compose_problems,
    connection_message,
    crm_name,
)
from pepptalk.handlers.grammar import CommandLine
from pepptalk.handlers.habit import ComposerSpec, FormSpec, Habit, JobSpec, TeamCommand, TeamTurn
from pepptalk.handlers.meeting_days import DRAFT_AT, draft_day, meeting_slot, next_meeting
from pepptalk.store.crm_models import CrmConnection
from pepptalk.store.database import Database
from pepptalk.store.models import Member, Team
from pepptalk.store.uow import UnitOfWork

CONNECT_FORM = "crm_connect"
# HubSpot's and Pipedrive's tokens are shorter than this; anything longer was pasted wrong.
TOKEN_MAX = 500
# A Salesforce sign-in link works this long.
SIGN_IN_FOR = timedelta(minutes=15)
# When the nightly sync runs (team's zone), and how soon after a failure it tries again.
NIGHTLY_FROM = 2
RETRY_AFTER = timedelta(hours=1)
# Fresh numbers before the draft agenda and the pre-read: a sync in the hour before each.
FRESH_BEFORE = timedelta(hours=1)
# How many teams' CRMs are read at once.
AT_ONCE = 8


def _kind(word: str) -> CrmKind | None:
    try:
        return CrmKind(word.strip().lower())
    except ValueError:
        return None


async def connect(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team connect hubspot|pipedrive|salesforce`: what the CRM needs, and a form for it."""
    copy, crm = turn.copy, turn.policy.crm
    kind = _kind(line.arg(0))
    if kind is None:
        return text_reply(copy.text("usage.team_connect"))
    if crm.sealer is None:
        return text_reply(copy("crm.no_key"))
    name = crm_name(kind)
    if kind is CrmKind.SALESFORCE:
        if crm.salesforce_start_url is None:
            return text_reply(copy("crm.salesforce_not_set"))
        state = crm.sealer.seal(
            json.dumps(
                {
                    "team": turn.team.id,
                    "member": turn.member.id,
                    "until": (turn.now + SIGN_IN_FOR).isoformat(),
                }
            )
        )
        said = copy("crm.salesforce_how")
        link = Link(
            f"{crm.salesforce_start_url}?{urlencode({'state': state})}",
            copy("crm.salesforce_button"),
        )
        return Reply(
            message=Message(
                summary=said, blocks=(Paragraph(said), link, Note(copy("crm.kept_sealed")))
            ),
            private=True,
        )
    inputs = [TextInput(name="token", label=copy("crm.token_label"), max_length=TOKEN_MAX)]
    if kind is CrmKind.PIPEDRIVE:
        inputs.insert(
            0,
            TextInput(
                name="domain",
                label=copy("crm.domain_label"),
                max_length=120,
                placeholder=copy("crm.domain_placeholder"),
            ),
        )
    form = Form(
        action=CONNECT_FORM,
        title=copy("crm.form_title", crm=name),
        submit=copy("crm.form_submit"),
        cancel=copy("crm.form_cancel"),
        intro=copy(f"crm.{kind.value}_how") + " " + copy("crm.kept_sealed"),
        context=kind.value,
        inputs=tuple(inputs),
    )
    return Reply(form=form, private=True)


async def submit_connect(*, turn: TeamTurn, target: CrmKind, values: FormValues) -> Reply:
    """The form sent: check the secret against the CRM, keep it sealed, say who was found."""
    copy, crm = turn.copy, turn.policy.crm
    source = crm.sources.get(target)
    if crm.sealer is None or source is None:
        return text_reply(copy("crm.no_key"))
    token = str(values.get("token") or "").strip()
    secret = CrmSecret({"token": token})
    if target is CrmKind.PIPEDRIVE:
        domain = company_domain(str(values.get("domain") or ""))
        if domain is None:
            return Reply(form_errors={"domain": copy("crm.bad_domain")})
        secret.values["domain"] = domain
    if not token:
        return Reply(form_errors={"token": copy("crm.token_empty")})
    try:
        account = await source.check(secret)
        owners = await source.owners(secret)
        # One page of each stream, so a token short of a scope is refused now, while the
        # leader is at the form, rather than in tonight's sync.
        for kind in RecordKind:
            await source.page(
                secret, kind=kind, since=turn.now - timedelta(days=1), until=turn.now, cursor=None
            )
    except CrmError as error:
        field = "domain" if error.problem is CrmProblem.ADDRESS else "token"
        said = copy(f"crm.refused_{error.problem.value}", crm=crm_name(target), detail=error.detail)
        return Reply(form_errors={field: said})
    return await keep_connection(
        turn=turn, kind=target, secret=secret, account=account, owners=owners
    )


async def keep_connection(
    *, turn: TeamTurn, kind: CrmKind, secret: CrmSecret, account: str, owners: list[CrmOwner]
) -> Reply:
    """Store a checked connection (sealed) and tell the leader who was found in the CRM."""
    message = await store_connection(
        uow=turn.uow,
        crm=turn.policy.crm,
        team=turn.team,
        leader=turn.member,
        kind=kind,
        secret=secret,
        account=account,
        owners=owners,
        now=turn.now,
    )
    return Reply(message=message, private=True)


async def store_connection(
    *,
    uow: UnitOfWork,
    crm: CrmAccess,
    team: Team,
    leader: Member,
    kind: CrmKind,
    secret: CrmSecret,
    account: str,
    owners: list[CrmOwner],
    now: datetime,
) -> Message:
    """Keep a team's CRM connection, its secret sealed; what the leader is told: who was
    found in the CRM, and who not (with how to match them)."""
    if crm.sealer is None:
        raise CrmError(CrmProblem.REVOKED, "PEPPTALK_ENCRYPTION_KEY is not set")
    await uow.crm.connect(
        workspace_id=team.workspace_id,
        team_id=team.id,
        kind=kind,
        secret=crm.sealer.seal(json.dumps(secret.values)),
        account=account,
        member_id=leader.id,
        now=now,
    )
    copy = copy_for(team.language)
    sellers = await uow.teams.sellers(team.id)
    matching = match_owners(sellers, owners)
    name = crm_name(kind)
    said = copy("crm.connected", crm=name, account=account)
    blocks: list[Paragraph | Note] = [
        Paragraph(said),
        Paragraph(
            copy("crm.matched", found=len(matching.by_owner), sellers=len(sellers), crm=name)
        ),
    ]
    if matching.unmatched:
        names = copy.join([m.display_name for m in matching.unmatched])
        blocks.append(Paragraph(copy("crm.unmatched", crm=name, names=names)))
    blocks.append(Note(copy("crm.backfill_soon")))
    return Message(summary=said, blocks=tuple(blocks))


async def show_connection(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team connection`: what is connected, the last sync, who is not matched, the last problem."""
    message = await connection_message(
        uow=turn.uow, team=turn.team, copy=turn.copy, tz=member_zone(turn.member, turn.team)
    )
    return Reply(message=message, private=True)


async def disconnect(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team disconnect <crm>`: forget the CRM's secret; the figures already read stay."""
    copy = turn.copy
    kind = _kind(line.arg(0))
    connection = await turn.uow.crm.of_team(turn.team.id)
    if kind is None:
        return text_reply(copy.text("usage.team_disconnect"))
    if connection is None or connection.kind is not kind:
        return text_reply(copy("crm.not_connected_to", crm=crm_name(kind)))
    await turn.uow.crm.disconnect(turn.team.id)
    return Reply(message=_said(copy("crm.disconnected", crm=crm_name(kind))), private=True)


def _said(text: str) -> Message:
    return Message(summary=text, blocks=(Paragraph(text),))


def _email(text: str) -> str | None:
    word = text.strip().strip("<>").removeprefix("mailto:")
    local, at, domain = word.partition("@")
    if not at or not local or "." not in domain or " " in word or len(word) > 254:
        return None
    return word


async def match(*, turn: TeamTurn, line: CommandLine) -> Reply:
    """`team match @seller e-mail`: the e-mail a seller has in the CRM (`off`: their own)."""
    copy = turn.copy
    mention = line.mention(0)
    seller = (
        await turn.uow.teams.seller(turn.team.id, user_id=mention.user_id)
        if mention and mention.user_id
        else None
    )
    if seller is None:
        return text_reply(copy.text("usage.team_match"))
    word = line.arg(1)
    if word.lower() == "off":
        seller.crm_email = None
        return Reply(message=_said(copy("crm.match_off", name=seller.display_name)), private=True)
    email = _email(word)
    if email is None:
        return text_reply(copy.text("usage.team_match"))
    seller.crm_email = email
    connection = await turn.uow.crm.of_team(turn.team.id)
    if connection is not None:
        # Read the whole span again, so the seller's earlier weeks come in too.
        connection.synced_at = connection.synced_through = None
    said = copy("crm.match_saved", name=seller.display_name, email=email)
    return Reply(message=_said(said), private=True)


def _read_kind(context: str) -> CrmKind | None:
    return _kind(context)


def is_due(connection: CrmConnection, team: Team, leaders: list[Member], now: datetime) -> bool:
    """Whether a connection should be read now: a first or unfinished sync, the nightly one, or
    the hour before the draft agenda or the pre-read; a failed one waits an hour."""
    tried = connection.tried_at
    if tried is not None and connection.problem is not None and now - tried < RETRY_AFTER:
        return False
    if connection.synced_at is None or connection.progress is not None:
        return True
    tz = zone(team.timezone)
    local = now.astimezone(tz)
    last = connection.synced_at.astimezone(tz)
    if local.hour >= NIGHTLY_FROM and last.date() < local.date():
        return True
    if now - connection.synced_at < FRESH_BEFORE or meeting_slot(team) is None:
        return False
    meeting_on = next_meeting(team, now)
    if meeting_on is None:
        return False
    slot = meeting_slot(team)
    starts = [moment(meeting_on, slot[1], tz)] if slot else []
    starts += [
        moment(draft_day(team, leader, meeting_on), DRAFT_AT, member_zone(leader, team))
        for leader in leaders
    ]
    # The pre-read goes out at the latest an hour before the meeting: be fresh before that.
    return any(timedelta() < at - now <= FRESH_BEFORE * 2 for at in starts)


async def sync_due(*, database: Database, now: datetime, policy: Policy) -> int:
    """The `crm` job: read every connection that is due; how many were read."""
    async with database.uow() as uow:
        due = []
        for connection_id in await uow.crm.all_ids():
            connection = await uow.crm.by_id(connection_id)
            team = await uow.teams.by_id(connection.team_id) if connection else None
            if connection is None or team is None:
                continue
            leaders = [m for m in await uow.teams.members(team.id) if m.role is Role.LEADER]
            if is_due(connection, team, leaders, now):
                due.append(connection_id)
    # Each team's CRM account has limits of its own: read several at once, a few at a time.
    limit = asyncio.Semaphore(AT_ONCE)

    async def one(connection_id: int) -> bool:
        async with limit:
            report = await sync_connection(
                database=database, crm=policy.crm, connection_id=connection_id, now=now
            )
        return not report.busy and report.problem is None

    return sum(await asyncio.gather(*(one(i) for i in due)))


HABIT = Habit(
    name="crm",
    commands=(
        TeamCommand(
            ("team", "connect"), "help.team_connect", connect, role=Role.LEADER, private=True
        ),
        TeamCommand(
            ("team", "connection"),
            "help.team_connection",
            show_connection,
            role=Role.LEADER,
            private=True,
        ),
        TeamCommand(
            ("team", "disconnect"),
            "help.team_disconnect",
            disconnect,
            role=Role.LEADER,
            private=True,
        ),
        TeamCommand(("team", "match"), "help.team_match", match, role=Role.LEADER, private=True),
    ),
    forms=(FormSpec(CONNECT_FORM, _read_kind, submit_connect, role=Role.LEADER),),
    jobs=(JobSpec("crm", work=sync_due),),
    composers=(ComposerSpec(DeliveryKind.CRM, compose_problems),),
)
