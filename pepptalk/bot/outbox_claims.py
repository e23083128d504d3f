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
        for attempt in (1, 2):
            try:
                async with self._database.uow() as uow:
                    await uow.outbox.mark_sent(results, now=self._clock())
                return
            except DBAPIError as error:
                # These went out: a mark lost to a dropped connection would send them again.
                if attempt == 2 or not reconnected(error):
                    raise


class Lease:
    """The end of this sender's lease on its rows, pushed forward while it works."""

    def __init__(self, database: Database, clock: Clock, owner: str) -> None:
        self._database = database
        self._clock = clock
        self.owner = owner
        self.until: datetime | None = None
        self._held: list[int] = []
        self._renewing = asyncio.Lock()

    def taken(self, ids: list[int], until: datetime) -> None:
        """These rows (the batch now being sent) were leased until `until`."""
        self._held, self.until = ids, until

    async def keep_up(self) -> None:
        """Renew now if the lease is past its renewal time and still safely ours (by the
        drain's clock, which may run apart from the timer in `kept`)."""
        if not self._due():
            return
        async with self._renewing:
            if self._due():
                try:
                    await self.renew()
                except (SQLAlchemyError, OSError) as error:
                    log.warning("could not renew the outbox lease: %s", type(error).__name__)

    def _due(self) -> bool:
        if self.until is None:
            return False
        now = self._clock()
        return self.until - (LEASE_FOR - RENEW_EVERY) <= now < self.until - LEASE_MARGIN

    def ending(self) -> bool:
        """Too close to the lease's end to start a send safely."""
        return self.until is not None and self._clock() >= self.until - LEASE_MARGIN

    async def renew(self) -> None:
        """Push the lease on every row this sender still holds to LEASE_FOR from now."""
        until = self._clock() + LEASE_FOR
        async with self._database.uow() as uow:
            await uow.outbox.renew_lease(self._held, owner=self.owner, until=until)
        self.until = until

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the lease every RENEW_EVERY for as long as the block runs."""

        async def keep() -> None:
            while True:
                await asyncio.sleep(RENEW_EVERY.total_seconds())
                try:
                    await self.renew()
                except (SQLAlchemyError, OSError) as error:
                    # Not renewed: sends stop at the old end (ending()), nothing goes twice.
                    log.warning("could not renew the outbox lease: %s", type(error).__name__)

        task = asyncio.create_task(keep())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
