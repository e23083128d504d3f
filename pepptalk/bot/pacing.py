"""Pacing the outbox sender: who waits, for how long, and whose turn it is after a platform
said to slow down. One drain's state; it knows nothing of what is sent."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]

# Where a pause applies: (platform, workspace, scope); scope None is the whole workspace.
PauseKey = tuple[str, str, str | None]
# When the platform does not say how long to wait: 1 s, 2 s, 4 s... up to a minute, each with up
# to half again of jitter, so sends that failed together do not come back together.
BACKOFF_FIRST = 1.0
BACKOFF_LONGEST = 60.0
# When it does say (Retry-After), that long and a little more: up to a tenth more, a second at
# most, so that senders told the same moment (other replicas too) do not all come back at once.
TOLD_JITTER = 0.1
TOLD_JITTER_MOST = 1.0
# Refusals that said nothing, this often in one drain: the send goes back to the outbox as a
# failed attempt, so a conversation that never gets better ends as FAILED after MAX_ATTEMPTS, not
# in an endless loop. Refusals that said how long to wait are waited out however many there are.
LIMITED_PER_DRAIN = 5
# After that many unexplained refusals in a row of a workspace or conversation, its other sends
# go back to the outbox for at least this long (the next tick), instead of each being refused.
GIVEN_UP_FOR = timedelta(minutes=1)


def told_wait(retry_after: float) -> float:
    """How long to wait when the platform said `retry_after` seconds: that, plus jitter."""
    wait = max(retry_after, 0.0)
    jitter = min(wait * TOLD_JITTER, TOLD_JITTER_MOST)
    return wait + jitter * random.random()  # noqa: S311 - jitter, not a secret


# Why a send went back to the outbox untried.
GAVE_UP = "rate limited again and again"
PAST_DEADLINE = "rate limited past its day"


@dataclass(frozen=True)
class Later:
    """Not now: the send goes back to the outbox, to go `at`, because `why`."""

    at: datetime
    why: str


def until_stopped(sleep: Sleep, stopping: asyncio.Event | None) -> Sleep:
    """`sleep`, cut short once `stopping` is set: a send waiting out a long Retry-After must not
    keep a stopping server from handing its row back."""
    if stopping is None:
        return sleep

    async def sleeping(seconds: float) -> None:
        if stopping.is_set():
            return
        slept = asyncio.ensure_future(sleep(seconds))
        stopped = asyncio.ensure_future(stopping.wait())
        try:
            await asyncio.wait({slept, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not slept.done():
                slept.cancel()
            await asyncio.gather(stopped, return_exceptions=True)
            with contextlib.suppress(asyncio.CancelledError):
                await slept  # a sleep that failed says so

    return sleeping


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
        self.waiting = waiting
        self._reopen: dict[PauseKey, datetime] = {}
        self._strikes: dict[PauseKey, int] = {}
        self._closings: dict[PauseKey, int] = {}
        self.turns: dict[PauseKey, asyncio.Lock] = {}

    def close(self, key: PauseKey, retry_after: float | None, *, seen: int = 0) -> None:
        """Pause `key`: as long as the platform asked (and a little jitter), else longer with
        each strike in a row.

        `seen` is how often `key` had been closed when the refused send went out: sends that
        were already under way when the first refusal came are refused together, and count
        as one closing, not one each. Only refusals that did not say how long are strikes: one
        that did is obeyed, and says nothing about whether the platform is failing."""
        first = self._closings.get(key, 0) == seen
        if first:
            self._closings[key] = seen + 1
        self.turns.setdefault(key, asyncio.Lock())
        if retry_after is None:
            strikes = self._strikes.get(key, 0) + (1 if first else 0)
            self._strikes[key] = strikes = max(strikes, 1)
            ceiling = min(BACKOFF_LONGEST, BACKOFF_FIRST * 2 ** (strikes - 1))
            wait = ceiling * (1 + random.random() / 2)  # noqa: S311 - jitter, not a secret
        else:
            wait = told_wait(retry_after)
        reopen = self._clock() + timedelta(seconds=wait)
        if key not in self._reopen or reopen > self._reopen[key]:
            self._reopen[key] = reopen

    def closings(self, key: PauseKey) -> int:
        """How often `key` has been closed in this drain (refusals of sends under way together
        counted once)."""
        return self._closings.get(key, 0)

    def now(self) -> datetime:
        """The sender's time."""
        return self._clock()

    def cleared(self, keys: set[PauseKey]) -> None:
        """A send went through: the next strike there starts the backoff afresh."""
        for key in keys:
            self._strikes.pop(key, None)

    def given_up(self, keys: set[PauseKey]) -> datetime | None:
        """When to try again, if one of `keys` was refused too often in a row in this drain
        without being told how long to wait (a storm): its sends go back to the outbox rather
        than each taking its own strikes."""
        if not any(self._strikes.get(key, 0) >= LIMITED_PER_DRAIN for key in keys):
            return None
        later = self._clock() + GIVEN_UP_FOR
        reopen = self.reopens(keys)
        return max(reopen, later) if reopen is not None else later

    def reopens(self, keys: set[PauseKey]) -> datetime | None:
        """When the last of `keys` reopens (None: none is paused)."""
        times = [self._reopen[key] for key in keys if key in self._reopen]
        return max(times) if times else None

    async def wait(self, keys: set[PauseKey], until: datetime | None = None) -> float | None:
        """Sleep until every one of `keys` is open; the seconds slept, or None (sleeping no
        further) when they would open only at `until` or later."""
        waited = 0.0
        seen: datetime | None = None
        # Each closing is waited out once, so a clock and a sleep that disagree cannot spin.
        while (reopen := self.reopens(keys)) is not None and reopen != seen:
            seen = reopen
            remaining = (seen - self._clock()).total_seconds()
            if remaining > 0:
                if until is not None and seen >= until:
                    return None
                await self._sleep(remaining)
                waited += remaining
        return waited

    @asynccontextmanager
    async def turn(self, keys: set[PauseKey]) -> AsyncIterator[Turn]:
        """A send's turn at `keys`, held from its first try to its last, so a send the platform
        refused tries again first once the pause is over, instead of queueing behind everyone
        else's (and collecting strikes there)."""
        turn = Turn(self, keys)
        try:
            yield turn
        finally:
            turn.release()


