"""The command grammar: how the words after `/pepptalk` are split and read, on every platform."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pepptalk.core.mentions import Mention, read_mention
from pepptalk.core.values import whole_number

# A mention <@U1|Anna Berg> stays one word, spaces and all.
_TOKEN = re.compile(r"<[^>]*>|\S+")
# Longer than any command anyone types by hand; a paste of a whole document is refused early.
COMMAND_MAX = 3000
# How alike a typed word and a command word must be to suggest one for the other: one slip of
# the finger in a word of four letters or more ("sene", "agneda", "team ad"). Any looser and
# everyday words read as commands ("dance" as "cadence", "stop" as "topic").
CLOSE = 0.75


def tokens(text: str) -> list[str]:
    """Split a command into words, keeping each <...> mention whole."""
    return _TOKEN.findall(text)


def _after(text: str, count: int) -> str:
    """The raw text after the first `count` words, with the writer's own spacing inside."""
    position = 0
    for _ in range(count):
        match = _TOKEN.search(text, position)
        if match is None:
            return ""
        position = match.end()
    return text[position:].strip()


def read_id(text: str) -> int | None:
    """A row id a button or form carried (a member, a win), or None when it is not one."""
    return whole_number(text)


@dataclass(frozen=True)
class CommandLine:
    """One typed command, read: the command's own words, and what follows them."""

    text: str
    command_words: int

    @property
    def words(self) -> list[str]:
        """Every word typed."""
        return tokens(self.text)

    @property
    def args(self) -> list[str]:
        """The words after the command's own."""
        return self.words[self.command_words :]

    def arg(self, index: int) -> str:
        """One word after the command's own ("" when there is none)."""
        args = self.args
        return args[index] if index < len(args) else ""

    def rest(self, skip: int = 0) -> str:
        """The raw text after the command's words and `skip` more, spacing kept."""
        return _after(self.text, self.command_words + skip)

    def mentions(self, start: int = 0) -> list[Mention]:
        """The words from `start` on, read as mentions of people."""
        return [read_mention(word) for word in self.args[start:]]

    def mention(self, index: int = 0) -> Mention | None:
        """One word read as a mention of a person (None when there is no such word)."""
        word = self.arg(index)
        return read_mention(word) if word else None


def nearest(words: list[str], commands: Iterable[tuple[str, ...]]) -> tuple[str, ...] | None:
    """The command among `commands` that the typed words most likely meant, word by word, each
    word the same or a slip away from the command's; None when nothing is that close."""
    known = set(commands)
    meant: tuple[str, ...] = ()
    for word in (w.lower() for w in words):
        depth = len(meant)
        choices = sorted({c[depth] for c in known if len(c) > depth and c[:depth] == meant})
        close = [word] if word in choices else difflib.get_close_matches(word, choices, 1, CLOSE)
        if not close:
            break
        meant += (close[0],)
    else:
        # The words ran out on the way to a command: the one command they lead to, if just one.
        longer = [c for c in known if c[: len(meant)] == meant]
        if meant and meant not in known and len(longer) == 1:
            return longer[0]
    return meant if meant in known else None
