"""Every language has every key, with the same placeholders; every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from pepptalk.core.i18n import LANGUAGES, load_prompts
from pepptalk.handlers.registry import REGISTRY

ROOT = Path(__file__).resolve().parents[2] / "pepptalk"
SECTIONS = "errors|team|checkin|summary|pause|help|usage|feedback|wins|home|playground|mood|days"


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_language_has_every_key_with_the_same_placeholders(language: str) -> None:
    english, other = load_prompts("en"), load_prompts(language)
    assert sorted(other) == sorted(english)
    for key, text in english.items():
        assert placeholders(other[key]) == placeholders(text), key
        assert other[key].strip(), key


def test_every_key_the_code_names_exists() -> None:
    named = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text()
        named |= set(re.findall(r"""copy(?:\.text)?\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", text))
        named |= set(re.findall(rf"""["']((?:{SECTIONS})\.[a-z_0-9]+)["']""", text))
    for path in ROOT.rglob("*.html"):
        # The web pages' templates ask for their words as t("section.key").
        named |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text()))
    assert named, "the scan found the keys"
    files = {"playground.css", "playground.js", "team.html"}
    known = set(load_prompts("en"))
    # A key a template completes ("feedback.kind_" + the kind) names keys that start so.
    prefixes = {key for key in named if key.endswith("_")}
    assert all(any(k.startswith(prefix) for k in known) for prefix in prefixes), prefixes
    missing = named - prefixes - known - files
    assert not missing


def test_moods_and_days_are_complete() -> None:
    for language in LANGUAGES:
        prompts = load_prompts(language)
        assert all(f"mood.{n}" in prompts for n in range(1, 6))
        assert all(
            f"days.{d}" in prompts for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_command_a_prompt_shows_is_one_pepptalk_knows(language: str) -> None:
    # A command is written between backticks; each must start with a verb the registry has,
    # unless the whole command is filled in by the code (a "did you mean" names one it knows).
    for key, text in load_prompts(language).items():
        pieces = text.split("`")
        assert len(pieces) % 2 == 1, f"{key}: a backtick without its pair"
        for command in pieces[1::2]:
            if placeholders(command) and command == f"{{{placeholders(command).pop()}}}":
                continue
            assert command.split()[0] in REGISTRY.verbs, f"{key}: {command!r}"


def test_every_help_line_of_the_registry_exists_and_shows_its_command() -> None:
    english = load_prompts("en")
    for command in REGISTRY.commands:
        line = english[command.help]
        assert line.startswith(f"`{' '.join(command.words)}"), command.help
