"""A CRM as the habits see it: a port like `Chat`, so the habit logic never imports a vendor's
client. The runtime implements `CrmSource` once per CRM (HubSpot, Pipedrive, Salesforce) in
`bot/crm/`; the habits turn what it reads into the team's daily figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit


class CrmKind(StrEnum):
    """The CRMs Pepptalk reads."""

    HUBSPOT = "hubspot"
    PIPEDRIVE = "pipedrive"
    SALESFORCE = "salesforce"


class RecordKind(StrEnum):
    """What one CRM record counts as. Each kind is read as its own paged stream."""

    CALL = "call"
    MEETING = "meeting"
    DEAL_WON = "deal_won"


class GoalPeriod(StrEnum):
    """The period a goal is for."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class CrmProblem(StrEnum):
    """Why a CRM could not be read, as a leader can act on it."""

    REVOKED = "revoked"  # the token or the sign-in is no longer accepted
    SCOPE = "scope"  # the token lacks a permission Pepptalk needs
    ADDRESS = "address"  # no CRM at that address (a wrong company domain, say)
    DOWN = "down"  # the CRM did not answer, or answered with a server error
    LIMIT = "limit"  # the CRM's rate or daily limit is used up for now


class CrmError(Exception):
    """A CRM refused or failed. `detail` is safe to log and to show (never a token);
    `retry_after` says when trying again makes sense, when the CRM said."""

    def __init__(
        self, problem: CrmProblem, detail: str = "", *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail
        self.retry_after = retry_after


@dataclass
class CrmSecret:
    """What a connection needs to read a CRM (HubSpot: `token`; Pipedrive: `domain`, `token`;
    Salesforce: `instance_url`, `access_token`, `refresh_token`). A source that refreshes an
    access token writes it back with `update`, and the sync stores the secret again."""

    values: dict[str, str]
    changed: bool = False

    def __getitem__(self, key: str) -> str:
        return self.values[key]

    def get(self, key: str, default: str = "") -> str:
        """A value, or `default` when there is none."""
        return self.values.get(key, default)

    def update(self, **values: str) -> None:
        """Change values (a refreshed token), marking the secret to be stored again."""
        self.values.update(values)
        self.changed = True


@dataclass(frozen=True)
class CrmOwner:
    """A person who owns records in the CRM (a HubSpot owner, a Pipedrive user, a Salesforce
    user)."""

    owner_id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class CrmRecord:
    """One call made, meeting, or deal won: whose, when (timezone-aware), and for a deal its
    amount. `record_id` is the CRM's own id, so a record read twice counts once."""

    record_id: str
    owner_id: str
    at: datetime
    kind: RecordKind
    amount: float = 0.0


@dataclass(frozen=True)
class CrmPage:
    """One page of a stream, and the cursor of the next page (None: the stream is done)."""

    records: tuple[CrmRecord, ...]
    cursor: str | None


@dataclass(frozen=True)
class CrmGoal:
    """A goal kept in the CRM for one owner (None: the whole team), in Pepptalk's metric names
    (`calls`, `meetings`, `deals`, `sales`)."""

    owner_id: str | None
    metric: str
    period: GoalPeriod
    value: float


@dataclass
class CrmUsage:
    """What reading a CRM cost so far: requests, pages, time spent waiting on its limits."""

    requests: int = 0
    pages: int = 0
    waits: int = 0
    waited_seconds: float = 0.0


class CrmSource(Protocol):
    """One CRM's API, read for one connection's secret at a time. Implementations wait out the
    CRM's rate limits themselves (as it tells them to) and raise `CrmError` when they give up."""

    kind: CrmKind
    usage: CrmUsage

    async def check(self, secret: CrmSecret) -> str:
        """Prove the secret works; the account's name as the CRM shows it."""
        ...

    async def owners(self, secret: CrmSecret) -> list[CrmOwner]:
        """Everyone who owns records."""
        ...

    async def page(
        self,
        secret: CrmSecret,
        *,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        cursor: str | None,
    ) -> CrmPage:
        """One page of records of `kind` dated in [since, until), from `cursor` (None: the
        first page)."""
        ...

    async def goals(self, secret: CrmSecret, *, day: date) -> list[CrmGoal]:
        """The goals in force on `day` (empty where the CRM keeps none, or the plan lacks them)."""
        ...


class Sealer(Protocol):
    """Encrypts secrets before they are stored, and opens them again."""

    def seal(self, plaintext: str) -> str:
        """Ciphertext for `plaintext`."""
        ...

    def open(self, ciphertext: str) -> str:
        """The plaintext of stored ciphertext."""
        ...


@dataclass(frozen=True)
class CrmAccess:
    """The CRMs the operator's settings make reachable: a source per CRM, the sealer for their
    secrets (None: PEPPTALK_ENCRYPTION_KEY is not set, so nothing can be stored), and the address
    a leader opens to sign in to Salesforce (None: SALESFORCE_CLIENT_ID/SECRET or PUBLIC_URL
    is not set)."""

    sources: Mapping[CrmKind, CrmSource] = field(default_factory=dict)
    sealer: Sealer | None = None
    salesforce_start_url: str | None = None
    # Syncs since start by (CRM, outcome: "done" or the problem), for /metrics.
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)


_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PIPEDRIVE = ".pipedrive.com"


def company_domain(text: str) -> str | None:
    """The Pipedrive company domain (`acme`) in what a leader pastes: `acme`,
    `acme.pipedrive.com` or its address; None when the text cannot be one."""
    text = text.strip().lower()
    if not text:
        return None
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    if host.endswith(_PIPEDRIVE):
        host = host[: -len(_PIPEDRIVE)]
    return host if _LABEL.match(host) else None
