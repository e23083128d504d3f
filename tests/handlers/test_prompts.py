"""Every language has every key, with the same placeholders; every key the code asks for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from pepptalk.handlers.i18n import LANGUAGES, load_prompts

ROOT = Path(__file__).resolve().parents[2] / "pepptalk"


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
        named |= set(re.findall(r"""copy\(\s*["']([a-z_]+\.[a-z_0-9]+)["']""", path.read_text()))
        named |= set(
            re.findall(
                r"""["']((?:errors|team|checkin|summary|pause|help)\.[a-z_]+)["']""",
                path.read_text(),
            )
        )
    assert named, "the scan found the keys"
    missing = named - set(load_prompts("en"))
    assert not missing


def test_moods_and_days_are_complete() -> None:
    for language in LANGUAGES:
        prompts = load_prompts(language)
        assert all(f"mood.{n}" in prompts for n in range(1, 6))
        assert all(
            f"days.{d}" in prompts for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        )
