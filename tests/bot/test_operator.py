"""An operator's first mistakes, as `pepptalk` meets them in a process of its own: one line on
standard error naming the setting and what would work, exit status 2, and never a traceback;
`--version`, `doctor`, and logs with no secret in them."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import pytest
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet

from pepptalk.bot.cipher import TokenCipher
from pepptalk.bot.config import async_database_url
from pepptalk.store.database import alembic_config, open_database
from pepptalk.store.installations import InstallationRecord
from tests.bot.test_cli import pepptalk_apart, seed_oslo
from tests.fakes.slack_api import TOKEN, FakeSlackApi
from tests.fakes.teams_connector import FakeLogin

# Settings from this machine's environment must not leak into a test's process.
CLEAN = {
    name: ""
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "MICROSOFT_APP_ID")
}
PG = os.environ.get("PEPPTALK_TEST_POSTGRES_URL")


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLEAN and not k.startswith("MICROSOFT")}
    return {**env, **settings}


async def run(*args: str, **settings: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        *args,
        env=environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "pydantic" not in err and "errors.pydantic.dev" not in err
    return lines[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("command", "settings", "expected"),
    [
        (
            "migrate",
            {"DATABASE_URL": "postgresql://pepptalk:hunter22@127.0.0.1:1/pepptalk"},
            "DATABASE_URL: cannot reach PostgreSQL at 127.0.0.1:1/pepptalk",
        ),
        (
            "migrate",
            {"DATABASE_URL": "sqlite:///{tmp}/no/such/folder/pepptalk.db"},
            "DATABASE_URL: cannot open or create the SQLite file",
        ),
        (
            "demo",
            {"PLAYGROUND_DATABASE_URL": "sqlite:///{tmp}/no/such/folder/demo.db"},
            "PLAYGROUND_DATABASE_URL: cannot open or create the SQLite file",
        ),
        (
            "run",
            {"DATABASE_URL": "pepptalk.db"},
            "DATABASE_URL must look like sqlite:///pepptalk.db or postgresql://host/db",
        ),
        (
            "run",
            {"MICROSOFT_APP_ID": "app", "MICROSOFT_APP_TYPE": "Multi"},
            "MICROSOFT_APP_TYPE 'Multi' is not one of MultiTenant, SingleTenant, UserAssignedMSI",
        ),
        (
            "run",
            {"MICROSOFT_APP_ID": "app"},
            "MICROSOFT_APP_ID is set without MICROSOFT_APP_PASSWORD",
        ),
        (
            "run",
            {"SLACK_BOT_TOKEN": "xoxb-1-2-3"},
            "SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET (for HTTP) or SLACK_APP_TOKEN",
        ),
        ("run", {"LOG_FORMAT": "xml"}, "LOG_FORMAT must be one of 'text' or 'json'"),
    ],
    ids=[
        "postgres-unreachable",
        "sqlite-unwritable",
        "playground-unwritable",
        "malformed-url",
        "app-type",
        "app-id-without-password",
        "slack-token-alone",
        "log-format",
    ],
)
async def test_each_mistake_is_one_line_and_exit_status_2(
    tmp_path: Path, command: str, settings: dict[str, str], expected: str
) -> None:
    settings = {k: v.replace("{tmp}", str(tmp_path)) for k, v in settings.items()}
    settings.setdefault("DATABASE_URL", f"sqlite:///{tmp_path / 'p.db'}")
    settings.setdefault("PLAYGROUND_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    code, out, err = await run(command, **settings)
    line = one_line(err)
    assert code == 2, err
    assert line.startswith("pepptalk: ") and expected in line
    assert "hunter22" not in err, "a password never shows"
    assert "playground" not in out.lower()


@pytest.mark.skipif(PG is None, reason="PEPPTALK_TEST_POSTGRES_URL is not set")
async def test_a_missing_postgres_database_is_named(tmp_path: Path) -> None:
    assert PG is not None
    missing = urlunsplit(urlsplit(PG)._replace(path="/pepptalk_no_such_database"))
    code, _, err = await run("migrate", DATABASE_URL=missing)
    assert code == 2
    line = one_line(err)
    assert "DATABASE_URL: the database 'pepptalk_no_such_database' does not exist" in line
    assert "createdb pepptalk_no_such_database" in line


async def test_a_port_in_use_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = await run(
            "demo", PORT=str(port), PLAYGROUND_DATABASE_URL=f"sqlite:///{tmp_path / 'demo.db'}"
        )
    assert code == 2
    line = [x for x in err.splitlines() if x.startswith("pepptalk: ")]
    assert line == [
        f"pepptalk: PORT={port} is in use by another program: stop it, or set PORT to a "
        "free port (0 picks one)"
    ], err
    assert "Traceback" not in err


@asynccontextmanager
async def serving(*args: str, **settings: str) -> AsyncIterator[tuple[int, list[str]]]:
    """`pepptalk` serving in a process of its own: the port it logged, and its log lines so far
    (the list fills until the block ends, when the process is stopped)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        *args,
        env=environment(**settings),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines: list[str] = []
    port = 0
    try:
        while not port:
            raw = await asyncio.wait_for(process.stderr.readline(), 60)
            assert raw, f"pepptalk ended: {lines}"
            lines.append(raw.decode())
            found = re.search(r"http://127\.0\.0\.1:(\d+)", lines[-1]) or re.search(
                r"up on http://[^:]+:(\d+)", lines[-1]
            )
            port = int(found.group(1)) if found else 0

        async def gather() -> None:
            assert process.stderr is not None
            async for raw in process.stderr:
                lines.append(raw.decode())

        reader = asyncio.create_task(gather())
        yield port, lines
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    await asyncio.wait_for(reader, 10)


