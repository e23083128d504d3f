"""The `pepptalk` command as operators run it: separate processes, the same outbox."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pepptalk.core.kinds import Platform
from pepptalk.core.ports import UserProfile
from pepptalk.store.database import Database, create_engine, open_database
from tests.conftest import MONDAY_0800_OSLO
from tests.fakes.slack_api import TOKEN, WORKSPACE, FakeSlackApi


async def pepptalk(*args: str, env: dict[str, str]) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode or 0, output.decode()


async def test_send_checkins_at_an_instant_sends_once_across_restarts(tmp_path: Path) -> None:
    api = await FakeSlackApi().start()
    database = tmp_path / "pepptalk.db"
    env = {
        "DATABASE_URL": f"sqlite:///{database}",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": api.base_url,
    }
    try:
        code, output = await pepptalk("migrate", env=env)
        assert code == 0 and "up to date" in output
        db = Database(create_engine(f"sqlite+aiosqlite:///{database}"))
        async with db.uow() as uow:
            seat = await uow.teams.create(
                workspace_id=WORKSPACE,
                platform=Platform.SLACK,
                name="Oslo",
                leader=UserProfile("ULEAD", "Kari"),
                timezone="Europe/Oslo",
                country="NO",
                now=MONDAY_0800_OSLO,
            )
            await uow.teams.add_sellers(
                team=seat.team,
                people=[
                    UserProfile("UANNA", "Anna"),
                    UserProfile("UBJORN", "Bjørn", "Europe/Oslo"),
                ],
                now=MONDAY_0800_OSLO,
            )
        await db.close()
        api.add_user("UANNA", "Anna")
        api.add_user("UBJORN", "Bjørn")
        api.add_user("ULEAD", "Kari")

        at = "2026-11-23T08:31:00+01:00"
        code, output = await pepptalk("send", "checkins", "--at", at, env=env)
        assert code == 0 and "queued 2; sent 2" in output
        code, output = await pepptalk("send", "checkins", "--at", at, env=env)
        assert code == 0 and "queued 0; sent 0" in output
        assert len(api.called("chat.postMessage")) == 2

        code, output = await pepptalk(
            "send", "summaries", "--at", "2026-11-23T09:05+01:00", env=env
        )
        assert code == 0 and "sent 1" in output
    finally:
        await api.stop()


async def test_bad_arguments_and_settings_say_what_would_work(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}"}
    code, output = await pepptalk("send", "checkins", "--at", "tomorrow", env=env)
    assert code == 2 and "not an ISO-8601 time" in output
    code, output = await pepptalk("send", "lunch", env=env)
    assert code == 2 and "invalid choice" in output
    code, output = await pepptalk("migrate", env={"DATABASE_URL": "mysql://x/y"})
    assert code == 2 and "use sqlite or postgresql" in output


async def pepptalk_apart(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `pepptalk`; its exit code, standard output and standard error, apart."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def seed_oslo(database: Path, *, workspace: str = WORKSPACE) -> None:
    """A team Oslo with Anna (known by e-mail too) and Bjørn, put straight in the database."""
    db = await open_database(f"sqlite+aiosqlite:///{database}")
    async with db.uow() as uow:
        seat = await uow.teams.create(
            workspace_id=workspace,
            platform=Platform.SLACK,
            name="Oslo",
            leader=UserProfile(f"ULEAD{workspace}", "Kari"),
            timezone="Europe/Oslo",
            country="NO",
            now=MONDAY_0800_OSLO,
        )
        await uow.teams.add_sellers(
            team=seat.team,
            people=[
                UserProfile("UANNA", "Anna", email="anna@example.com"),
                UserProfile("UBJORN", "Bjørn Haugen"),
            ],
            now=MONDAY_0800_OSLO,
        )
    await db.close()


async def metrics_stored(database: Path) -> int:
    db = Database(create_engine(f"sqlite+aiosqlite:///{database}"))
    async with db.uow() as uow:
        [team] = await uow.teams.named_in(WORKSPACE, "Oslo")
        count = await uow.metrics.count(team.id)
    await db.close()
    return count


async def test_metrics_import_stores_a_csv_file_and_names_each_bad_line(tmp_path: Path) -> None:
    database = tmp_path / "pepptalk.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    await seed_oslo(database)
    figures = tmp_path / "week-47.csv"
    figures.write_text(
        "seller;date;metric;value\n"
        "UANNA;2026-11-16;calls;40\n"
        "Sofie;2026-11-16;calls;4\n"
        "anna@example.com;2026-11-17;calls;12,5\n"
        "bjørn haugen;2026-11-17;sales;x\n"
    )
    code, out, err = await pepptalk_apart(
        "metrics", "import", str(figures), "--team", "Oslo", env=env
    )
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "Stored 2 figures."
    assert lines[1].startswith("line 3: ") and "Sofie" in lines[1]
    assert lines[2].startswith("line 5: ") and "isn't a number" in lines[2]
    assert len(lines) == 3
    # A nightly re-run replaces what is there.
    code, out, _ = await pepptalk_apart(
        "metrics", "import", str(figures), "--team", "Oslo", "--workspace", WORKSPACE, env=env
    )
    assert code == 0 and out.startswith("Stored 2 figures.")
    assert await metrics_stored(database) == 2


async def test_metrics_import_says_in_one_line_why_a_file_cannot_be_loaded(
    tmp_path: Path,
) -> None:
    database = tmp_path / "pepptalk.db"
    env = {"DATABASE_URL": f"sqlite:///{database}"}
    await seed_oslo(database)
    await seed_oslo(database, workspace="T0OTHER")
    no_value = tmp_path / "no-value.csv"
    no_value.write_text("date,seller,metric\n2026-11-16,UANNA,calls\n")
    good = tmp_path / "good.csv"
    good.write_text("date,seller,metric,value\n2026-11-16,UANNA,calls,1\n")
    big = tmp_path / "big.csv"
    big.write_bytes(b"date,seller,metric,value\n" + b"2026-11-16,UANNA,calls,1\n" * 250_000)
    cases = [
        ([str(tmp_path / "missing.csv"), "--team", "Oslo"], "No such file or directory"),
        ([str(no_value), "--team", "Oslo", "--workspace", WORKSPACE], "missing value"),
        ([str(big), "--team", "Oslo", "--workspace", WORKSPACE], "more than 5 MB"),
        ([str(good), "--team", "Bergen"], "No team is called Bergen"),
        ([str(good), "--team", "Oslo"], "--workspace"),
    ]
    # Each is a process of its own; they only read, so they may run side by side.
    runs = await asyncio.gather(
        *(pepptalk_apart("metrics", "import", *args, env=env) for args, _ in cases)
    )
    for (args, says), (code, out, err) in zip(cases, runs, strict=True):
        assert code == 2, args
        assert out == "" and says in err and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err
    assert await metrics_stored(database) == 0


async def test_the_retention_job_runs_from_the_command_line_and_its_settings_are_checked(
    tmp_path: Path,
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "RETENTION_DAYS": "30"}
    code, output = await pepptalk("send", "retention", "--at", "2026-11-23T08:00Z", env=env)
    assert code == 0 and "retention at 2026-11-23T08:00:00+00:00: queued 0" in output
    code, output = await pepptalk("send", "retention", env={**env, "RETENTION_DAYS": "0"})
    assert code == 2 and "RETENTION_DAYS" in output and "greater than or equal to 1" in output
    assert len(output.strip().splitlines()) == 1
    code, output = await pepptalk("migrate", env={**env, "PUBLIC_URL": "pepptalk.example.com"})
    assert code == 2 and "PUBLIC_URL must be the address people reach Pepptalk at" in output
