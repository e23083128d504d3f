"""The `pepptalk` command: run, demo, migrate, send, metrics import, crm sync, doctor."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from pepptalk.bot import logs, metrics_api
from pepptalk.bot.app import Pepptalk, create_app, create_playground
from pepptalk.bot.config import Settings
from pepptalk.bot.crm.command import sync_team
from pepptalk.bot.doctor import examine
from pepptalk.bot.jobs import run_job
from pepptalk.bot.operator import (
    OperatorError,
    check_settings,
    database_line,
    load_settings,
    port_line,
)
from pepptalk.bot.schedule import create_scheduler
from pepptalk.core.i18n import copy_for
from pepptalk.handlers.metrics import Refused
from pepptalk.handlers.registry import REGISTRY
from pepptalk.store.database import create_engine, migrate

log = logging.getLogger("pepptalk")
LOCALHOST = "127.0.0.1"
T = TypeVar("T")
# aiosqlite's threads are named after the function they run ("Thread-1 (_connection_worker...)").
SQLITE_WORKER = "_connection_worker_thread"


def _version() -> str:
    try:
        return version("pepptalk")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


# A stopping server waits this long for the outbox sender to hand back what it holds.
STOP_WITHIN = 20


def _instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO-8601 time; try 2026-11-23T08:30:00+01:00"
        ) from error
    # A time without a zone is read as UTC, so the same command means the same instant anywhere.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    """The command line."""
    cli = argparse.ArgumentParser(prog="pepptalk", description="Pepptalk: habits for sales teams.")
    cli.add_argument("--version", action="version", version=f"pepptalk {_version()}")
    commands = cli.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="serve HTTP (and Socket Mode) and run the schedule")
    commands.add_parser("demo", help="the local playground at http://127.0.0.1:PORT/")
    commands.add_parser("migrate", help="bring the database schema up to date")
    send = commands.add_parser("send", help="run one scheduled job once")
    send.add_argument("job", choices=sorted(REGISTRY.jobs))
    send.add_argument("--at", type=_instant, help="as if the time were this (ISO-8601)")
    metrics = commands.add_parser("metrics", help="the team's numbers")
    metrics_commands = metrics.add_subparsers(dest="metrics_command", required=True)
    load = metrics_commands.add_parser(
        "import", help="load figures from a CSV file (the metrics API's format)"
    )
    load.add_argument("file", type=Path, help="a CSV file: date, seller, metric, value[, goal]")
    load.add_argument("--team", required=True, help="the team's name")
    load.add_argument("--workspace", help="the workspace id, when teams elsewhere share the name")
    crm = commands.add_parser("crm", help="the team's CRM")
    crm_commands = crm.add_subparsers(dest="crm_command", required=True)
    sync = crm_commands.add_parser("sync", help="read a team's CRM now (a progress line shows)")
    sync.add_argument("--team", required=True, help="the team's name")
    sync.add_argument("--workspace", help="the workspace id, when teams elsewhere share the name")
    sync.add_argument("--since", type=date.fromisoformat, help="read from this day (YYYY-MM-DD)")
    commands.add_parser(
        "doctor", help="check settings, database, migrations, Slack and Teams: one line each"
    )
    return cli


async def _opened(make: Callable[[], Awaitable[T]], *, setting: str, url: str) -> T:
    """`make()`, with a database it cannot open said in one line naming `setting`."""
    try:
        return await make()
    except Exception as error:  # noqa: BLE001 - the drivers' own errors too; others go on
        line = database_line(error, setting=setting, url=url)
        if line is None:
            raise
        await _settle()
        raise OperatorError(line) from None


async def _settle(seconds: float = 2.0) -> None:
    """Give SQLite's worker threads the loop while they finish what a failed open left them: one
    that answers after the loop has closed prints a traceback of its own."""
    for worker in [t for t in threading.enumerate() if SQLITE_WORKER in t.name]:
        # Joined in a thread of its own, so the loop stays free to take the worker's answer.
        await asyncio.to_thread(worker.join, seconds)


async def _real(settings: Settings) -> Pepptalk:
    return await _opened(
        lambda: create_app(settings), setting="DATABASE_URL", url=settings.database_url
    )


async def _demo(settings: Settings) -> Pepptalk:
    return await _opened(
        lambda: create_playground(settings),
        setting="PLAYGROUND_DATABASE_URL",
        url=settings.playground_database_url,
    )


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.async_database_url)
    try:
        await _opened(lambda: migrate(engine), setting="DATABASE_URL", url=settings.database_url)
    finally:
        await engine.dispose()
    print("Database is up to date.")


async def _send(settings: Settings, job: str, at: datetime | None) -> int:
    pepptalk = await _real(settings)
    stop_on_signals(pepptalk.services.stopping)
    try:
        report = await run_job(pepptalk.services, job, at=at)
    finally:
        await pepptalk.close()
    drain = report.drain
    print(
        f"{job} at {report.at.isoformat()}: queued {report.queued}; sent {drain.sent}, "
        f"skipped {drain.skipped}, retried later {drain.retried}, failed {drain.failed}"
    )
    # A platform with no credentials keeps its messages queued: say so, and which one.
    missing = sorted({e.split()[0] for e in drain.errors if e.endswith(" is not configured")})
    if not missing:
        return 0
    print(
        f"Not sent: no credentials are set for {', '.join(missing)}, where these people are. "
        "Set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET or SLACK_APP_TOKEN (Slack), or "
        "MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (Teams); the messages stay queued until then.",
        file=sys.stderr,
    )
    return 2 if drain.sent == 0 else 0


def _read_file(path: Path) -> bytes:
    """A file's bytes, a little past the limit at most (the import then says it is too big)."""
    with path.open("rb") as file:
        return file.read(metrics_api.MAX_BODY + 1)


