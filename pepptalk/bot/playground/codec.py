"""Neutral messages and forms as JSON, so the playground's threads outlive a restart.

Only the classes of `core.messages` are read back: a stored row names its class, and a name that
is not one of them is refused rather than looked up anywhere else.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import json
from typing import Any, TypeVar, cast

from pepptalk.core import messages

T = TypeVar("T")

_CLASSES: dict[str, type[Any]] = {
    name: value
    for name, value in vars(messages).items()
    if isinstance(value, type)
    and value.__module__ == messages.__name__
    and (dataclasses.is_dataclass(value) or issubclass(value, enum.Enum))
}


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return {"enum": type(value).__name__, "value": value.value}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"class": type(value).__name__, "fields": fields}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return {"tuple": [_plain(item) for item in value]}
    if isinstance(value, dict):
        return {"dict": {str(key): _plain(item) for key, item in value.items()}}
    return value


def _known(name: object) -> type[Any]:
    found = _CLASSES.get(str(name))
    if found is None:
        raise ValueError(f"not a message class: {name!r}")
    return found


def _built(value: object) -> object:
    if not isinstance(value, dict):
        return value
    if "class" in value:
        fields = cast(dict[str, object], value["fields"])
        return _known(value["class"])(**{key: _built(item) for key, item in fields.items()})
    if "enum" in value:
        return _known(value["enum"])(value["value"])
    if "bytes" in value:
        return base64.b64decode(str(value["bytes"]))
    if "tuple" in value:
        return tuple(_built(item) for item in cast(list[object], value["tuple"]))
    if "dict" in value:
        return {key: _built(item) for key, item in cast(dict[str, object], value["dict"]).items()}
    raise ValueError(f"not a stored value: {sorted(value)!r}")


def dumps(value: object) -> str:
    """A message (or form) as JSON text."""
    return json.dumps(_plain(value), ensure_ascii=False)


def loads(text: str, kind: type[T]) -> T:
    """A message (or form) back from JSON text; ValueError when it is not a `kind`."""
    value = _built(json.loads(text))
    if not isinstance(value, kind):
        raise ValueError(f"stored value is not a {kind.__name__}")
    return value
