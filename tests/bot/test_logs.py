"""Log lines as operators read them: one line per event, capped, with no secret in them."""

from __future__ import annotations

import json
import logging

import pytest

from pepptalk.bot.logs import MAX_LINE, JsonLines, Redact


def record(
    msg: str,
    *args: object,
    name: str = "pepptalk",
    level: int = logging.INFO,
    error: BaseException | None = None,
) -> logging.LogRecord:
    exc_info = (type(error), error, error.__traceback__) if error else None
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def shown(filter_: Redact, item: logging.LogRecord) -> str | None:
    return item.getMessage() if filter_.filter(item) else None


def test_secrets_tokens_and_url_passwords_never_show() -> None:
    redact = Redact(["my-app-password-123"])
    line = shown(
        redact,
        record(
            "sent with %s and %s to %s; header Bearer abc.def-ghi; app %s",
            "xoxb-1111-2222-abcdef",
            "xapp-1-A0-123-abc",
            "postgresql://pepptalk:hunter22@db:5432/pepptalk",
            "my-app-password-123",
        ),
    )
    assert line is not None
    for secret in ("xoxb-1111", "xapp-1", "hunter22", "abc.def-ghi", "my-app-password-123"):
        assert secret not in line
    assert "postgresql://[redacted]@db:5432/pepptalk" in line


def test_a_huge_value_is_capped_and_an_error_stays_on_one_line() -> None:
    redact = Redact()
    line = shown(redact, record("got %s", "y" * 100_000))
    assert line is not None and len(line) < 400 and "(100000 characters)" in line
    try:
        raise ValueError("first line\nsecond line")
    except ValueError as error:
        item = record("turn failed", level=logging.ERROR, error=error)
    line = shown(redact, item)
    assert line is not None and "\n" not in line
    assert line.startswith("turn failed: ValueError: first line second line (at ")
    assert item.exc_info is None, "no traceback is printed after the line"
    assert len(shown(redact, record("%s", "z" * 300)) or "") <= MAX_LINE


@pytest.mark.parametrize("name", ["slack_bolt.RequestVerification", "sqlalchemy.engine.Engine"])
def test_libraries_speak_from_warning_up_unless_debugging(name: str) -> None:
    chatty = record("Invalid request signature detected (body: secret=1)", name=name)
    assert shown(Redact(), chatty) is None
    line = shown(Redact(quiet=False), record("bad (body: secret=1)", name=name))
    assert line == "bad (body: [redacted]"
    assert shown(Redact(), record("refused", name=name, level=logging.WARNING)) == "refused"


def test_json_lines_carry_time_level_logger_and_message() -> None:
    item = record("hello %s", "Anna")
    Redact().filter(item)
    line = JsonLines().format(item)
    assert json.loads(line) == {
        "time": json.loads(line)["time"],
        "level": "info",
        "logger": "pepptalk",
        "message": "hello Anna",
    }
