"""The weekly digest on PostgreSQL: composing it must cost the same for a team with a month of
history as for one with a year.

Makes a schema of its own on a PostgreSQL server, migrates it, and seeds it in bulk (COPY) with
a year of a sales team's life for `--teams` teams of `--sellers` sellers: daily check-ins and
their deliveries, weekly feedback talks, wins with shout-outs, meeting actions. Three more teams
of the same shape have 1, 4 and 12 months of history. Then it times `compose_digest` for those
three teams' leaders, and `charts.draw` for the digest's chart. Drops the schema at the end.

    .venv/bin/python -m bench.digest [--teams 1000] [--sellers 10] [--days 365] [--repeat 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, Protocol

from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.schema import in_own_schema
from pepptalk.bot.charts import draw
from pepptalk.bot.config import async_database_url
from pepptalk.core.kinds import Cadence, DeliveryKind, DeliveryStatus, FeedbackKind, Platform, Role
from pepptalk.core.messages import Chart, Message, Paragraph, plain
from pepptalk.handlers.digest import compose_digest
from pepptalk.store.database import Database, migrate
from pepptalk.store.models import Member, Team
from pepptalk.store.tables import METADATA

DEFAULT_URL = "postgresql://pepptalk_test:pepptalk_test@127.0.0.1:5432/pepptalk_test"
# The seeding's "today": Friday 20 November 2026, the digest's day; the digest goes out at 14:00
# in Oslo, and is composed here at 13:00 UTC that day.
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
WORKSPACE = "TBENCHDIGEST"
ZONE = "Europe/Oslo"
# The three teams whose digests are timed: their history in days, and how the figures name it.
HISTORIES = ((30, "1 month"), (120, "4 months"), (365, "12 months"))
# Composition is called flat while the longest history costs at most this much more.
FLAT = 1.5
WARMUP = 5
ACTIONS_A_WEEK = 2
OPEN_ACTIONS = 3
NOTES = (
    "Slow start, two calls before nine",
    "Big demo today",
    "Tired after the trade fair",
    "Chasing the Nordic tender",
    "Good pipeline this week",
)
WINS = ("Closed a 12-seat renewal", "Booked a demo with a new logo", "Upsold the support plan")
# The digest's statements by the repository call that sends them, for the plans' headings.
QUERIES = (
    (r"FROM members WHERE members.team_id", "teams.members"),
    (r"avg\(checkins.mood\).* FROM checkins", "checkins.daily_moods"),
    (r"count\(\*\).* FROM deliveries", "outbox.asked_between"),
    (r"row_number\(\) OVER .* FROM feedback", "feedback.latest"),
    (r"FROM wins WHERE .*shouted_at >=", "wins.shouted_since"),
    (r"FROM wins WHERE .*won_on >=", "wins.between"),
    (r"FROM actions WHERE .*done_at IS NULL", "meetings.open_actions"),
    (r"FROM metrics WHERE", "metrics.weeks"),
)
RATE = re.compile(r"Check-ins: (\d+) of (\d+) answered")


class RawConnection(Protocol):
    """The parts of an asyncpg connection this script uses (asyncpg ships no types)."""

    async def copy_records_to_table(
        self, table_name: str, *, records: Iterable[Sequence[object]], columns: Sequence[str]
    ) -> str: ...

    async def fetch(self, query: str, *args: object) -> list[Any]: ...

    async def execute(self, query: str, *args: object) -> str: ...

    def transaction(self) -> Any: ...


async def driver(connection: AsyncConnection) -> RawConnection:
    """The asyncpg connection under a SQLAlchemy one."""
    raw = await connection.get_raw_connection()
    assert raw.driver_connection is not None
    pg: RawConnection = raw.driver_connection
    return pg


@dataclass(frozen=True)
class Day:
    """One workday of the seeded year, with the instants its rows carry."""

    day: date
    ordinal: int
    due: datetime
    sent: datetime
    answered: datetime
    talked: datetime
    won: datetime
    shouted: datetime

    @classmethod
    def of(cls, day: date) -> Day:
        def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
            return datetime.combine(day, clock(hour, minute, second), tzinfo=UTC)

        return cls(day, day.toordinal(), at(7, 30), at(7, 30, 2), at(8, 5), at(15), at(12), at(14))


@dataclass(frozen=True)
class Seat:
    """A seeded team: its ids, how its sellers' days are drawn (`slot`), its days of history."""

    id: int
    leader_id: int
    sellers: tuple[tuple[int, int], ...]  # (member id, slot)
    days: int
    label: str = ""


