"""The morning fan-out of `workspaces.py` on PostgreSQL, sent by several `pepptalk run` processes
that share one outbox: whether every seller gets exactly one check-in, and how long it takes.

Makes a database of its own on the server (`CREATE DATABASE` as the URL's role, or `createdb`
as the `postgres` user when that role may not), seeds it as `workspaces.py` does (one team per
workspace, the first `--org-workspaces` served by one Enterprise Grid organisation's org-wide
install), and serves the fake Web API, with the same Slack-like limits, from this process. Then
it starts `--replicas` real `pepptalk run` processes (`python -m pepptalk run`, PORT=0, on
127.0.0.1) against that database and that fake. Once all of them are up, it sets every team's
check-in time to the next whole minute, every day a workday: at that minute's tick each replica
queues the check-ins (the same rows: the outbox takes each once) and drains the outbox. When
the fake has accepted every seller's check-in and the replicas have logged what they sent, each
gets SIGTERM. The database is dropped at the end, also when something failed.

    .venv/bin/python -m bench.replicas [--sellers 10000] [--replicas 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from sqlalchemy import text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bench.digest import DEFAULT_URL
from bench.fanout import maxrss_mib
from bench.workspaces import (
    COUNTRY,
    ZONE,
    Seeded,
    SlackLikeApi,
    accepted_at,
    add_limits,
    bound,
    bound_line,
    check_limits,
    limits_line,
    seed,
    spread_line,
    start_fake,
    statuses,
    tally,
)
from pepptalk.bot.config import async_database_url
from pepptalk.core.calendar import holiday
from pepptalk.store.database import Database, create_engine
from pepptalk.store.models import Team
from tests.fakes.slack_api import CLIENT_ID, CLIENT_SECRET

EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"
# How long a replica may take to start, to log what it sent, and to stop after SIGTERM.
START_WITHIN, LOGGED_WITHIN, STOP_WITHIN = 60.0, 30.0, 30.0
# How long to wait, once every seller has a check-in, for the outbox to have nothing pending.
SETTLE_WITHIN = 150.0
SENT = re.compile(r"outbox: sent (\d+), retried (\d+), failed (\d+), skipped (\d+)")
QUEUED = re.compile(r"checkins: queued (\d+)")


class BenchError(Exception):
    """Why the benchmark could not run, in one line."""


def createdb_as_postgres(name: str, *, owner: str, port: int | None) -> bool:
    """Create database `name` owned by `owner` as the `postgres` user on this machine (runuser
    as root, else sudo without a password); whether that worked."""
    createdb = shutil.which("createdb")
    if createdb is None:
        return False
    switch = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else ["sudo", "-n", "-u"]
    if switch[0] == "sudo":
        switch.append("postgres")
    command = [*switch, createdb, "--owner", owner, *(["--port", str(port)] if port else []), name]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    return done.returncode == 0


@asynccontextmanager
async def own_database(url: str) -> AsyncIterator[str]:
    """A database of its own on the server at `url`, dropped at the end; yields its URL."""
    name = f"bench_replicas_{os.getpid()}"
    server = make_url(url)
    own = server.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(async_database_url(url), isolation_level="AUTOCOMMIT")
    created = False
    try:
        try:
            async with admin.connect() as connection:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        except DBAPIError as error:
            local = server.host in (None, "localhost", "127.0.0.1")
            if not local or not createdb_as_postgres(
                name, owner=str(server.username), port=server.port
            ):
                raise BenchError(
                    f"cannot create a database: {str(error.orig).strip()}; give the role "
                    "CREATEDB, or run where `createdb` works as the postgres user"
                ) from None
        created = True
        yield own
    finally:
        if created:
            async with admin.connect() as connection:
                await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            print(f"database {name} dropped")
        await admin.dispose()


@dataclass
class Replica:
    """One `pepptalk run` process and what its log said."""

    number: int
    process: asyncio.subprocess.Process
    # Where its log is copied to (None: nowhere).
    log: Path | None = None
    up: asyncio.Event = field(default_factory=asyncio.Event)
    queued: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    # Warnings and errors it logged, counted by kind, and the first of each kind in full.
    complaints: Counter[str] = field(default_factory=Counter)
    said: dict[str, str] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)
    peak_mib: float | None = None

    async def read(self) -> None:
        """Follow the JSON log lines on its stderr."""
        assert self.process.stderr is not None
        copy = self.log.open("w") if self.log is not None else None
        try:
            async for raw in self.process.stderr:
                self.take(raw.decode(errors="replace").strip())
                if copy is not None:
                    copy.write(raw.decode(errors="replace"))
        finally:
            if copy is not None:
                copy.close()

    def take(self, line: str) -> None:
        """One line of its log."""
        if not line:
            return
        self.tail = [*self.tail[-19:], line]
        try:
            entry = json.loads(line)
        except ValueError:
            self.complaints[line[:100]] += 1
            return
        message = str(entry.get("message", ""))
        if message.startswith("Pepptalk is up on "):
            self.up.set()
        elif found := QUEUED.search(message):
            self.queued += int(found[1])
        elif found := SENT.search(message):
            self.sent += int(found[1])
            self.retried += int(found[2])
            self.failed += int(found[3])
        if entry.get("level") in ("warning", "error", "critical"):
            said = f"{entry['level']} {entry.get('logger')}: {message}"
            # Alike but for the numbers in them (a delivery's id, a time).
            kind = re.sub(r"\d+", "N", said)[:120]
            self.complaints[kind] += 1
            self.said.setdefault(kind, said)

    def high_water_mib(self) -> float | None:
        """VmHWM from /proc, while the process lives."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        found = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        return int(found[1]) / 1024 if found else None


