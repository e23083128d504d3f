"""What Pepptalk does for a Slack request once Slack has its ack.

Bolt runs each listener before it answers the request (process_before_response), so a quick
answer can go in the ack itself. Work that has to wait for the ack (a button's answer, an event,
a slow command) runs here as a task; replies to a response_url go over one shared HTTP session
(Bolt's respond() opens one per reply, and under load that work competes with the acks). On
shutdown the tasks get a moment to finish, so an answer under way is not cut off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp

log = logging.getLogger(__name__)
FINISH_WITHIN = 10.0


class AfterAck:
    """Tasks started after an ack, and the session their replies are posted with."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` now, apart from the request (kept, so it is not collected mid-way)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("work after a Slack ack failed", exc_info=task.exception())

    async def post(self, url: str, body: dict[str, Any]) -> None:
        """POST one reply to a response_url; Slack's answer is logged when it refuses."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._session.post(url, json=body) as response:
                if response.status >= 400:
                    log.warning("response_url refused a reply: %d", response.status)
        except (TimeoutError, aiohttp.ClientError) as error:
            log.warning("response_url unreachable: %s", type(error).__name__)

    async def close(self) -> None:
        """Let work under way finish (for a while), then close the session."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=FINISH_WITHIN)
        if self._session is not None:
            await self._session.close()