Spans = dict[int, list[Day]]


def workdays(lengths: Iterable[int]) -> Spans:
    """For each length of history, its workdays (Monday to Friday) up to and including TODAY,
    oldest first; the same Day objects are shared between spans."""
    wanted = set(lengths)
    longest = max(wanted)
    found = (TODAY - timedelta(days=back) for back in range(longest - 1, -1, -1))
    year = [Day.of(day) for day in found if day.weekday() < 5]
    return {n: [d for d in year if d.day > TODAY - timedelta(days=n)] for n in wanted}


def mix(slot: int, ordinal: int) -> int:
    """A cheap, fixed hash of a seller's slot and a day: the same seller-day looks the same in
    every team that has it, so the three timed teams differ only in how far back they go."""
    h = (slot * 0x9E3779B1 + ordinal * 0x85EBCA77) & 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    return h ^ (h >> 12)


def created(days: int) -> datetime:
    """When a team with `days` days of history was set up: the morning before its first day."""
    return datetime.combine(TODAY - timedelta(days=days), clock(9), tzinfo=UTC)


# --- seeding ---------------------------------------------------------------------------------

TEAM_COLUMNS = (
    "workspace_id",
    "platform",
    "name",
    "checkin_time",
    "summary_delay_minutes",
    "workdays",
    "timezone",
    "language",
    "country",
    "leader_sells",
    "numbers_per_seller",
    "digest",
    "pulse",
    "created_at",
)
MEMBER_COLUMNS = (
    "workspace_id",
    "team_id",
    "user_id",
    "role",
    "display_name",
    "timezone",
    "paused",
    "joined_at",
    "cadence",
    "cadence_asked",
    "reminders",
)
CHECKIN_COLUMNS = (
    "workspace_id",
    "team_id",
    "member_id",
    "local_date",
    "mood",
    "note",
    "note_private",
    "answered_at",
    "updated_at",
    "mood_at",
)
DELIVERY_COLUMNS = (
    "workspace_id",
    "team_id",
    "member_id",
    "kind",
    "local_date",
    "status",
    "attempts",
    "due_at",
    "sent_at",
)
FEEDBACK_COLUMNS = (
    "workspace_id",
    "team_id",
    "member_id",
    "given_by",
    "kind",
    "note",
    "given_on",
    "created_at",
)
WIN_COLUMNS = ("workspace_id", "team_id", "member_id", "text", "won_on", "created_at", "shouted_at")
ACTION_COLUMNS = (
    "workspace_id",
    "team_id",
    "number",
    "owner_id",
    "created_by",
    "text",
    "created_at",
    "done_at",
)
TABLES = ("teams", "members", "checkins", "deliveries", "feedback", "wins", "actions")


def checkins(seats: list[Seat], spans: Spans) -> Iterator[tuple[object, ...]]:
    """About nine in ten sellers answer each workday; one answer in five has a note."""
    for seat in seats:
        for day in spans[seat.days]:
            for member_id, slot in seat.sellers:
                h = mix(slot, day.ordinal)
                if h % 10 == 0:
                    continue
                mood = (2, 3, 3, 4, 4, 4, 5, 5, 1, 3)[(h >> 4) % 10]
                note = NOTES[(h >> 8) % len(NOTES)] if (h >> 12) % 5 == 0 else None
                answered = day.answered
                yield (WORKSPACE, seat.id, member_id, day.day, mood, note, False) + (answered,) * 3


def deliveries(seats: list[Seat], spans: Spans) -> Iterator[tuple[object, ...]]:
    """Every seller is asked every workday: one sent check-in delivery each."""
    kind, sent = DeliveryKind.CHECKIN.value, DeliveryStatus.SENT.value
    for seat in seats:
        for day in spans[seat.days]:
            for member_id, _ in seat.sellers:
                yield (WORKSPACE, seat.id, member_id, kind, day.day, sent, 1, day.due, day.sent)