async def test_port_0_logs_the_port_really_listened_on(tmp_path: Path) -> None:
    demo = f"sqlite:///{tmp_path / 'demo.db'}"
    async with (
        serving("demo", PORT="0", PLAYGROUND_DATABASE_URL=demo) as (port, _),
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/") as response,
    ):
        assert port != 0 and response.status == 200
        assert "Pepptalk playground" in await response.text()


async def test_an_unsigned_flood_leaves_a_short_log_with_no_secret(tmp_path: Path) -> None:
    api = await FakeSlackApi().start()
    secret = "signing-secret-never-logged"
    try:
        async with (
            serving(
                "run",
                PORT="0",
                HOST="127.0.0.1",
                LOG_FORMAT="json",
                DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}",
                SLACK_BOT_TOKEN=TOKEN,
                SLACK_SIGNING_SECRET=secret,
                SLACK_API_URL=api.base_url,
            ) as (port, lines),
            aiohttp.ClientSession() as http,
        ):
            body = "command=/pepptalk&text=" + "x" * 500_000 + f" {TOKEN} Bearer abc.def"
            async with http.post(
                f"http://127.0.0.1:{port}/slack/events",
                data=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ) as response:
                assert response.status == 401
        log = "".join(lines)
    finally:
        await api.stop()
    assert len(log.encode()) < 10_000, log[:2000]
    assert TOKEN not in log and secret not in log and "xxxxxxxxxx" not in log
    for line in log.splitlines():
        record = json.loads(line)
        assert set(record) == {"time", "level", "logger", "message"}


async def test_send_says_why_nothing_went_out(tmp_path: Path) -> None:
    database = tmp_path / "p.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    code, _, err = await pepptalk_apart("migrate", env={**CLEAN, **env})
    assert code == 0, err
    await seed_oslo(database)
    code, out, err = await run("send", "checkins", "--at", "2026-11-23T08:31:00+01:00", **env)
    assert code == 2
    assert "queued 2; sent 0" in out
    line = one_line(err)
    assert "Not sent: no credentials are set for slack" in line and "stay queued" in line


HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_version_and_doctor(tmp_path: Path) -> None:
    code, out, _ = await run("--version")
    assert code == 0 and re.fullmatch(r"pepptalk \d+\.\d+\.\d+\S*\n", out)

    api = await FakeSlackApi().start()
    login = FakeLogin()
    database = f"sqlite:///{tmp_path / 'p.db'}"
    teams = {
        "MICROSOFT_APP_ID": "00000000-0000-0000-0000-0000000000aa",
        "MICROSOFT_APP_PASSWORD": "app-password",
        "MICROSOFT_LOGIN_URL": login.url,
        "REQUESTS_CA_BUNDLE": str(login.ca_file),
    }
    slack = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "s" * 8}
    try:
        code, out, _ = await run(
            "doctor", DATABASE_URL=database, SLACK_API_URL=api.base_url, **slack, **teams
        )
        assert code == 1
        assert out.splitlines() == [
            "settings: ok: they fit together",
            f"database: ok: {database}",
            f"migrations: FIX: at none, the code needs {HEAD}: run `pepptalk migrate` "
            "(pepptalk run does it at start)",
            "slack: ok: auth.test: UBOT in Pepptalk Test",
            "teams: ok: a token from " + login.url.split("/")[2],
        ]
        assert (await run("migrate", DATABASE_URL=database))[0] == 0
        code, out, _ = await run(
            "doctor",
            DATABASE_URL=database,
            SLACK_API_URL=api.base_url,
            SLACK_BOT_TOKEN="xoxb-wrong",
            MICROSOFT_APP_ID="app",
        )
        assert code == 1
        lines = out.splitlines()
        assert lines[0].startswith("settings: FIX: MICROSOFT_APP_ID is set without")
        assert lines[2].startswith(f"migrations: ok: at {HEAD}")
        assert lines[3] == "slack: FIX: auth.test said invalid_auth: check SLACK_BOT_TOKEN"
        assert lines[4].startswith("teams: FIX: no token for MICROSOFT_APP_ID")
    finally:
        await api.stop()
        login.stop()


async def test_doctor_with_many_workspaces_says_whether_the_keys_open_every_token(
    tmp_path: Path,
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url = f"sqlite:///{tmp_path / 'p.db'}"
    database = await open_database(async_database_url(url))
    cipher = TokenCipher([old])
    async with database.uow() as uow:
        for workspace in ("T0AAA", "T0BBB"):
            record = InstallationRecord(workspace, bot_token=cipher.encrypt(f"xoxb-{workspace}"))
            await uow.installations.save(record, now=datetime.now(UTC))
    await database.close()
    many = {"DATABASE_URL": url, "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s"}
    many["SLACK_SIGNING_SECRET"] = "s" * 8

    _, out, _ = await run("doctor", **many, PEPPTALK_ENCRYPTION_KEY=f"{new},{old}")
    assert "slack: ok: many workspaces: 2 installed, every token opens" in out
    code, out, _ = await run("doctor", **many, PEPPTALK_ENCRYPTION_KEY=new)
    assert code == 1
    assert (
        "slack: FIX: 2 of 2 workspaces' tokens open with no key in PEPPTALK_ENCRYPTION_KEY" in out
    )
