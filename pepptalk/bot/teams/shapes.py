"""The shape of a Teams activity, checked before botbuilder reads it.

botbuilder and the bot read an activity's fields as Teams sends them (the conversation an
object with an id, the tenant an object); an activity with another shape is answered 400 with
one log line instead of failing inside a turn with a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

_STRINGS = (
    "type",
    "id",
    "channelId",
    "serviceUrl",
    "text",
    "textFormat",
    "name",
    "action",
    "locale",
    "localTimezone",
    "timestamp",
    "localTimestamp",
    "replyToId",
    "summary",
)
_OBJECTS = ("from", "recipient", "conversation", "channelData")
_LISTS = ("entities", "attachments", "membersAdded", "membersRemoved")
_ACCOUNT_STRINGS = ("id", "name", "aadObjectId", "role")


def problem(body: Any) -> str | None:
    """What is wrong with an activity, or None when it has the shape Teams sends."""
    if not isinstance(body, Mapping):
        return "the body is not an object"
    for name in _STRINGS:
        if name in body and body[name] is not None and not isinstance(body[name], str):
            return f"{name} is not a string"
    for name in _OBJECTS:
        if name in body and body[name] is not None and not isinstance(body[name], Mapping):
            return f"{name} is not an object"
    for name in _LISTS:
        value = body.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(item, Mapping) for item in value)
        ):
            return f"{name} is not a list of objects"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "the activity has no type"
    return _where(body) or _who(body) or _invoked(body)


def _invoked(body: Mapping[str, Any]) -> str | None:
    """An invoke names what it asks, and carries an object (botbuilder reads it as a model)."""
    if body["type"] != "invoke":
        return None
    if not isinstance(body.get("name"), str):
        return "the invoke has no name"
    value = body.get("value")
    if value is not None and not isinstance(value, Mapping):
        return "the invoke's value is not an object"
    if body["name"] == "adaptiveCard/action" and not isinstance(
        (value or {}).get("action"), Mapping
    ):
        return "the card action is not an object"
    return None


def _where(body: Mapping[str, Any]) -> str | None:
    url = urlsplit(str(body.get("serviceUrl") or ""))
    if url.scheme not in ("http", "https") or not url.hostname:
        return "serviceUrl is not an http(s) address"
    conversation = body.get("conversation")
    if not isinstance(conversation, Mapping) or not isinstance(conversation.get("id"), str):
        return "the conversation has no id"
    for name in ("conversationType", "tenantId", "name"):
        if conversation.get(name) is not None and not isinstance(conversation[name], str):
            return f"conversation.{name} is not a string"
    if body["type"] == "conversationUpdate" and not isinstance(body.get("channelData"), Mapping):
        return "a conversation update has no channelData"
    data = body.get("channelData") or {}
    for name in ("tenant", "team", "channel"):
        part = data.get(name)
        if part is not None and not (
            isinstance(part, Mapping) and isinstance(part.get("id", ""), str)
        ):
            return f"channelData.{name} is not an object with an id"
    return None


def _who(body: Mapping[str, Any]) -> str | None:
    sender = body.get("from")
    if not isinstance(sender, Mapping) or not isinstance(sender.get("id"), str):
        return "the sender has no id"
    accounts = [sender, body.get("recipient") or {}]
    accounts += list(body.get("membersAdded") or []) + list(body.get("membersRemoved") or [])
    for account in accounts:
        if account is not sender and account and not account.get("id"):
            return "an account has no id"
        for name in _ACCOUNT_STRINGS:
            if account.get(name) is not None and not isinstance(account[name], str):
                return f"an account's {name} is not a string"
    return None