def feedback(seats: list[Seat], spans: Spans) -> Iterator[tuple[object, ...]]:
    """A talk a week with each seller, on the seller's own weekday; about one week in seven is
    missed, so some sellers are due a chat."""
    kinds = [k.value for k in FeedbackKind]
    for seat in seats:
        for day in spans[seat.days]:
            for member_id, slot in seat.sellers:
                if day.day.weekday() != slot % 5:
                    continue
                h = mix(slot, day.ordinal)
                if h % 7 == 0:
                    continue
                note = "Went through the pipeline" if h & 256 else None
                kind = kinds[(h >> 4) % len(kinds)]
                yield (
                    WORKSPACE,
                    seat.id,
                    member_id,
                    seat.leader_id,
                    kind,
                    note,
                    day.day,
                    day.talked,
                )


def wins(seats: list[Seat], spans: Spans) -> Iterator[tuple[object, ...]]:
    """About three wins a seller a month, half of them with a shout-out the same afternoon."""
    for seat in seats:
        for day in spans[seat.days]:
            for member_id, slot in seat.sellers:
                h = mix(slot, day.ordinal)
                if (h >> 20) % 7:
                    continue
                shouted = day.shouted if (h >> 24) & 1 else None
                yield (
                    WORKSPACE,
                    seat.id,
                    member_id,
                    WINS[(h >> 8) % len(WINS)],
                    day.day,
                    day.won,
                    shouted,
                )


