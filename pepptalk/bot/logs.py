"""Logging for operators: one line per event, as text or JSON, with no secret in any line.

Every record passes one filter that caps each value, replaces a known secret (the settings'
tokens and passwords) and anything shaped like a token or a password in a URL, and folds an
exception into the same line. The libraries underneath speak only from WARNING up unless
LOG_LEVEL is debug: Bolt, for one, logs the whole body of a request it refuses at INFO.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime

# Loggers of the libraries Pepptalk runs on: quiet unless debugging.
LIBRARIES = (
    "slack_bolt",
    "slack_sdk",
    "aiohttp.access",
    "aiohttp.server",
    "aiohttp.client",
    "botbuilder",
    "botframework",
    "msal",
    "msrest",
    "apscheduler",
    "sqlalchemy",
    "alembic",
    "asyncio",
    "urllib3",
)
# A logged value is cut at this many characters, a whole line at MAX_LINE.
MAX_VALUE = 300
MAX_LINE = 2000
_SHAPES = (
    re.compile(r"\bxox[abposr]-[\w-]+"),  # Slack bot, user and refresh tokens
    re.compile(r"\bxapp-[\w-]+"),  # Slack app-level tokens
    re.compile(r"(?i)\bbearer\s+[\w.~+/=-]+"),
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),  # user:password in a URL
    re.compile(r"\beyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]+"),  # a JWT
    re.compile(r"(?<=\bbody: ).*", re.S),  # a request's body, as Bolt quotes it
)
REDACTED = "[redacted]"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


def _is_library(name: str) -> bool:
    return any(name == lib or name.startswith(f"{lib}.") for lib in LIBRARIES)


class Redact(logging.Filter):
    """Caps, redacts and folds each record into one line (its message and its exception)."""

    def __init__(
        self, secrets: Iterable[str] = (), *, tracebacks: bool = False, quiet: bool = True
    ) -> None:
        super().__init__()
        self.quiet = quiet
        # Short values would redact ordinary words; real secrets are longer than this.
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)
        self.tracebacks = tracebacks

    def clean(self, text: str) -> str:
        """The text with every secret and token-shaped word replaced."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for shape in _SHAPES:
            text = shape.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if self.quiet and record.levelno < logging.WARNING and _is_library(record.name):
            # Some libraries set their own loggers' levels (Bolt does): held back here too.
            return False
        args = record.args
        try:
            if isinstance(args, tuple) and args:
                # Each value capped on its own, so one huge value cannot crowd out the rest.
                capped = tuple(_cap(a, MAX_VALUE) if isinstance(a, str) else a for a in args)
                message = str(record.msg) % capped
            else:
                message = record.getMessage()
        except (TypeError, ValueError):
            message = f"{record.msg!r} {args!r}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            if self.tracebacks:
                message += " | " + " | ".join(
                    line.strip()
                    for line in traceback.format_exception(error)
                    for line in line.splitlines()
                    if line.strip()
                )
            else:
                frame = (
                    traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
                )
                where = f" (at {frame[0].filename}:{frame[0].lineno})" if frame else ""
                message += f": {type(error).__name__}: {error}{where}"
            record.exc_info, record.exc_text = None, None
        if record.stack_info:
            record.stack_info = None
        message = " ".join(self.clean(message).split("\n"))
        record.msg, record.args = _cap(message, MAX_LINE), None
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(
            {
                "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
                "level": record.levelname.lower(),
                "logger": record.name,
                "message": record.getMessage(),
            },
            ensure_ascii=False,
        )


def configure(*, level: str = "info", style: str = "text", secrets: Iterable[str] = ()) -> None:
    """Set up the root logger once for a `pepptalk` process."""
    debug = level.lower() == "debug"
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(Redact(secrets, tracebacks=debug, quiet=not debug))
    handler.setFormatter(
        JsonLines()
        if style == "json"
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.getLevelNamesMapping().get(level.upper(), logging.INFO))
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if debug else logging.WARNING)
