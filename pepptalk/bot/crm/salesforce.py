"""Salesforce as a `CrmSource`: SOQL over the REST API, signed in with OAuth 2.0 (web server
flow with PKCE), the access token refreshed when Salesforce ends its session.

What counts (`STREAMS`, the one place the mapping lives):

| Kind     | Object      | Filter                                   | Dated by             |
|----------|-------------|------------------------------------------|----------------------|
| CALL     | Task        | TaskSubtype = 'Call' OR Type = 'Call'    | CompletedDateTime    |
| MEETING  | Event       | (every event)                            | StartDateTime        |
| DEAL_WON | Opportunity | IsWon = true (amount: Amount, null = 0)  | CloseDate, 12:00 UTC |

A call is dated by CompletedDateTime rather than ActivityDate (a due date, no time of day) or
CreatedDate (when it was typed in, possibly days later): it is set only once the task is done,
so a call someone plans for tomorrow counts when it is made, not when it is planned. CloseDate is
a date without a time or zone, so a deal is placed at midday UTC of that date: the same calendar
day in every time zone from UTC-11 to UTC+11.

Goals: Salesforce keeps no goals object every edition has (quotas live in Collaborative
Forecasting, which is off by default and differs per org), so `goals` answers [].
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode

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
    RecordKind,
)

SCOPES = "api refresh_token"
# What Salesforce says when a query or its user may not read an object, or may not use the API.
_REFUSED = {
    "INSUFFICIENT_ACCESS",
    "INSUFFICIENT_ACCESS_OR_READONLY",
    "API_DISABLED_FOR_ORG",
    "API_CURRENTLY_DISABLED",
    "INVALID_TYPE",
}


@dataclass(frozen=True)
class Stream:
    """Which Salesforce object becomes one kind of record, and which field dates it."""

    sobject: str
    dated_by: str
    where: str | None = None
    amount: str | None = None
    # A date field (no time of day): compared as dates and placed at midday UTC.
    date_only: bool = False


STREAMS: dict[RecordKind, Stream] = {
    RecordKind.CALL: Stream("Task", "CompletedDateTime", "(TaskSubtype = 'Call' OR Type = 'Call')"),
    RecordKind.MEETING: Stream("Event", "StartDateTime"),
    RecordKind.DEAL_WON: Stream(
        "Opportunity", "CloseDate", "IsWon = true", amount="Amount", date_only=True
    ),
}
MIDDAY = time(12, 0, tzinfo=UTC)


def new_verifier() -> str:
    """A fresh PKCE code verifier (RFC 7636: 43 to 128 unreserved characters)."""
    return secrets.token_urlsafe(64)


def challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier: base64url of its SHA-256, without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def soql_for(kind: RecordKind, since: datetime, until: datetime) -> str:
    """The SOQL reading records of `kind` dated in [since, until), oldest first."""
    stream = STREAMS[kind]
    fields = ["Id", "OwnerId", stream.dated_by] + ([stream.amount] if stream.amount else [])
    if stream.date_only:
        low, high = _midday_dates(since), _midday_dates(until)
        bounds = (low.isoformat(), high.isoformat())
    else:
        bounds = (_soql_datetime(since), _soql_datetime(until))
    where = [stream.where] if stream.where else []
    where += [f"{stream.dated_by} >= {bounds[0]}", f"{stream.dated_by} < {bounds[1]}"]
    # Ordered by date then Id so pages follow one another the same way on every run. Every
    # part comes from `STREAMS` or a formatted datetime, never from outside input.
    return (
        f"SELECT {', '.join(fields)} FROM {stream.sobject} WHERE {' AND '.join(where)} "  # noqa: S608
        f"ORDER BY {stream.dated_by}, Id"
    )


def _soql_datetime(moment: datetime) -> str:
    # SOQL takes datetimes unquoted, in ISO 8601 with a zone; UTC with Z keeps it plain.
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _midday_dates(moment: datetime) -> date:
    """The first date whose midday UTC is at or after `moment`."""
    day = moment.astimezone(UTC).date()
    return day if datetime.combine(day, MIDDAY) >= moment else day + timedelta(days=1)


def _errors(answer: Answer) -> list[tuple[str, str]]:
    """Salesforce's error list as (errorCode, message) pairs."""
    body = answer.body if isinstance(answer.body, list) else [answer.body]
    return [
        (str(item.get("errorCode", "")), str(item.get("message", "")))
        for item in body
        if isinstance(item, dict)
    ]


class _LocatorLostError(Exception):
    """A query locator (a cursor) Salesforce no longer knows: it expired, or its session did."""


