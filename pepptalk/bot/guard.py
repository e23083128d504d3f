"""Handlers run guarded: a bug becomes a calm word to the user and a log line, never silence."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pepptalk.handlers.i18n import copy_for
from pepptalk.handlers.messages import Reply, text_reply

log = logging.getLogger(__name__)


async def guarded(
    work: Callable[[], Awaitable[Reply]], *, language: str = "en", what: str
) -> Reply:
    """Run a handler; if it breaks, log it and give the user a calm word instead of silence."""
    try:
        return await work()
    except Exception:
        log.exception("handling %s failed", what)
        return text_reply(copy_for(language)("errors.something_wrong"))
