"""Clocks tests move by hand."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class FakeClock:
    """Returns the time it was set to; `advance` moves it."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RunningClock(FakeClock):
    """A clock that runs: the time it was set to, plus the real (monotonic) seconds since. For
    tests where the sender really waits, so its clock and its sleeps agree as in production."""

    def __init__(self, now: datetime) -> None:
        super().__init__(now)
        self._since = time.monotonic()

    def __call__(self) -> datetime:
        return self.now + timedelta(seconds=time.monotonic() - self._since)

    def set(self, now: datetime) -> None:
        super().set(now)
        self._since = time.monotonic()