async def _import_metrics(settings: Settings, path: Path, team: str, workspace: str | None) -> int:
    try:
        body = _read_file(path)
    except OSError as error:
        print(f"Cannot read {path}: {error.strerror or error}", file=sys.stderr)
        return 2
    pepptalk = await _real(settings)
    try:
        result = await pepptalk.services.habits.import_metrics_for(
            team=team, workspace_id=workspace, body=body
        )
    finally:
        await pepptalk.close()
    if isinstance(result, Refused):
        print(f"{path}: {result.text(copy_for('en'))}", file=sys.stderr)
        return 2
    print(f"Stored {result.stored} figures.")
    for line, reason in result.rejected:
        print(f"line {line}: {reason}")
    return 0


async def _crm_sync(
    settings: Settings, team: str, workspace: str | None, since: date | None
) -> int:
    pepptalk = await _real(settings)
    try:
        return await sync_team(pepptalk, team=team, workspace=workspace, since=since)
    finally:
        await pepptalk.close()


@dataclass(frozen=True)
class Site:
    """One Pepptalk instance and where it listens (`setting`: the setting that says the port)."""

    pepptalk: Pepptalk
    host: str
    port: int
    setting: str = "PORT"


async def _listen(runner: web.AppRunner, site: Site) -> int:
    """Start listening; the port really listened on (PORT=0 lets the system pick one)."""
    try:
        await web.TCPSite(runner, site.host, site.port).start()
    except OSError as error:
        line = port_line(error, setting=site.setting, port=site.port)
        if line is None:
            raise
        raise OperatorError(line) from None
    return int(runner.addresses[-1][1])


async def serve(sites: list[Site], *, stop: asyncio.Event) -> None:
    """Serve each site with its own schedule, Socket Mode where configured, until `stop`."""
    runners: list[web.AppRunner] = []
    schedulers = []
    socket_modes = []
    try:
        for site in sites:
            runner = web.AppRunner(site.pepptalk.web, access_log=None)
            await runner.setup()
            runners.append(runner)
            port = await _listen(runner, site)
            scheduler = create_scheduler(site.pepptalk.services)
            scheduler.start()
            schedulers.append(scheduler)
            socket_mode = await _socket_mode(site.pepptalk)
            if socket_mode is not None:
                socket_modes.append(socket_mode)
            _announce(site, port)
        await stop.wait()
    finally:
        log.info("Stopping: no new work; sends under way finish, the rest go back to the outbox")
        for site in sites:
            site.pepptalk.services.stopping.set()
        for scheduler in schedulers:
            scheduler.shutdown(wait=False)
        for site in sites:
            await _tick_ended(site.pepptalk)
        for socket_mode in socket_modes:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        for runner in runners:
            await runner.cleanup()
        for site in sites:
            await site.pepptalk.close()


