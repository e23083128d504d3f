"""HubSpot as a `CrmSource`: calls, meetings and won deals through the CRM v3 search API, its
owners, and its goal targets, read with a private app's access token.

The token goes in the `Authorization: Bearer` header only. HubSpot's search API keeps its own
limit (about five requests a second per account) and answers 429, often without Retry-After;
`CrmHttp` then waits a second and tries again. A 429 whose `policyName` is DAILY means the
account's daily allowance is spent: waiting seconds will not help, so it becomes
`CrmError(LIMIT)` at once.

One search query returns at most 10,000 results. A stream longer than that goes on with a new
query whose lower bound is the last timestamp read, skipping the ids already returned at that
exact timestamp; the cursor carries all of it, so a read resumes anywhere.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pepptalk.bot.crm.http import Answer, CrmHttp, Sleep
from pepptalk.bot.crm.hubspot_goals import GOAL_PROPERTIES, goal_from, hubspot_time
from pepptalk.core.crm import (
    CrmError,
    CrmGoal,
    CrmKind,
    CrmOwner,
    CrmPage,
    CrmProblem,
    CrmRecord,
    CrmSecret,
    CrmUsage,
    RecordKind,
)

DEFAULT_BASE_URL = "https://api.hubapi.com"

# The private app's scopes Pepptalk needs. Calls and meetings are engagements: HubSpot reads
# (and searches) them under the contacts scope, there is no calls or meetings read scope.
SCOPES: tuple[str, ...] = (
    "crm.objects.owners.read",
    "crm.objects.deals.read",
    "crm.objects.contacts.read",
    "crm.objects.goals.read",
)


@dataclass(frozen=True)
class SearchSource:
    """Which HubSpot object a record kind is searched in, the property dating it, and the
    filter (property, value) that must also hold."""

    object_type: str
    date_property: str
    flag: tuple[str, str] | None = None


# Which HubSpot object becomes which record, and which of its properties dates it. Calls are
# dated by `hs_timestamp` (when the call was made), meetings by `hs_meeting_start_time` (when it
# takes or took place), won deals by `closedate` (when they were closed won), with the deal's
# `amount` in the account's currency. Every record belongs to its `hubspot_owner_id`.
RECORD_SOURCES: Mapping[RecordKind, SearchSource] = {
    RecordKind.CALL: SearchSource("calls", "hs_timestamp"),
    RecordKind.MEETING: SearchSource("meetings", "hs_meeting_start_time"),
    RecordKind.DEAL_WON: SearchSource("deals", "closedate", ("hs_is_closed_won", "true")),
}

# HubSpot's search pages hold up to 200; 100 keeps one slow page small.
PAGE_SIZE = 100
# The most results one search query gives: paging past it answers 400.
SEARCH_CAP = 10_000
# The owners list takes up to 500 a page.
OWNERS_PAGE = 500


def _ms(moment: datetime) -> int:
    """Epoch milliseconds of the first whole millisecond at or after `moment`."""
    return math.ceil(moment.timestamp() * 1000)


def _at_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def _limited(answer: Answer) -> float | None:
    """A 429 for the daily allowance raises at once; any other is left to `CrmHttp`."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    if answer.status == 429 and str(body.get("policyName", "")).upper() == "DAILY":
        # The allowance comes back at midnight in the account's own time zone, which this
        # answer does not say: the sync tries again on its next run.
        raise CrmError(CrmProblem.LIMIT, "HubSpot's daily API limit is used up")
    return None


def _refusal(answer: Answer) -> CrmError:
    """A 4xx in Pepptalk's terms. The detail names HubSpot's category, never its message."""
    body = answer.body if isinstance(answer.body, Mapping) else {}
    category = str(body.get("category") or "")
    if answer.status == 401:
        return CrmError(
            CrmProblem.REVOKED, f"HubSpot did not accept the token ({category or 'unauthorized'})"
        )
    if answer.status == 403:
        scopes = sorted(
            {
                str(scope)
                for error in body.get("errors") or []
                if isinstance(error, Mapping)
                for scope in (error.get("context") or {}).get("requiredGranularScopes") or []
            }
        )
        if scopes:
            return CrmError(CrmProblem.SCOPE, "the HubSpot app lacks scopes: " + ", ".join(scopes))
        return CrmError(CrmProblem.SCOPE, f"HubSpot refused access ({category or 'forbidden'})")
    if answer.status == 404 and not category:
        # HubSpot has no per-account address; a 404 not in its error shape means base_url
        # does not lead to HubSpot's API at all.
        return CrmError(CrmProblem.ADDRESS, "no HubSpot API at the configured address")
    return CrmError(CrmProblem.DOWN, f"HubSpot answered {answer.status} {category}".rstrip())


