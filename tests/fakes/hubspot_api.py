"""A local stand-in for HubSpot's API: account details, owners, the CRM v3 search endpoints for
calls, meetings and deals, and goal targets, serving one `CrmBook` per private app token.

It answers in HubSpot's shapes: search results with `total`, `results` (`id`, `properties` as
strings, dates in ISO-8601) and `paging.next.after`; errors as `{"status": "error", "message",
"correlationId", "category"}` (401 INVALID_AUTHENTICATION, 403 MISSING_SCOPES naming the
`requiredGranularScopes`, 400 VALIDATION_ERROR for paging past the 10,000 results one search
query gives); 429 as `{"errorType": "RATE_LIMIT", "policyName": ...}` without Retry-After, as
HubSpot's search API sends it. The search really filters by the filterGroups it is sent.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from pepptalk.core.crm import CrmGoal, CrmOwner, CrmRecord, GoalPeriod, RecordKind
from tests.fakes.crm_book import CrmBook
from tests.fakes.slack_api import Bucket

ALL_SCOPES = frozenset(
    ("oauth", *(f"crm.objects.{o}.read" for o in ("owners", "deals", "contacts", "goals")))
)
SEARCH_CAP = 10_000
MAX_SEARCH_PAGE = 200
# Each searchable object: the record kind it holds, its date property, the scope it needs.
OBJECTS: dict[str, tuple[RecordKind, str, str]] = {
    "calls": (RecordKind.CALL, "hs_timestamp", "crm.objects.contacts.read"),
    "meetings": (RecordKind.MEETING, "hs_meeting_start_time", "crm.objects.contacts.read"),
    "deals": (RecordKind.DEAL_WON, "closedate", "crm.objects.deals.read"),
}
# The scope each endpoint needs, by the object it reads.
SCOPE_OF = {
    "owners": "crm.objects.owners.read",
    "goal_targets": "crm.objects.goals.read",
    **{name: scope for name, (_, _, scope) in OBJECTS.items()},
}
# The range operators the fake understands: (property, value, highValue) -> passes.
RANGES: dict[str, Callable[[int, int, int], bool]] = {
    "GTE": lambda at, value, _: at >= value,
    "GT": lambda at, value, _: at > value,
    "LT": lambda at, value, _: at < value,
    "LTE": lambda at, value, _: at <= value,
    "BETWEEN": lambda at, value, high: value <= at <= high,
}
# What /account-info/v3/details says besides the portal id.
DETAILS = {
    "accountType": "STANDARD",
    "timeZone": "Europe/Oslo",
    "companyCurrency": "NOK",
    "additionalCurrencies": [],
    "uiDomain": "app-eu1.hubspot.com",
    "dataHostingLocation": "eu1",
}
GOAL_NAMES = {"calls": "Calls made", "meetings": "Meetings booked", "deals": "Deals won"}


@dataclass
class Account:
    """One HubSpot account behind a token."""

    book: CrmBook
    portal_id: int
    scopes: frozenset[str]
    bucket: Bucket
    # Deals not won (open or lost): the search must leave them out of won deals.
    other_deals: list[CrmRecord] = field(default_factory=list)
    # Requests left today (None: no daily limit).
    daily_left: int | None = None


# What the gate hands an endpoint: the token's account and the JSON body.
ACCOUNT = web.RequestKey("account", Account)
BODY: web.RequestKey[dict[str, Any]] = web.RequestKey("body", dict)


@dataclass
class Seen:
    """One request as the fake saw it (never its token)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    portal_id: int | None
    status: int = 200


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@functools.cache  # the same few values come back on every page of a long read
def _epoch_ms(value: Any) -> int:
    """A filter value: epoch milliseconds, or an ISO date/time (HubSpot takes both)."""
    text = str(value)
    if text.lstrip("-").isdigit():
        return int(text)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return round(parsed.replace(tzinfo=parsed.tzinfo or UTC).timestamp() * 1000)