def actions(seats: list[Seat]) -> Iterator[tuple[object, ...]]:
    """Two actions agreed at each week's meeting, done within the week, the last three open:
    the table grows with history while the open ones stay few."""
    for seat in seats:
        weeks = seat.days // 7
        total = weeks * ACTIONS_A_WEEK
        for number in range(1, total + 1):
            made = created(seat.days) + timedelta(weeks=(number - 1) // ACTIONS_A_WEEK, days=3)
            owner = seat.sellers[number % len(seat.sellers)][0]
            done = None if number > total - OPEN_ACTIONS else min(made + timedelta(days=6), NOW)
            what = f"Follow up the open quotes ({number})"
            yield (WORKSPACE, seat.id, number, owner, seat.leader_id, what, made, done)


async def seed(
    engine: AsyncEngine,
    *,
    teams: int,
    sellers: int,
    days: int,
    histories: Sequence[tuple[int, str]] = HISTORIES,
) -> list[Seat]:
    """Every team, member and row, by COPY in one transaction; returns the timed teams, one for
    each of `histories` (days of history, label)."""
    shapes = [(f"Sales {t:04d}", days, t * sellers) for t in range(teams)]
    shapes += [(f"History {label}", length, 0) for length, label in histories]
    spans = workdays(length for _, length, _ in shapes)
    async with engine.connect() as connection:
        pg = await driver(connection)
        async with pg.transaction():
            started = time.perf_counter()
            await pg.copy_records_to_table(
                "teams",
                columns=TEAM_COLUMNS,
                records=[
                    (WORKSPACE, Platform.SLACK.value, name, "08:30", 30)
                    + ("mon,tue,wed,thu,fri", ZONE, "en", "NO", False, False, "fri 14:00", False)
                    + (created(length),)
                    for name, length, _ in shapes
                ],
            )
            ids = {row["name"]: row["id"] for row in await pg.fetch("SELECT id, name FROM teams")}
            people: list[tuple[object, ...]] = []
            for name, length, first_slot in shapes:
                joined = created(length)
                people.append(
                    (WORKSPACE, ids[name], f"L{ids[name]}", Role.LEADER.value)
                    + (f"Leader of {name}", ZONE, False, joined, Cadence.WEEKLY.value, False, True)
                )
                people += [
                    (WORKSPACE, ids[name], f"S{ids[name]}:{first_slot + s}", Role.SELLER.value)
                    + (f"Seller {first_slot + s}", None, False, joined)
                    + (Cadence.WEEKLY.value, False, True)
                    for s in range(sellers)
                ]
            await pg.copy_records_to_table("members", columns=MEMBER_COLUMNS, records=people)
            print(f"   teams and members: {time.perf_counter() - started:.1f} s")
            members = await pg.fetch("SELECT id, team_id, user_id, role FROM members ORDER BY id")
            leaders = {m["team_id"]: m["id"] for m in members if m["role"] == Role.LEADER.value}
            crew: dict[int, list[tuple[int, int]]] = {}
            for m in members:
                if m["role"] == Role.SELLER.value:
                    slot = int(m["user_id"].partition(":")[2])
                    crew.setdefault(m["team_id"], []).append((m["id"], slot))
            seats = [
                Seat(ids[name], leaders[ids[name]], tuple(crew[ids[name]]), length, name)
                for name, length, _ in shapes
            ]
            tables: list[tuple[str, Sequence[str], Iterable[Sequence[object]]]] = [
                ("checkins", CHECKIN_COLUMNS, checkins(seats, spans)),
                ("deliveries", DELIVERY_COLUMNS, deliveries(seats, spans)),
                ("feedback", FEEDBACK_COLUMNS, feedback(seats, spans)),
                ("wins", WIN_COLUMNS, wins(seats, spans)),
                ("actions", ACTION_COLUMNS, actions(seats)),
            ]
            # A foreign key is checked row by row during COPY, which makes it about 2.5 times
            # slower; one check of the whole table afterwards is far cheaper. The keys come back
            # as they were, under their own names, in the same transaction.
            keys = await pg.fetch(
                "SELECT conrelid::regclass::text AS table, conname AS name, "
                "pg_get_constraintdef(oid) AS definition FROM pg_constraint "
                "WHERE contype = 'f' AND connamespace = current_schema()::regnamespace "
                "AND conrelid::regclass::text = ANY($1::text[])",
                [table for table, _, _ in tables],
            )
            for key in keys:
                await pg.execute(f'ALTER TABLE "{key["table"]}" DROP CONSTRAINT "{key["name"]}"')
            for table, columns, records in tables:
                started = time.perf_counter()
                await pg.copy_records_to_table(table, columns=columns, records=records)
                print(f"   {table}: {time.perf_counter() - started:.1f} s")
            started = time.perf_counter()
            for key in keys:
                table, name, definition = key["table"], key["name"], key["definition"]
                await pg.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
            print(f"   {len(keys)} foreign keys put back: {time.perf_counter() - started:.1f} s")
    return seats[-len(histories) :]


async def vacuum(engine: AsyncEngine) -> None:
    """VACUUM ANALYZE this schema's tables, as autovacuum would soon after a bulk load."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(f"VACUUM (ANALYZE) {', '.join(TABLES)}"))


async def counts(engine: AsyncEngine, schema: str) -> tuple[dict[str, int], int]:
    """Rows in each table, and the bytes the schema's tables and indexes take."""
    found = {}
    async with engine.connect() as connection:
        for table in TABLES:
            counted = select(func.count()).select_from(METADATA.tables[table])
            found[table] = int((await connection.execute(counted)).scalar_one())
        size = await connection.execute(
            text(
                "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind = 'r'"
            ),
            {"schema": schema},
        )
        return found, int(size.scalar_one())


# --- timing ----------------------------------------------------------------------------------


async def compose(database: Database, seat: Seat) -> tuple[float, Message]:
    """One digest in its own unit of work: seconds spent in compose_digest, and the message."""
    async with database.uow() as uow:
        team = await uow.session.get(Team, seat.id)
        leader = await uow.session.get(Member, seat.leader_id)
        assert team is not None and leader is not None
        started = time.perf_counter()
        message = await compose_digest(uow=uow, team=team, leader=leader, day=TODAY, now=NOW)
        return time.perf_counter() - started, message


def problems(message: Message, sellers: int) -> list[str]:
    """What a composed digest lacks: its chart, or a check-in rate with the week's asks in it."""
    found = []
    if not any(isinstance(block, Chart) for block in message.blocks):
        found.append("no Chart block")
    texts = [plain(b.text) for b in message.blocks if isinstance(b, Paragraph)]
    rates = [match for t in texts if (match := RATE.search(t))]
    if not rates:
        found.append("no check-in response rate")
    elif int(rates[0].group(2)) != 5 * sellers:
        found.append(f"the rate counts {rates[0].group(2)} check-ins asked, not {5 * sellers}")
    return found


def p95(times: list[float]) -> float:
    """The 95th percentile, nearest rank."""
    ordered = sorted(times)
    return ordered[min(len(ordered), math.ceil(0.95 * len(ordered))) - 1]


def chart_of(message: Message) -> Chart:
    return next(block for block in message.blocks if isinstance(block, Chart))


# --- plans -----------------------------------------------------------------------------------


async def statements(database: Database, seat: Seat) -> list[tuple[str, tuple[object, ...]]]:
    """The SQL one compose sends, with its parameters, in order (the unit of work's loads of the
    team and its leader left out)."""
    captured: list[tuple[str, tuple[object, ...]]] = []
    composing = False

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> None:
        if composing:
            captured.append((statement, tuple(parameters or ())))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        async with database.uow() as uow:
            team = await uow.session.get(Team, seat.id)
            leader = await uow.session.get(Member, seat.leader_id)
            assert team is not None and leader is not None
            composing = True
            await compose_digest(uow=uow, team=team, leader=leader, day=TODAY, now=NOW)
            composing = False
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return captured


def named(statement: str) -> str:
    """The repository call a digest statement comes from, told by its SQL (else its table)."""
    one_line = " ".join(statement.split())
    for pattern, name in QUERIES:
        if re.search(pattern, one_line):
            return name
    table = re.search(r"\bFROM (\w+)", one_line)
    return table.group(1) if table else one_line[:30]


async def explain(engine: AsyncEngine, statement: str, parameters: tuple[object, ...]) -> list[str]:
    """EXPLAIN (ANALYZE, BUFFERS) of one captured statement, run with its own parameters."""
    async with engine.connect() as connection:
        pg = await driver(connection)
        rows = await pg.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *parameters)
        return [str(row[0]) for row in rows]


