"""Mentions of people and channels, in the one text form every adapter hands the grammar.

Slack sends `<@U123>` or `<@U123|anna>` and `<#C123|sales>` as they are; Teams and the playground
turn their own mentions into the same form with `user_mention`, so the grammar reads one form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

USER_MENTION = re.compile(r"^<@([^|>\s]+)(?:\|([^>]*))?>$")
CHANNEL_MENTION = re.compile(r"^<#([A-Za-z0-9_:.@-]+)(?:\|([^>]*))?>$")


@dataclass(frozen=True)
class Mention:
    """A person named in a command: their id, or None when the word was not a real mention."""

    user_id: str | None
    raw: str
    name: str = ""


@dataclass(frozen=True)
class ChannelMention:
    """A channel named in a command."""

    channel_id: str
    name: str


def user_mention(user_id: str, name: str = "") -> str:
    """The text form of a mention of a person."""
    # ">" and "|" would end the mention early; a name never needs them.
    clean = name.replace(">", "").replace("|", "").strip()
    return f"<@{user_id}|{clean}>" if clean else f"<@{user_id}>"


def channel_mention(channel_id: str, name: str = "") -> str:
    """The text form of a mention of a channel."""
    clean = name.replace(">", "").replace("|", "").strip()
    return f"<#{channel_id}|{clean}>" if clean else f"<#{channel_id}>"


def read_mention(word: str) -> Mention:
    """A word as a mention; a word that is not one keeps its text for the reply."""
    match = USER_MENTION.match(word)
    if match is None:
        return Mention(user_id=None, raw=word)
    return Mention(user_id=match.group(1), raw=word, name=(match.group(2) or "").strip())


def read_channel(text: str) -> ChannelMention | None:
    """A channel mention, or None when the text is not one."""
    match = CHANNEL_MENTION.match(text.strip())
    if match is None:
        return None
    return ChannelMention(channel_id=match.group(1), name=(match.group(2) or match.group(1))[:80])
