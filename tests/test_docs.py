"""The documentation keeps up with the code: every habit and module of the house, every setting,
every command and `pepptalk` subcommand is written down, and the README's links lead somewhere."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from pepptalk.bot.cli import parser
from pepptalk.bot.config import Settings
from pepptalk.handlers import registry
from pepptalk.handlers.registry import REGISTRY
from pepptalk.handlers.settings import SETTINGS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PACKAGE = REPO / "pepptalk"
HOUSE = DOCS / "contributors" / "house.md"
GUIDES = ("en", "nb", "sv", "da")
# [text](target) and ![alt](target); a target ends at the first space or closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
MAX_PICTURE = 300_000


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The part of a page under the `### ` heading that contains `heading`, up to the next one."""
    parts = re.split(r"^### ", text, flags=re.MULTILINE)
    found = [part for part in parts if heading in part.split("\n", 1)[0]]
    assert len(found) == 1, f"house.md has no one section headed {heading!r}"
    return found[0]


def habit_modules() -> list[str]:
    """The handlers modules registry.py gathers habits from: those it imports with a HABIT."""
    modules = {
        name: value
        for name, value in vars(registry).items()
        if isinstance(value, ModuleType) and hasattr(value, "HABIT")
    }
    declared = sorted(module.HABIT.name for module in modules.values())
    assert declared == sorted(habit.name for habit in REGISTRY.habits), "one module per habit"
    return sorted(modules)


def test_every_habit_in_the_registry_is_in_the_house() -> None:
    handlers = section(read(HOUSE), "pepptalk/handlers/")
    missing = [name for name in habit_modules() if f"`{name}.py`" not in handlers]
    assert not missing, f"docs/contributors/house.md does not describe the habits {missing}"


def test_every_module_of_handlers_and_bot_is_in_the_house() -> None:
    house = read(HOUSE)
    handlers = section(house, "pepptalk/handlers/")
    missing = [
        f"handlers/{path.name}"
        for path in sorted((PACKAGE / "handlers").glob("*.py"))
        if path.stem != "__init__" and f"`{path.name}`" not in handlers
    ]
    bot = section(house, "pepptalk/bot/")
    for path in sorted((PACKAGE / "bot").iterdir()):
        if path.suffix == ".py" and path.stem != "__init__":
            written = f"`{path.name}`"
        elif path.is_dir() and (path / "__init__.py").exists():
            written = f"`{path.name}/`"
        else:
            continue
        if written not in bot:
            missing.append(f"bot/{written.strip('`')}")
    assert not missing, f"docs/contributors/house.md does not describe {missing}"


def test_every_setting_is_in_the_settings_page() -> None:
    page = read(DOCS / "operators" / "settings.md")
    rows = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", page, re.MULTILINE))
    known = {name.upper() for name in Settings.model_fields}
    assert known - rows == set(), "settings missing from docs/operators/settings.md"
    assert rows - known == set(), "docs/operators/settings.md names settings Pepptalk ignores"


def subcommands(cli: argparse.ArgumentParser, prefix: str = "pepptalk") -> list[str]:
    """Every command line the CLI takes, `pepptalk metrics import` and the like."""
    found: list[str] = []
    for action in cli._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = subcommands(sub, f"{prefix} {name}")
                found.extend(inner or [f"{prefix} {name}"])
    return found


def test_every_pepptalk_subcommand_is_in_the_command_line_reference() -> None:
    page = read(DOCS / "operators" / "production.md")
    commands = subcommands(parser())
    assert "pepptalk metrics import" in commands and "pepptalk run" in commands
    missing = [command for command in commands if f"| `{command}" not in page]
    assert not missing, f"docs/operators/production.md's command line table lacks {missing}"
    send = next(line for line in page.splitlines() if line.startswith("| `pepptalk send "))
    jobs = [job for job in sorted(REGISTRY.jobs) if job not in send]
    assert not jobs, f"`pepptalk send` in docs/operators/production.md lacks the jobs {jobs}"


def test_every_command_and_team_setting_is_in_the_commands_page() -> None:
    page = read(DOCS / "commands.md")
    rows = re.findall(r"^\| `/pepptalk ([^`]+)` \|", page, re.MULTILINE)
    words = [row.replace("\\|", "|").split() for row in rows]
    missing = [
        " ".join(command.words)
        for command in REGISTRY.commands
        if not any(row[: len(command.words)] == list(command.words) for row in words)
    ]
    missing += [
        f"team set {key}" for key in SETTINGS if ["team", "set", key] not in [w[:3] for w in words]
    ]
    assert not missing, f"docs/commands.md has no row for {missing}"


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and MkDocs make it, for plain-ASCII headings."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(page: Path) -> list[str]:
    """The relative links on a Markdown page that lead to no file (or to no such heading)."""
    broken = []
    for target in LINK.findall(read(page)):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve()
        if not linked.exists():
            broken.append(target)
        elif anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", read(linked), re.MULTILINE)
            if anchor not in {slug(heading) for heading in headings}:
                broken.append(target)
    return broken


def test_the_readme_links_lead_to_files_that_exist() -> None:
    readme = REPO / "README.md"
    targets = LINK.findall(read(readme))
    assert "docs/img/playground.png" in targets
    for guide in GUIDES:
        assert f"docs/guide/{guide}.md" in targets, f"README does not link the {guide} guide"
    assert broken_links(readme) == []


def test_the_picture_of_the_playground_is_a_small_png() -> None:
    picture = DOCS / "img" / "playground.png"
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.stat().st_size < MAX_PICTURE


@pytest.mark.parametrize(
    "page", sorted(DOCS.rglob("*.md")), ids=lambda path: str(path.relative_to(DOCS))
)
def test_the_links_between_pages_lead_somewhere(page: Path) -> None:
    assert broken_links(page) == []


def nav_pages(entries: list[Any]) -> list[str]:
    """The Markdown files mkdocs.yml's nav names, at any depth."""
    pages: list[str] = []
    for entry in entries:
        values = entry.values() if isinstance(entry, dict) else [entry]
        for value in values:
            pages.extend(nav_pages(value) if isinstance(value, list) else [value])
    return pages


def test_the_site_loads_nothing_from_elsewhere_and_its_nav_leads_to_pages() -> None:
    config = yaml.safe_load(read(REPO / "mkdocs.yml"))
    assert config["theme"]["name"] == "material"
    # Material would fetch its fonts from Google's servers otherwise.
    assert config["theme"]["font"] is False
    for asset in config.get("extra_css", []) + config.get("extra_javascript", []):
        assert "://" not in asset and (DOCS / asset).exists(), asset
    pages = nav_pages(config["nav"])
    assert [page for page in pages if not (DOCS / page).exists()] == []
    for guide in GUIDES:
        assert f"guide/{guide}.md" in pages
