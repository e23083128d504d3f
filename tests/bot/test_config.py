"""Many workspaces need their settings whole: a missing or wrong one is one line at start,
naming it, with exit status 2, and never a secret echoed back."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from cryptography.fernet import Fernet


async def pepptalk_exits(env: dict[str, str], tmp_path: Path) -> tuple[int, str, str]:
    """`pepptalk migrate` with these settings (and nothing from the caller's Slack settings)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PEPPTALK_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pepptalk",
        "migrate",
        env={**base, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", **env},
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_many_workspaces_without_an_encryption_key_do_not_start(tmp_path: Path) -> None:
    oauth = {"SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "shh-secret"}
    not_a_key = "not-a-fernet-key-but-a-secret"
    cases = [
        (oauth, "PEPPTALK_ENCRYPTION_KEY is required with SLACK_CLIENT_ID"),
        ({"SLACK_CLIENT_ID": "1234.5678"}, "SLACK_CLIENT_SECRET is missing"),
        ({**oauth, "PEPPTALK_ENCRYPTION_KEY": not_a_key}, "PEPPTALK_ENCRYPTION_KEY: key 1"),
        (
            {**oauth, "PEPPTALK_ENCRYPTION_KEY": f"{Fernet.generate_key().decode()},{not_a_key}"},
            "PEPPTALK_ENCRYPTION_KEY: key 2",
        ),
    ]
    for env, says in cases:
        code, out, err = await pepptalk_exits(env, tmp_path)
        assert code == 2 and out == "", (env, err)
        assert says in err and len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err and not_a_key not in err and "shh-secret" not in err
    good = {**oauth, "PEPPTALK_ENCRYPTION_KEY": Fernet.generate_key().decode()}
    code, out, _ = await pepptalk_exits(good, tmp_path)
    assert code == 0 and "up to date" in out
