"""One term per concept in each language: the glossary in pepptalk/prompts/glossary/ names the
word the strings use for each concept and the words they must not use for it; every string of
that language, and its user guide in docs/guide/, is held to it."""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

import pytest

from pepptalk.core.i18n import LANGUAGES, load_prompts

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "pepptalk" / "prompts" / "glossary"
CONCEPTS = {
    "morning_checkin",
    "note",
    "private_note",
    "feedback_talk",
    "praise_talk",
    "shout_out",
    "goal_talk",
    "one_to_one",
    "win",
    "topic",
    "agenda",
    "pre_read",
    "digest",
    "action",
}


@cache
def glossary(language: str) -> dict[str, dict[str, object]]:
    with (GLOSSARY / f"{language}.toml").open("rb") as file:
        return tomllib.load(file)


CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)


def texts(language: str) -> dict[str, str]:
    """Every string of the language, and its user guide as one more; commands (between
    backticks) left out, since a command is typed the same in every language."""
    found = dict(load_prompts(language))
    guide = ROOT / "docs" / "guide" / f"{language}.md"
    if guide.exists():
        found[str(guide.relative_to(ROOT))] = guide.read_text(encoding="utf-8")
    return {key: CODE.sub(" ", text) for key, text in found.items()}


def word(term: str) -> re.Pattern[str]:
    """A term as a word of its own (any case), not inside another word."""
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?![\w-])", re.IGNORECASE)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_a_term_for_every_concept(language: str) -> None:
    entries = glossary(language)
    assert set(entries) == CONCEPTS
    for concept, entry in entries.items():
        assert isinstance(entry.get("term"), str) and entry["term"], concept
        assert isinstance(entry.get("avoid", []), list), concept


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_strings_use_the_term_and_never_what_it_replaces(language: str) -> None:
    strings = texts(language)
    for concept, entry in glossary(language).items():
        term = str(entry["term"])
        used = [key for key, text in strings.items() if word(term).search(text)]
        assert used, f"{language}: no string says {term!r} ({concept})"
        avoid = entry.get("avoid", [])
        assert isinstance(avoid, list), concept
        for avoided in avoid:
            pattern = word(str(avoided))
            found = [key for key, text in strings.items() if pattern.search(text)]
            assert not found, f"{language}: {avoided!r} for {concept} in {found}"


def test_the_rule_catches_a_word_it_should() -> None:
    assert CODE.sub(" ", "Say `checkin` to check in") == "Say   to check in"
    assert word("note").search("Add a note, please")
    assert not word("note").search("Write it in your notebook")
    assert not word("win").search("a winning streak")