def execution_ms(plan: list[str]) -> float:
    found = [line for line in plan if line.startswith("Execution Time:")]
    return float(found[0].split()[2]) if found else math.nan


async def plans(database: Database, seats: list[Seat]) -> None:
    """Each digest query's server time for the three teams, then the 12-month team's plans."""
    captured = {seat.label: await statements(database, seat) for seat in seats}
    explained: dict[str, list[list[str]]] = {}
    for seat in seats:
        explained[seat.label] = [
            await explain(database.engine, sql, args) for sql, args in captured[seat.label]
        ]
    longest = seats[-1].label
    heads = "".join(f"{label:>12}" for _, label in HISTORIES)
    print(f"the digest's {len(captured[longest])} queries, server time (EXPLAIN ANALYZE), ms")
    print(f"   {'query':<30}{heads}")
    for i, (sql, _) in enumerate(captured[longest]):
        times = "".join(f"{execution_ms(explained[s.label][i]):12.3f}" for s in seats)
        print(f"   {i + 1:>2}. {named(sql):<26}{times}")
    print(f"query plans for the {HISTORIES[-1][1]} team ({longest}):")
    for i, ((sql, args), plan) in enumerate(
        zip(captured[longest], explained[longest], strict=True)
    ):
        print(f"-- {i + 1}. {named(sql)}")
        print(f"   {' '.join(sql.split())}")
        print(f"   parameters: {', '.join(repr(a) for a in args)}")
        for line in plan:
            print(f"      {line}")


# --- main ------------------------------------------------------------------------------------


