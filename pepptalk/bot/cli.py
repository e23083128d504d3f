"""The `pepptalk` command: run, migrate, send."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from datetime import UTC, datetime

from aiohttp import web

from pepptalk.bot.app import Pepptalk, create_app
from pepptalk.bot.config import Settings
from pepptalk.bot.db import create_engine, migrate
from pepptalk.bot.jobs import JOBS, run_job
from pepptalk.bot.schedule import create_scheduler

log = logging.getLogger("pepptalk")


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
    commands = cli.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="serve HTTP (and Socket Mode) and run the schedule")
    commands.add_parser("migrate", help="bring the database schema up to date")
    send = commands.add_parser("send", help="run one scheduled job once")
    send.add_argument("job", choices=sorted(JOBS))
    send.add_argument("--at", type=_instant, help="as if the time were this (ISO-8601)")
    return cli


async def _migrate(settings: Settings) -> None:
    engine = create_engine(settings.async_database_url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    print("Database is up to date.")


async def _send(settings: Settings, job: str, at: datetime | None) -> None:
    pepptalk = await create_app(settings)
    try:
        report = await run_job(pepptalk.services, job, at=at)
    finally:
        await pepptalk.close()
    drain = report.drain
    print(
        f"{job} at {report.at.isoformat()}: queued {report.queued}; sent {drain.sent}, "
        f"skipped {drain.skipped}, retried later {drain.retried}, failed {drain.failed}"
    )


async def serve(pepptalk: Pepptalk, *, stop: asyncio.Event) -> None:
    """Serve HTTP, Socket Mode if configured, and the schedule until `stop` is set."""
    settings = pepptalk.settings
    runner = web.AppRunner(pepptalk.web)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    scheduler = create_scheduler(pepptalk.services)
    scheduler.start()
    socket_mode = None
    if pepptalk.bolt is not None and settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        socket_mode = AsyncSocketModeHandler(
            pepptalk.bolt, settings.slack_app_token.get_secret_value()
        )
        await socket_mode.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack: Socket Mode connected")
    elif pepptalk.bolt is not None:
        log.info("Slack: listening at POST /slack/events")
    else:
        log.warning("No Slack credentials set: only /healthz is served. See the README.")
    log.info("Pepptalk is up on http://%s:%d", settings.host, settings.port)
    try:
        await stop.wait()
    finally:
        scheduler.shutdown(wait=False)
        if socket_mode is not None:
            await socket_mode.close_async()  # type: ignore[no-untyped-call]
        await runner.cleanup()
        await pepptalk.close()


async def _run(settings: Settings) -> None:
    pepptalk = await create_app(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(pepptalk, stop=stop)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `pepptalk` command."""
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # Each start runs migrations; say so only when something is wrong.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings()
    except ValueError as error:
        print(f"Settings are not valid: {error}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
    elif args.command == "send":
        asyncio.run(_send(settings, args.job, args.at))
    else:
        asyncio.run(_run(settings))
    return 0
