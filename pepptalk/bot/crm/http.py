"""HTTP for the CRM sources: one aiohttp session, JSON in and out, and each CRM's limits obeyed.

aiohttp directly rather than each vendor's SDK: hubspot-api-client and simple-salesforce are
synchronous (requests), so every call would need a worker thread, and neither tells its caller
how long the CRM asked it to wait. Here a 429 (or what a CRM says instead, through `limited`) is
waited out exactly as long as `Retry-After` says, plus a little jitter, and tried again; a
server error or a dropped connection is tried again a few times with growing pauses. What still
fails becomes a `CrmError` a leader can act on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from pepptalk.core.crm import CrmError, CrmProblem, CrmUsage

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
# A CRM's own way of saying "slow down" (Salesforce's REQUEST_LIMIT_EXCEEDED, Pipedrive's reset
# header): seconds to wait, or None when the answer is not that.
Limited = Callable[["Answer"], float | None]

# How long one wait may be before the sync gives up for now and resumes on its next run.
LONGEST_WAIT = 120.0
# How many times in a row one request may be limited, or fail on the server, before giving up.
LIMITED_TRIES = 30
FAILED_TRIES = 4


@dataclass(frozen=True)
class Answer:
    """A CRM's answer: status, headers, and the body as JSON (None when it was not JSON)."""

    status: int
    headers: Mapping[str, str]
    body: Any

    def header_seconds(self, name: str) -> float | None:
        """A header holding a number of seconds (Retry-After), when it does."""
        value = self.headers.get(name)
        try:
            return max(0.0, float(value)) if value is not None else None
        except ValueError:
            return None


class CrmHttp:
    """One session for one CRM's API, counting what it costs in `usage`."""

    def __init__(
        self,
        *,
        name: str,
        usage: CrmUsage | None = None,
        limited: Limited | None = None,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.usage = usage or CrmUsage()
        self._limited = limited
        self._sleep = sleep
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Release the session's connections."""
        if self._session is not None:
            await self._session.close()

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
    ) -> Answer:
        """Send a request, waiting out rate limits and retrying server errors; the answer for
        any other status (the caller reads 4xx in its CRM's terms)."""
        limited = failed = 0
        while True:
            try:
                answer = await self._send(method, url, headers, params, json_body, form)
            except (aiohttp.ClientError, TimeoutError) as error:
                failed += 1
                if failed >= FAILED_TRIES:
                    # The error's text may hold the URL, never a token: tokens go in headers.
                    raise CrmError(CrmProblem.DOWN, type(error).__name__) from None
                await self._pause(2.0**failed)
                continue
            wait = self._wait(answer)
            if wait is not None:
                limited += 1
                if limited >= LIMITED_TRIES or wait > LONGEST_WAIT:
                    raise CrmError(CrmProblem.LIMIT, f"{self.name} limit", retry_after=wait)
                await self._pause(wait + random.uniform(0.0, 0.25))  # noqa: S311 - jitter
                continue
            if answer.status >= 500:
                failed += 1
                if failed >= FAILED_TRIES:
                    raise CrmError(CrmProblem.DOWN, f"{self.name} answered {answer.status}")
                await self._pause(2.0**failed)
                continue
            return answer

    def _wait(self, answer: Answer) -> float | None:
        """How long the CRM asked us to wait, when this answer says so."""
        if self._limited is not None:
            own = self._limited(answer)
            if own is not None:
                return own
        if answer.status == 429:
            said = answer.header_seconds("Retry-After")
            return 1.0 if said is None else said
        return None

    async def _pause(self, seconds: float) -> None:
        self.usage.waits += 1
        self.usage.waited_seconds += seconds
        await self._sleep(seconds)

    async def _send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        params: Mapping[str, str] | None,
        json_body: Any,
        form: Mapping[str, str] | None,
    ) -> Answer:
        self.usage.requests += 1
        async with self._open().request(
            method, url, headers=headers, params=params, json=json_body, data=form
        ) as response:
            raw = await response.read()
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            return Answer(response.status, response.headers.copy(), body)