async def run(
    engine: AsyncEngine,
    schema: str,
    *,
    teams: int,
    sellers: int,
    days: int,
    repeat: int,
    show: bool,
) -> int:
    """Migrate, seed, time; every figure printed. 1 when a compose failed or lacked a part."""
    started = time.perf_counter()
    await migrate(engine)
    print(f"schema {schema} migrated in {time.perf_counter() - started:.1f} s")
    print(
        f"seeding {teams} teams x {sellers} sellers (+ a leader each) with {days} days of history, "
        f"and 3 more teams with {', '.join(str(d) for d, _ in HISTORIES)} days, by COPY"
    )
    started = time.perf_counter()
    seats = await seed(engine, teams=teams, sellers=sellers, days=days)
    seeded = time.perf_counter() - started
    started = time.perf_counter()
    await vacuum(engine)
    vacuumed = time.perf_counter() - started
    rows, size = await counts(engine, schema)
    print(
        f"   seeded in {seeded:.1f} s, VACUUM ANALYZE {vacuumed:.1f} s; "
        f"{sum(rows.values()):,} rows, {size / 1024**2:,.0f} MiB with indexes"
    )
    print("   " + ", ".join(f"{table} {count:,}" for table, count in rows.items()))

    database = Database(engine)
    samples: dict[str, list[float]] = {seat.label: [] for seat in seats}
    messages: dict[str, Message] = {}
    failed: dict[str, set[str]] = {seat.label: set() for seat in seats}
    try:
        for _ in range(WARMUP):
            for seat in seats:
                await compose(database, seat)
        for _ in range(repeat):
            # Round the three teams, so a slow moment of the machine falls on all of them.
            for seat in seats:
                seconds, messages[seat.label] = await compose(database, seat)
                samples[seat.label].append(seconds)
                failed[seat.label].update(problems(messages[seat.label], sellers))
    except Exception:
        logging.exception("a digest could not be composed")
        return 1
    print(
        f"compose_digest(day={TODAY}, now={NOW:%Y-%m-%d %H:%M} UTC), {repeat} times per team "
        f"after {WARMUP} untimed, each in its own unit of work (the chart not drawn)"
    )
    print(f"   {'history':<10}" + "".join(f"{label:>12}" for _, label in HISTORIES))
    medians = [statistics.median(samples[s.label]) * 1000 for s in seats]
    print(f"   {'median':<10}" + "".join(f"{m:9.2f} ms" for m in medians))
    print(f"   {'p95':<10}" + "".join(f"{p95(samples[s.label]) * 1000:9.2f} ms" for s in seats))
    ratio = medians[-1] / medians[0]
    flat = ratio <= FLAT
    print(
        f"   {HISTORIES[-1][1]} / {HISTORIES[0][1]}: {ratio:.2f}x "
        f"({'flat' if flat else 'NOT flat'}: the bound is {FLAT}x)"
    )
    for label, found in failed.items():
        if found:
            print(f"   the {label} digest lacks a part: {'; '.join(sorted(found))}")
    longest = messages[seats[-1].label]
    texts = [plain(b.text) for b in longest.blocks if isinstance(b, Paragraph)]
    rate = next((t for t in texts if RATE.search(t)), "no rate")
    print(f"   ({longest.summary}; {rate})")

    if not any(failed.values()):
        chart = chart_of(messages[seats[-1].label])
        png = draw(chart)  # untimed: loads matplotlib and its fonts
        drawing = []
        for _ in range(repeat):
            started = time.perf_counter()
            png = draw(chart)
            drawing.append(time.perf_counter() - started)
        print(
            f"charts.draw(chart) of the {HISTORIES[-1][1]} digest's chart "
            f"({len(chart.points)} weeks), {repeat} times after one untimed"
        )
        print(
            f"   median {statistics.median(drawing) * 1000:.1f} ms, "
            f"p95 {p95(drawing) * 1000:.1f} ms; PNG {len(png):,} bytes"
        )
    if show or not flat:
        await plans(database, seats)
    return 1 if any(failed.values()) else 0


async def main(*, url: str, teams: int, sellers: int, days: int, repeat: int, show: bool) -> int:
    """Make the schema, run, drop the schema (whatever happened in between)."""

    async def work(engine: AsyncEngine, schema: str) -> int:
        return await run(
            engine, schema, teams=teams, sellers=sellers, days=days, repeat=repeat, show=show
        )

    return await in_own_schema(url, "bench_digest", work)


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PEPPTALK_BENCH_POSTGRES_URL", DEFAULT_URL),
        help="a PostgreSQL URL (default: $PEPPTALK_BENCH_POSTGRES_URL, else the test database)",
    )
    parser.add_argument("--teams", type=int, default=1000, help="teams with the whole history")
    parser.add_argument("--sellers", type=int, default=10, help="sellers per team")
    parser.add_argument("--days", type=int, default=365, help="days of history of those teams")
    parser.add_argument("--repeat", type=int, default=50, help="timed composes per team, draws")
    parser.add_argument(
        "--plans", action="store_true", help="print the queries' plans even when composing is flat"
    )
    args = parser.parse_args()
    if min(args.teams, args.sellers, args.repeat) < 1:
        parser.error("every count must be at least 1")
    if args.days < 7:
        parser.error("--days must be at least 7")
    if not async_database_url(args.database_url).startswith("postgresql"):
        parser.error("--database-url must be a PostgreSQL URL")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    options = cli()
    sys.exit(
        asyncio.run(
            main(
                url=options.database_url,
                teams=options.teams,
                sellers=options.sellers,
                days=options.days,
                repeat=options.repeat,
                show=options.plans,
            )
        )
    )