class Turn:
    """One send's hold on the turns of the keys it sends to."""

    def __init__(self, pauses: Pauses, keys: set[PauseKey]) -> None:
        self._pauses = pauses
        self.keys = keys
        self._held: list[asyncio.Lock] = []
        # How often each key had been closed when this send last went out.
        self.seen: dict[PauseKey, int] = {}

    async def ready(self, until: datetime | None = None) -> float | Later:
        """Hold the turn of each of `keys` that was limited and wait out their pauses; the
        seconds slept, or when to try again instead: the keys were given up on, or their pause
        runs to `until` (the send's deadline) or past it. Meanwhile the send counts as waiting,
        not as work in progress."""
        pauses = self._pauses
        # Always in one order, so two sends needing the same two turns cannot each hold one.
        wanted = [pauses.turns[k] for k in sorted(self.keys, key=str) if k in pauses.turns]
        reopen = pauses.reopens(self.keys)
        blocked = wanted != self._held or (reopen is not None and reopen > pauses.now())
        if blocked:
            pauses.waiting(1)
        try:
            if wanted != self._held:
                # A key became limited since: let go and take them all again, in order.
                self.release()
                for lock in wanted:
                    await lock.acquire()
                    self._held.append(lock)
            if (later := pauses.given_up(self.keys)) is not None:
                return Later(later, GAVE_UP)
            waited = await pauses.wait(self.keys, until)
            if waited is None:
                return Later(pauses.reopens(self.keys) or pauses.now(), PAST_DEADLINE)
            self.seen = {key: pauses.closings(key) for key in self.keys}
            return waited
        finally:
            if blocked:
                pauses.waiting(-1)

    def stale(self) -> bool:
        """Whether one of the keys was limited since `ready` said go (a send that was waiting
        for a slot meanwhile goes back to wait its turn, rather than earn a refusal too)."""
        return any(self._pauses.closings(key) != self.seen.get(key, 0) for key in self.keys)

    def release(self) -> None:
        """Let the next send have the turns."""
        for lock in reversed(self._held):
            lock.release()
        self._held.clear()