class SalesforceSource:
    """Reads calls, meetings and won deals from a Salesforce org."""

    kind = CrmKind.SALESFORCE

    def __init__(
        self,
        *,
        login_url: str = "https://login.salesforce.com",
        client_id: str,
        client_secret: str,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30.0,
        api_version: str = "v61.0",
    ) -> None:
        self.login_url = login_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.api_version = api_version
        self.usage = CrmUsage()
        self._http = CrmHttp(name="Salesforce", usage=self.usage, sleep=sleep, timeout=timeout)
        self._refreshing = asyncio.Lock()

    async def close(self) -> None:
        """Release the HTTP session."""
        await self._http.close()

    # --- signing in ------------------------------------------------------------------------

    def authorize_url(self, *, redirect_uri: str, state: str, challenge: str) -> str:
        """Where the browser goes to sign in to Salesforce and allow Pepptalk to read."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": SCOPES,
        }
        return f"{self.login_url}/services/oauth2/authorize?{urlencode(query, quote_via=quote)}"

    async def exchange(self, *, code: str, verifier: str, redirect_uri: str) -> CrmSecret:
        """Turn the code Salesforce sent the browser back with into a connection's secret."""
        body = await self._token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            }
        )
        if not body.get("refresh_token"):
            # The connected app does not offer refresh_token: the sync would stop within hours.
            raise CrmError(CrmProblem.SCOPE, "refresh_token")
        return CrmSecret(
            {
                "instance_url": str(body["instance_url"]).rstrip("/"),
                "access_token": str(body["access_token"]),
                "refresh_token": str(body["refresh_token"]),
            }
        )

    async def _refresh(self, secret: CrmSecret, used: str) -> None:
        """A new access token for `secret`, unless another read already got one since `used`."""
        async with self._refreshing:
            if secret.get("access_token") != used:
                return
            body = await self._token(
                {"grant_type": "refresh_token", "refresh_token": secret.get("refresh_token")}
            )
            fresh = {"access_token": str(body["access_token"])}
            # With refresh token rotation on, each refresh hands out the next refresh token.
            if body.get("refresh_token"):
                fresh["refresh_token"] = str(body["refresh_token"])
            if body.get("instance_url"):
                fresh["instance_url"] = str(body["instance_url"]).rstrip("/")
            secret.update(**fresh)

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.client_id, "client_secret": self._client_secret}
        answer = await self._http.request(
            "POST", f"{self.login_url}/services/oauth2/token", form=form
        )
        body = answer.body if isinstance(answer.body, dict) else {}
        if answer.status == 200 and body.get("access_token") and body.get("instance_url"):
            return body
        error = str(body.get("error", ""))
        if error == "invalid_grant":
            raise CrmError(CrmProblem.REVOKED, "Salesforce no longer accepts this sign-in")
        if error.startswith("invalid_client"):
            raise CrmError(CrmProblem.REVOKED, "Salesforce refused the app's client id or secret")
        if answer.status == 404:
            raise CrmError(CrmProblem.ADDRESS, f"no Salesforce sign-in at {self.login_url}")
        raise CrmError(CrmProblem.DOWN, f"Salesforce sign-in answered {answer.status} {error}")

    # --- reading ---------------------------------------------------------------------------

    async def check(self, secret: CrmSecret) -> str:
        """The org's name."""
        body = await self._query(secret, "SELECT Name FROM Organization LIMIT 1")
        records = body.get("records") or [{}]
        return str(records[0].get("Name", ""))

    async def owners(self, secret: CrmSecret) -> list[CrmOwner]:
        """Every standard (licensed) user, active or not: a departed seller's records count."""
        try:
            return await self._users(secret)
        except _LocatorLostError:
            # The session was refreshed between two pages: its locator went with it.
            try:
                return await self._users(secret)
            except _LocatorLostError:
                raise CrmError(CrmProblem.DOWN, "Salesforce lost the user list twice") from None

    async def _users(self, secret: CrmSecret) -> list[CrmOwner]:
        body = await self._query(
            secret,
            "SELECT Id, Name, Email, IsActive FROM User WHERE UserType = 'Standard' ORDER BY Id",
        )
        found: list[CrmOwner] = []
        while True:
            found += [
                CrmOwner(owner_id=str(u["Id"]), name=str(u.get("Name") or ""), email=u.get("Email"))
                for u in body.get("records", [])
            ]
            if body.get("done", True) or not body.get("nextRecordsUrl"):
                return found
            body = await self._more(secret, str(body["nextRecordsUrl"]))

    async def page(
        self,
        secret: CrmSecret,
        *,
        kind: RecordKind,
        since: datetime,
        until: datetime,
        cursor: str | None,
    ) -> CrmPage:
        """One page of records of `kind` in [since, until); the cursor is Salesforce's
        nextRecordsUrl."""
        soql = soql_for(kind, since, until)
        if cursor is None:
            body = await self._query(secret, soql)
        else:
            try:
                body = await self._more(secret, cursor)
            except _LocatorLostError:
                # A locator lives 15 minutes idle and dies with its session. Reading the window
                # again from the start loses nothing: records count once by their Id.
                body = await self._query(secret, soql)
        self.usage.pages += 1
        stream = STREAMS[kind]
        records = []
        for row in body.get("records", []):
            record = self._record(kind, stream, row)
            if record is not None and since <= record.at < until:
                records.append(record)
        more = None if body.get("done", True) else body.get("nextRecordsUrl")
        return CrmPage(tuple(records), str(more) if more else None)

    async def goals(self, secret: CrmSecret, *, day: date) -> list[CrmGoal]:
        """None: see the module's docstring."""
        return []

    @staticmethod
    def _record(kind: RecordKind, stream: Stream, row: dict[str, Any]) -> CrmRecord | None:
        value = row.get(stream.dated_by)
        if not value or not row.get("OwnerId"):
            return None
        if stream.date_only:
            at = datetime.combine(date.fromisoformat(str(value)), MIDDAY)
        else:
            at = datetime.fromisoformat(str(value)).astimezone(UTC)
        amount = float(row.get(stream.amount) or 0.0) if stream.amount else 0.0
        return CrmRecord(str(row["Id"]), str(row["OwnerId"]), at, kind, amount)

    async def _query(self, secret: CrmSecret, soql: str) -> dict[str, Any]:
        path = f"/services/data/{self.api_version}/query"
        return await self._get(secret, path, {"q": soql}, locator=False)

    async def _more(self, secret: CrmSecret, next_url: str) -> dict[str, Any]:
        # The cursor is joined to the org's own address: one that is not a Salesforce REST path
        # (stored wrong, or tampered with) would send the token somewhere else.
        if not next_url.startswith("/services/data/") or "//" in next_url or "?" in next_url:
            raise _LocatorLostError
        return await self._get(secret, next_url, None, locator=True)

    async def _get(
        self, secret: CrmSecret, path: str, params: dict[str, str] | None, *, locator: bool
    ) -> dict[str, Any]:
        instance = secret.get("instance_url").rstrip("/")
        if not instance.startswith(("https://", "http://")):
            raise CrmError(CrmProblem.ADDRESS, "no Salesforce instance address")
        refreshed = False
        while True:
            token = secret.get("access_token")
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                answer = await self._http.request(
                    "GET", instance + path, headers=headers, params=params
                )
            except CrmError as error:
                if "DNS" in error.detail:
                    raise CrmError(CrmProblem.ADDRESS, f"no Salesforce at {instance}") from None
                raise
            if answer.status == 200 and isinstance(answer.body, dict):
                return answer.body
            codes = [code for code, _ in _errors(answer)]
            if answer.status == 401 or "INVALID_SESSION_ID" in codes:
                if refreshed:
                    if locator:
                        raise _LocatorLostError  # a locator belongs to the session that opened it
                    raise CrmError(CrmProblem.REVOKED, "Salesforce ended the session")
                await self._refresh(secret, token)
                refreshed = True
                continue
            raise self._failure(answer, instance, locator=locator)

    @staticmethod
    def _failure(answer: Answer, instance: str, *, locator: bool) -> Exception:
        errors = _errors(answer)
        codes = {code for code, _ in errors}
        if "INVALID_QUERY_LOCATOR" in codes and locator:
            return _LocatorLostError()
        if "REQUEST_LIMIT_EXCEEDED" in codes:
            # The org's API requests for the last 24 hours are used up: waiting minutes will
            # not help, the next sync resumes.
            return CrmError(CrmProblem.LIMIT, "Salesforce daily API request limit reached")
        refused = codes & _REFUSED
        if refused:
            message = next(m for c, m in errors if c in refused)
            return CrmError(CrmProblem.SCOPE, f"{sorted(refused)[0]}: {message}")
        if answer.status == 404:
            return CrmError(CrmProblem.ADDRESS, f"no Salesforce API at {instance}")
        return CrmError(
            CrmProblem.DOWN, f"Salesforce answered {answer.status} {','.join(sorted(codes))}"
        )
