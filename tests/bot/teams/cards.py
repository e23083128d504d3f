"""Validating cards against the Adaptive Card 1.5 schema in ../shared/schemas."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "schemas"
    / "adaptive-card-1.5.schema.json"
)


@cache
def _validator() -> jsonschema.protocols.Validator | None:
    if not SCHEMA.exists():
        return None
    schema = json.loads(SCHEMA.read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def _mention_problems(msteams: object) -> list[str]:
    """Why Teams would not take a card's `msteams` part: mention entities, each naming whom its
    "<at>…</at>" text stands for."""
    if not isinstance(msteams, dict) or set(msteams) != {"entities"}:
        return [f"msteams is not {{'entities': [...]}}: {msteams!r}"]
    problems = []
    for entity in msteams["entities"]:
        mentioned = entity.get("mentioned") if isinstance(entity, dict) else None
        if (
            not isinstance(entity, dict)
            or entity.get("type") != "mention"
            or not str(entity.get("text", "")).startswith("<at>")
            or not isinstance(mentioned, dict)
            or not mentioned.get("id")
            or not mentioned.get("name")
        ):
            problems.append(f"not a mention entity: {entity!r}")
    return problems


def card_problems(card: dict[str, Any]) -> list[str]:
    """Why Teams would refuse a card (empty when it takes it; the schema check is skipped when
    the schema is absent). The Adaptive Card schema allows no `msteams` property, which Teams
    adds for mentions: the card is checked without it, and it on its own."""
    problems = _mention_problems(card["msteams"]) if "msteams" in card else []
    validator = _validator()
    if validator is None:
        return problems
    bare = {key: value for key, value in card.items() if key != "msteams"}
    return problems + [error.message for error in validator.iter_errors(bare)]


def taps(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tappable thing on a card, in reading order: ActionSet buttons and tappable columns
    (the data Teams sends back when one is tapped, with the action's title or the column's
    words as `title`)."""
    found: list[dict[str, Any]] = []

    def visit(element: dict[str, Any]) -> None:
        if element.get("type") == "ActionSet":
            found.extend(element["actions"])
        for column in element.get("columns") or []:
            action = column.get("selectAction")
            if action is not None:
                words = " ".join(i.get("text", "") for i in column.get("items") or [])
                found.append({**action, "title": action.get("title") or words})
            for item in column.get("items") or []:
                visit(item)

    for element in card.get("body") or []:
        visit(element)
    return found
