"""`pepptalk crm sync --team NAME [--since YYYY-MM-DD]`: read one team's CRM now, with a line
that shows how far it has come (pages, records, days) for a long backfill."""

from __future__ import annotations

import sys
from datetime import date
from typing import TextIO

from pepptalk.bot.app import Pepptalk
from pepptalk.handlers.service import SyncReport


def progress_line(report: SyncReport) -> str:
    """How far a sync has come, in one line."""
    share = report.days_done / report.days_total if report.days_total else 0.0
    filled = round(share * 20)
    return (
        f"[{'#' * filled}{'.' * (20 - filled)}] {report.days_done}/{report.days_total} days, "
        f"{report.pages} pages, {report.records} records, {report.stored} figures"
    )


class Progress:
    """Redraws the progress line in place on a terminal; elsewhere prints it once per week."""

    def __init__(self, out: TextIO) -> None:
        self.out, self.terminal, self.days = out, out.isatty(), -1

    def __call__(self, report: SyncReport) -> None:
        if self.terminal:
            print(f"\r{progress_line(report)}", end="", file=self.out, flush=True)
        elif report.days_done != self.days:
            self.days = report.days_done
            print(progress_line(report), file=self.out, flush=True)

    def end(self) -> None:
        """Leave the line standing."""
        if self.terminal:
            print(file=self.out)


async def sync_team(
    pepptalk: Pepptalk, *, team: str, workspace: str | None, since: date | None
) -> int:
    """Read a named team's CRM now; 0 when it was read to the end, 1 when the CRM failed,
    2 when there is no such team or it has no CRM connected."""
    progress = Progress(sys.stdout)
    report = await pepptalk.services.habits.sync_crm(
        team=team, workspace_id=workspace, since=since, on_page=progress
    )
    progress.end()
    if isinstance(report, str):
        print(f"pepptalk: {report}", file=sys.stderr)
        return 2
    if report.busy:
        print(f"{team}: another Pepptalk is reading this CRM right now; try again later")
        return 1
    if report.problem is not None:
        print(f"{team}: stopped at {report.days_done}/{report.days_total} days: {report.problem}")
        return 1
    print(f"{team}: read {report.records} records on {report.pages} pages; {report.stored} figures")
    if report.unmatched:
        print(f"not found in the CRM: {', '.join(report.unmatched)} (team match in the chat)")
    return 0
