"""The operator's side of the CRM: `pepptalk crm sync` with its progress line, `pepptalk doctor`
checking each connection, and a bad CRM URL said in one line naming the setting. Run as the
operator runs them, in a process of their own, against the fake Pipedrive."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from pepptalk.bot.cipher import TokenCipher
from pepptalk.core.crm import CrmKind, RecordKind
from pepptalk.store.database import open_database
from tests.bot.test_cli import seed_oslo
from tests.bot.test_operator import one_line, run
from tests.fakes.crm_book import CrmBook
from tests.fakes.pipedrive_api import FakePipedrive
from tests.fakes.serving import served

TOKEN = "fedcba9876543210fedcba9876543210fedcba98"
KEY = Fernet.generate_key().decode()


def recent_book(today: date) -> CrmBook:
    """Two weeks of Anna's and Bjørn's calls up to `today`: five a weekday each."""
    book = CrmBook(name="Acme Sales AS")
    book.owner("1", "Anna", "anna@example.com")
    book.owner("2", "Bjorn Haugen", "bjorn@acme.example")
    for offset in range(1, 15):
        day = today - timedelta(days=offset)
        if day.weekday() < 5:
            for owner in ("1", "2"):
                for n in range(5):
                    at = datetime.combine(day, time(9, 10 * n), tzinfo=UTC)
                    book.add(RecordKind.CALL, owner, at)
    return book


async def connect(path: Path) -> None:
    """Oslo's leader connected Pipedrive (as the chat's form would have stored it)."""
    await seed_oslo(path)
    database = await open_database(f"sqlite+aiosqlite:///{path}")
    secret = TokenCipher([KEY]).encrypt(json.dumps({"domain": "acme", "token": TOKEN}))
    async with database.uow() as uow:
        [team] = await uow.teams.named_in(None, "Oslo")
        await uow.crm.connect(
            workspace_id=team.workspace_id,
            team_id=team.id,
            kind=CrmKind.PIPEDRIVE,
            secret=secret,
            account="Acme Sales AS",
            member_id=None,
            now=datetime.now(UTC),
        )
    await database.close()


async def test_crm_sync_reads_a_team_with_a_progress_line_and_doctor_checks_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.db"
    await connect(path)
    fake = FakePipedrive()
    fake.company("acme", TOKEN, recent_book(datetime.now(UTC).date()))
    async with served(fake.app()) as url:
        env = {
            "DATABASE_URL": f"sqlite:///{path}",
            "PEPPTALK_ENCRYPTION_KEY": KEY,
            "PIPEDRIVE_API_URL": f"{url}/{{domain}}",
        }
        # The sync counts days where the team is (Oslo), which is a day ahead late in UTC's day.
        oslo_today = datetime.now(ZoneInfo("Europe/Oslo")).date()
        since = (oslo_today - timedelta(days=14)).isoformat()
        code, out, err = await run("crm", "sync", "--team", "Oslo", "--since", since, **env)
        assert code == 0, err
        lines = out.splitlines()
        assert lines[0].startswith("[") and "pages" in lines[0]
        assert lines[-2].startswith("[####################] 15/15 days")
        assert "Oslo: read 100 records" in lines[-1] and "figures" in lines[-1]
        assert "Traceback" not in err

        code, out, _ = await run("doctor", **env)
        assert "crm Oslo: ok: Pipedrive (Acme Sales AS), last read 20" in out

        fake.revoke(TOKEN)
        code, out, _ = await run("doctor", **env)
        assert code == 1
        assert "crm Oslo: FIX: Pipedrive: revoked" in out
        code, out, err = await run("crm", "sync", "--team", "Oslo", **env)
        assert code == 1 and "stopped at" in out and TOKEN not in out + err

    code, _, err = await run("crm", "sync", "--team", "Bergen", **env)
    assert code == 2 and "no team is named 'Bergen'" in one_line(err)


async def test_a_crm_url_in_the_clear_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'p.db'}"
    code, _, err = await run(
        "migrate", DATABASE_URL=database, HUBSPOT_API_URL="http://hubspot.example.com"
    )
    assert code == 2 and "HUBSPOT_API_URL must be an https:// URL" in one_line(err)
    code, _, err = await run(
        "migrate", DATABASE_URL=database, PIPEDRIVE_API_URL="https://pipedrive.example.com"
    )
    assert code == 2 and "PIPEDRIVE_API_URL must hold {domain}" in one_line(err)
    code, _, err = await run("migrate", DATABASE_URL=database, SALESFORCE_CLIENT_ID="3MVG9")
    assert code == 2 and "SALESFORCE_CLIENT_SECRET is missing" in one_line(err)
