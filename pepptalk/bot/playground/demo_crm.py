"""The playground's CRM: HubSpot, Pipedrive and Salesforce as one in-process stand-in, so a
visitor sees connecting, syncing and matching sellers with no account and no network.

It holds the demo sellers and hands out, as calls, meetings and won deals, the very figures the
seed wrote: a sync that reads seeded days again writes the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.crm.access import CipherSealer
from pepptalk.bot.playground.seed import NEWCOMER, SELLERS, demo_team, seeded_on
from pepptalk.bot.playground.seed_meeting import CALLS_GOAL, SALES_GOAL, day_figures
from pepptalk.bot.services import Clock
from pepptalk.core.calendar import zone
from pepptalk.core.crm import (
    CrmAccess,
    CrmError,
    CrmGoal,
    CrmKind,
    CrmOwner,
    CrmPage,
    CrmProblem,
    CrmRecord,
    CrmSecret,
    CrmUsage,
    GoalPeriod,
    RecordKind,
)
from pepptalk.store.database import Database

ACCOUNT = "Oslo Inside Sales, demo CRM"
# The one token the demo CRM refuses, so a visitor can see how a refusal reads.
REFUSED = "revoked"
PAGE_SIZE = 500
# Fredrik is in the CRM under another name and e-mail, so one seller is left to `team match`.
ALIASES = {"UFREDRIK": ("Fred Lie", "fred.lie@oslo-sales.example")}
# When the day's records happen (the team's zone): calls and meetings spread over the working
# day, the day's deal in the afternoon. Only what has happened by the clock's time is handed out.
DAY_STARTS = time(8, 30)
WORKDAY = timedelta(hours=8)
DEAL_AT = time(15, 0)
# A Fernet key for the playground when the operator set none. Anyone can read it here, and
# that is acceptable: it seals only demo tokens (which open nothing) in a demo database on
# this computer.
DEMO_KEY = "cGVwcHRhbGsgcGxheWdyb3VuZCBkZW1vIGtleSAzMmI="


def owner_id(user_id: str) -> str:
    """The CRM's id for a demo seller."""
    return f"demo-{user_id.lower()}"


def demo_owners() -> list[CrmOwner]:
    """Everyone in the demo CRM: the sellers, and Sofie, whom the CRM knows before the team does."""
    owners = []
    for person in (*SELLERS, NEWCOMER):
        name, email = ALIASES.get(person.user_id, (person.name, person.email))
        owners.append(CrmOwner(owner_id(person.user_id), name, email))
    return owners


class DemoCrm:
    """One CRM's stand-in: any non-empty key works, except the token `revoked`."""

    def __init__(self, kind: CrmKind, database: Database, clock: Clock) -> None:
        self.kind = kind
        self.usage = CrmUsage()
        self._database, self._clock = database, clock

    def _check(self, secret: CrmSecret) -> None:
        self.usage.requests += 1
        token = secret.get("token") or secret.get("access_token")
        if not token or token == REFUSED:
            raise CrmError(CrmProblem.REVOKED, "the demo CRM refuses this token")
        if self.kind is CrmKind.PIPEDRIVE and not secret.get("domain"):
            raise CrmError(CrmProblem.ADDRESS, "no company domain")

    async def check(self, secret: CrmSecret) -> str:
        """The demo account's name."""
        self._check(secret)
        return ACCOUNT

    async def owners(self, secret: CrmSecret) -> list[CrmOwner]:
        """The demo sellers."""
        self._check(secret)
        return demo_owners()

    async def page(
        self,
        secret: CrmSecret,
        *,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        cursor: str | None,
    ) -> CrmPage:
        """Records of `kind` in [since, until) that have happened by now, a page at a time."""
        self._check(secret)
        self.usage.pages += 1
        records = await self._records(kind, since, min(until, self._clock()))
        start = int(cursor) if cursor and cursor.isdigit() else 0
        end = start + PAGE_SIZE
        return CrmPage(tuple(records[start:end]), str(end) if end < len(records) else None)

    async def goals(self, secret: CrmSecret, *, day: date) -> list[CrmGoal]:
        """The team-wide goals the seed uses."""
        self._check(secret)
        return [
            CrmGoal(None, "calls", GoalPeriod.DAY, CALLS_GOAL),
            CrmGoal(None, "sales", GoalPeriod.DAY, SALES_GOAL),
        ]

    async def _records(self, kind: RecordKind, since: datetime, until: datetime) -> list[CrmRecord]:
        async with self._database.uow() as uow:
            team = await demo_team(uow)
        if team is None or until <= since:
            return []
        tz = zone(team.timezone)
        first, last = since.astimezone(tz).date(), until.astimezone(tz).date()
        seeded = seeded_on(team)
        found = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            for person in (*SELLERS, NEWCOMER):
                figures = day_figures(team, person.user_id, day, seeded)
                found += [
                    r
                    for r in _day_records(person.user_id, day, figures, kind, tz)
                    if since <= r.at < until
                ]
        # By time, so records that happen while a sync pages through come after its cursor.
        return sorted(found, key=lambda r: (r.at, r.record_id))


def _day_records(
    user_id: str,
    day: date,
    figures: tuple[int, int, float],
    kind: RecordKind,
    tz: ZoneInfo,
) -> list[CrmRecord]:
    calls, meetings, sales = figures
    owner = owner_id(user_id)
    start = datetime.combine(day, DAY_STARTS, tzinfo=tz)
    if kind is RecordKind.CALL:
        count = calls
    elif kind is RecordKind.MEETING:
        count = meetings
    else:
        at = datetime.combine(day, DEAL_AT, tzinfo=tz)
        deal = CrmRecord(f"deal-{owner}-{day}", owner, at, kind, sales)
        return [deal] if sales else []
    return [
        CrmRecord(f"{kind.value}-{owner}-{day}-{i}", owner, start + WORKDAY * i / count, kind)
        for i in range(count)
    ]


def demo_access(database: Database, clock: Clock, keys: Sequence[str] = ()) -> CrmAccess:
    """The playground's CRMs: the demo CRM for each, sealed with the operator's key when set
    (the demo key still opens what was sealed before it was), and no Salesforce sign-in."""
    sealer = CipherSealer(TokenCipher([*keys, DEMO_KEY]))
    sources = {kind: DemoCrm(kind, database, clock) for kind in CrmKind}
    return CrmAccess(sources=sources, sealer=sealer, salesforce_start_url=None)
