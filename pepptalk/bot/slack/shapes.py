"""The shapes of Slack's requests, checked before Bolt dispatches one.

Bolt and the listeners read fields as Slack sends them (a dict here, a string there); a signed
request with another shape is not from Slack as we know it, and is answered 400 with one log
line instead of failing somewhere inside with a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# What each field holds when present: top level, and inside interactive payloads and events.
_STRINGS = (
    "type",
    "token",
    "team_id",
    "user_id",
    "api_app_id",
    "enterprise_id",
    "event_id",
    "trigger_id",
    "response_url",
    "command",
    "text",
    "channel_id",
    "challenge",
    "callback_id",
)
_OBJECTS = ("team", "user", "channel", "container", "view", "event", "message", "state")
# Fields an Enterprise Grid organisation's org-wide install may get as null: its interactions
# can come with no `team` (the person's team_id names the workspace), events about the install
# itself with no `team_id`.
_NULLABLE = frozenset({"team", "team_id", "enterprise_id"})
_EVENT_STRINGS = ("type", "channel", "text", "tab", "channel_type", "subtype", "bot_id", "ts")
_VIEW_STRINGS = ("id", "callback_id", "private_metadata", "hash", "type")
_ACTION_STRINGS = ("action_id", "block_id", "value", "type")


def problem(body: Any) -> str | None:
    """What is wrong with a parsed request body, or None when it has Slack's shape."""
    if not isinstance(body, Mapping):
        return "the body is not an object"
    found = _fields(body, "", strings=_STRINGS, objects=_OBJECTS)
    if found:
        return found
    for name in ("team", "user"):
        if body.get(name) is not None and not isinstance(body[name].get("id"), str):
            return f"{name}.id is not a string"
    kind = body.get("type")
    if kind == "block_actions":
        return _actions(body.get("actions"))
    if kind in ("view_submission", "view_closed"):
        return _view(body.get("view"))
    if kind == "event_callback":
        return _event(body.get("event"))
    if kind == "url_verification" and not isinstance(body.get("challenge"), str):
        return "challenge is not a string"
    return None


def _fields(
    where: Mapping[str, Any], at: str, *, strings: tuple[str, ...], objects: tuple[str, ...] = ()
) -> str | None:
    for name in strings:
        if _present(where, name) and not isinstance(where[name], str):
            return f"{at}{name} is not a string"
    for name in objects:
        if _present(where, name) and not isinstance(where[name], Mapping):
            return f"{at}{name} is not an object"
    return None


def _present(where: Mapping[str, Any], name: str) -> bool:
    return name in where and not (where[name] is None and name in _NULLABLE)


def _actions(actions: Any) -> str | None:
    if not isinstance(actions, list) or not actions:
        return "actions is not a list of actions"
    for action in actions:
        if not isinstance(action, Mapping) or not isinstance(action.get("action_id"), str):
            return "an action has no action_id"
        found = _fields(action, "action.", strings=_ACTION_STRINGS)
        if found:
            return found
    return None


def _view(view: Any) -> str | None:
    if not isinstance(view, Mapping):
        return "view is not an object"
    found = _fields(view, "view.", strings=_VIEW_STRINGS, objects=("state",))
    if found:
        return found
    if not isinstance(view.get("type"), str):
        return "view has no type"
    values = (view.get("state") or {}).get("values", {})
    if not isinstance(values, Mapping):
        return "view.state.values is not an object"
    for block in values.values():
        if not isinstance(block, Mapping) or not all(
            isinstance(element, Mapping) for element in block.values()
        ):
            return "view.state.values holds something other than inputs"
    return None


def _event(event: Any) -> str | None:
    if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
        return "event is not an object with a type"
    found = _fields(
        event, "event.", strings=_EVENT_STRINGS, objects=("message", "previous_message", "view")
    )
    if found:
        return found
    user = event.get("user")
    if user is not None and not isinstance(user, str | Mapping):
        return "event.user is neither an id nor a user"
    if isinstance(user, Mapping) and not isinstance(user.get("id"), str):
        return "event.user.id is not a string"
    files = event.get("files")
    if files is not None and not (
        isinstance(files, list) and all(isinstance(f, Mapping) for f in files)
    ):
        return "event.files is not a list of files"
    return None
