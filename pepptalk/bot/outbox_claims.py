"""What a sender holds in the outbox while it works: a lease it keeps alive, and the marks of
what went out, written the moment the platform accepted each message.

A crash between the platform's yes and our mark is the one way a message goes twice; these keep
that window to the one message in flight, and let a restarted server take over within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from pepptalk.store.database import Database, reconnected
from pepptalk.store.outbox import SentResult

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# Short, and renewed while the sender works: a sender that dies holds its rows this long at most.
LEASE_FOR = timedelta(seconds=30)
RENEW_EVERY = timedelta(seconds=10)
# A send is not started this close to the end of the lease: another sender may take it after.
LEASE_MARGIN = timedelta(seconds=10)
# Rows renewed per statement, within SQLite's bound-parameter limit.
RENEW_CHUNK = 500
# How often a mark of what went out is written again before the rows are given up on.
MARK_TRIES = 3
DEADLOCK = "40P01"


class SentMarks:
    """Marks sent deliveries as soon as they are sent. Marks that arrive while a write is under
    way go together in the next one (a group commit), so many concurrent sends cost few writes
    and none waits behind a timer."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock
        self._waiting: list[tuple[SentResult, asyncio.Future[None]]] = []
        self._writing = asyncio.Lock()

    async def mark(self, result: SentResult) -> None:
        """Record one sent delivery; returns once it is stored (raises if it could not be)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((result, done))
        async with self._writing:
            if not done.done():
                group, self._waiting = self._waiting, []
                try:
                    await self._write([r for r, _ in group])
                except BaseException as error:
                    for _, waiter in group:
                        if waiter is not done and not waiter.done():
                            waiter.set_exception(error)
                    raise
                for _, waiter in group:
                    if not waiter.done():
                        waiter.set_result(None)
        await done

    async def _write(self, results: list[SentResult]) -> None:
        for attempt in range(1, MARK_TRIES + 1):
            try:
                async with self._database.uow() as uow:
                    await uow.outbox.mark_sent(results, now=self._clock())
                return
            except DBAPIError as error:
                # These went out: a mark lost to a dropped connection, or to a deadlock the
                # database broke by aborting us, would send them again. Write it again instead.
                if attempt == MARK_TRIES or not (reconnected(error) or _deadlocked(error)):
                    raise


def _deadlocked(error: DBAPIError) -> bool:
    """Whether the database aborted the statement to break a deadlock (PostgreSQL's 40P01)."""
    return getattr(error.orig, "sqlstate", None) == DEADLOCK


class Lease:
    """How long this sender holds each row it leased, pushed forward while it works."""

    def __init__(self, database: Database, clock: Clock, owner: str) -> None:
        self._database = database
        self._clock = clock
        self.owner = owner
        self._until: dict[int, datetime] = {}
        self._renewing = asyncio.Lock()
        # The earliest lease end held (None: none), so checks between renewals cost nothing.
        self._first_until: datetime | None = None

    def taken(self, ids: list[int], until: datetime) -> None:
        """These rows were leased until `until`."""
        for row in ids:
            self._until[row] = until
        self._first_until = min(self._first_until or until, until)

    def released(self, row: int) -> None:
        """The row is done with (sent, handed back or failed)."""
        self._until.pop(row, None)

    def ending(self, row: int) -> bool:
        """Too close to the end of the row's lease to start its send safely."""
        until = self._until.get(row)
        return until is None or self._clock() >= until - LEASE_MARGIN

    def _safe(self, *, due_only: bool) -> list[int]:
        """Rows whose lease has not run out, so no other sender can have taken them (and, with
        `due_only`, past their renewal time)."""
        now = self._clock()
        return [
            row
            for row, until in self._until.items()
            if now < until and (not due_only or now >= until - (LEASE_FOR - RENEW_EVERY))
        ]

    async def keep_up(self) -> None:
        """Renew now what is past its renewal time, by the drain's clock (which may run apart
        from the timer in `kept`)."""
        # Before every send: only look through the rows when the earliest lease is due, not
        # thousands of times a second over every row held.
        first = self._first_until
        if first is None or self._clock() < first - (LEASE_FOR - RENEW_EVERY):
            return
        if not self._safe(due_only=True):
            # What was due has been released since: look again from the earliest still held.
            self._first_until = min(self._until.values(), default=None)
            return
        async with self._renewing:
            rows = self._safe(due_only=True)
            if rows:
                await self._renew(rows)

    async def renew(self) -> None:
        """Push the lease on every row still safely ours to LEASE_FOR from now."""
        async with self._renewing:
            await self._renew(self._safe(due_only=False))

    async def _renew(self, rows: list[int]) -> None:
        if not rows:
            return
        until = self._clock() + LEASE_FOR
        # In id order across the chunks too: the order the marks lock rows in.
        rows = sorted(rows)
        try:
            async with self._database.uow() as uow:
                for start in range(0, len(rows), RENEW_CHUNK):
                    chunk = rows[start : start + RENEW_CHUNK]
                    await uow.outbox.renew_lease(chunk, owner=self.owner, until=until)
        except (SQLAlchemyError, OSError) as error:
            # Not renewed: sends stop at the old end (ending()), nothing goes twice.
            log.warning("could not renew the outbox lease: %s", type(error).__name__)
            return
        for row in rows:
            if row in self._until:
                self._until[row] = until
        self._first_until = min(self._until.values(), default=None)

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the lease every RENEW_EVERY for as long as the block runs."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(RENEW_EVERY.total_seconds())
                await self.renew()

        task = asyncio.create_task(keep())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
