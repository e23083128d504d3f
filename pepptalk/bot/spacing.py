"""Spacing the outbox sender's sends before any platform has to say "too many": each platform's
published limits, per conversation and per workspace (a Teams tenant), kept by a log of when
each one was last sent to.

Teams publishes its limits and asks bots to stay under them rather than lean on its 429s; Slack
publishes no exact figures for chat.postMessage, and says exactly how long to wait when it
refuses, so by default only Teams is spaced. Time here is the process's monotonic clock: these
are rates the platform measures in real seconds, whatever clock the drain is told to keep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from pepptalk.core.kinds import Platform

# Where a send goes: (platform, workspace, scope); scope None is the whole workspace or tenant,
# as in pacing.PauseKey.
Key = tuple[str, str, str | None]
Sleep = Callable[[float], Awaitable[None]]
# Added to every window, for clocks that differ a little (ours, the platform's).
MARGIN = 0.05
# How often keys nobody sent to for a whole window are forgotten.
SWEEP_EVERY = 60.0


@dataclass(frozen=True)
class Window:
    """At most `sends` in any `seconds`."""

    sends: int
    seconds: float


@dataclass(frozen=True)
class Limits:
    """How fast one platform takes proactive sends: to one conversation (a Teams 1:1 chat or
    channel, a Slack DM or channel), and to one workspace or tenant as a whole."""

    conversation: tuple[Window, ...] = ()
    workspace: tuple[Window, ...] = ()

    def windows(self, key: Key) -> tuple[Window, ...]:
        """The windows that hold for `key`."""
        return self.workspace if key[2] is None else self.conversation


# Teams' per bot per thread limits on sending to a conversation, and its global limit per app
# per tenant (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit). The
# page has said 30 and later 50 requests a second per tenant; 30 stays under both.
TEAMS_LIMITS = Limits(
    conversation=(Window(7, 1), Window(8, 2), Window(60, 30), Window(1800, 3600)),
    workspace=(Window(30, 1),),
)
DEFAULT_LIMITS: Mapping[str, Limits] = {Platform.TEAMS: TEAMS_LIMITS}


class Place:
    """A send's place under the limits, taken when it starts. Once the send is over, the moment
    it ended stands for it: the request reached the platform by then at the latest, however long
    it took to leave (a database read, a token), so the next send measured from there cannot
    come closer to it than the limits allow."""

    __slots__ = ("_now", "at")

    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now
        self.at = now()

    def done(self) -> None:
        """The send is over (accepted, refused or failed)."""
        self.at = max(self.at, self._now())


class Spacing:
    """When each key may next be sent to, under its platform's `limits` (a platform not named
    is not spaced). One per process, so one drain after another keeps to the same limits."""

    def __init__(
        self,
        limits: Mapping[str, Limits] = DEFAULT_LIMITS,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = dict(limits)
        self.now = now
        self.sleep = sleep
        self._sent: dict[Key, list[Place]] = {}
        self._swept = now()

    def ahead(self, keys: Iterable[Key]) -> float:
        """Seconds until a send to all of `keys` keeps within their limits (0: now)."""
        now = self.now()
        wait = 0.0
        for key in keys:
            places = self._sent.get(key)
            if not places:
                continue
            times = sorted(place.at for place in places)
            for window in self._windows(key):
                if len(times) >= window.sends:
                    # The send `sends` back must have left the window before one more fits.
                    wait = max(wait, times[-window.sends] + window.seconds + MARGIN - now)
        return max(wait, 0.0)

    def take(self, keys: Iterable[Key]) -> Place:
        """A send to `keys` starts now: its place, to be told when the send is over."""
        place = Place(self.now)
        now = place.at
        for key in keys:
            windows = self._windows(key)
            if not windows:
                continue
            longest = max(w.seconds for w in windows) + MARGIN
            most = max(w.sends for w in windows)
            places = [p for p in self._sent.get(key, ()) if now - p.at <= longest]
            places.append(place)
            if len(places) > most:
                places = sorted(places, key=lambda p: p.at)[-most:]
            self._sent[key] = places
        if now - self._swept >= SWEEP_EVERY:
            self._sweep(now)
        return place

    def _windows(self, key: Key) -> tuple[Window, ...]:
        limits = self.limits.get(key[0])
        return limits.windows(key) if limits is not None else ()

    def _sweep(self, now: float) -> None:
        """Forget keys whose last send has left their longest window: a day of one message per
        person must not keep every person's key for ever."""
        self._swept = now
        for key in [k for k in self._sent if self._done(k, now)]:
            del self._sent[key]

    def _done(self, key: Key, now: float) -> bool:
        windows = self._windows(key)
        longest = max((w.seconds for w in windows), default=0.0) + MARGIN
        return all(now - place.at > longest for place in self._sent[key])
