"""Privacy's costs on a long history: the retention sweep every tick, one person's export and
one person's erasure.

Seeds a temporary SQLite database (migrated as Pepptalk migrates it) with teams of sellers
answering every day for `--days` days, a third of them with a note, and a feedback talk a week
each. Then times, as medians of `--repeat` runs each in its own unit of work (rolled back, so
every run sees the same data):
- the retention sweep when no note has crossed the line (what almost every tick does) and when
  one day's notes have (the tick after midnight's notes turn a year and a day old);
- building one seller's export (every row of theirs, as the JSON document `export` sends);
- erasing one seller (`forget-me`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

from pepptalk.core.kinds import FeedbackKind, Mood, Platform, Role
from pepptalk.core.ports import Actor
from pepptalk.handlers.privacy import export_document
from pepptalk.store.database import Database, open_database
from pepptalk.store.models import Checkin, Feedback, Member, Team
from pepptalk.store.uow import UnitOfWork

WORKSPACE = "TBENCH"
RETENTION = timedelta(days=365)


async def seed(database: Database, *, teams: int, sellers: int, days: int, end: date) -> None:
    """Teams of sellers with `days` days of check-ins up to `end`, and weekly talks."""
    start = end - timedelta(days=days - 1)
    async with database.uow() as uow:
        for t in range(teams):
            created = datetime.combine(start, datetime.min.time(), tzinfo=UTC)
            team_id = (
                await uow.session.execute(
                    insert(Team)
                    .values(
                        workspace_id=WORKSPACE,
                        platform=Platform.SLACK,
                        name=f"Team {t}",
                        created_at=created,
                    )
                    .returning(Team.id)
                )
            ).scalar_one()
            people = [
                {
                    "workspace_id": WORKSPACE,
                    "team_id": team_id,
                    "user_id": f"U{t:03d}{s:03d}" if s else f"L{t:03d}",
                    "role": Role.SELLER if s else Role.LEADER,
                    "display_name": f"Person {t}-{s}",
                    "paused": False,
                    "joined_at": created,
                }
                for s in range(sellers + 1)
            ]
            ids = list(await uow.session.scalars(insert(Member).returning(Member.id), people))
            leader, seller_ids = ids[0], ids[1:]
            checkins, talks = [], []
            for offset in range(days):
                day = start + timedelta(days=offset)
                at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)
                for n, member_id in enumerate(seller_ids):
                    noted = (n + offset) % 3 == 0
                    checkins.append(
                        {
                            "workspace_id": WORKSPACE,
                            "team_id": team_id,
                            "member_id": member_id,
                            "local_date": day,
                            "mood": Mood(1 + (n + offset) % 5),
                            "note": f"note {offset}" if noted else None,
                            "note_private": False,
                            "answered_at": at,
                            "updated_at": at,
                        }
                    )
                    if (n + offset) % 7 == 0:
                        talks.append(
                            {
                                "workspace_id": WORKSPACE,
                                "team_id": team_id,
                                "member_id": member_id,
                                "given_by": leader,
                                "kind": FeedbackKind.COACHING,
                                "note": "talked",
                                "given_on": day,
                                "created_at": at,
                            }
                        )
            await uow.session.execute(insert(Checkin), checkins)
            await uow.session.execute(insert(Feedback), talks)


async def timed(
    database: Database, work: Callable[[UnitOfWork], Awaitable[object]], repeat: int
) -> tuple[float, object]:
    """The median milliseconds of `work`, each run rolled back."""
    times, result = [], None
    for _ in range(repeat):
        async with database.uow() as uow:
            started = time.perf_counter()
            result = await work(uow)
            times.append((time.perf_counter() - started) * 1000)
            await uow.session.rollback()
    return statistics.median(times), result


async def main(*, teams: int, sellers: int, days: int, repeat: int) -> int:
    end = date(2026, 11, 23)
    with tempfile.TemporaryDirectory() as folder:
        database = await open_database(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        try:
            started = time.perf_counter()
            await seed(database, teams=teams, sellers=sellers, days=days, end=end)
            rows = teams * sellers * days
            print(f"seeded {rows} check-ins ({days} days) in {time.perf_counter() - started:.1f} s")
            newest = datetime.combine(end, datetime.min.time(), tzinfo=UTC) + timedelta(hours=7)
            oldest = newest - timedelta(days=days - 1)

            def sweep_at(at: datetime) -> Callable[[UnitOfWork], Awaitable[int]]:
                async def sweep(uow: UnitOfWork) -> int:
                    return await uow.privacy.forget_notes(before=at - RETENTION)

                return sweep

            # A minute after the oldest notes turned a year old, and a day after that.
            ms, gone = await timed(database, sweep_at(oldest + RETENTION), repeat)
            print(f"retention sweep, nothing due: {ms:.2f} ms (notes dropped: {gone})")
            one_day = oldest + timedelta(days=1) + RETENTION
            ms, gone = await timed(database, sweep_at(one_day), repeat)
            print(f"retention sweep, one day due: {ms:.2f} ms (notes dropped: {gone})")
            async with database.uow() as uow:
                plan = await uow.session.execute(
                    text(
                        "EXPLAIN QUERY PLAN UPDATE checkins SET note = NULL "
                        "WHERE note IS NOT NULL AND updated_at < :at"
                    ),
                    {"at": "2026-01-01 00:00:00"},
                )
                print("  plan:", "; ".join(str(row[-1]) for row in plan))

            actor = Actor(WORKSPACE, "U000001", Platform.SLACK)

            async def export(uow: UnitOfWork) -> int:
                data = await uow.privacy.of_person(workspace_id=WORKSPACE, user_id="U000001")
                return len(export_document(data, now=newest, actor=actor)["checkins"])

            ms, kept = await timed(database, export, repeat)
            print(f"one seller's export: {ms:.2f} ms ({kept} check-ins)")

            async def erase(uow: UnitOfWork) -> int:
                return await uow.privacy.erase_person(workspace_id=WORKSPACE, user_id="U000001")

            ms, _ = await timed(database, erase, repeat)
            print(f"one seller's erasure: {ms:.2f} ms")
        finally:
            await database.close()
    return 0


def cli() -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--sellers", type=int, default=10)
    parser.add_argument("--days", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=15)
    return parser.parse_args()


if __name__ == "__main__":
    args = cli()
    raise SystemExit(
        asyncio.run(
            main(teams=args.teams, sellers=args.sellers, days=args.days, repeat=args.repeat)
        )
    )
