"""The house rules: dependencies run one way (bot -> handlers -> store -> core), platform SDKs
stay in bot/, the sender and the jobs know no habit, no import cycles, and no module too long."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pepptalk"
PLATFORM_AND_RUNTIME = (
    "slack_bolt",
    "slack_sdk",
    "botbuilder",
    "botframework",
    "msrest",
    "aiohttp",
    "apscheduler",
    "matplotlib",
    "pepptalk.bot",
)
# What each layer may import besides the standard library and the layers below it.
ALLOWED = {
    "core": ("babel", "holidays", "pepptalk.core"),
    "store": ("sqlalchemy", "alembic", "pepptalk.core", "pepptalk.store"),
    "handlers": ("pepptalk.core", "pepptalk.store", "pepptalk.handlers"),
}
# A habit is a module that declares one; the shapes a use case hands back (the history's weeks,
# say) may be read by an adapter, which still calls the use case through the service.
HABIT_MODULES = {
    path.stem
    for path in (PACKAGE / "handlers").glob("*.py")
    if "\nHABIT = Habit(" in path.read_text(encoding="utf-8")
}
LONGEST = 400


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            # "from pepptalk.handlers import checkin" imports the module pepptalk.handlers.checkin
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _modules(layer: str) -> list[Path]:
    files = [p for p in (PACKAGE / layer).rglob("*.py") if "migrations" not in p.parts]
    assert len(files) > 3, layer
    return files


def _is_stdlib(name: str) -> bool:
    return name.split(".")[0] in sys.stdlib_module_names or name == "__future__"


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_what_lies_below_it(layer: str) -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in _modules(layer)
        for name in imported_modules(path)
        if not _is_stdlib(name)
        and not _within(name, ALLOWED[layer])
        # "from pepptalk.handlers import checkin" also names the package itself
        and name not in ("pepptalk", "pepptalk.handlers")
    }
    assert not offenders


def test_no_platform_sdk_or_runtime_below_bot() -> None:
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for layer in ALLOWED
        for path in _modules(layer)
        for name in imported_modules(path)
        if _within(name, PLATFORM_AND_RUNTIME)
    }
    assert not offenders


def test_the_sender_the_jobs_and_the_adapters_import_no_habit() -> None:
    # They find habits through the registry that bot/app.py hands them.
    habits = tuple(f"pepptalk.handlers.{stem}" for stem in HABIT_MODULES)
    wired_here = {"app.py", "cli.py"}
    offenders = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in (PACKAGE / "bot").rglob("*.py")
        if path.name not in wired_here
        for name in imported_modules(path)
        if _within(name, habits)
    }
    assert not offenders


def test_the_rule_catches_an_offender(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("from slack_sdk.web import WebClient\nimport pepptalk.bot.app\n")
    assert imported_modules(sample) == {
        "slack_sdk.web",
        "slack_sdk.web.WebClient",
        "pepptalk.bot.app",
    }


def test_bot_framework_stays_in_the_teams_folder() -> None:
    # The Bot Framework SDK is archived upstream; keeping it in one folder keeps a swap small.
    bot = PACKAGE / "bot"
    outside = {
        f"{path.relative_to(bot)}: {name}"
        for path in bot.rglob("*.py")
        if "teams" not in path.relative_to(bot).parts
        for name in imported_modules(path)
        if name.split(".")[0] in ("botbuilder", "botframework", "msrest")
    }
    assert not outside


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_there_are_no_import_cycles() -> None:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {
        name: {m for m in imported_modules(path) if m in files and m != name}
        for name, path in files.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError(" -> ".join([*trail[trail.index(name) :], name]))
        if name in done:
            return
        for imported in sorted(graph[name]):
            # A package's __init__ is imported on the way to its modules; that is not a cycle.
            if not name.startswith(imported + "."):
                visit(imported, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_no_module_is_longer_than_a_reader_can_hold() -> None:
    long = {
        f"{path.relative_to(PACKAGE)}: {lines}"
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text().splitlines())) > LONGEST
    }
    assert not long
