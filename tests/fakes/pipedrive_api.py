"""A local stand-in for Pipedrive's API: companies by domain, each with its API token and a
`CrmBook`, served in Pipedrive's shapes.

Every path starts with the company domain (`/acme/api/v1/users`), standing in for the host
`acme.pipedrive.com`, so a source's base URL is `http://127.0.0.1:PORT/{domain}`. It answers
like Pipedrive: `{"success": true, "data": ...}` with `data: null` for an empty v1 list, v1
`start`/`limit` paging in `additional_data.pagination`, v2 `cursor` paging in
`additional_data.next_cursor`, `{"success": false, "error": ..., "errorCode": ...}` for errors,
and the `x-ratelimit-*` headers on every answer of a known company, with 429 when the window's
budget is spent. Calls and meetings are served as activities (`type` call/meeting, dated by
`due_date`/`due_time`), won deals as v2 deals dated by `won_time`; the book's goals as Pipedrive
goals (weekly and monthly; Pipedrive keeps no daily goals, so day goals are not served).
"""

from __future__ import annotations

import base64
import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from pepptalk.core.crm import CrmGoal, GoalPeriod, RecordKind
from tests.fakes.crm_book import CrmBook

ERROR_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."
# A company's activity types as a new Pipedrive account has them.
ACTIVITY_TYPES = ("call", "meeting", "task", "deadline", "email", "lunch")
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
# Where a goal's duration starts: long before any test's days.
GOALS_FROM = "2020-01-01"
# The paths that read records (what `storm` and `pages` are about).
DATA_PATHS = ("/api/v1/activities", "/api/v2/deals")


@dataclass
class Company:
    """One Pipedrive company: its API token, its data, and its rate-limit window."""

    domain: str
    token: str
    book: CrmBook
    # The short window: `budget` requests per `window` seconds (Pipedrive: 20 per 2 s on
    # Essential); None: unlimited.
    budget: int | None = None
    window: float = 2.0
    # Requests left today (None: no daily budget); at 0 every request answers the daily 429.
    daily_left: int | None = None
    # Raw activities and deals served beside the book's (undone calls, tasks, lost deals).
    activities: list[dict[str, Any]] = field(default_factory=list)
    deals: list[dict[str, Any]] = field(default_factory=list)
    goals: list[dict[str, Any]] = field(default_factory=list)
    window_start: float = -math.inf
    window_used: int = 0


@dataclass
class Asked:
    """One request as it came: the company domain, path, query, and whether the token came
    in the query string (a source should send the header)."""

    domain: str
    path: str
    params: dict[str, str]
    status: int
    token_in_query: bool


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _error(status: int, error: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"success": False, "error": error, "errorCode": status, "error_info": ERROR_INFO}
    return web.json_response(body, status=status, headers=headers)