async def start_replicas(
    count: int, env: dict[str, str], folder: str, logs: Path | None
) -> tuple[list[Replica], list[asyncio.Task[None]]]:
    """Start `count` replicas and follow their logs; returns once every one is up."""
    replicas, readers = [], []
    for number in range(1, count + 1):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "pepptalk",
            "run",
            env=env,
            cwd=folder,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        replica = Replica(number, process, logs / f"replica-{number}.log" if logs else None)
        replicas.append(replica)
        readers.append(asyncio.create_task(replica.read()))
    try:
        async with asyncio.timeout(START_WITHIN):
            for replica in replicas:
                up = asyncio.create_task(replica.up.wait())
                ended = asyncio.create_task(replica.process.wait())
                await asyncio.wait({up, ended}, return_when=asyncio.FIRST_COMPLETED)
                up.cancel()
                ended.cancel()
                if not replica.up.is_set():
                    raise BenchError(f"replica {replica.number} ended: {replica.tail[-3:]}")
    except TimeoutError:
        raise BenchError(f"the replicas did not start within {START_WITHIN:.0f} s") from None
    return replicas, readers


async def stop_replicas(replicas: list[Replica], readers: list[asyncio.Task[None]]) -> None:
    """SIGTERM each, and wait for it to end (SIGKILL after STOP_WITHIN)."""
    for replica in replicas:
        if replica.process.returncode is None:
            replica.process.send_signal(signal.SIGTERM)
    for replica in replicas:
        try:
            async with asyncio.timeout(STOP_WITHIN):
                await replica.process.wait()
        except TimeoutError:
            replica.complaints[f"did not stop within {STOP_WITHIN:.0f} s: killed"] += 1
            replica.process.kill()
            await replica.process.wait()
    await asyncio.gather(*readers, return_exceptions=True)


