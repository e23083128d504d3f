"""Pacing the outbox sender: who waits, for how long, and whose turn it is after a platform
said to slow down. One drain's state; it knows nothing of what is sent."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# Where a pause applies: (platform, workspace, scope); scope None is the whole workspace.
PauseKey = tuple[str, str, str | None]
# When the platform does not say how long to wait: 1 s, 2 s, 4 s... up to a minute, each with up
# to half again of jitter, so sends that failed together do not come back together.
BACKOFF_FIRST = 1.0
BACKOFF_LONGEST = 60.0
# A send limited this often in one drain goes back to the outbox as a failed attempt, so a
# conversation that never gets better ends as FAILED after MAX_ATTEMPTS, not in an endless loop.
LIMITED_PER_DRAIN = 5
# After that many refusals in a row of a workspace or conversation, its other sends go back to
# the outbox for at least this long (the next tick), instead of each being refused in turn.
GIVEN_UP_FOR = timedelta(minutes=1)


class Pauses:
    """Who must wait, keyed by what the platform said is limited: a Slack 429 pauses its
    workspace, a Teams 429/412/502/504 only the conversation that answered it.

    Once a key has been limited, its sends take turns, one at a time: when the pause ends, one
    send tries, and the next goes when it got through. Everyone waiting on a key letting go at
    once would only earn another 429 each (and burn their tries); keys never limited send as
    many at once as the sender allows.
    """

    def __init__(self, clock: Clock, sleep: Sleep, waiting: Callable[[int], None]) -> None:
        self._clock = clock
        self._sleep = sleep
        self._waiting = waiting
        self._reopen: dict[PauseKey, datetime] = {}
        self._strikes: dict[PauseKey, int] = {}
        self._turns: dict[PauseKey, asyncio.Lock] = {}

    def close(self, key: PauseKey, retry_after: float | None) -> None:
        """Pause `key`: as long as the platform asked, else longer with each strike in a row."""
        strikes = self._strikes.get(key, 0) + 1
        self._strikes[key] = strikes
        self._turns.setdefault(key, asyncio.Lock())
        if retry_after is None:
            ceiling = min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** (strikes - 1))
            wait = ceiling * (1 + random.random() / 2)  # noqa: S311 - jitter, not a secret
        else:
            wait = max(retry_after, 0.0)
        reopen = self._clock() + timedelta(seconds=wait)
        if key not in self._reopen or reopen > self._reopen[key]:
            self._reopen[key] = reopen

    def cleared(self, keys: set[PauseKey]) -> None:
        """A send went through: the next strike there starts the backoff afresh."""
        for key in keys:
            self._strikes.pop(key, None)

    def given_up(self, keys: set[PauseKey]) -> datetime | None:
        """When to try again, if one of `keys` was refused too often in a row in this drain (a
        storm): its sends go back to the outbox rather than each taking its own strikes."""
        if not any(self._strikes.get(key, 0) >= LIMITED_PER_DRAIN for key in keys):
            return None
        later = self._clock() + GIVEN_UP_FOR
        reopen = self.reopens(keys)
        return max(reopen, later) if reopen is not None else later

    def reopens(self, keys: set[PauseKey]) -> datetime | None:
        """When the last of `keys` reopens (None: none is paused)."""
        times = [self._reopen[key] for key in keys if key in self._reopen]
        return max(times) if times else None

    async def _wait(self, keys: set[PauseKey]) -> float:
        """Sleep until every one of `keys` is open; returns the seconds slept."""
        waited = 0.0
        seen: datetime | None = None
        # Each closing is waited out once, so a clock and a sleep that disagree cannot spin.
        while (reopen := self.reopens(keys)) is not None and reopen != seen:
            seen = reopen
            remaining = (seen - self._clock()).total_seconds()
            if remaining > 0:
                await self._sleep(remaining)
                waited += remaining
        return waited

    @asynccontextmanager
    async def turn(self, keys: set[PauseKey]) -> AsyncIterator[float | None]:
        """Hold the turn to send to `keys` (wait for it and for their pauses to end); yields the
        seconds slept, or None when `keys` were given up on. While waiting, the send counts as
        waiting, not as work in progress."""
        # Always in one order, so two sends needing the same two turns cannot each hold one.
        turns = [self._turns[k] for k in sorted(keys, key=str) if k in self._turns]
        held: list[asyncio.Lock] = []
        blocked = bool(turns) or self.reopens(keys) is not None
        if blocked:
            self._waiting(1)
        try:
            for lock in turns:
                await lock.acquire()
                held.append(lock)
            waited = None if self.given_up(keys) else await self._wait(keys)
            if blocked:
                blocked = False
                self._waiting(-1)
            yield waited
        finally:
            if blocked:
                self._waiting(-1)
            for lock in held:
                lock.release()
