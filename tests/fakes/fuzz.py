"""Requests shaped like Slack's and Teams' but wrong in every way a seeded random can think of:
fields dropped, types swapped, strings huge or odd, lists where objects go. For the tests and
the benchmark that count answers and tracebacks."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

WORKSPACE = "T0PEPP"
ODD_STRINGS = ["", "³", "²", "١٢", "9" * 5000, "\u0000", "🙂" * 300, "x" * 10_000, "null", "[]"]


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    """Something that is not what the field should hold."""
    choice = rng.randrange(12 if depth < 2 else 8)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, -1, 1, 2**63, -(2**70), 5])
    if choice == 3:
        return rng.choice([0.5, -1e308, 1e308])
    if choice in (4, 5, 6, 7):
        return rng.choice(ODD_STRINGS) if rng.random() < 0.6 else str(rng.randrange(10**6))
    if choice in (8, 9):
        return [odd_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    return {rng.choice(["type", "id", "value", "x"]): odd_value(rng, depth + 1)}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


def mutate(template: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """The template with one to three of its parts replaced by odd values or removed."""
    body = copy.deepcopy(template)
    for _ in range(rng.randint(1, 3)):
        paths = [p for p in _paths(body) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent: Any = body
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and rng.random() < 0.25:
            del parent[path[-1]]
        else:
            parent[path[-1]] = odd_value(rng)
    return body


def slack_templates(response_url: str) -> list[tuple[str, dict[str, Any]]]:
    """Well-shaped Slack requests: ("command" | "payload" | "json", body)."""
    user = {"id": "UANNA", "team_id": WORKSPACE}
    return [
        (
            "command",
            {
                "team_id": WORKSPACE,
                "user_id": "UANNA",
                "command": "/pepptalk",
                "text": "win Booked a demo",
                "response_url": response_url,
                "trigger_id": "t1",
                "channel_id": "C0",
            },
        ),
        (
            "payload",
            {
                "type": "block_actions",
                "team": {"id": WORKSPACE},
                "user": user,
                "trigger_id": "t2",
                "response_url": response_url,
                "container": {"type": "message"},
                "actions": [
                    {
                        "type": "button",
                        "block_id": "checkin:2026-11-23",
                        "action_id": "pepptalk_mood",
                        "value": "4",
                    }
                ],
            },
        ),
        (
            "payload",
            {
                "type": "view_submission",
                "team": {"id": WORKSPACE},
                "user": user,
                "view": {
                    "type": "modal",
                    "callback_id": "pepptalk_note_form",
                    "private_metadata": json.dumps(
                        {"context": "checkin:2026-11-23", "response_url": response_url}
                    ),
                    "state": {
                        "values": {
                            "note": {"note": {"type": "plain_text_input", "value": "Tired"}},
                            "share": {
                                "share": {
                                    "type": "checkboxes",
                                    "selected_options": [{"value": "yes"}],
                                }
                            },
                        }
                    },
                },
            },
        ),
        (
            "json",
            {
                "type": "event_callback",
                "team_id": WORKSPACE,
                "event_id": "Ev1",
                "event_time": 1795863662,
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "user": "UANNA",
                    "channel": "DANNA",
                    "text": "Tired today",
                },
            },
        ),
        (
            "json",
            {
                "type": "event_callback",
                "team_id": WORKSPACE,
                "event_id": "Ev2",
                "event_time": 1795863662,
                "event": {"type": "app_home_opened", "user": "UANNA", "tab": "home"},
            },
        ),
        (
            "json",
            {
                "type": "event_callback",
                "team_id": WORKSPACE,
                "event_id": "Ev3",
                "event_time": 1795863662,
                "event": {
                    "type": "user_change",
                    "user": {"id": "UANNA", "tz": "Europe/Oslo", "profile": {"real_name": "A"}},
                },
            },
        ),
        ("json", {"type": "url_verification", "challenge": "abc", "token": "x"}),
    ]


def slack_requests(count: int, *, seed: int, response_url: str) -> Iterator[tuple[str, str]]:
    """`count` mutated Slack requests as (content type, body), the same ones for the same seed."""
    rng = random.Random(seed)
    templates = slack_templates(response_url)
    for n in range(count):
        kind, template = rng.choice(templates)
        body = mutate(template, rng)
        if kind == "json" and "event_id" in body:
            body["event_id"] = f"Ev{n}"  # each a new event, not a retry to skip
        if kind == "command":
            fields = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            yield "application/x-www-form-urlencoded", urlencode(fields)
        elif kind == "payload":
            yield "application/x-www-form-urlencoded", urlencode({"payload": json.dumps(body)})
        else:
            yield "application/json", json.dumps(body)


def teams_templates(service_url: str) -> list[dict[str, Any]]:
    """Well-shaped Teams activities."""
    sender = {"id": "29:anna", "name": "Anna Berg", "aadObjectId": "aad-anna"}
    conversation = {"id": "1on1-29:anna", "conversationType": "personal", "tenantId": "tenant"}
    base = {
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": sender,
        "recipient": {"id": "28:pepptalk", "name": "Pepptalk"},
        "conversation": conversation,
        "channelData": {"tenant": {"id": "tenant"}},
        "id": "a1",
    }
    return [
        {**base, "type": "message", "text": "win Booked a demo"},
        {**base, "type": "message", "value": {"action": "pepptalk_mood", "group": "x", "v": "4"}},
        {**base, "type": "invoke", "name": "adaptiveCard/action", "value": {"action": {}}},
        {**base, "type": "invoke", "name": "task/fetch", "value": {}},
        {**base, "type": "conversationUpdate", "membersAdded": [sender]},
        {**base, "type": "installationUpdate", "action": "add"},
    ]


def teams_requests(count: int, *, seed: int, service_url: str) -> Iterator[str]:
    """`count` mutated Teams activities as JSON bodies, the same ones for the same seed."""
    rng = random.Random(seed)
    templates = teams_templates(service_url)
    for n in range(count):
        body = mutate(rng.choice(templates), rng)
        if rng.random() < 0.02:
            yield rng.choice(["null", "[]", '"x"', "{", "1"])
            continue
        body.setdefault("id", f"a{n}")
        yield json.dumps(body)
