"""Reading a team's CRM into its daily figures: a week at a time, page by page, each page's
progress kept, so a sync cut short by a limit, an error or a restart goes on where it stopped.

A week's figures are written in the same unit of work that moves the sync past that week: the
figures and the progress land together or not at all. Nothing waits on a long transaction: each
page is its own short unit of work, and the CRM is read between them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from pepptalk.core.calendar import zone
from pepptalk.core.crm import (
    CrmAccess,
    CrmError,
    CrmProblem,
    CrmSecret,
    CrmSource,
    RecordKind,
)
from pepptalk.handlers.crm_figures import (
    GoalBook,
    Matching,
    count_records,
    figure_rows,
    match_owners,
)
from pepptalk.handlers.crm_told import note_problem
from pepptalk.store.crm_models import CrmConnection
from pepptalk.store.database import Database
from pepptalk.store.models import Team
from pepptalk.store.uow import UnitOfWork

# A first connection reads this far back; later syncs re-read a few days, since sellers log
# calls late (Friday's calls on Monday).
BACKFILL = timedelta(weeks=8)
REREAD = timedelta(days=4)
CHUNK_DAYS = 7
KINDS = tuple(RecordKind)
# How long a replica may hold a connection without renewing (each page renews it).
LEASE = timedelta(minutes=10)

OnPage = Callable[["SyncReport"], None]


@dataclass
class SyncReport:
    """What a sync did: pages and records read, figures stored, days covered, how it ended."""

    team: str = ""
    pages: int = 0
    records: int = 0
    stored: int = 0
    days_done: int = 0
    days_total: int = 0
    problem: CrmError | None = None
    busy: bool = False
    unmatched: list[str] = field(default_factory=list)


@dataclass
class Progress:
    """Where a sync is: the whole span [first, end), the week under way [since, until), the
    stream and cursor in it, and the counts read so far in that week."""

    first: date
    end: date
    since: date
    kind: int = 0
    cursor: str | None = None
    counts: dict[str, float] = field(default_factory=dict)
    # The ids counted so far in the week under way: a CRM that starts a query over (an expired
    # Salesforce cursor) hands some records out twice, and each counts once.
    seen: set[str] = field(default_factory=set)

    @property
    def until(self) -> date:
        """The end of the week under way."""
        return min(self.since + timedelta(days=CHUNK_DAYS), self.end)

    def dumps(self) -> str:
        """As kept in the connection's row."""
        return json.dumps(
            {
                "first": self.first.isoformat(),
                "end": self.end.isoformat(),
                "since": self.since.isoformat(),
                "kind": self.kind,
                "cursor": self.cursor,
                "counts": self.counts,
                "seen": sorted(self.seen),
            }
        )

    @classmethod
    def loads(cls, kept: str) -> Progress | None:
        """From the connection's row (None: unreadable, so the sync starts its span again)."""
        try:
            data = json.loads(kept)
            return cls(
                first=date.fromisoformat(data["first"]),
                end=date.fromisoformat(data["end"]),
                since=date.fromisoformat(data["since"]),
                kind=int(data["kind"]),
                cursor=data["cursor"],
                counts={str(k): float(v) for k, v in data["counts"].items()},
                seen={str(i) for i in data.get("seen", [])},
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


def plan(connection: CrmConnection, today: date, since: date | None) -> Progress:
    """The span to read: from `since` when asked, else 8 weeks back on a first sync, else a
    few days before the last day read; through today."""
    if since is None:
        since = (
            today - BACKFILL
            if connection.synced_through is None
            else connection.synced_through - REREAD
        )
    end = today + timedelta(days=1)
    since = min(since, today)
    return Progress(first=since, end=end, since=since)


def read_secret(crm: CrmAccess, connection: CrmConnection) -> CrmSecret:
    """The connection's secret, opened (a CrmError when no key opens it any more)."""
    if crm.sealer is None:
        raise CrmError(CrmProblem.REVOKED, "PEPPTALK_ENCRYPTION_KEY is not set")
    try:
        values = json.loads(crm.sealer.open(connection.secret))
    except ValueError:
        raise CrmError(CrmProblem.REVOKED, "the stored key can no longer be opened") from None
    return CrmSecret({str(k): str(v) for k, v in values.items()})


class _Run:
    """One sync of one connection, holding its lease."""

    def __init__(
        self, database: Database, crm: CrmAccess, connection_id: int, now: datetime
    ) -> None:
        self.database, self.crm, self.connection_id, self.now = database, crm, connection_id, now
        self.started = time.monotonic()

    def _lease_until(self) -> datetime:
        # Measured from the job's own `now`, so a moved clock (tests, the playground) and the
        # real one agree on whose lease has run out.
        return self.now + timedelta(seconds=time.monotonic() - self.started) + LEASE

    async def _save(self, uow: UnitOfWork, secret: CrmSecret) -> CrmConnection:
        connection = await uow.crm.by_id(self.connection_id)
        if connection is None:
            raise _Gone
        if secret.changed and self.crm.sealer is not None:
            # A refreshed access token is kept at once, so the next sync does not need
            # another refresh.
            connection.secret = self.crm.sealer.seal(json.dumps(secret.values))
        connection.lease_until = self._lease_until()
        return connection

    async def run(self, *, since: date | None, on_page: OnPage | None) -> SyncReport:
        report = SyncReport()
        async with self.database.uow() as uow:
            if not await uow.crm.lease(self.connection_id, now=self.now, until=self._lease_until()):
                report.busy = True
                return report
            connection = await uow.crm.by_id(self.connection_id)
            team = await uow.teams.by_id(connection.team_id) if connection else None
            if connection is None or team is None:
                raise _Gone
            report.team = team.name
            connection.tried_at = self.now
            sellers = await uow.teams.sellers(team.id)
            own_goals = await uow.crm.goals(team.id)
            own_first, kind = connection.own_goals_first, connection.kind
            today = self.now.astimezone(zone(team.timezone)).date()
            kept = Progress.loads(connection.progress) if connection.progress else None
            progress = kept if kept is not None and since is None else None
            progress = progress or plan(connection, today, since)
        source = self.crm.sources.get(kind)
        try:
            if source is None:
                raise CrmError(CrmProblem.DOWN, f"{kind.value} is not reachable from here")
            secret = read_secret(self.crm, connection)
            owners = await source.owners(secret)
            matching = match_owners(sellers, owners)
            report.unmatched = [m.display_name for m in matching.unmatched]
            goals = GoalBook(await source.goals(secret, day=today), own_goals, own_first)
            report.days_total = (progress.end - progress.first).days
            await self._read(source, secret, team, matching, goals, progress, report, on_page)
        except CrmError as error:
            report.problem = error
            self.crm.outcomes[(kind.value, error.problem.value)] += 1
            async with self.database.uow() as uow:
                connection = await uow.crm.by_id(self.connection_id)
                if connection is not None:
                    connection.lease_until = None
                    await note_problem(uow=uow, connection=connection, error=error, now=self.now)
            return report
        self.crm.outcomes[(kind.value, "done")] += 1
        async with self.database.uow() as uow:
            connection = await uow.crm.by_id(self.connection_id)
            if connection is not None:
                connection.synced_at, connection.progress = self.now, None
                connection.figures, connection.lease_until = report.stored, None
                connection.unmatched = json.dumps([m.id for m in matching.unmatched])
                connection.problem = connection.problem_detail = None
                connection.problem_since, connection.problem_told = None, False
        return report

    async def _read(
        self,
        source: CrmSource,
        secret: CrmSecret,
        team: Team,
        matching: Matching,
        goals: GoalBook,
        progress: Progress,
        report: SyncReport,
        on_page: OnPage | None,
    ) -> None:
        tz = zone(team.timezone)
        while progress.since < progress.end:
            start = datetime.combine(progress.since, datetime.min.time(), tzinfo=tz)
            stop = datetime.combine(progress.until, datetime.min.time(), tzinfo=tz)
            while progress.kind < len(KINDS):
                page = await source.page(
                    secret,
                    kind=KINDS[progress.kind],
                    since=start,
                    until=stop,
                    cursor=progress.cursor,
                )
                fresh = [r for r in page.records if f"{r.kind}:{r.record_id}" not in progress.seen]
                progress.seen.update(f"{r.kind}:{r.record_id}" for r in fresh)
                count_records(progress.counts, fresh, tz)
                report.pages += 1
                report.records += len(page.records)
                progress.cursor = page.cursor
                if page.cursor is None:
                    progress.kind += 1
                async with self.database.uow() as uow:
                    connection = await self._save(uow, secret)
                    connection.progress = progress.dumps()
                if on_page is not None:
                    on_page(report)
            days = [
                progress.since + timedelta(days=i)
                for i in range((progress.until - progress.since).days)
            ]
            rows = figure_rows(
                team=team, matching=matching, counts=progress.counts, days=days, goals=goals
            )
            async with self.database.uow() as uow:
                report.stored += await uow.metrics.keep(
                    workspace_id=team.workspace_id, team_id=team.id, rows=rows, now=self.now
                )
                progress.since, progress.kind, progress.cursor = progress.until, 0, None
                progress.counts, progress.seen = {}, set()
                connection = await self._save(uow, secret)
                connection.progress = progress.dumps()
                connection.synced_through = days[-1]
            report.days_done += len(days)
            if on_page is not None:
                on_page(report)


class _Gone(Exception):  # noqa: N818 - an outcome: the connection went away mid-sync
    """The connection was removed (disconnected, or its team deleted) while syncing."""


async def sync_connection(
    *,
    database: Database,
    crm: CrmAccess,
    connection_id: int,
    now: datetime,
    since: date | None = None,
    on_page: OnPage | None = None,
) -> SyncReport:
    """Read one connection's CRM into the team's figures, from where the last sync stopped (or
    from `since`); what went wrong is kept on the connection and told to the leader once."""
    try:
        return await _Run(database, crm, connection_id, now).run(since=since, on_page=on_page)
    except _Gone:
        return SyncReport()