@dataclass
class _Cursor:
    """Where a stream stands: the query's lower bound (epoch ms) and the ids at exactly that
    instant it must skip, HubSpot's `after` within the query, and the latest instant returned
    with the ids returned at it (the next query's bound and skip list)."""

    kind: str
    low: int
    skip: list[str]
    after: str | None
    last: int
    last_ids: list[str]

    def encode(self) -> str:
        """The cursor as the text the caller stores."""
        return json.dumps(
            {
                "v": 1,
                "kind": self.kind,
                "low": self.low,
                "skip": self.skip,
                "after": self.after,
                "last": self.last,
                "last_ids": self.last_ids,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str, kind: RecordKind) -> _Cursor:
        """A stored cursor of a `kind` stream."""
        data = json.loads(text)
        if data.get("v") != 1 or data.get("kind") != kind.value:
            raise ValueError("not a HubSpot cursor for this kind of record")
        return cls(
            kind=kind.value,
            low=int(data["low"]),
            skip=[str(i) for i in data["skip"]],
            after=data["after"],
            last=int(data["last"]),
            last_ids=[str(i) for i in data["last_ids"]],
        )


class HubSpotSource:
    """Reads one HubSpot account per secret (`token`: a private app access token)."""

    kind = CrmKind.HUBSPOT

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.usage = CrmUsage()
        self._http = CrmHttp(
            name="HubSpot", usage=self.usage, limited=_limited, sleep=sleep, timeout=timeout
        )

    async def close(self) -> None:
        """Release the HTTP session."""
        await self._http.close()

    async def check(self, secret: CrmSecret) -> str:
        """The account's name as HubSpot shows it (its portal id), proving the token works."""
        body = await self._call(secret, "GET", "/account-info/v3/details")
        portal = body.get("portalId")
        return f"HubSpot account {portal}" if portal is not None else "HubSpot account"

    async def owners(self, secret: CrmSecret) -> list[CrmOwner]:
        """Every owner of the account."""
        return [
            CrmOwner(owner_id=str(row["id"]), name=_owner_name(row), email=row.get("email"))
            for row in await self._owner_rows(secret)
        ]

    async def _owner_rows(self, secret: CrmSecret) -> list[Mapping[str, Any]]:
        rows: list[Mapping[str, Any]] = []
        after: str | None = None
        while True:
            params = {"limit": str(OWNERS_PAGE)}
            if after:
                params["after"] = after
            body = await self._call(secret, "GET", "/crm/v3/owners", params=params)
            rows.extend(body.get("results") or [])
            after = _next_after(body)
            if after is None:
                return rows

    async def page(
        self,
        secret: CrmSecret,
        *,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        cursor: str | None,
    ) -> CrmPage:
        """One page of calls, meetings or won deals dated in [since, until), oldest first."""
        source = RECORD_SOURCES[kind]
        if cursor:
            state = _Cursor.decode(cursor, kind)
        else:
            low = _ms(since)
            state = _Cursor(kind.value, low, [], None, low, [])
        high = _ms(until)
        filters: list[dict[str, str]] = [
            {"propertyName": source.date_property, "operator": "GTE", "value": str(state.low)},
            {"propertyName": source.date_property, "operator": "LT", "value": str(high)},
        ]
        if source.flag is not None:
            filters.append(
                {"propertyName": source.flag[0], "operator": "EQ", "value": source.flag[1]}
            )
        request: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            # The restart after 10,000 results relies on this order: everything before the
            # last timestamp read has been returned.
            "sorts": [{"propertyName": source.date_property, "direction": "ASCENDING"}],
            "properties": [source.date_property, "hubspot_owner_id", "amount"],
            "limit": PAGE_SIZE,
        }
        if state.after is not None:
            request["after"] = state.after
        body = await self._call(
            secret, "POST", f"/crm/v3/objects/{source.object_type}/search", json_body=request
        )
        skip = set(state.skip)
        records = []
        for row in body.get("results") or []:
            record_id = str(row.get("id"))
            properties = row.get("properties") or {}
            at = hubspot_time(properties.get(source.date_property))
            if at is None:
                continue
            stamp = _at_ms(at)
            if stamp == state.last:
                if record_id not in state.last_ids:
                    state.last_ids.append(record_id)
            elif stamp > state.last:
                state.last, state.last_ids = stamp, [record_id]
            if stamp == state.low and record_id in skip:
                continue  # returned by the query before this one
            owner = properties.get("hubspot_owner_id")
            if not owner or not since <= at < until:
                continue  # nobody's record counts for no one; the window is the caller's
            amount = properties.get("amount") if kind is RecordKind.DEAL_WON else None
            records.append(
                CrmRecord(
                    record_id=record_id,
                    owner_id=str(owner),
                    at=at,
                    kind=kind,
                    amount=float(amount or 0.0),
                )
            )
        self.usage.pages += 1
        after = _next_after(body)
        if after is None:
            return CrmPage(records=tuple(records), cursor=None)
        if _offset(after) + PAGE_SIZE > SEARCH_CAP:
            # The next page would pass what one query returns: a new query from the last
            # timestamp read, skipping the ids already returned at it.
            state = _Cursor(
                kind.value, state.last, state.last_ids, None, state.last, state.last_ids
            )
        else:
            state.after = after
        return CrmPage(records=tuple(records), cursor=state.encode())

    async def goals(self, secret: CrmSecret, *, day: date) -> list[CrmGoal]:
        """Goal targets for calls, meetings, deals won and revenue in force on `day`; none
        when the app lacks the goals scope or the plan has no goals."""
        rows: list[Mapping[str, Any]] = []
        after: str | None = None
        while True:
            params = {"limit": "100", "properties": ",".join(GOAL_PROPERTIES)}
            if after:
                params["after"] = after
            body = await self._call(
                secret, "GET", "/crm/v3/objects/goal_targets", params=params, quiet=True
            )
            if body is None:
                return []
            rows.extend(body.get("results") or [])
            after = _next_after(body)
            if after is None:
                break
        if not rows:
            return []
        # Targets are assigned to HubSpot users; records belong to owners. An owner names the
        # user it is.
        owner_of = {
            str(row["userId"]): str(row["id"])
            for row in await self._owner_rows(secret)
            if row.get("userId") is not None
        }
        noon = datetime.combine(day, time(12), UTC)
        goals = []
        for row in rows:
            properties = row.get("properties") or {}
            goal = goal_from(properties, noon, owner_of)
            if goal is not None:
                goals.append(goal)
        return goals

    async def _call(
        self,
        secret: CrmSecret,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        quiet: bool = False,
    ) -> Any:
        """A request's JSON body. With `quiet`, a 403 or 404 gives None (goals the app or the
        plan lacks)."""
        token = secret.get("token")
        if not token:
            raise CrmError(CrmProblem.REVOKED, "no HubSpot token is stored")
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        answer = await self._http.request(
            method, self.base_url + path, headers=headers, params=params, json_body=json_body
        )
        if answer.status < 300:
            if not isinstance(answer.body, Mapping):
                raise CrmError(CrmProblem.ADDRESS, "no HubSpot API at the configured address")
            return answer.body
        if quiet and answer.status in (403, 404):
            return None
        raise _refusal(answer)


def _offset(after: str) -> int:
    """How far into the query's results `after` points (HubSpot's search counts results)."""
    try:
        return int(after)
    except ValueError:
        return 0


def _owner_name(row: Mapping[str, Any]) -> str:
    name = f"{row.get('firstName') or ''} {row.get('lastName') or ''}".strip()
    return name or str(row.get("email") or row.get("id"))


def _next_after(body: Mapping[str, Any]) -> str | None:
    """HubSpot's `paging.next.after`, when there is a next page."""
    following = (body.get("paging") or {}).get("next") or {}
    after = following.get("after")
    return str(after) if after not in (None, "") else None
