"""An operator's mistakes as one line each: the setting to look at and what would work.

`pepptalk` prints the line and exits with status 2 instead of a traceback: settings that do not
fit together, a database it cannot reach or write, a port that is taken.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from urllib.parse import urlsplit

from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError

from pepptalk.bot.config import Settings

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class OperatorError(Exception):
    """A mistake in how Pepptalk is set up or started, said in one line."""


def load_settings() -> Settings:
    """The settings, or an OperatorError naming the first setting that is wrong."""
    try:
        return Settings()
    except ValidationError as error:
        raise OperatorError(settings_line(error)) from None


def settings_line(error: ValidationError) -> str:
    """Pydantic's report as one line: the setting, as the operator spells it, and why."""
    first = error.errors(include_url=False)[0]
    name = ".".join(str(part) for part in first["loc"]).upper() or "a setting"
    reason = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "literal_error":
        reason = f"must be one of {first['ctx']['expected']}"
    elif first["type"].startswith(("int_", "bool_")):
        reason = f"{reason.lower()} (got {first['input']!r})"
    # A validator's own message names its setting already.
    return reason if reason.startswith(name) else f"{name} {reason}"


def settings_problems(settings: Settings) -> list[str]:
    """What does not fit together in settings that are each well formed."""
    problems = []
    if settings.microsoft_app_type not in APP_TYPES:
        problems.append(
            f"MICROSOFT_APP_TYPE {settings.microsoft_app_type!r} is not one of "
            f"{', '.join(APP_TYPES)}"
        )
    elif (
        settings.microsoft_app_id
        and settings.microsoft_app_password is None
        and settings.microsoft_app_type != "UserAssignedMSI"
    ):
        problems.append(
            "MICROSOFT_APP_ID is set without MICROSOFT_APP_PASSWORD: set the bot's client "
            "secret, or set MICROSOFT_APP_ID empty for local use without authentication"
        )
    elif (
        settings.microsoft_app_type == "SingleTenant"
        and settings.microsoft_app_id
        and not settings.microsoft_app_tenant_id
    ):
        problems.append("MICROSOFT_APP_TYPE=SingleTenant needs MICROSOFT_APP_TENANT_ID")
    if settings.slack_bot_token is not None and not settings.slack_enabled:
        problems.append(
            "SLACK_BOT_TOKEN is set without SLACK_SIGNING_SECRET (for HTTP) or SLACK_APP_TOKEN "
            "(for Socket Mode): set one of them"
        )
    return problems


def check_settings(settings: Settings) -> None:
    """Raise the first problem in the settings, if any."""
    problems = settings_problems(settings)
    if problems:
        raise OperatorError(problems[0])


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException):
            yield current.orig
        current = current.__cause__ or current.__context__


def where(url: str) -> str:
    """A database URL without its password: what a line may show."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return url
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path}"


def database_line(error: BaseException, *, setting: str, url: str) -> str | None:
    """A database that cannot be used, as one line; None when the error is something else."""
    for cause in _chain(error):
        name = type(cause).__name__
        text = str(cause)
        if name == "InvalidCatalogNameError":
            database = urlsplit(url).path.lstrip("/") or "?"
            return (
                f"{setting}: the database {database!r} does not exist on {where(url)}; "
                f"create it (createdb {database}) or name one that exists"
            )
        if name in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
            return f"{setting}: PostgreSQL at {where(url)} refused the user or password ({text})"
        if isinstance(cause, sqlite3.OperationalError) and "unable to open" in text:
            return (
                f"{setting}: cannot open or create the SQLite file of {url}; its folder must "
                "exist and be writable (for example sqlite:///pepptalk.db)"
            )
        if isinstance(cause, sqlite3.OperationalError) and "readonly" in text:
            return f"{setting}: the SQLite file of {url} is read-only; make it writable"
        if isinstance(cause, ConnectionError | TimeoutError) or (
            isinstance(cause, OSError) and cause.errno in (errno.ECONNREFUSED, errno.EHOSTUNREACH)
        ):
            return (
                f"{setting}: cannot reach PostgreSQL at {where(url)} ({text or name}); start it, "
                "or fix the host and port"
            )
        if isinstance(cause, OSError) and "Name or service not known" in text:
            return f"{setting}: the host of {where(url)} is unknown; fix the host name"
    return None


def port_line(error: OSError, *, setting: str, port: int) -> str | None:
    """A port that cannot be listened on, as one line."""
    if error.errno == errno.EADDRINUSE:
        return (
            f"{setting}={port} is in use by another program: stop it, or set {setting} to a "
            "free port (0 picks one)"
        )
    if error.errno == errno.EACCES:
        return f"{setting}={port} needs privileges to listen on: use a port above 1023"
    return None
