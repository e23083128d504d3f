"""Pipedrive as a `CrmSource`: calls and meetings from its activities, won deals, its users and
its goals, read with a company domain and a personal API token.

The token goes in the `x-api-token` header, never in the query string Pipedrive also accepts,
so it cannot end up in a logged URL. Pipedrive's short rate-limit window is obeyed before it
is enforced: an answer with `x-ratelimit-remaining: 0` makes the next request to that company
wait `x-ratelimit-reset` seconds. A 429 is waited out by `CrmHttp`; a 429 for the daily budget
is not, since waiting minutes will not help: it becomes `CrmError(LIMIT)` at once.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pepptalk.bot.crm.http import Answer, CrmHttp, Sleep
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
    GoalPeriod,
    RecordKind,
    company_domain,
)

DEFAULT_BASE_URL = "https://{domain}.pipedrive.com"
# Pipedrive's largest page for both list endpoints read here.
MAX_PAGE = 500

# Which Pipedrive object becomes which record, and which of its fields dates it.
# Activities are dated by `due_date` + `due_time` (UTC), not `marked_as_done_time`: the due
# time is when the call was made or the meeting held as the seller logged it, and it is the
# field `start_date`/`end_date` filter on, so the server-side filter and the window agree;
# people often tick activities done hours or days later, in bulk. An activity without a due
# time counts at 00:00 UTC of its due date. Won deals are dated by `won_time` (UTC).
RECORD_SOURCES: Mapping[RecordKind, tuple[str, str, str]] = {
    # kind: (endpoint, filter, timestamp field)
    RecordKind.CALL: ("/api/v1/activities", "type=call, done=1", "due_date + due_time"),
    RecordKind.MEETING: ("/api/v1/activities", "type=meeting, done=1", "due_date + due_time"),
    RecordKind.DEAL_WON: ("/api/v2/deals", "status=won", "won_time"),
}
ACTIVITY_TYPES: Mapping[RecordKind, str] = {
    RecordKind.CALL: "call",
    RecordKind.MEETING: "meeting",
}

# Pipedrive goals in Pepptalk's metric names: (goal type, tracking metric, activity type).
GOAL_METRICS: Mapping[tuple[str, str, str | None], str] = {
    ("activities_completed", "quantity", "call"): "calls",
    ("activities_completed", "quantity", "meeting"): "meetings",
    ("deals_won", "quantity", None): "deals",
    ("deals_won", "sum", None): "sales",
}
# Quarterly and yearly goals have no Pepptalk period; they are left out rather than guessed.
GOAL_PERIODS: Mapping[str, GoalPeriod] = {
    "weekly": GoalPeriod.WEEK,
    "monthly": GoalPeriod.MONTH,
}


def _utc(text: str) -> datetime:
    """A Pipedrive UTC time ("YYYY-MM-DD HH:MM:SS" or RFC 3339) as an aware datetime."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _activity_at(activity: Mapping[str, Any]) -> datetime:
    due_time = activity.get("due_time") or "00:00"
    return _utc(f"{activity['due_date']} {due_time}")


def _owner_id(value: Any) -> str:
    """A user id, whether Pipedrive sends the number or (v1 deals) an object holding it."""
    return str(value["id"] if isinstance(value, Mapping) else value)


def _until_midnight() -> float:
    now = datetime.now(UTC)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    return (midnight - now).total_seconds()


def _number(headers: Mapping[str, str], name: str) -> float | None:
    try:
        return float(headers[name])
    except (KeyError, ValueError):
        return None


def _daily_spent(answer: Answer) -> bool:
    """Whether a 429 is for the daily budget rather than the short window."""
    error = answer.body.get("error") if isinstance(answer.body, Mapping) else None
    return answer.headers.get("x-daily-requests-left") == "0" or (
        isinstance(error, str) and "daily" in error.lower()
    )


def _limited(answer: Answer) -> float | None:
    """How long a 429 asks to wait; the daily budget raises at once instead."""
    if answer.status != 429:
        return None
    if _daily_spent(answer):
        raise CrmError(
            CrmProblem.LIMIT,
            "Pipedrive's daily API budget is used up",
            retry_after=_until_midnight(),
        )
    said = answer.header_seconds("Retry-After")
    if said is None:
        said = answer.header_seconds("x-ratelimit-reset")
    return 1.0 if said is None else said