def next_minute(now: float, *, ahead: float = 5.0) -> float:
    """The next whole minute (epoch seconds) at least `ahead` seconds away."""
    return (int(now + ahead) // 60 + 1) * 60


async def set_checkins(database: Database, hhmm: str) -> None:
    """Every team's check-in time, every day a workday."""
    async with database.uow() as uow:
        await uow.session.execute(update(Team).values(checkin_time=hhmm, workdays=EVERY_DAY))


async def until(condition: Callable[[], bool], deadline: float) -> bool:
    """Poll `condition` every 0.2 s until it holds (True) or the loop's clock passes
    `deadline` (False)."""
    loop = asyncio.get_running_loop()
    while not condition():
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(0.2)
    return True


async def settle(database: Database, deadline: float) -> None:
    """Wait until the outbox has no pending row, or the loop's clock passes `deadline`."""
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        if not (await statuses(database))["pending"]:
            return
        await asyncio.sleep(1.0)


def replica_env(url: str, fake: SlackLikeApi, key: str, home: str) -> dict[str, str]:
    """What each replica runs with: nothing from this shell but PATH."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": home,
        "DATABASE_URL": url,
        "SLACK_CLIENT_ID": CLIENT_ID,
        "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "PEPPTALK_ENCRYPTION_KEY": key,
        "SLACK_API_URL": fake.base_url,
        "SLACK_AUTHORIZE_URL": fake.authorize_url,
        "HOST": "127.0.0.1",
        "PORT": "0",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "info",
    }


async def fan_out(
    options: argparse.Namespace, url: str, fake: SlackLikeApi, key: str, seeded: Seeded
) -> int:
    """Start the replicas, let them send at the next minute's tick, stop them; print."""
    loop = asyncio.get_running_loop()
    database = Database(create_engine(async_database_url(url)))
    replicas: list[Replica] = []
    readers: list[asyncio.Task[None]] = []
    try:
        # Not due now, whatever the time: six hours on, beyond the three-hour catch-up.
        zone = ZoneInfo(ZONE)
        parked = datetime.now(zone) + timedelta(hours=6)
        await set_checkins(database, f"{parked:%H:%M}")
        with tempfile.TemporaryDirectory(prefix="pepptalk-replicas-") as folder:
            started = time.perf_counter()
            env = replica_env(url, fake, key, folder)
            replicas, readers = await start_replicas(options.replicas, env, folder, options.logs)
            print(f"   all {len(replicas)} up in {time.perf_counter() - started:.1f} s")
            tick = next_minute(time.time())
            local = datetime.fromtimestamp(tick, zone)
            if holiday(COUNTRY, local.date()) is not None:
                raise BenchError(f"{local:%d %B} is a public holiday in Norway: no check-ins")
            await set_checkins(database, f"{local:%H:%M}")
            tick_at = loop.time() + tick - time.time()
            print(f"   check-in time set to {local:%H:%M} in Oslo, {tick - time.time():.1f} s on")
            sellers = set(seeded.sellers)

            def all_in() -> bool:
                got = {str(c.args.get("channel")) for c in fake.called("chat.postMessage")}
                return sellers <= got

            done = await until(all_in, tick_at + options.timeout)
            # What went back to the outbox (a failed try waits 30 s or more) gets its chance.
            await settle(database, loop.time() + SETTLE_WITHIN)
            marked = (await statuses(database))["sent"]
            await until(
                lambda: sum(r.sent for r in replicas) >= marked, loop.time() + LOGGED_WITHIN
            )
            for replica in replicas:
                replica.peak_mib = replica.high_water_mib()
            await stop_replicas(replicas, readers)
        left = await statuses(database)
    finally:
        if replicas:
            await stop_replicas(replicas, readers)
        await database.close()
    counted = tally(fake, seeded)
    limit = bound(
        Counter(seeded.sellers.values()),
        per_minute=options.per_minute,
        burst=options.burst,
        refusals=fake.refusals,
        accepted=accepted_at(fake),
    )
    posts = [a.at for a in fake.answers if a.method == "chat.postMessage"]
    first = min(posts) - tick_at if posts else float("nan")
    wall = (counted.all_in_at or loop.time()) - tick_at
    random_429s = sum(len(r) for r in fake.refusals.values())
    print(limits_line(options))
    if not done:
        print(f"   NOT DONE: gave up {options.timeout:.0f} s after the tick")
    print(
        f"   accepted {counted.accepted} check-ins; 429s served {fake.rate_limited} "
        f"({random_429s} at random); the first post {first:.1f} s after the tick"
    )
    print(bound_line(wall, limit).replace("wall", "wall (the tick to the last seller's)", 1))
    print(spread_line(fake, tick_at))
    print(
        f"   lost {counted.lost} (outbox after the run: {left['pending']} pending, "
        f"{left['failed']} failed, {left['sent']} sent), doubled {counted.doubled}, sent with "
        f"another install's token {counted.wrong_token}, to others {counted.to_others}"
    )
    for replica in replicas:
        share = replica.sent / counted.accepted if counted.accepted else 0.0
        peak = f"{replica.peak_mib:.0f} MiB" if replica.peak_mib is not None else "unknown"
        print(
            f"   replica {replica.number} (pid {replica.process.pid}): queued "
            f"{replica.queued}, sent {replica.sent} ({share:.1%}), retried later "
            f"{replica.retried}, failed {replica.failed}; peak RSS {peak}; exit "
            f"{replica.process.returncode}"
        )
        for complaint, n in replica.complaints.most_common(5):
            print(f"      {n} x {replica.said.get(complaint, complaint)[:300]}")
    print(
        f"   sent in all, as logged: {sum(r.sent for r in replicas)} (rows marked sent: "
        f"{left['sent']}); this process (the fake) peak RSS {maxrss_mib():.0f} MiB, its "
        f"handlers about {fake.busy:.1f} s"
    )
    exact = counted.exact and left["pending"] == left["failed"] == 0
    return 0 if exact and done else 1


async def run(options: argparse.Namespace) -> int:
    """Seed, fan out through the replicas, drop the database."""
    fake = start_fake(options)
    await fake.start()
    key = Fernet.generate_key().decode()
    try:
        async with own_database(options.database_url) as url:
            started = time.perf_counter()
            seeded = await seed(
                async_database_url(url),
                fake,
                key,
                sellers=options.sellers,
                workspaces=options.workspaces,
                org_workspaces=options.org_workspaces,
                created=datetime.now(UTC) - timedelta(days=30),
            )
            org = f", {len(seeded.org)} of them one organisation's" if seeded.org else ""
            print(
                f"check-ins for {len(seeded.sellers)} sellers in {options.workspaces} "
                f"workspaces{org}, sent by {options.replicas} `pepptalk run` process"
                f"{'es' if options.replicas > 1 else ''} on PostgreSQL "
                f"(database {make_url(url).database}, seeded in "
                f"{time.perf_counter() - started:.1f} s)"
            )
            return await fan_out(options, url, fake, key, seeded)
    except BenchError as error:
        print(f"bench.replicas: {error}", file=sys.stderr)
        return 2
    finally:
        with contextlib.suppress(Exception):
            await fake.stop()


def cli() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_limits(parser)
    parser.add_argument("--replicas", type=int, default=3, help="`pepptalk run` processes")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("PEPPTALK_BENCH_POSTGRES_URL", DEFAULT_URL),
        help="the PostgreSQL server (default: $PEPPTALK_BENCH_POSTGRES_URL, else the test one)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds after the tick to give up"
    )
    parser.add_argument(
        "--logs", type=Path, help="a folder to keep each replica's log in (replica-N.log)"
    )
    args = parser.parse_args()
    check_limits(parser, args)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    return args


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(asyncio.run(run(cli())))