def _error(status: int, message: str, headers: Any = None, **more: Any) -> web.Response:
    """HubSpot's error body: `category` for most errors, `errorType` and `policyName` for
    limits."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), **more}
    return web.json_response(body, status=status, headers=headers)


def _rate_limited(policy: str, headers: dict[str, str] | None = None) -> web.Response:
    window = "daily" if policy == "DAILY" else "secondly"
    message = f"You have reached your {window} limit."
    return _error(429, message, headers, errorType="RATE_LIMIT", policyName=policy)


def _object(object_id: str, properties: dict[str, Any], stamp: str) -> dict[str, Any]:
    """A CRM object as HubSpot answers it."""
    return {
        "id": object_id,
        "properties": properties,
        "createdAt": stamp,
        "updatedAt": stamp,
        "archived": False,
    }


def _page(
    rows: list[Any], after: int, limit: int, wanted: set[str] | None = None, **extra: Any
) -> web.Response:
    """One page of a list, paged by offset as HubSpot's `after` is; objects with only the
    properties asked for (`wanted`)."""
    shown = rows[after : after + limit]
    if wanted is not None:
        only = [{k: v for k, v in r["properties"].items() if k in wanted} for r in shown]
        shown = [{**r, "properties": p} for r, p in zip(shown, only, strict=True)]
    body = {**extra, "results": shown}
    if after + limit < len(rows):
        body["paging"] = {"next": {"after": str(after + limit)}}
    return web.json_response(body)


class FakeHubSpot:
    """The fake server: `app()` to serve it, `add()` an account per token, and the knobs."""

    def __init__(self, *, per_second: float = 10.0) -> None:
        self.per_second = per_second
        self.accounts: dict[str, Account] = {}
        self.revoked: set[str] = set()
        self.seen: list[Seen] = []
        # Search pages served with results (a 4xx or 429 is not a page).
        self.pages = 0
        self.rate_limited = 0
        # The day goal targets are laid around: each goal gets a target for the period holding
        # it and one for the period before.
        self.goal_day = date(2025, 3, 12)
        self._storm: list[float] = []
        self._failing: list[int] = []
        self._rows: dict[tuple[CrmRecord, str, bool], dict[str, Any]] = {}

    def add(self, token: str, book: CrmBook, *, scopes: frozenset[str] = ALL_SCOPES) -> Account:
        """An account reached with `token`, its app granted `scopes`."""
        account = Account(
            book=book,
            portal_id=14_000_000 + len(self.accounts),
            scopes=frozenset(scopes),
            bucket=Bucket(self.per_second, self.per_second),
        )
        self.accounts[token] = account
        return account

    def revoke(self, token: str) -> None:
        """The token stops working (the private app was deleted or its token rotated)."""
        self.revoked.add(token)

    def storm(self, n: int, retry_after: float) -> None:
        """The next `n` API requests answer 429 with `Retry-After: retry_after`."""
        self._storm.extend([retry_after] * n)

    def fail(self, n: int, status: int = 503) -> None:
        """The next `n` requests answer a server error."""
        self._failing.extend([status] * n)

    def daily_limit(self, token: str, requests: int) -> None:
        """The account may make `requests` more requests today, then answers DAILY 429s."""
        self.accounts[token].daily_left = requests

    def searches(self, object_type: str) -> list[Seen]:
        """The search requests for one object answered 200, in order."""
        path = f"/crm/v3/objects/{object_type}/search"
        return [s for s in self.seen if s.path == path and s.status == 200]

    @staticmethod
    def user_id(owner_id: str) -> int:
        """The HubSpot user id behind an owner (goal targets are assigned to users)."""
        return 7_000_000 + int.from_bytes(owner_id.encode()[:3], "big") % 1_000_000

    def app(self) -> web.Application:
        """The aiohttp application serving HubSpot's endpoints."""
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/account-info/v3/details", self._details)
        app.router.add_get("/crm/v3/owners", self._owners)
        app.router.add_post("/crm/v3/objects/{object}/search", self._search)
        app.router.add_get("/crm/v3/objects/goal_targets", self._goal_targets)
        return app

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """What HubSpot checks before an endpoint runs: the server, the token, the limits."""
        body = await request.json() if request.can_read_body else None
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        account = self.accounts.get(token) if token not in self.revoked else None
        portal = account.portal_id if account else None
        seen = Seen(request.method, request.path, dict(request.query), body, portal)
        self.seen.append(seen)
        refusal = self._refusal(request, account)
        if refusal is not None or account is None:
            response: web.StreamResponse = refusal or web.Response(status=401)
        else:
            request[ACCOUNT], request[BODY] = account, body if isinstance(body, dict) else {}
            response = await handler(request)
        seen.status = response.status
        return response

    def _refusal(self, request: web.Request, account: Account | None) -> web.Response | None:
        if self._failing:
            status = self._failing.pop(0)
            return web.Response(status=status, text="<html>Service Unavailable</html>")
        if account is None:
            return _error(
                401,
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                category="INVALID_AUTHENTICATION",
            )
        if self._storm:
            self.rate_limited += 1
            return _rate_limited("SECONDLY", {"Retry-After": f"{self._storm.pop(0):g}"})
        if account.daily_left is not None:
            if account.daily_left <= 0:
                self.rate_limited += 1
                return _rate_limited("DAILY")
            account.daily_left -= 1
        if account.bucket.take(asyncio.get_running_loop().time()):
            self.rate_limited += 1
            return _rate_limited("SECONDLY")
        needed = self._scope(request)
        if needed is not None and needed not in account.scopes:
            return _error(
                403,
                "This app hasn't been granted all required scopes to make this call. Read "
                "more about required scopes here: https://developers.hubspot.com/scopes.",
                category="MISSING_SCOPES",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [needed]},
                    }
                ],
                links={"scopes": "https://developers.hubspot.com/scopes"},
            )
        return None

    @staticmethod
    def _scope(request: web.Request) -> str | None:
        return SCOPE_OF.get(request.match_info.get("object") or request.path.rsplit("/")[-1])

    async def _details(self, request: web.Request) -> web.Response:
        account: Account = request[ACCOUNT]
        return web.json_response({"portalId": account.portal_id, **DETAILS})

    async def _owners(self, request: web.Request) -> web.Response:
        rows = [self._owner(o) for o in request[ACCOUNT].book.owners]
        limit = min(int(request.query.get("limit", "100")), 500)
        return _page(rows, int(request.query.get("after", "0")), limit)

    def _owner(self, owner: CrmOwner) -> dict[str, Any]:
        first, _, last = owner.name.partition(" ")
        user = self.user_id(owner.owner_id)
        row = _object(owner.owner_id, {}, "2024-01-08T09:00:00.000Z")
        del row["properties"]
        names = {"firstName": first, "lastName": last, "email": owner.email, "type": "PERSON"}
        return {**row, **names, "userId": user, "userIdIncludingInactive": user}

    async def _search(self, request: web.Request) -> web.Response:
        account: Account = request[ACCOUNT]
        object_type = request.match_info["object"]
        if object_type not in OBJECTS:
            return _error(
                404, f"Unable to infer object type from: {object_type}", category="OBJECT_NOT_FOUND"
            )
        kind, date_property, _ = OBJECTS[object_type]
        query = request[BODY]
        limit = int(query.get("limit", 10))
        after = int(query.get("after") or 0)
        if limit > MAX_SEARCH_PAGE or after + limit > SEARCH_CAP:
            return _error(400, "There was a problem with the request.", category="VALIDATION_ERROR")
        rows = [self._row(r, date_property) for r in account.book.records if r.kind is kind]
        if kind is RecordKind.DEAL_WON:
            rows += [self._row(r, date_property, won=False) for r in account.other_deals]
        groups = query.get("filterGroups") or []
        if groups:
            rows = [r for r in rows if any(self._matches(r, g) for g in groups)]
        rows.sort(key=lambda r: int(r["id"]))
        for rule in reversed(query.get("sorts") or []):
            name = rule["propertyName"]
            rows.sort(
                key=lambda r: _epoch_ms(r["properties"][name]),
                reverse=rule.get("direction") == "DESCENDING",
            )
        wanted = set(query.get("properties") or []) | {"hs_object_id", "hs_createdate"}
        self.pages += 1
        return _page(rows, after, limit, wanted, total=len(rows))

    def _row(self, record: CrmRecord, date_property: str, *, won: bool = True) -> dict[str, Any]:
        """A record as HubSpot holds it (made once: records do not change)."""
        key = (record, date_property, won)
        if key not in self._rows:
            self._rows[key] = self._make_row(record, date_property, won)
        return self._rows[key]

    @staticmethod
    def _make_row(record: CrmRecord, date_property: str, won: bool) -> dict[str, Any]:
        stamp = _iso(record.at)
        properties: dict[str, Any] = {
            "hs_object_id": record.record_id,
            "hs_createdate": stamp,
            "hs_lastmodifieddate": stamp,
            date_property: stamp,
            "hubspot_owner_id": record.owner_id,
        }
        if record.kind is RecordKind.DEAL_WON:
            properties["amount"] = str(record.amount)
            properties["hs_is_closed_won"] = "true" if won else "false"
            properties["dealstage"] = "closedwon" if won else "appointmentscheduled"
        return _object(record.record_id, properties, stamp)

    @staticmethod
    def _matches(row: dict[str, Any], group: dict[str, Any]) -> bool:
        """Whether a row passes every filter of a filter group (HubSpot ANDs them)."""
        for rule in group.get("filters") or []:
            have = row["properties"].get(rule["propertyName"])
            operator = rule["operator"]
            if have is None:
                return False
            if operator == "EQ" and str(have) != str(rule["value"]):
                return False
            if operator in RANGES:
                at, value = _epoch_ms(have), _epoch_ms(rule["value"])
                high = _epoch_ms(rule.get("highValue", value))
                if not RANGES[operator](at, value, high):
                    return False
        return True

    async def _goal_targets(self, request: web.Request) -> web.Response:
        account: Account = request[ACCOUNT]
        made = [p for goal in account.book.goals for p in self._targets(goal)]
        stamp = "2025-01-02T08:00:00.000Z"
        targets = [_object(str(90_000 + n), p, stamp) for n, p in enumerate(made)]
        wanted = set(request.query.get("properties", "").split(","))
        limit = min(int(request.query.get("limit", "10")), 100)
        return _page(targets, int(request.query.get("after", "0")), limit, wanted)

    def _targets(self, goal: CrmGoal) -> list[dict[str, Any]]:
        """A goal's targets: the period holding `goal_day` and the one before it."""
        day = self.goal_day
        if goal.period is GoalPeriod.DAY:
            spans = [(day - timedelta(days=1), day), (day, day + timedelta(days=1))]
        elif goal.period is GoalPeriod.WEEK:
            monday = day - timedelta(days=day.weekday())
            week = timedelta(days=7)
            spans = [(monday - week, monday), (monday, monday + week)]
        else:
            first = day.replace(day=1)
            before = (first - timedelta(days=1)).replace(day=1)
            spans = [(before, first), (first, (first + timedelta(days=32)).replace(day=1))]
        user = None if goal.owner_id is None else str(self.user_id(goal.owner_id))
        targets = []
        for begin, end in spans:
            start, stop = (datetime.combine(d, time(), UTC) for d in (begin, end))
            properties: dict[str, Any] = {
                "hs_goal_name": GOAL_NAMES.get(goal.metric, "Revenue"),
                "hs_target_amount": str(goal.value),
                "hs_start_datetime": _iso(start),
                # HubSpot ends a target on its period's last millisecond.
                "hs_end_datetime": _iso(stop - timedelta(milliseconds=1)),
                "hs_assignee_user_id": user,
            }
            targets.append(properties)
        return targets