@dataclass
class FakePipedrive:
    """The fake server. Add companies with `company(...)`, then `async with served(fake.app())`
    and use `f"{url}/{{domain}}"` as the source's base URL."""

    companies: dict[str, Company] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    # Paths (e.g. "/api/v1/goals/find") answering 403, as for a user whose permission set or
    # plan lacks them.
    forbidden: set[str] = field(default_factory=set)
    asked: list[Asked] = field(default_factory=list)
    # Answered 429s: for the short window (or a storm), and for the daily budget.
    limited: int = 0
    daily_limited: int = 0
    _storm: int = 0
    _storm_retry_after: int = 0
    _failing: int = 0
    _failing_status: int = 503

    def company(
        self,
        domain: str,
        token: str,
        book: CrmBook,
        *,
        budget: int | None = None,
        window: float = 2.0,
    ) -> Company:
        """Add a company whose API token is `token`."""
        found = Company(domain, token, book, budget=budget, window=window)
        self.companies[domain] = found
        return found

    def revoke(self, token: str) -> None:
        """The token stops working (the user made a new one, or left): 401 from now on."""
        self.revoked.add(token)

    def storm(self, n: int, retry_after: int = 1) -> None:
        """The next `n` data requests answer 429 with `Retry-After: retry_after`."""
        self._storm, self._storm_retry_after = n, retry_after

    def fail(self, n: int, status: int = 503) -> None:
        """The next `n` requests answer a server error."""
        self._failing, self._failing_status = n, status

    def daily_limit(self, domain: str, left: int) -> None:
        """Only `left` more requests today for this company, then the daily 429."""
        self.companies[domain].daily_left = left

    def requests(self, path: str | None = None) -> list[Asked]:
        """What was asked (of one path, when given), in order."""
        return [a for a in self.asked if path is None or a.path == path]

    @property
    def pages(self) -> int:
        """Pages of activities and deals served."""
        return sum(1 for a in self.asked if a.path in DATA_PATHS and a.status == 200)

    def app(self) -> web.Application:
        """The aiohttp application serving every company."""
        app = web.Application()
        app.router.add_get("/{domain}/{path:api/.*}", self._serve)
        return app

    async def _serve(self, request: web.Request) -> web.Response:
        domain, path = request.match_info["domain"], "/" + request.match_info["path"]
        params = dict(request.query)
        response = self._answer(request, domain, path, params)
        self.asked.append(Asked(domain, path, params, response.status, "api_token" in params))
        return response

    def _answer(
        self, request: web.Request, domain: str, path: str, params: dict[str, str]
    ) -> web.Response:
        if self._failing > 0:
            self._failing -= 1
            return _error(self._failing_status, "Internal server error")
        company = self.companies.get(domain)
        if company is None:
            return _error(404, "Company not found")
        token = request.headers.get("x-api-token") or params.get("api_token")
        if token != company.token or token in self.revoked:
            return _error(401, "unauthorized access", self._window(company))
        if company.daily_left is not None:
            if company.daily_left <= 0:
                self.daily_limited += 1
                return _error(429, "Daily API request limit reached", self._window(company))
            company.daily_left -= 1
        if self._storm > 0 and path in DATA_PATHS:
            self._storm -= 1
            self.limited += 1
            headers = {**self._window(company), "Retry-After": str(self._storm_retry_after)}
            return _error(429, "Request over limit", headers)
        if not self._spend(company):
            # Pipedrive names the wait in x-ratelimit-reset only.
            self.limited += 1
            return _error(429, "Request over limit", self._window(company))
        headers = self._window(company)
        if path in self.forbidden:
            return _error(403, "You do not have permission to access this resource", headers)
        handler = {
            "/api/v1/users/me": self._me,
            "/api/v1/users": self._users,
            "/api/v1/activities": self._activities,
            "/api/v2/deals": self._deals,
            "/api/v1/goals/find": self._goals,
            "/api/v1/activityTypes": self._activity_types,
        }.get(path)
        if handler is None:
            return _error(404, "Unknown method .", headers)
        try:
            body = handler(company, params)
        except ValueError as error:
            return _error(400, str(error), headers)
        return web.json_response(body, headers=headers)

    @staticmethod
    def _spend(company: Company) -> bool:
        """Count a request in the company's window; False when the window had none left."""
        now = time.monotonic()
        if now >= company.window_start + company.window:
            company.window_start, company.window_used = now, 0
        company.window_used += 1
        return company.budget is None or company.window_used <= company.budget

    @staticmethod
    def _window(company: Company) -> dict[str, str]:
        """The `x-ratelimit-*` (and `x-daily-requests-left`) headers Pipedrive sends."""
        headers = {}
        if company.budget is not None:
            reset = max(1, math.ceil(company.window_start + company.window - time.monotonic()))
            left = max(0, company.budget - company.window_used)
            headers = {
                "x-ratelimit-limit": str(company.budget),
                "x-ratelimit-remaining": str(left),
                "x-ratelimit-reset": str(reset),
            }
        if company.daily_left is not None:
            headers["x-daily-requests-left"] = str(company.daily_left)
        return headers

    @staticmethod
    def _user(company: Company, index: int) -> dict[str, Any]:
        owner = company.book.owners[index]
        return {
            "id": int(owner.owner_id),
            "name": owner.name,
            "email": owner.email,
            "active_flag": True,
        }

    def _me(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        me = self._user(company, 0) if company.book.owners else {"id": 1, "name": "Admin"}
        me.update(company_id=4242, company_name=company.book.name, company_domain=company.domain)
        return {"success": True, "data": me}

    def _users(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        users = [self._user(company, i) for i in range(len(company.book.owners))]
        return {"success": True, "data": users}

    @staticmethod
    def _all_activities(company: Company) -> list[dict[str, Any]]:
        served = []
        for record in company.book.records:
            if record.kind is RecordKind.DEAL_WON:
                continue
            served.append(
                {
                    "id": int(record.record_id),
                    "user_id": int(record.owner_id),
                    "type": record.kind.value,
                    "subject": f"{record.kind.value.title()} {record.record_id}",
                    "due_date": record.at.astimezone(UTC).strftime("%Y-%m-%d"),
                    "due_time": record.at.astimezone(UTC).strftime("%H:%M"),
                    "duration": "00:15",
                    "done": True,
                    # Ticked done a while after, as people do.
                    "marked_as_done_time": _when(record.at + timedelta(hours=3)),
                    "add_time": _when(record.at - timedelta(days=1)),
                    "update_time": _when(record.at + timedelta(hours=3)),
                    "active_flag": True,
                }
            )
        return served + company.activities

    def _activities(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        found = self._all_activities(company)
        # Omitted user_id means the token's own user; 0 means everyone the token may see.
        user = params.get("user_id")
        if user != "0":
            me = company.book.owners[0].owner_id if company.book.owners else "1"
            found = [a for a in found if str(a["user_id"]) == (user or me)]
        if "type" in params:
            types = params["type"].split(",")
            found = [a for a in found if a["type"] in types]
        if params.get("done") in ("0", "1"):
            found = [a for a in found if a["done"] is (params["done"] == "1")]
        if "start_date" in params:
            found = [a for a in found if a["due_date"] >= params["start_date"]]
        if "end_date" in params:
            found = [a for a in found if a["due_date"] <= params["end_date"]]
        found.sort(key=lambda a: (a["due_date"], a["due_time"] or "", a["id"]))
        start = int(params.get("start", "0"))
        limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        chunk = found[start : start + limit]
        more = start + limit < len(found)
        paging: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            paging["next_start"] = start + limit
        return {
            "success": True,
            "data": chunk or None,
            "additional_data": {"pagination": paging},
        }

    @staticmethod
    def _all_deals(company: Company) -> list[dict[str, Any]]:
        served = []
        for record in company.book.records:
            if record.kind is not RecordKind.DEAL_WON:
                continue
            won = record.at.astimezone(UTC)
            served.append(
                {
                    "id": int(record.record_id),
                    "title": f"Deal {record.record_id}",
                    "owner_id": int(record.owner_id),
                    "value": record.amount,
                    "currency": "NOK",
                    "status": "won",
                    "add_time": (won - timedelta(days=20)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "update_time": won.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "won_time": won.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
        return served + company.deals

    def _deals(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        found = self._all_deals(company)
        if "status" in params:
            found = [d for d in found if d["status"] == params["status"]]
        if "owner_id" in params:
            found = [d for d in found if str(d["owner_id"]) == params["owner_id"]]
        if "updated_since" in params:
            since = datetime.fromisoformat(params["updated_since"].replace("Z", "+00:00"))
            found = [d for d in found if datetime.fromisoformat(d["update_time"]) >= since]
        found.sort(key=lambda d: int(d["id"]))
        # Pipedrive's v2 cursor is opaque; this one is the offset, encoded.
        start = 0
        if "cursor" in params:
            try:
                start = int(base64.urlsafe_b64decode(params["cursor"]).decode())
            except (ValueError, UnicodeDecodeError):
                raise ValueError("Invalid cursor") from None
        limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT)
        following = None
        if start + limit < len(found):
            following = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return {
            "success": True,
            "data": found[start : start + limit],
            "additional_data": {"next_cursor": following},
        }

    def _goals(self, company: Company, params: dict[str, str]) -> dict[str, Any]:
        served = (self._goal(company, g, n) for n, g in enumerate(company.book.goals))
        found = [g for g in served if g is not None] + company.goals
        if "type.name" in params:
            found = [g for g in found if g["type"]["name"] == params["type.name"]]
        active = params.get("is_active", "true") == "true"
        found = [g for g in found if g.get("is_active", True) is active]
        return {"success": True, "data": {"goals": found}}

    @staticmethod
    def _goal(company: Company, goal: CrmGoal, number: int) -> dict[str, Any] | None:
        interval = {GoalPeriod.WEEK: "weekly", GoalPeriod.MONTH: "monthly"}.get(goal.period)
        if interval is None:
            return None
        if goal.metric in ("calls", "meetings"):
            type_id = ACTIVITY_TYPES.index(goal.metric.rstrip("s")) + 1
            kind = {"name": "activities_completed", "params": {"activity_type_id": [type_id]}}
        else:
            kind = {"name": "deals_won", "params": {"pipeline_id": None}}
        tracking = "sum" if goal.metric == "sales" else "quantity"
        assignee = (
            {"id": int(goal.owner_id), "type": "person"}
            if goal.owner_id is not None
            else {"id": 4242, "type": "company"}
        )
        return {
            "id": f"goal-{number}",
            "owner_id": 1,
            "title": f"{goal.metric} {interval}",
            "type": kind,
            "assignee": assignee,
            "interval": interval,
            "duration": {"start": GOALS_FROM, "end": None},
            "expected_outcome": {"target": goal.value, "tracking_metric": tracking},
            "is_active": True,
            "report_ids": [f"report-{number}"],
        }

    @staticmethod
    def _activity_types(company: Company, params: dict[str, str]) -> dict[str, Any]:
        types = [
            {"id": n, "name": key.title(), "key_string": key, "active_flag": True}
            for n, key in enumerate(ACTIVITY_TYPES, start=1)
        ]
        return {"success": True, "data": types}


_IDS = itertools.count(90_000)


def next_id() -> int:
    """A fresh id for a raw activity or deal."""
    return next(_IDS)