class PipedriveSource:
    """Reads one Pipedrive company per secret (`domain`, `token`)."""

    kind = CrmKind.PIPEDRIVE

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30.0,
        page_size: int = MAX_PAGE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.usage = CrmUsage()
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self._sleep = sleep
        self._http = CrmHttp(
            name="Pipedrive", usage=self.usage, limited=_limited, sleep=sleep, timeout=timeout
        )
        # When each company's rate-limit window lets the next request go (monotonic clock):
        # the budget is per token, and one token reads one company.
        self._ready_at: dict[str, float] = {}

    async def close(self) -> None:
        """Release the HTTP session."""
        await self._http.close()

    async def check(self, secret: CrmSecret) -> str:
        """The company's name, proving the domain and token work."""
        body = await self._get(secret, "/api/v1/users/me")
        data = body.get("data") or {}
        return str(data.get("company_name") or data.get("company_domain") or "Pipedrive")

    async def owners(self, secret: CrmSecret) -> list[CrmOwner]:
        """Every user of the company, deactivated ones too: they still own past records."""
        body = await self._get(secret, "/api/v1/users")
        return [
            CrmOwner(owner_id=str(user["id"]), name=user.get("name") or "", email=user.get("email"))
            for user in body.get("data") or []
        ]

    async def page(
        self,
        secret: CrmSecret,
        *,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        cursor: str | None,
    ) -> CrmPage:
        """One page of calls, meetings or won deals dated in [since, until)."""
        since, until = since.astimezone(UTC), until.astimezone(UTC)
        state: dict[str, Any] = json.loads(cursor) if cursor else {}
        if kind is RecordKind.DEAL_WON:
            records, state = await self._deals(secret, since, until, state)
        else:
            records, state = await self._activities(secret, kind, since, until, state)
        self.usage.pages += 1
        return CrmPage(records=tuple(records), cursor=json.dumps(state) if state else None)

    async def _activities(
        self,
        secret: CrmSecret,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        state: dict[str, Any],
    ) -> tuple[list[CrmRecord], dict[str, Any]]:
        # The cursor keeps the dates the first page asked for: `start` counts into that list,
        # so a resumed read must ask for the same one.
        first = state.get("from") or since.date().isoformat()
        last = state.get("to") or (until - timedelta(microseconds=1)).date().isoformat()
        params = {
            "user_id": "0",
            "type": ACTIVITY_TYPES[kind],
            "done": "1",
            "start_date": first,
            "end_date": last,
            "start": str(state.get("start", 0)),
            "limit": str(self.page_size),
        }
        body = await self._get(secret, "/api/v1/activities", params)
        records = []
        for activity in body.get("data") or []:
            if not activity.get("done") or activity.get("type") != ACTIVITY_TYPES[kind]:
                continue
            at = _activity_at(activity)
            if since <= at < until:
                records.append(
                    CrmRecord(
                        record_id=str(activity["id"]),
                        owner_id=_owner_id(activity["user_id"]),
                        at=at,
                        kind=kind,
                    )
                )
        paging = (body.get("additional_data") or {}).get("pagination") or {}
        if not paging.get("more_items_in_collection"):
            return records, {}
        return records, {"from": first, "to": last, "start": int(paging["next_start"])}

    async def _deals(
        self, secret: CrmSecret, since: datetime, until: datetime, state: dict[str, Any]
    ) -> tuple[list[CrmRecord], dict[str, Any]]:
        # v2 rather than v1 /deals: it filters on `updated_since`, and winning a deal updates
        # it, so every deal won since `since` is in that list; v1 would page through every won
        # deal the company ever had. Its cursor is Pipedrive's own, kept with the date asked.
        updated_since = state.get("updated_since") or since.strftime("%Y-%m-%dT%H:%M:%SZ")
        params = {"status": "won", "updated_since": updated_since, "limit": str(self.page_size)}
        if state.get("cursor"):
            params["cursor"] = state["cursor"]
        body = await self._get(secret, "/api/v2/deals", params)
        records = []
        for deal in body.get("data") or []:
            if deal.get("status") != "won" or not deal.get("won_time"):
                continue
            at = _utc(deal["won_time"])
            if since <= at < until:
                records.append(
                    CrmRecord(
                        record_id=str(deal["id"]),
                        owner_id=_owner_id(deal.get("owner_id") or deal.get("user_id")),
                        at=at,
                        kind=RecordKind.DEAL_WON,
                        amount=float(deal.get("value") or 0.0),
                    )
                )
        following = (body.get("additional_data") or {}).get("next_cursor")
        if not following:
            return records, {}
        return records, {"updated_since": updated_since, "cursor": following}

    async def goals(self, secret: CrmSecret, *, day: date) -> list[CrmGoal]:
        """Active weekly and monthly goals for calls, meetings, deals won and sales on `day`."""
        found: list[dict[str, Any]] = []
        for name in ("activities_completed", "deals_won"):
            params = {"type.name": name, "is_active": "true"}
            body = await self._get(secret, "/api/v1/goals/find", params, quiet=True)
            found.extend(((body.get("data") or {}).get("goals") or []) if body else [])
        if not found:
            return []
        # A goal names its activity types by id; their key strings say which is a call.
        type_keys: dict[int, str] = {}
        if any(g.get("type", {}).get("name") == "activities_completed" for g in found):
            body = await self._get(secret, "/api/v1/activityTypes", quiet=True)
            for entry in (body or {}).get("data") or []:
                type_keys[int(entry["id"])] = str(entry.get("key_string"))
        goals = []
        for goal in found:
            for metric in self._goal_metrics(goal, type_keys):
                made = self._goal(goal, metric, day)
                if made is not None:
                    goals.append(made)
        return goals

    @staticmethod
    def _goal_metrics(goal: Mapping[str, Any], type_keys: Mapping[int, str]) -> list[str]:
        kind = goal.get("type") or {}
        tracking = (goal.get("expected_outcome") or {}).get("tracking_metric")
        if kind.get("name") != "activities_completed":
            metric = GOAL_METRICS.get((str(kind.get("name")), str(tracking), None))
            return [metric] if metric else []
        # An activity goal counts only when it tracks exactly calls or exactly meetings: one
        # over all activity types (ids null) or over a mix is neither.
        ids = (kind.get("params") or {}).get("activity_type_id") or []
        keys = {type_keys.get(int(i)) for i in ids}
        if len(keys) != 1:
            return []
        metric = GOAL_METRICS.get((str(kind["name"]), str(tracking), keys.pop()))
        return [metric] if metric else []

    @staticmethod
    def _goal(goal: Mapping[str, Any], metric: str, day: date) -> CrmGoal | None:
        period = GOAL_PERIODS.get(str(goal.get("interval")))
        duration = goal.get("duration") or {}
        if period is None or goal.get("is_active") is False:
            return None
        start, end = duration.get("start"), duration.get("end")
        if (start and date.fromisoformat(start) > day) or (end and date.fromisoformat(end) < day):
            return None
        assignee = goal.get("assignee") or {}
        owner = str(assignee["id"]) if assignee.get("type") == "person" else None
        target = (goal.get("expected_outcome") or {}).get("target")
        return CrmGoal(owner_id=owner, metric=metric, period=period, value=float(target or 0))

    async def _get(
        self,
        secret: CrmSecret,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        quiet: bool = False,
    ) -> Any:
        """A GET's JSON body. With `quiet`, a 403 or 404 gives None (goals a plan lacks)."""
        domain = company_domain(secret.get("domain"))
        if domain is None:
            raise CrmError(CrmProblem.ADDRESS, "not a Pipedrive company domain")
        base = self.base_url.replace("{domain}", domain)
        wait = self._ready_at.get(domain, 0.0) - time.monotonic()
        if wait > 0:
            self.usage.waits += 1
            self.usage.waited_seconds += wait
            await self._sleep(wait)
        headers = {"x-api-token": secret.get("token"), "Accept": "application/json"}
        try:
            answer = await self._http.request("GET", base + path, headers=headers, params=params)
        except CrmError as error:
            if error.problem is CrmProblem.DOWN and not await _resolves(base):
                raise CrmError(CrmProblem.ADDRESS, f"no Pipedrive company '{domain}'") from None
            raise
        self._note_window(domain, answer)
        if answer.status < 300:
            return answer.body if isinstance(answer.body, Mapping) else {}
        if quiet and answer.status in (403, 404):
            return None
        raise _refusal(answer, domain)

    def _note_window(self, domain: str, answer: Answer) -> None:
        """Hold the next request until the window resets when this answer spent it."""
        remaining = _number(answer.headers, "x-ratelimit-remaining")
        if remaining is not None and remaining <= 0:
            reset = _number(answer.headers, "x-ratelimit-reset")
            self._ready_at[domain] = time.monotonic() + (1.0 if reset is None else reset)


def _refusal(answer: Answer, domain: str) -> CrmError:
    """A 4xx in Pepptalk's terms; the detail quotes Pipedrive's own words, never a token."""
    said = answer.body.get("error") if isinstance(answer.body, Mapping) else None
    said = said[:200] if isinstance(said, str) else ""
    if answer.status == 401:
        return CrmError(CrmProblem.REVOKED, "Pipedrive did not accept the API token")
    if answer.status == 403:
        return CrmError(CrmProblem.SCOPE, f"Pipedrive refused access: {said or 'forbidden'}")
    if answer.status == 404:
        return CrmError(CrmProblem.ADDRESS, f"no Pipedrive company '{domain}'")
    return CrmError(CrmProblem.DOWN, f"Pipedrive answered {answer.status}")


async def _resolves(base: str) -> bool:
    """Whether the API's host name resolves: a failed lookup is a wrong domain, not an
    outage (aiohttp's DNS error reaches us only as a connection failure)."""
    host = urlsplit(base).hostname
    if host is None:
        return False
    try:
        await asyncio.get_running_loop().getaddrinfo(host, None)
    except (socket.gaierror, UnicodeError):
        return False
    return True
