"""A clock the visitor can move forward, to watch scheduled messages arrive."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from pepptalk.bot.services import Clock, system_clock


class PlaygroundClock:
    """Real time plus an offset that only grows: the outbox never sees time run backwards.

    The offset is what the playground keeps in its database, so a restart goes on at the demo's
    time, not at today's."""

    def __init__(
        self, zone: ZoneInfo, real: Clock = system_clock, offset: timedelta = timedelta()
    ) -> None:
        self.zone = zone
        self._real = real
        self.offset = offset

    def __call__(self) -> datetime:
        return self._real() + self.offset

    def local(self) -> datetime:
        """The playground's time in its team's zone."""
        return self().astimezone(self.zone)

    def move_to(self, moment: datetime) -> bool:
        """Jump to `moment` if it is ahead; returns whether the clock moved."""
        ahead = moment.astimezone(UTC) - self()
        if ahead <= timedelta():
            return False
        self.offset += ahead
        return True

    def next_at(
        self, hhmm: time, *, skip_weekends: bool = False, weekday: int | None = None
    ) -> datetime:
        """The next time the wall clock shows `hhmm` (today if still ahead, else a later day),
        on a weekday (0 is Monday) when one is given."""
        local = self.local()
        day: date = local.date()
        candidate = datetime.combine(day, hhmm, tzinfo=self.zone)
        while (
            candidate <= local
            or (skip_weekends and candidate.weekday() >= 5)
            or (weekday is not None and candidate.weekday() != weekday)
        ):
            day += timedelta(days=1)
            candidate = datetime.combine(day, hhmm, tzinfo=self.zone)
        return candidate
