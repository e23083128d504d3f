"""The /pepptalk grammar for every platform: parse the words, check who may, call the habit."""

from __future__ import annotations

import re
from datetime import datetime

from pepptalk.handlers import checkin, feedback, pause, recognition, summary, team
from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import Reply, text_reply
from pepptalk.handlers.ports import Actor, Chat
from pepptalk.handlers.store import Membership, Store
from pepptalk.handlers.team import Mention

# Platforms hand user mentions over as <@ID> or <@ID|name>; adapters normalise to that form.
USER_MENTION = re.compile(r"^<@([^|>\s]+)(?:\|[^>]*)?>$")
_TOKEN = re.compile(r"<[^>]*>|\S+")
COMMAND_MAX = 3000


def tokens(text: str) -> list[str]:
    """Split a command into words, keeping each <...> mention whole."""
    return _TOKEN.findall(text)


def mentions(words: list[str]) -> list[Mention]:
    """Read words as mentions; a word that is not a real mention keeps its text for the reply."""
    found = []
    for word in words:
        match = USER_MENTION.match(word)
        found.append(Mention(user_id=match.group(1) if match else None, raw=word))
    return found


def _rest(text: str, words_before: int) -> str:
    """The raw text after the first `words_before` words (keeps the user's spacing inside)."""
    remainder = text.strip()
    for _ in range(words_before):
        parts = remainder.split(maxsplit=1)
        remainder = parts[1] if len(parts) > 1 else ""
    return remainder.strip()


async def run_command(*, store: Store, chat: Chat, actor: Actor, text: str, now: datetime) -> Reply:
    """Answer one `/pepptalk ...` command."""
    words = tokens(text)
    verb = words[0].lower() if words else "help"
    seat = await store.membership(actor.workspace_id, actor.user_id)
    copy = copy_for(seat.team.language if seat else "en")
    if len(text) > COMMAND_MAX:
        return text_reply(copy("errors.command_too_long", length=len(text), max=COMMAND_MAX))
    if verb == "help":
        return team.help_message(seat=seat)
    if verb == "team" and len(words) > 1 and words[1].lower() == "create":
        return await team.create_team(
            store=store, chat=chat, actor=actor, name=_rest(text, 2), now=now
        )
    if verb not in _KNOWN:
        return text_reply(copy("errors.unknown_command", word=words[0][:40]))
    if seat is None:
        return text_reply(copy("errors.no_team"))
    if verb == "team":
        return await _team_command(
            store=store, chat=chat, seat=seat, words=words, text=text, now=now
        )
    if verb == "checkin":
        if seat.is_leader:
            return await summary.show_summary(store=store, seat=seat, now=now)
        return await checkin.show_checkin(store=store, seat=seat, now=now)
    if verb == "note":
        return await checkin.add_note(store=store, seat=seat, text=_rest(text, 1), now=now)
    if verb == "pause":
        return await _pause_command(store=store, seat=seat, words=words, now=now)
    if verb == "resume":
        return await pause.resume_checkins(store=store, seat=seat, now=now)
    if verb == "win":
        return await recognition.log_win(store=store, seat=seat, text=_rest(text, 1), now=now)
    return await _feedback_command(
        store=store, seat=seat, verb=verb, words=words, text=text, now=now
    )


_KNOWN = {"team", "checkin", "note", "pause", "resume", "win", "feedback", "cadence", "seen"}


async def _feedback_command(
    *, store: Store, seat: Membership, verb: str, words: list[str], text: str, now: datetime
) -> Reply:
    if not seat.is_leader:
        return text_reply(copy_for(seat.team.language)("errors.leaders_only"))
    if verb == "seen":
        return await feedback.show_seen(store=store, seat=seat, now=now)
    mention = mentions(words[1:2])[0] if len(words) > 1 else None
    if verb == "cadence":
        word = words[2] if len(words) > 2 else ""
        return await feedback.set_cadence(store=store, seat=seat, mention=mention, word=word)
    return await feedback.log_feedback(
        store=store, seat=seat, mention=mention, rest=_rest(text, 2), now=now
    )


async def answer_direct_message(
    *, store: Store, chat: Chat, actor: Actor, text: str, now: datetime
) -> Reply:
    """Words written straight to Pepptalk: a command when it starts like one, else today's note."""
    words = tokens(text.removeprefix("/pepptalk").strip())
    if not words or words[0].lower() in _KNOWN | {"help"}:
        return await run_command(store=store, chat=chat, actor=actor, text=" ".join(words), now=now)
    seat = await store.membership(actor.workspace_id, actor.user_id)
    if seat is None:
        return text_reply(copy_for("en")("errors.no_team"))
    return await checkin.add_note(store=store, seat=seat, text=text, now=now)


async def _team_command(
    *, store: Store, chat: Chat, seat: Membership, words: list[str], text: str, now: datetime
) -> Reply:
    copy = copy_for(seat.team.language)
    sub = words[1].lower() if len(words) > 1 else ""
    if sub == "":
        return await team.show_team(store=store, seat=seat, now=now)
    if sub not in ("add", "remove", "set"):
        return text_reply(copy("errors.unknown_command", word=f"team {words[1][:40]}"))
    if not seat.is_leader:
        return text_reply(copy("errors.leaders_only"))
    if sub == "add":
        return await team.add_sellers(
            store=store, chat=chat, seat=seat, mentions=mentions(words[2:]), now=now
        )
    if sub == "remove":
        return await team.remove_sellers(
            store=store, seat=seat, mentions=mentions(words[2:]), now=now
        )
    if len(words) < 3:
        return text_reply(copy("errors.bad_setting", value="", settings=", ".join(team.SETTINGS)))
    return await team.change_setting(store=store, seat=seat, key=words[2], value=_rest(text, 3))


async def _pause_command(
    *, store: Store, seat: Membership, words: list[str], now: datetime
) -> Reply:
    copy = copy_for(seat.team.language)
    if len(words) == 1:
        return await pause.pause_checkins(store=store, seat=seat, until=None, now=now)
    if len(words) == 3 and words[1].lower() == "until":
        return await pause.pause_checkins(store=store, seat=seat, until=words[2], now=now)
    return text_reply(copy("errors.usage", usage="/pepptalk pause until 2026-07-31"))
