"""What a fake CRM holds, whichever vendor's shapes it is served in: an account's owners, its
calls, meetings and won deals, and its goals. Each fake (HubSpot, Pipedrive, Salesforce) serves
one `CrmBook` per account, and the limits every fake shares: a token bucket, a storm of 429s,
revoked tokens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from pepptalk.core.crm import CrmGoal, CrmOwner, CrmRecord, GoalPeriod, RecordKind


@dataclass
class CrmBook:
    """One CRM account's data."""

    name: str = "Oslo Inside Sales AS"
    owners: list[CrmOwner] = field(default_factory=list)
    records: list[CrmRecord] = field(default_factory=list)
    goals: list[CrmGoal] = field(default_factory=list)

    def owner(self, owner_id: str, name: str, email: str | None = None) -> CrmOwner:
        """Add an owner."""
        found = CrmOwner(owner_id=owner_id, name=name, email=email)
        self.owners.append(found)
        return found

    def add(self, kind: RecordKind, owner_id: str, at: datetime, amount: float = 0.0) -> CrmRecord:
        """Add a record (its id follows the ones before it)."""
        record = CrmRecord(
            record_id=str(10_000 + len(self.records)),
            owner_id=owner_id,
            at=at,
            kind=kind,
            amount=amount,
        )
        self.records.append(record)
        return record

    def of(self, kind: RecordKind, since: datetime, until: datetime) -> list[CrmRecord]:
        """Records of `kind` in [since, until), oldest first then by id, as the CRMs sort."""
        found = [r for r in self.records if r.kind is kind and since <= r.at < until]
        return sorted(found, key=lambda r: (r.at, int(r.record_id)))


def busy_book(
    *,
    owners: int,
    first: date,
    days: int,
    seed: int = 7,
    prefix: str = "",
    domain: str = "corp.example",
) -> CrmBook:
    """A book of `owners` sellers working weekdays from `first` for `days` days: some calls,
    a meeting or two and now and then a won deal each day, at office hours in UTC."""
    rng = random.Random(seed)
    book = CrmBook()
    for number in range(1, owners + 1):
        book.owner(
            f"{prefix}{number}", f"Seller {prefix}{number}", f"seller{prefix}{number}@{domain}"
        )
    for offset in range(days):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for owner in book.owners:
            start = datetime.combine(day, time(7, 0), tzinfo=UTC)
            for _ in range(rng.randint(8, 14)):
                book.add(
                    RecordKind.CALL, owner.owner_id, start + timedelta(minutes=rng.randint(0, 480))
                )
            for _ in range(rng.randint(0, 2)):
                book.add(
                    RecordKind.MEETING,
                    owner.owner_id,
                    start + timedelta(minutes=rng.randint(0, 480)),
                )
            if rng.random() < 0.2:
                amount = float(rng.randint(10, 80) * 1000)
                book.add(RecordKind.DEAL_WON, owner.owner_id, start + timedelta(hours=5), amount)
    book.goals.append(CrmGoal(owner_id=None, metric="calls", period=GoalPeriod.DAY, value=60.0))
    return book