async def _tick_ended(pepptalk: Pepptalk) -> None:
    """Wait for a tick under way to hand back its unsent rows (a send in flight may take a
    while: not forever)."""
    try:
        async with asyncio.timeout(STOP_WITHIN):
            await pepptalk.services.ticking.acquire()
    except TimeoutError:
        log.warning(
            "the outbox did not stop within %d s; its leases lapse on their own", STOP_WITHIN
        )


def stop_on_signals(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set `stop`, for a calm exit."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def _socket_mode(pepptalk: Pepptalk) -> AsyncSocketModeHandler | None:
    token = pepptalk.settings.slack_app_token
    if pepptalk.bolt is None or token is None or pepptalk.playground is not None:
        return None
    handler = AsyncSocketModeHandler(pepptalk.bolt, token.get_secret_value())
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("Slack: Socket Mode connected")
    return handler


def _announce(site: Site, port: int) -> None:
    if site.pepptalk.playground is not None:
        log.info("Playground: open http://%s:%d/ in your browser", site.host, port)
        return
    settings = site.pepptalk.settings
    if site.pepptalk.bolt is not None and settings.slack_signing_secret is not None:
        log.info("Slack: listening at POST /slack/events")
        if settings.slack_oauth_enabled:
            log.info("Slack: many workspaces; install at GET /slack/install")
    log.info("Metrics API: listening at POST %s", metrics_api.PATH)
    if settings.teams_enabled and settings.microsoft_app_id:
        log.info("Teams: listening at POST /api/messages")
    elif settings.teams_enabled:
        log.warning(
            "Teams: listening at POST /api/messages WITHOUT authentication (MICROSOFT_APP_ID is "
            "empty). Use this only on your own machine with the Bot Framework Emulator."
        )
    log.info("Pepptalk is up on http://%s:%d", site.host, port)


async def _sites(settings: Settings, *, demo: bool) -> list[Site]:
    # The playground only ever listens on this computer, and never shares the real database.
    if demo or not settings.has_credentials:
        if not demo:
            log.info("No Slack or Teams credentials are set, so Pepptalk starts its playground.")
        return [Site(await _demo(settings), LOCALHOST, settings.port)]
    sites = [Site(await _real(settings), settings.host, settings.port)]
    if settings.pepptalk_playground:
        playground = Site(await _demo(settings), LOCALHOST, settings.playground_port)
        sites.append(replace(playground, setting="PLAYGROUND_PORT"))
    return sites


async def _run(settings: Settings, *, demo: bool) -> None:
    sites = await _sites(settings, demo=demo)
    stop = asyncio.Event()
    stop_on_signals(stop)
    await serve(sites, stop=stop)


async def _doctor(settings: Settings) -> int:
    findings = await examine(settings)
    for finding in findings:
        print(finding.line())
    return 0 if all(f.ok for f in findings) else 1


def _secrets(settings: Settings) -> list[str]:
    """Every secret setting's value, for the logs to leave out."""
    return [
        value.get_secret_value()
        for name in type(settings).model_fields
        if isinstance(value := getattr(settings, name), SecretStr)
    ]


def _command(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        return 0
    if args.command == "doctor":
        return asyncio.run(_doctor(settings))
    if args.command == "metrics":
        return asyncio.run(_import_metrics(settings, args.file, args.team, args.workspace))
    check_settings(settings)
    if args.command == "crm":
        return asyncio.run(_crm_sync(settings, args.team, args.workspace, args.since))
    if args.command == "send":
        return asyncio.run(_send(settings, args.job, args.at))
    asyncio.run(_run(settings, demo=args.command == "demo"))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pepptalk` command."""
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        logs.configure(
            level=settings.log_level, style=settings.log_format, secrets=_secrets(settings)
        )
        return _command(settings, args)
    except OperatorError as error:
        # One line, for the operator to act on: no traceback.
        print(f"pepptalk: {error}", file=sys.stderr)
        return 2
