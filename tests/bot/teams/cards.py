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


def card_problems(card: dict[str, Any]) -> list[str]:
    """Why the schema refuses a card (empty when it takes it, or when the schema is absent)."""
    validator = _validator()
    if validator is None:
        return []
    return [error.message for error in validator.iter_errors(card)]


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
