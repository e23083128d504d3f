"""handlers/ knows no chat platform, web server, scheduler or runtime: dependencies run one way."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "msrest",
    "aiohttp",
    "apscheduler",
    "pepptalk.bot",
)
BOT = Path(__file__).resolve().parents[2] / "pepptalk" / "bot"
HANDLERS = Path(__file__).resolve().parents[2] / "pepptalk" / "handlers"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_handlers_import_no_platform_sdk_and_nothing_from_bot() -> None:
    files = list(HANDLERS.rglob("*.py"))
    assert len(files) > 5
    offenders = {
        f"{path.name}: {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert not offenders


def test_the_rule_catches_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from slack_sdk.web import WebClient\nimport pepptalk.bot.app\n")
    assert imported_modules(sample) == {"slack_sdk.web", "pepptalk.bot.app"}


def test_bot_framework_stays_in_the_teams_folder() -> None:
    # The Bot Framework SDK is archived upstream; keeping it in one folder keeps a swap small.
    outside = {
        f"{path.relative_to(BOT)}: {name}"
        for path in BOT.rglob("*.py")
        if "teams" not in path.relative_to(BOT).parts
        for name in imported_modules(path)
        if name.split(".")[0] in ("botbuilder", "botframework", "msrest")
    }
    assert not outside
