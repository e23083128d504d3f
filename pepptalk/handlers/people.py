"""Finding the team member a command names: by a real mention, or by a name typed as text.

A leader in a Teams 1:1 chat cannot @mention, and a Slack user may type `@bjorn` for Bjørn:
a typed name finds the one member whose name it matches (case and diacritics aside), never a
guess between two.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from pepptalk.core.mentions import Mention
from pepptalk.store.models import Member

# Letters that NFKD does not take apart but people type without their mark.
_PLAIN_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "å": "a", "ð": "d", "þ": "th", "ß": "ss"})


def fold(text: str) -> str:
    """A name as people type it on any keyboard: lower case, no diacritics, no dots or dashes."""
    lowered = text.casefold().translate(_PLAIN_LETTERS)
    bare = unicodedata.normalize("NFKD", lowered)
    letters = "".join(c for c in bare if not unicodedata.combining(c))
    return " ".join(letters.replace(".", " ").replace("_", " ").replace("-", " ").split())


def _names(member: Member) -> set[str]:
    full = fold(member.display_name)
    return {full, full.split(" ")[0], full.replace(" ", "")} if full else set()


def named(members: Sequence[Member], word: str) -> Member | None:
    """The one member whose full or first name matches a typed word (`@bjorn`, `Anna.Berg`)."""
    wanted = fold(word.removeprefix("@"))
    if not wanted:
        return None
    matches = [m for m in members if wanted in _names(m)]
    return matches[0] if len(matches) == 1 else None


def find(members: Sequence[Member], mention: Mention) -> Member | None:
    """The member a mention or a typed name means, if exactly one."""
    if mention.user_id is not None:
        return next((m for m in members if m.user_id == mention.user_id), None)
    return named(members, mention.raw)


def whole_name(members: Sequence[Member], words: Sequence[str]) -> tuple[Member, int] | None:
    """A member named by their whole name typed as several words ("Megan Bowen coaching …"),
    and how many words the name took: the longest run that is exactly one member's full name.
    A Teams 1:1 chat has no @mentions, so a name with a space arrives as plain words."""
    for count in range(min(len(words), 4), 1, -1):
        wanted = fold(" ".join(words[:count]))
        matches = [m for m in members if fold(m.display_name) == wanted]
        if len(matches) == 1:
            return matches[0], count
    return None


def shown(mention: Mention, *, unnamed: str) -> str:
    """How to name what was typed in a reply: a name, never markup or an internal id
    (`unnamed` when a mention carried no name)."""
    if mention.name:
        return mention.name
    return mention.raw[:40] if mention.user_id is None else unnamed
